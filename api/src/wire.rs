//! The HTTP contract's types, shared by the server (the sequencer's `api`) and
//! the typed client ([`crate::client`]): what the sequencer accepts (`POST
//! /v1/transactions`, `POST /v1/deposits`, job leases and proofs) and answers
//! with. Every quantity is a decimal string; keys and signatures are hex.
//! `docs/API.md` documents each shape with examples.

use clearproof_protocol::oracle::{self, aggregate, Observation};
use clearproof_protocol::signature::{PublicKey, SecretKey, Signature};
use clearproof_protocol::state::Account;
use clearproof_protocol::tx::{Transaction, TxKind, Withdraw};
use clearproof_protocol::types::{
    AccountId, Amount, FundingIndex, MarketId, Nonce, OracleIndex, Price, Quote, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::artifact::ChunkProof;
use clearproof_protocol::orders::SignedOrder;

/// The request header that makes a submission idempotent (`docs/API.md`).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A transaction as submitted: the protocol transaction plus what authorises it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Submission {
    /// Owner-signed withdrawal.
    Withdraw {
        /// Debited account.
        account: AccountId,
        /// Quote micro-units.
        amount: Amount,
        /// Must equal the account's nonce.
        nonce: Nonce,
        /// Owner's signature over the `Withdraw` message.
        signature: Signature,
    },
    /// A fill between a signed buy order and a signed sell order.
    Trade {
        /// Market.
        market: MarketId,
        /// Lots.
        base: Amount,
        /// Quote micro-units.
        quote: Amount,
        /// Buyer's fee.
        buyer_fee: Quote,
        /// Seller's fee.
        seller_fee: Quote,
        /// The buyer's order (its account is the buyer).
        buyer_order: SignedOrder,
        /// The seller's order (its account is the seller).
        seller_order: SignedOrder,
    },
    /// A liquidation fill against the liquidator's signed order.
    Liquidate {
        /// Market.
        market: MarketId,
        /// Account below maintenance margin.
        liquidated: AccountId,
        /// Lots.
        base: Amount,
        /// Quote micro-units.
        quote: Amount,
        /// Penalty to the insurance fund.
        penalty: Quote,
        /// The liquidator's order (its account is the liquidator).
        liquidator_order: SignedOrder,
    },
    /// Insurance fund covers a flat account's deficit; anyone may ask.
    CoverDeficit {
        /// The flat account with negative collateral.
        account: AccountId,
    },
    /// Ask the sequencer to deleverage a bankrupt account; it picks the
    /// counterparty and the bankruptcy price (see `docs/API.md`, ranking policy).
    Deleverage {
        /// Market.
        market: MarketId,
        /// Account with negative total value.
        bankrupt: AccountId,
    },
    /// A price authorised by a quorum of the market's oracle committee
    /// (PROTOCOL §6.3): `price` is the median of the observations, `timestamp`
    /// the earliest. The sequencer builds these itself from the observations
    /// members post to `/v1/observations`; anyone holding a quorum may submit one.
    PriceUpdate {
        /// Market.
        market: MarketId,
        /// Fixed point, 32 fractional bits.
        price: Price,
        /// Seconds.
        timestamp: Timestamp,
        /// The committee members' signed observations, signers increasing.
        observations: Vec<Observation<Price>>,
    },
    /// A funding index authorised by a quorum of the market's oracle committee.
    FundingTick {
        /// Market.
        market: MarketId,
        /// New cumulative index.
        index: FundingIndex,
        /// Seconds.
        timestamp: Timestamp,
        /// The committee members' signed observations, signers increasing.
        observations: Vec<Observation<FundingIndex>>,
    },
}

/// The types only the base layer originates: they arrive through its queue
/// (`POST /v1/deposits`), never as a user's submission.
pub const BASE_LAYER_TYPES: [&str; 2] = ["deposit", "forced_withdraw"];

/// Every `type` a submission may have (deposits go to `/v1/deposits`).
pub const SUBMISSION_TYPES: [&str; 7] = [
    "withdraw",
    "trade",
    "liquidate",
    "cover_deficit",
    "deleverage",
    "price_update",
    "funding_tick",
];

impl Submission {
    /// A signed withdrawal.
    pub fn withdraw(key: &SecretKey, account: AccountId, amount: Amount, nonce: Nonce) -> Self {
        let tx = Transaction::Withdraw(Withdraw { account, amount, nonce });
        Submission::Withdraw { account, amount, nonce, signature: key.sign(tx.message()) }
    }

    /// The price update `observations` authorise: their median at their
    /// earliest timestamp (`None` for no observations).
    pub fn price_update(market: MarketId, observations: Vec<Observation<Price>>) -> Option<Self> {
        let (price, timestamp) = aggregate(&observations)?;
        Some(Submission::PriceUpdate { market, price, timestamp, observations })
    }

