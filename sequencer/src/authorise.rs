//! What the sequencer checks before a submission reaches the native rules, and
//! how it becomes a protocol [`SignedTx`]: the owner's signatures (a fast path:
//! the native rule checks them again, every order term included, and the
//! circuit proves them, PROTOCOL §6.1–6.3), the oracle committee members'
//! signatures on an update's observations, and the deleverage counterparty. A submission
//! whose signature fails is refused here and writes nothing.

use clearproof_circuits::oracle::{Observation, Observed};
use clearproof_circuits::state::State;
use clearproof_circuits::tx::{
    Authority, CommonError, CoverDeficit, FundingTick, Liquidate, PriceUpdate, SignedTx, Trade,
    Transaction, TxError, Withdraw,
};
use clearproof_circuits::types::{AccountId, MarketId};

use crate::deleverage::pick_deleverage;
use crate::error::SubmitError;
use crate::order::SignedOrder;
use crate::wire::Submission;

/// The context submissions are authorised against: the open batch's state.
pub(crate) struct Authoriser<'a> {
    pub state: &'a State,
}

impl Authoriser<'_> {
    /// Turns a submission into a protocol transaction with its authority,
    /// checking the signatures up front and choosing a deleverage counterparty.
    pub fn authorise(&self, sub: &Submission) -> Result<SignedTx, SubmitError> {
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
                Ok(SignedTx::new(tx, Authority::Owner { signature: *signature }))
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
                self.order_signed(buyer_order)?;
                self.order_signed(seller_order)?;
                let tx = Trade {
                    market: *market,
                    buyer: buyer_order.order.account,
                    seller: seller_order.order.account,
                    base: *base,
                    quote: *quote,
                    buyer_fee: *buyer_fee,
                    seller_fee: *seller_fee,
                    buyer_order_id: buyer_order.order.order_id,
                    seller_order_id: seller_order.order.order_id,
                };
                let orders = vec![buyer_order.clone(), seller_order.clone()];
                Ok(SignedTx::new(tx, Authority::Orders { orders }))
            }
            Submission::Liquidate {
                market,
                liquidated,
                base,
                quote,
                penalty,
                liquidator_order,
            } => {
                self.order_signed(liquidator_order)?;
                let tx = Liquidate {
                    market: *market,
                    liquidated: *liquidated,
                    liquidator: liquidator_order.order.account,
                    base: *base,
                    quote: *quote,
                    penalty: *penalty,
                    liquidator_order_id: liquidator_order.order.order_id,
                };
                let orders = vec![liquidator_order.clone()];
                Ok(SignedTx::new(tx, Authority::Orders { orders }))
            }
            Submission::CoverDeficit { account } => {
                Ok(Transaction::CoverDeficit(CoverDeficit { account: *account }).into())
            }
            Submission::Deleverage { market, bankrupt } => {
                Ok(pick_deleverage(self.state, *market, *bankrupt)?.into())
            }
            Submission::PriceUpdate { market, price, timestamp, observations } => {
                self.observations_signed(*market, observations)?;
                let tx = PriceUpdate { market: *market, price: *price, timestamp: *timestamp };
                let observations = observations.clone();
                Ok(SignedTx::new(tx, Authority::PriceQuorum { observations }))
            }
            Submission::FundingTick { market, index, timestamp, observations } => {
                self.observations_signed(*market, observations)?;
                let tx = FundingTick { market: *market, index: *index, timestamp: *timestamp };
                let observations = observations.clone();
                Ok(SignedTx::new(tx, Authority::FundingQuorum { observations }))
            }
        }
    }

    /// Each observation's signature is its member's (a signer outside the
    /// committee is left to the rule, which refuses it with
    /// `ORACLE_NOT_A_MEMBER`).
    fn observations_signed<V: Observed>(
        &self,
        market: MarketId,
        observations: &[Observation<V>],
    ) -> Result<(), SubmitError> {
        let committee = &self.state.market(market).params.committee;
        for o in observations {
            if let Some(member) = committee.member(o.signer) {
                member.verify(o.message(market), &o.signature)?;
            }
        }
        Ok(())
    }

    /// The order's signature is its account owner's (an unknown account is left
    /// to the rule, which refuses it with `UNKNOWN_ACCOUNT`).
    fn order_signed(&self, signed: &SignedOrder) -> Result<(), SubmitError> {
        if let Some(account) = self.state.account(signed.order.account) {
            account.owner.verify(signed.order.message(), &signed.signature)?;
        }
        Ok(())
    }
}
