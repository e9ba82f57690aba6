//! The base layer's rules (PROTOCOL §7), pure: no storage, no clock. Every
//! implementation of the base layer — the Rust ledger over any
//! [`crate::base_layer::LedgerStore`], and an EVM settlement contract — must
//! accept exactly the posts these accept and record exactly what they return.
//!
//! A post is accepted only if
//! - it is for the ledger's verifying key and SRS ([`check_key`]);
//! - its number is the next one ([`next_batch_number`]);
//! - its proofs chain from the last accepted root to the posted data's hash and
//!   verify ([`crate::check::verify_batch`]: the root chain);
//! - its deposits are the deposit queue's next entries, in order; entries it
//!   skips (the sequencer refused them) are consumed and refunded to their
//!   depositor ([`match_deposits`]);
//! - its forced withdrawals are the forced queue's next entries, in order, none
//!   skipped, at most [`crate::hatch::MAX_FORCED_PER_BATCH`]
//!   ([`crate::hatch::match_forced`]); their outcomes are proven;
//! - its withdrawals (and applied forced withdrawals) come from accounts a
//!   deposit created; each is released to the owner that account's first
//!   deposit named ([`release_withdrawals`]);
//! - the base layer is not frozen ([`crate::hatch`]).

use clearproof_circuits::circuit::CircuitParams;
use clearproof_protocol::serde_fr;
use clearproof_protocol::signature::PublicKey;
use clearproof_protocol::tx::{Deposit, Transaction, Withdrawal};
use clearproof_protocol::types::AccountId;
use clearproof_protocol::Fr;
use serde::{Deserialize, Serialize};

use crate::check::{verify_batch, Verified};
use crate::hatch::{match_forced, ForcedEntry};
use crate::key::VerifierKey;
use crate::Rejection;
use clearproof_api::artifact::ChunkProof;

/// The base layer's running state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LedgerState {
    /// The last accepted root (the genesis root before any batch).
    #[serde(with = "serde_fr")]
    pub root: Fr,
    /// The root the chain started at: forced requests are signed for it.
    /// (Ledgers made before the escape hatch lack it and are refused on open.)
    #[serde(with = "serde_fr", default)]
    pub genesis_root: Fr,
    /// Number of accepted batches (= the last accepted batch number).
    pub batches: u64,
    /// Deposits ever queued.
    pub deposits_queued: u64,
    /// Deposits consumed by accepted batches (the queue head).
    pub deposits_consumed: u64,
    /// The verifying key the ledger accepts proofs for.
    pub vk_digest: String,
    /// The SRS it verifies them with (`Srs::digest`).
    pub srs_digest: String,
    /// Its circuit.
    pub circuit: CircuitParams,
    /// Forced withdrawals ever queued.
    #[serde(default)]
    pub forced_queued: u64,
    /// Forced withdrawals consumed by accepted batches (the queue head).
    #[serde(default)]
    pub forced_consumed: u64,
    /// Seconds an unserved forced withdrawal waits before anyone may freeze.
    #[serde(default = "default_grace")]
    pub forced_grace: u64,
    /// Seconds after a freeze during which accounts escape.
    #[serde(default = "default_window")]
    pub escape_window: u64,
    /// When the base layer was frozen (unix seconds), if it was.
    #[serde(default)]
    pub frozen_at: Option<u64>,
    /// Whether the escapes were settled (after the claim window).
    #[serde(default)]
    pub escapes_settled: bool,
    /// Quote micro-units the base layer holds: the genesis insurance fund and
    /// deposits received, less refunds, released withdrawals and escape payouts.
    #[serde(default)]
    pub held: u128,
}

fn default_grace() -> u64 {
    crate::hatch::FORCED_GRACE
}

fn default_window() -> u64 {
    crate::hatch::ESCAPE_WINDOW
}

impl LedgerState {
    /// A new chain at `genesis_root` for `key`'s verifying key and SRS, holding
    /// the genesis insurance fund (`insurance_fund` micro-units), with the
    /// production grace and claim window.
    pub fn genesis(genesis_root: Fr, key: &VerifierKey, insurance_fund: u64) -> Self {
        Self {
            root: genesis_root,
            genesis_root,
            batches: 0,
            deposits_queued: 0,
            deposits_consumed: 0,
            vk_digest: key.digest().to_string(),
            srs_digest: key.srs_digest().to_string(),
            circuit: key.manifest.circuit,
            forced_queued: 0,
            forced_consumed: 0,
            forced_grace: crate::hatch::FORCED_GRACE,
            escape_window: crate::hatch::ESCAPE_WINDOW,
            frozen_at: None,
            escapes_settled: false,
            held: u128::from(insurance_fund),
        }
    }
}