    /// The funding tick `observations` authorise: their median at their
    /// earliest timestamp (`None` for no observations).
    pub fn funding_tick(
        market: MarketId,
        observations: Vec<Observation<FundingIndex>>,
    ) -> Option<Self> {
        let (index, timestamp) = aggregate(&observations)?;
        Some(Submission::FundingTick { market, index, timestamp, observations })
    }

    /// The price update committee members `0..members.len()` (their secret
    /// keys) authorise by each observing `price` at `timestamp` (tests, tools).
    pub fn price_quorum(
        members: &[&SecretKey],
        market: MarketId,
        price: Price,
        timestamp: Timestamp,
    ) -> Self {
        let observations = OracleIndex::all()
            .zip(members)
            .map(|(i, key)| Observation::sign(key, i, market, price, timestamp))
            .collect();
        Submission::PriceUpdate { market, price, timestamp, observations }
    }

    /// The funding tick committee members `0..members.len()` authorise by each
    /// observing `index` at `timestamp` (tests, tools).
    pub fn funding_quorum(
        members: &[&SecretKey],
        market: MarketId,
        index: FundingIndex,
        timestamp: Timestamp,
    ) -> Self {
        let observations = OracleIndex::all()
            .zip(members)
            .map(|(i, key)| Observation::sign(key, i, market, index, timestamp))
            .collect();
        Submission::FundingTick { market, index, timestamp, observations }
    }

    /// Whether it carries a signature. An unsigned request (`cover_deficit`,
    /// `deleverage`) can be sent by anyone at no cost, so its rejection is
    /// answered but never stored: it gets no id and causes no write.
    pub fn is_signed(&self) -> bool {
        !matches!(self, Submission::CoverDeficit { .. } | Submission::Deleverage { .. })
    }

    /// SHA-256 (hex) of its canonical JSON: what an idempotency key is bound to.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::to_vec(self).expect("submissions serialise");
        hex::encode(Sha256::digest(canonical))
    }

    /// The type of transaction it submits (its JSON `type` is the kind's
    /// name).
    pub fn kind(&self) -> TxKind {
        match self {
            Submission::Withdraw { .. } => TxKind::Withdraw,
            Submission::Trade { .. } => TxKind::Trade,
            Submission::Liquidate { .. } => TxKind::Liquidate,
            Submission::CoverDeficit { .. } => TxKind::CoverDeficit,
            Submission::Deleverage { .. } => TxKind::Deleverage,
            Submission::PriceUpdate { .. } => TxKind::PriceUpdate,
            Submission::FundingTick { .. } => TxKind::FundingTick,
        }
    }
}

/// One committee member's signed observation (`POST /v1/observations`), as
/// `clearproof oracle observe` prints it. The member is named by its key; the
/// sequencer finds its index in the market's committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ObservationRequest {
    /// A price observation.
    PriceObservation {
        /// Market.
        market: MarketId,
        /// The member's public key.
        member: PublicKey,
        /// Fixed point, 32 fractional bits.
        price: Price,
        /// Seconds.
        timestamp: Timestamp,
        /// The member's signature over `H(tags::PRICE_OBSERVATION, market, price, timestamp)`.
        signature: Signature,
    },
    /// A funding-index observation.
    FundingObservation {
        /// Market.
        market: MarketId,
        /// The member's public key.
        member: PublicKey,
        /// Cumulative funding index.
        index: FundingIndex,
        /// Seconds.
        timestamp: Timestamp,
        /// The member's signature over `H(tags::FUNDING_OBSERVATION, market, index, timestamp)`.
        signature: Signature,
    },
}

/// Every `type` an observation may have.
pub const OBSERVATION_TYPES: [&str; 2] = ["price_observation", "funding_observation"];

impl ObservationRequest {
    /// `key` observes `price` in `market` at `timestamp`.
    pub fn price(key: &SecretKey, market: MarketId, price: Price, timestamp: Timestamp) -> Self {
        let signature = key.sign(oracle::message(market, price, timestamp));
        Self::PriceObservation { market, member: key.public_key(), price, timestamp, signature }
    }

    /// `key` observes the funding `index` in `market` at `timestamp`.
    pub fn funding(
        key: &SecretKey,
        market: MarketId,
        index: FundingIndex,
        timestamp: Timestamp,
    ) -> Self {
        let signature = key.sign(oracle::message(market, index, timestamp));
        Self::FundingObservation { market, member: key.public_key(), index, timestamp, signature }
    }

    /// The market.
    pub fn market(&self) -> MarketId {
        match self {
            Self::PriceObservation { market, .. } | Self::FundingObservation { market, .. } => {
                *market
            }
        }
    }
}

/// What `POST /v1/observations` did with an observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationReceipt {
    /// `"price"` or `"index"`.
    pub observes: String,
    /// Market.
    pub market: MarketId,
    /// Fresh observations now held for the market (0 after an update used them).
    pub held: usize,
    /// The market's quorum.
    pub quorum: u8,
    /// The update this observation completed, if it completed a quorum.
    pub update: Option<TxReceipt>,
}

