//! What the sequencer checks before a submission reaches the native rules, and
//! how it becomes a protocol [`SignedTx`]: the owner's signatures (a fast path:
//! the native rule checks them again, every order term included, and the
//! circuit proves them, PROTOCOL §6.1–6.3), the oracle committee members'
//! signatures on an update's observations, and the deleverage counterparty. A submission
//! whose signature fails is refused here and writes nothing.

use clearproof_protocol::oracle::{Observation, Observed};
use clearproof_protocol::signature::{PublicKey, Signature};
use clearproof_protocol::state::State;
use clearproof_protocol::tx::{
    Authority, CommonError, CoverDeficit, FundingTick, Liquidate, PriceUpdate, SignedTx, Trade,
    Transaction, TxError, Withdraw,
};
use clearproof_protocol::types::{AccountId, Amount, MarketId, Nonce};
use clearproof_protocol::Fr;

use crate::deleverage::pick_deleverage;
use crate::error::SubmitError;
use clearproof_api::wire::Submission;
use clearproof_protocol::orders::SignedOrder;

/// The context submissions are authorised against: the open batch's state.
pub(crate) struct Authoriser<'a> {
    pub state: &'a State,
}

/// The protocol withdrawal a `withdraw` submission asks for.
fn withdrawal(account: AccountId, amount: Amount, nonce: Nonce) -> Transaction {
    Transaction::Withdraw(Withdraw { account, amount, nonce })
}

/// Hashes the messages of the orders `sub` carries ([`Order::message`]
/// remembers them), so that checking them later, under the sequencer's lock,
/// is a lookup.
///
/// [`Order::message`]: clearproof_protocol::orders::Order::message
pub fn hash_messages(sub: &Submission) {
    match sub {
        Submission::Trade { buyer_order, seller_order, .. } => {
            buyer_order.order.message();
            seller_order.order.message();
        }
        Submission::Liquidate { liquidator_order, .. } => {
            liquidator_order.order.message();
        }
        _ => {}
    }
}

/// One signature a submission carries: the key it must verify under, its
/// message, the signature.
pub type SignatureCheck = (PublicKey, Fr, Signature);

impl Authoriser<'_> {
    /// Every signature `sub` carries whose key is known now: owners of existing
    /// accounts (an owner key never changes once set), committee members. A
    /// signature whose key is unknown is left to the rule, which refuses it.
    /// The HTTP handler verifies these outside the sequencer's lock; verifying
    /// again under the lock is then a lookup ([`PublicKey::verify`] remembers
    /// successes).
    pub(crate) fn signature_checks(&self, sub: &Submission) -> Vec<SignatureCheck> {
        let owner = |id: AccountId| self.state.account(id).map(|a| a.owner);
        let order =
            |o: &SignedOrder| owner(o.order.account).map(|k| (k, o.order.message(), o.signature));
        match sub {
            Submission::Withdraw { account, amount, nonce, signature } => {
                let tx = withdrawal(*account, *amount, *nonce);
                owner(*account).map(|k| (k, tx.message(), *signature)).into_iter().collect()
            }
            Submission::Trade { buyer_order, seller_order, .. } => {
                [buyer_order, seller_order].into_iter().filter_map(order).collect()
            }
            Submission::Liquidate { liquidator_order, .. } => {
                order(liquidator_order).into_iter().collect()
            }
            Submission::CoverDeficit { .. } | Submission::Deleverage { .. } => Vec::new(),
            Submission::PriceUpdate { market, observations, .. } => {
                self.observation_checks(*market, observations)
            }
            Submission::FundingTick { market, observations, .. } => {
                self.observation_checks(*market, observations)
            }
        }
    }

    fn observation_checks<V: Observed>(
        &self,
        market: MarketId,
        observations: &[Observation<V>],
    ) -> Vec<SignatureCheck> {
        let committee = &self.state.market(market).params.committee;
        observations
            .iter()
            .filter_map(|o| {
                committee.member(o.signer).map(|k| (*k, o.message(market), o.signature))
            })
            .collect()
    }

    /// Turns a submission into a protocol transaction with its authority,
    /// checking the signatures up front and choosing a deleverage counterparty.
    pub(crate) fn authorise(&self, sub: &Submission) -> Result<SignedTx, SubmitError> {
        for (key, message, signature) in self.signature_checks(sub) {
            key.verify(message, &signature)?;
        }
        let owner = |id: AccountId| {
            self.state
                .account(id)
                .map(|a| a.owner)
                .ok_or(TxError::Withdraw(CommonError::UnknownAccount(id).into()))
        };
        match sub {
            Submission::Withdraw { account, amount, nonce, signature } => {
                let tx = withdrawal(*account, *amount, *nonce);
                owner(*account)?;
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
                let tx = PriceUpdate { market: *market, price: *price, timestamp: *timestamp };
                let observations = observations.clone();
                Ok(SignedTx::new(tx, Authority::PriceQuorum { observations }))
            }
            Submission::FundingTick { market, index, timestamp, observations } => {
                let tx = FundingTick { market: *market, index: *index, timestamp: *timestamp };
                let observations = observations.clone();
                Ok(SignedTx::new(tx, Authority::FundingQuorum { observations }))
            }
        }
    }
}