/// A batch as posted: its number, its public data and its chunk proofs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostedBatch {
    /// The batch number.
    pub number: u64,
    /// The applied transactions, in order (the public data).
    pub data: Vec<Transaction>,
    /// One proof per chunk, in order.
    pub proofs: Vec<ChunkProof>,
    /// The chunk proofs aggregated into one (PROTOCOL §7, v2): what the EVM
    /// base layer checks ([`crate::evm`]); the Rust ledger checks the chunk
    /// proofs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<PostedAggregate>,
}

/// A batch's aggregated proof as posted: its public inputs after the
/// accumulator, and the proof.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PostedAggregate {
    /// The batch's roots, data hash and number, as the proof states them.
    pub instance: clearproof_circuits::circuit::aggregation::BatchInstance,
    /// The proof (accumulator limbs and bytes).
    pub proof: clearproof_circuits::circuit::aggregation::AggregateProof,
}

/// An accepted batch's record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AcceptedBatch {
    /// The batch number.
    pub number: u64,
    /// The root it extended.
    #[serde(with = "serde_fr")]
    pub prev_state_root: Fr,
    /// The root it reached.
    #[serde(with = "serde_fr")]
    pub next_state_root: Fr,
    /// Its data hash.
    #[serde(with = "serde_fr")]
    pub data_hash: Fr,
    /// Transactions in its public data.
    pub transactions: usize,
    /// Deposits it applied from the queue.
    pub deposits: usize,
    /// Queue entries it skipped (the sequencer refused them): refunded to their
    /// owner.
    pub refunds: Vec<Deposit>,
    /// Chunk proofs verified.
    pub chunks: usize,
    /// Total proof bytes.
    pub proof_bytes: usize,
    /// Withdrawals released to their owners (forced ones applied included).
    pub withdrawals: Vec<Withdrawal>,
    /// Forced-withdrawal queue entries it consumed (applied or refused).
    #[serde(default)]
    pub forced: usize,
}

/// What the rules read from the base layer's storage.
pub trait ChainView {
    /// The error storage reads fail with.
    type Error: From<Rejection>;
    /// Deposit queue entry `index`.
    fn queued(&self, index: u64) -> Result<Option<Deposit>, Self::Error>;
    /// The owner an account's first deposit named, if any deposit created it.
    fn owner(&self, account: AccountId) -> Result<Option<PublicKey>, Self::Error>;
    /// Forced-withdrawal queue entry `index`.
    fn forced(&self, index: u64) -> Result<Option<ForcedEntry>, Self::Error>;
}

/// What an accepted post changes, for storage to write atomically.
#[derive(Debug, Clone)]
pub struct Settlement {
    /// The state after the post.
    pub state: LedgerState,
    /// The accepted batch's record.
    pub accepted: AcceptedBatch,
    /// Accounts the post's deposits created, with their owners.
    pub new_owners: Vec<(AccountId, PublicKey)>,
}

/// The number the next accepted batch must have.
pub fn next_batch_number(state: &LedgerState) -> u64 {
    state.batches + 1
}

/// The post is for the ledger's verifying key and SRS.
pub fn check_key(state: &LedgerState, key: &VerifierKey) -> Result<(), Rejection> {
    if key.digest() != state.vk_digest || key.srs_digest() != state.srs_digest {
        return Err(Rejection::WrongVerifyingKey { chunk: 0 });
    }
    Ok(())
}

/// The posted batch, and every chunk proof, carries the next batch number.
pub fn check_number(state: &LedgerState, posted: &PostedBatch) -> Result<(), Rejection> {
    let expected = next_batch_number(state);
    if posted.number != expected {
        return Err(Rejection::WrongBatchNumber { expected, got: posted.number });
    }
    if let Some(p) = posted.proofs.iter().find(|p| p.batch != posted.number) {
        return Err(Rejection::WrongBatchNumber { expected, got: p.batch });
    }
    Ok(())
}

