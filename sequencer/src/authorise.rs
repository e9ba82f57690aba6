//! What the sequencer checks before a submission reaches the native rules:
//! signatures (owner keys, the market oracle) and that signed orders authorise
//! the fill — market, side, limit price, fee cap, expiry and remaining size —
//! turning a [`Submission`] into a protocol [`Transaction`] and the fills it
//! makes. The circuit does not yet prove these (PROTOCOL §6.1, v2).

use std::collections::HashMap;

use clearproof_circuits::params::{BPS_DENOMINATOR, FIXED_POINT_BITS};
use clearproof_circuits::signature::Signature;
use clearproof_circuits::state::State;
use clearproof_circuits::tx::{
    CommonError, CoverDeficit, FundingTick, Liquidate, PriceUpdate, Trade, Transaction, TxError,
    Withdraw,
};
use clearproof_circuits::types::{AccountId, Amount, MarketId};
use ethnum::I256;

use crate::deleverage::pick_deleverage;
use crate::error::{OrderError, SubmitError};
use crate::order::{Side, SignedOrder};
use crate::store::Fill;
use crate::wire::Submission;

/// Orders are tracked by `(account, order_id)`.
pub(crate) type FillKey = (AccountId, u64);

/// Filled lots of every order seen so far.
pub(crate) type Fills = HashMap<FillKey, Fill>;

/// The context submissions are authorised against: the open batch's state and
/// the orders' fills.
pub(crate) struct Authoriser<'a> {
    pub state: &'a State,
    pub fills: &'a Fills,
}

impl Authoriser<'_> {
    /// Turns a submission into a protocol transaction, checking what the
    /// sequencer (not the circuit) is responsible for: signatures, orders, and the
    /// choice of deleverage counterparty. Returns the fills the transaction makes.
    pub fn authorise(
        &self,
        sub: &Submission,
        now: u64,
    ) -> Result<(Transaction, Vec<(FillKey, Fill)>), SubmitError> {
        let owner = |id: AccountId| {
            self.state
                .account(id)
                .map(|a| a.owner)
                .ok_or(TxError::Withdraw(CommonError::UnknownAccount(id).into()))
        };
        match sub {
            Submission::Withdraw { account, amount, nonce, signature } => {
                let tx = Transaction::Withdraw(Withdraw {
                    account: *account,
                    amount: *amount,
                    nonce: *nonce,
                });
                owner(*account)?.verify(tx.message(), signature)?;
                Ok((tx, Vec::new()))
            }
            Submission::Trade {
                market,
                base,
                quote,
                buyer_fee,
                seller_fee,
                buyer_order,
                seller_order,
            } => {
                let buy = self.check_order(
                    buyer_order,
                    *market,
                    Side::Buy,
                    *base,
                    *quote,
                    buyer_fee.get(),
                    now,
                )?;
                let sell = self.check_order(
                    seller_order,
                    *market,
                    Side::Sell,
                    *base,
                    *quote,
                    seller_fee.get(),
                    now,
                )?;
                let tx = Transaction::Trade(Trade {
                    market: *market,
                    buyer: buyer_order.order.account,
                    seller: seller_order.order.account,
                    base: *base,
                    quote: *quote,
                    buyer_fee: *buyer_fee,
                    seller_fee: *seller_fee,
                });
                Ok((tx, vec![buy, sell]))
            }
            Submission::Liquidate {
                market,
                liquidated,
                base,
                quote,
                penalty,
                liquidator_order,
            } => {
                let position =
                    self.state.account(*liquidated).map_or(0, |a| a.balances[market.index()].get());
                // The liquidator takes the side opposite to the liquidated position.
                let side = if position < 0 { Side::Sell } else { Side::Buy };
                let fill =
                    self.check_order(liquidator_order, *market, side, *base, *quote, 0, now)?;
                let tx = Transaction::Liquidate(Liquidate {
                    market: *market,
                    liquidated: *liquidated,
                    liquidator: liquidator_order.order.account,
                    base: *base,
                    quote: *quote,
                    penalty: *penalty,
                });
                Ok((tx, vec![fill]))
            }
            Submission::CoverDeficit { account } => {
                Ok((Transaction::CoverDeficit(CoverDeficit { account: *account }), Vec::new()))
            }
            Submission::Deleverage { market, bankrupt } => {
                Ok((pick_deleverage(self.state, *market, *bankrupt)?, Vec::new()))
            }
            Submission::PriceUpdate { market, price, timestamp, signature } => {
                let tx = Transaction::PriceUpdate(PriceUpdate {
                    market: *market,
                    price: *price,
                    timestamp: *timestamp,
                });
                self.oracle_signed(*market, tx, signature)
            }
            Submission::FundingTick { market, index, timestamp, signature } => {
                let tx = Transaction::FundingTick(FundingTick {
                    market: *market,
                    index: *index,
                    timestamp: *timestamp,
                });
                self.oracle_signed(*market, tx, signature)
            }
        }
    }

    /// `tx` if `signature` is the market oracle's over its message.
    fn oracle_signed(
        &self,
        market: MarketId,
        tx: Transaction,
        signature: &Signature,
    ) -> Result<(Transaction, Vec<(FillKey, Fill)>), SubmitError> {
        self.state.market(market).params.oracle.verify(tx.message(), signature)?;
        Ok((tx, Vec::new()))
    }

    /// Checks that `signed` authorises a fill of `base` lots for `quote` with `fee`.
    #[allow(clippy::too_many_arguments)]
    fn check_order(
        &self,
        signed: &SignedOrder,
        market: MarketId,
        side: Side,
        base: Amount,
        quote: Amount,
        fee: u64,
        now: u64,
    ) -> Result<(FillKey, Fill), SubmitError> {
        let order = &signed.order;
        if order.market != market || order.side != side {
            return Err(OrderError::Mismatch.into());
        }
        let owner = self
            .state
            .account(order.account)
            .ok_or(TxError::Trade(CommonError::UnknownAccount(order.account).into()))?
            .owner;
        let message = order.message();
        owner.verify(message, &signed.signature)?;
        if now > order.expiry.get() {
            return Err(OrderError::Expired.into());
        }
        let fill = I256::from(quote.get()) << FIXED_POINT_BITS;
        let limit = I256::from(order.limit_price.get()) * I256::from(base.get());
        let within_limit = match side {
            Side::Buy => fill <= limit,
            Side::Sell => fill >= limit,
        };
        if !within_limit {
            return Err(OrderError::LimitPrice.into());
        }
        if I256::from(fee) * I256::from(BPS_DENOMINATOR)
            > I256::from(order.max_fee_bp.get()) * I256::from(quote.get())
        {
            return Err(OrderError::FeeAboveMax.into());
        }
        let key = (order.account, order.order_id.get());
        let filled = match self.fills.get(&key) {
            Some(f) if f.message != message => return Err(OrderError::IdConflict.into()),
            Some(f) => f.filled,
            None => 0,
        };
        let total = filled as u128 + base.get() as u128;
        if total > order.size.get() as u128 {
            return Err(OrderError::Overfilled.into());
        }
        Ok((key, Fill { message, filled: total as u64 }))
    }
}
