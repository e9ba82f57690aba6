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
//!   skipped, at most [`crate::base_layer::hatch::MAX_FORCED_PER_BATCH`]
//!   ([`crate::base_layer::hatch::match_forced`]); their outcomes are proven;
//! - its withdrawals (and applied forced withdrawals) come from accounts a
//!   deposit created; each is released to the owner that account's first
//!   deposit named ([`release_withdrawals`]);
//! - the base layer is not frozen ([`crate::base_layer::hatch`]).

use clearproof_protocol::batch::BatchHeader;
use clearproof_protocol::signature::PublicKey;
use clearproof_protocol::tx::{Deposit, Transaction, Withdrawal};
use clearproof_protocol::types::AccountId;
use serde::{Deserialize, Serialize};

use super::state::LedgerState;
use crate::base_layer::hatch::{match_forced, ForcedEntry};
use crate::check::{verify_batch, Verified};
use crate::key::VerifierKey;
use crate::Rejection;
use clearproof_api::artifact::ChunkProof;

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
    /// base layer checks ([`crate::base_layer::evm`]); the Rust ledger checks the chunk
    /// proofs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<PostedAggregate>,
}

/// A batch's aggregated proof as posted: its public inputs after the
/// accumulator, and the proof.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PostedAggregate {
    /// The batch's roots, data hash and number, as the proof states them.
    pub instance: clearproof_protocol::batch::BatchHeader,
    /// The proof (accumulator limbs and bytes).
    pub proof: clearproof_circuits::circuit::aggregation::AggregateProof,
}

/// An accepted batch's record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AcceptedBatch {
    /// Its number, the root it extended, the root it reached and its data hash
    /// (stored flattened).
    #[serde(flatten)]
    pub header: BatchHeader,
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
    let Verified { header, chunks, proof_bytes } =
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
        header: BatchHeader { number: posted.number, ..header },
        transactions: posted.data.len(),
        deposits: (deposits.consumed - state.deposits_consumed) as usize - deposits.refunds.len(),
        refunds: deposits.refunds,
        chunks,
        proof_bytes,
        withdrawals,
        forced: (forced.consumed - state.forced_consumed) as usize,
    };
    let state = LedgerState {
        root: header.next_state_root,
        batches: posted.number,
        deposits_consumed: deposits.consumed,
        forced_consumed: forced.consumed,
        held: state.held.saturating_sub(paid),
        ..state.clone()
    };
    Ok(Settlement { state, accepted, new_owners: deposits.new_owners })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearproof_protocol::Fr;

    /// An accepted batch is stored by the ledger as JSON with its header's
    /// fields flattened: the keys ledgers written before the one `BatchHeader`
    /// hold, so they still open.
    #[test]
    fn an_accepted_batch_keeps_its_stored_json_keys() {
        let accepted = AcceptedBatch {
            header: BatchHeader {
                number: 3,
                prev_state_root: Fr::from(1u64),
                next_state_root: Fr::from(2u64),
                data_hash: Fr::from(5u64),
            },
            transactions: 0,
            deposits: 0,
            refunds: vec![],
            chunks: 1,
            proof_bytes: 0,
            withdrawals: vec![],
            forced: 0,
        };
        let json = serde_json::to_value(&accepted).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let expected = [
            "chunks",
            "data_hash",
            "deposits",
            "forced",
            "next_state_root",
            "number",
            "prev_state_root",
            "proof_bytes",
            "refunds",
            "transactions",
            "withdrawals",
        ];
        assert_eq!(keys, expected);
        assert_eq!(serde_json::from_value::<AcceptedBatch>(json).unwrap(), accepted);
    }
}