/// Deposits matched against the queue, from its head `consumed`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepositMatch {
    /// The queue head after the batch.
    pub consumed: u64,
    /// Entries skipped and refunded.
    pub refunds: Vec<Deposit>,
    /// Accounts created, with the owner their first deposit named.
    pub new_owners: Vec<(AccountId, PublicKey)>,
}

/// Each posted deposit must be the queue's next entry; entries before it that no
/// posted deposit takes were refused by the sequencer and are refunded.
pub fn match_deposits<V: ChainView>(
    consumed: u64,
    data: &[Transaction],
    view: &V,
) -> Result<DepositMatch, V::Error> {
    let mut out = DepositMatch { consumed, ..DepositMatch::default() };
    for (position, tx) in data.iter().enumerate() {
        let Transaction::Deposit(d) = tx else { continue };
        loop {
            let Some(entry) = view.queued(out.consumed)? else {
                return Err(
                    Rejection::DepositMismatch { position, queue_index: out.consumed }.into()
                );
            };
            out.consumed += 1;
            if entry == *d {
                break;
            }
            out.refunds.push(entry);
        }
        let known =
            out.new_owners.iter().any(|(a, _)| *a == d.account) || view.owner(d.account)?.is_some();
        if !known {
            out.new_owners.push((d.account, d.owner));
        }
    }
    Ok(out)
}

/// Every posted withdrawal, released to its account's owner on record (a
/// forged withdrawal pays the rightful owner).
pub fn release_withdrawals<V: ChainView>(
    data: &[Transaction],
    new_owners: &[(AccountId, PublicKey)],
    view: &V,
) -> Result<Vec<Withdrawal>, V::Error> {
    let mut out = Vec::new();
    // Each transaction type declares what it releases next to its rule
    // (`Rule::movement`): a new type that moves money cannot be skipped here.
    for (account, amount) in data.iter().filter_map(|tx| tx.movement().releases) {
        let owner = match new_owners.iter().find(|(a, _)| *a == account) {
            Some((_, owner)) => Some(*owner),
            None => view.owner(account)?,
        };
        let owner = owner.ok_or(Rejection::UnknownAccount(account.get()))?;
        out.push(Withdrawal { account, owner, amount });
    }
    Ok(out)
}

/// Applies every rule to a post against `state`: the settlement to record, or
/// why it is refused. The proofs are checked before the deposits, so a stale
/// root or tampered data is reported as such.
pub fn settle<V: ChainView>(
    state: &LedgerState,
    key: &VerifierKey,
    posted: &PostedBatch,
    view: &V,
) -> Result<Settlement, V::Error> {
    if state.frozen_at.is_some() {
        return Err(Rejection::Frozen.into());
    }
    check_key(state, key)?;
    check_number(state, posted)?;
    let Verified { next_state_root, data_hash, chunks, proof_bytes, .. } =
        verify_batch(key, state.root, &posted.data, &posted.proofs)?;
    let deposits = match_deposits(state.deposits_consumed, &posted.data, view)?;
    let forced = match_forced(state.forced_consumed, &posted.data, |i| view.forced(i))?;
    let withdrawals = release_withdrawals(&posted.data, &deposits.new_owners, view)?;
    let paid: u128 = deposits
        .refunds
        .iter()
        .map(|d| u128::from(d.amount.get()))
        .chain(withdrawals.iter().map(|w| u128::from(w.amount.get())))
        .sum();
    let accepted = AcceptedBatch {
        number: posted.number,
        prev_state_root: state.root,
        next_state_root,
        data_hash,
        transactions: posted.data.len(),
        deposits: (deposits.consumed - state.deposits_consumed) as usize - deposits.refunds.len(),
        refunds: deposits.refunds,
        chunks,
        proof_bytes,
        withdrawals,
        forced: (forced.consumed - state.forced_consumed) as usize,
    };
    let state = LedgerState {
        root: next_state_root,
        batches: posted.number,
        deposits_consumed: deposits.consumed,
        forced_consumed: forced.consumed,
        held: state.held.saturating_sub(paid),
        ..state.clone()
    };
    Ok(Settlement { state, accepted, new_owners: deposits.new_owners })
}