/// The submission types the sequencer builds itself from the oracle
/// committee's observations (`POST /v1/observations`); anyone holding a quorum
/// of observations may still submit one.
pub const ORACLE_UPDATE_TYPES: [&str; 2] = ["price_update", "funding_tick"];

/// An entry of the base layer's deposit queue (`POST /v1/deposits`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    /// Always `"deposit"`, so a file of mixed lines can be routed.
    #[serde(rename = "type")]
    pub kind: DepositTag,
    /// Position in the base layer's queue: deposits are processed in this order,
    /// and re-posting an index already seen is an idempotent no-op.
    pub queue_index: u64,
    /// Credited account.
    pub account: AccountId,
    /// Owner key.
    pub owner: PublicKey,
    /// Quote micro-units.
    pub amount: Amount,
}

/// An entry of the base layer's forced-withdrawal queue, as the sequencer took
/// it (PROTOCOL §6.4): the outcome is decided against the state when it is
/// applied, and again, identically, on replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForcedPickup {
    /// Position in the base layer's forced queue.
    pub queue_index: u64,
    /// The account.
    pub account: AccountId,
    /// Quote micro-units.
    pub amount: Amount,
}

/// The constant `"deposit"` tag of [`DepositRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositTag {
    /// `"deposit"`.
    Deposit,
}

/// The status of a transaction (`GET /v1/transactions/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    /// Accepted into the open batch `batch`; durable, not yet committed.
    Pending {
        /// The open batch's number.
        batch: u64,
    },
    /// Committed in batch `batch` at position `index` among its transactions.
    Applied {
        /// Batch number.
        batch: u64,
        /// Position in the batch.
        index: usize,
    },
    /// Rejected; nothing changed.
    Rejected {
        /// Stable error code.
        code: String,
        /// Reason.
        message: String,
    },
}

/// Answer to a submission or a receipt query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxReceipt {
    /// Transaction id (decimal sequence number).
    pub id: String,
    /// The transaction type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Status.
    #[serde(flatten)]
    pub status: TxStatus,
}

/// The body of every 4xx/5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, documented code.
    pub code: String,
    /// Reason.
    pub message: String,
    /// The id under which the rejection is recorded, for state-rule rejections.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
}

/// `GET /v1/accounts/{id}`: a committed account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The account id.
    pub id: AccountId,
    /// Its committed value.
    pub account: Account,
}

/// `POST /v1/jobs/lease`: a prover asking for work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRequest {
    /// The prover's name, shown in the job list.
    pub worker: String,
    /// The prover's verifying-key digest: a prover with other keys gets no job.
    #[serde(default)]
    pub vk_digest: Option<String>,
}

/// A leased job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Batch number.
    pub batch: u64,
    /// Chunk index.
    pub chunk: usize,
    /// The batch's number of chunks.
    pub chunks: usize,
    /// Slots per chunk (the circuit the proof must be for).
    pub slots: usize,
    /// Identifies this lease in logs.
    pub lease_id: u64,
    /// Milliseconds until the job is offered again.
    pub lease_ms: u64,
}

/// Where one job stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    /// Batch number.
    pub batch: u64,
    /// Chunk index.
    pub chunk: usize,
    /// `proven`, `leased` or `open`.
    pub state: String,
    /// The lease holder, for a leased job.
    pub worker: Option<String>,
}

/// What happened to a submitted proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Submitted {
    /// Stored: the first valid proof of this chunk.
    Accepted,
    /// A proof of this chunk was already stored; this one was dropped.
    Duplicate,
}

/// `POST /v1/jobs/{batch}/{chunk}/proof`: what happened to the proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofAnswer {
    /// Stored, or a duplicate.
    pub status: Submitted,
}

/// `GET /v1/batches/{n}/proofs`: a batch's stored chunk proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchProofs {
    /// Batch number.
    pub batch: u64,
    /// Its number of chunks.
    pub chunks: usize,
    /// Every chunk is proven.
    pub complete: bool,
    /// One entry per chunk, in order (`null` where missing).
    pub proofs: Vec<Option<ChunkProof>>,
}

#[cfg(test)]
mod tests {
    use clearproof_protocol::tx::TxKind;

    use super::{BASE_LAYER_TYPES, SUBMISSION_TYPES};

    #[test]
    fn every_registered_type_can_be_submitted() {
        for kind in TxKind::ALL {
            let name = kind.name();
            assert!(
                SUBMISSION_TYPES.contains(&name) || BASE_LAYER_TYPES.contains(&name),
                "{kind} has no Submission variant (sequencer/src/wire.rs) and is not a \
                 base-layer type"
            );
        }
        for name in SUBMISSION_TYPES.iter().chain(&BASE_LAYER_TYPES) {
            assert!(TxKind::ALL.iter().any(|k| k.name() == *name), "{name} is not registered");
        }
    }
}
