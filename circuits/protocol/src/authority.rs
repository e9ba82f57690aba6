//! What authorises a transaction (PROTOCOL §6.1): the signed orders,
//! signatures and oracle observations the circuit proves. Each rule checks
//! its own in `tx/` (the shared checks are `impl Authority` there).

use serde::{Deserialize, Serialize};

use crate::oracle::{Observation, Observed};
use crate::orders::SignedOrder;
use crate::signature::Signature;
use crate::types::{FundingIndex, Price};

/// What authorises a transaction (PROTOCOL §6.1): the signatures the circuit
/// proves. It travels with the transaction to the prover but is never posted:
/// the public data is the [`crate::tx::Transaction`] alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Authority {
    /// Nothing to sign: the base layer's queue or the rules alone.
    #[default]
    None,
    /// `Withdraw`: the owner's signature over [`crate::tx::Transaction::message`].
    Owner {
        /// The signature.
        signature: Signature,
    },
    /// `Trade` (buyer's, then seller's) or `Liquidate` (the liquidator's): the
    /// signed orders, in the transaction's account order.
    Orders {
        /// The orders.
        orders: Vec<SignedOrder>,
    },
    /// `PriceUpdate`: a quorum of the market committee's price observations
    /// (PROTOCOL §6.3), signer indices increasing.
    PriceQuorum {
        /// The observations.
        observations: Vec<Observation<Price>>,
    },
    /// `FundingTick`: a quorum of the market committee's funding observations.
    FundingQuorum {
        /// The observations.
        observations: Vec<Observation<FundingIndex>>,
    },
    /// Posted data replayed under an accepted proof, which proved every
    /// signature and order term: only the state effects are applied. Never
    /// accepted from a user (the sequencer builds authorities itself).
    Proven,
}

/// An observed value whose quorum an [`Authority`] can carry.
pub trait Quorum: Observed {
    /// The observations of this value `auth` carries, if it is a quorum of them.
    fn observations(auth: &Authority) -> Option<&[Observation<Self>]>;
}

impl Quorum for Price {
    fn observations(auth: &Authority) -> Option<&[Observation<Self>]> {
        match auth {
            Authority::PriceQuorum { observations } => Some(observations),
            _ => None,
        }
    }
}

impl Quorum for FundingIndex {
    fn observations(auth: &Authority) -> Option<&[Observation<Self>]> {
        match auth {
            Authority::FundingQuorum { observations } => Some(observations),
            _ => None,
        }
    }
}
