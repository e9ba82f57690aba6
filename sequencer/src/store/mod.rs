//! The sequencer's durable state behind one trait, [`Store`]: what a restart
//! loads (committed state with its order slots, the pending log), what a commit writes (one
//! atomic batch), and what the API and the job board read (receipts, accounts,
//! batch records, proofs, the deposit queue). [`SledStore`] is the production
//! store; [`MemoryStore`] keeps the same contract in memory for tests (it
//! survives a sequencer restart within one process, not a process crash).
//!
//! The contract every implementation keeps: a write returns once it is applied
//! (visible to reads); [`Store::flush`] returns once everything applied so far is
//! durable; a batch commit is atomic and durable when it returns. [`SledStore`]
//! makes writes durable through one writer thread ([`GroupCommit`]): sled is
//! never flushed from several tasks at once, and concurrent requests share a
//! flush.

use std::future::Future;
use std::pin::Pin;

use clearproof_protocol::orders::Slot;
use clearproof_protocol::state::{Account, Genesis, State};
use clearproof_protocol::types::AccountId;
use serde::{Deserialize, Serialize};

use clearproof_api::wire::{DepositRequest, ForcedPickup, Submission, TxStatus};

mod group;
mod memory;
mod sled_store;

pub use group::GroupCommit;
pub use memory::MemoryStore;
pub use sled_store::SledStore;

/// A storage failure. The sequencer stops accepting when it sees one.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed.
    #[error("storage: {0}")]
    Sled(#[from] ::sled::Error),
    /// Stored data does not decode or is inconsistent.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// Making writes durable failed (the group commit's flush).
    #[error("storage flush: {0}")]
    Durability(String),
    /// The directory was written by an older clearproof, whose layout this one
    /// does not read.
    #[error(
        "this data directory was written by an older clearproof (batches stored with their \
         witnesses); rebuild it from the base layer with `clearproof restore`"
    )]
    Outdated,
}

/// What an accepted entry was.
// Entries are few (one open batch) and short-lived: boxing buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum EntryBody {
    /// A user submission.
    Submission(Submission),
    /// A base-layer deposit.
    Deposit(DepositRequest),
    /// A base-layer forced withdrawal.
    Forced(ForcedPickup),
}

/// An accepted, durable entry of the open batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEntry {
    /// Transaction id.
    pub seq: u64,
    /// Unix seconds at acceptance: order expiry is judged at this time, also on replay.
    pub accepted_at: u64,
    /// The entry.
    pub body: EntryBody,
}

/// A submission's idempotency key and the outcome it was first used for: a
/// resubmission with the same key gets that outcome instead of applying again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Idempotency {
    /// The client's key (`Idempotency-Key` header).
    pub key: String,
    /// SHA-256 (hex) of the submission's canonical JSON: the same key with other
    /// content is refused.
    pub digest: String,
    /// The transaction id the first submission got (accepted, or rejected by a
    /// rule and recorded).
    pub seq: u64,
    /// Unix seconds of the first use; the key is forgotten
    /// [`IDEMPOTENCY_RETENTION_SECS`] later.
    pub at: u64,
}

/// How long an idempotency key is remembered: 24 hours.
pub const IDEMPOTENCY_RETENTION_SECS: u64 = 24 * 3_600;

/// A stored receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceipt {
    /// The transaction type.
    pub kind: String,
    /// Its status.
    pub status: TxStatus,
}

/// Everything written when a batch commits.
#[derive(Debug)]
pub struct BatchCommit<'a> {
    /// State after the batch.
    pub state: &'a State,
    /// Accounts the batch touched.
    pub touched: Vec<AccountId>,
    /// Batch number.
    pub number: u64,
    /// The batch record, serialised.
    pub record: Vec<u8>,
    /// Receipts of the batch's entries.
    pub receipts: Vec<(u64, StoredReceipt)>,
    /// Order slots the batch moved (each at its value after the batch).
    pub order_slots: Vec<(AccountId, Slot)>,
    /// Idempotency keys first used before this unix second are forgotten.
    pub forget_keys_before: u64,
    /// The next transaction id.
    pub next_seq: u64,
    /// The next deposit queue index the sequencer takes.
    pub next_deposit: u64,
    /// The next forced-withdrawal queue index the sequencer takes.
    pub next_forced: u64,
}

/// What a restart loads.
#[derive(Debug)]
pub struct Loaded {
    /// The committed state (order slots included).
    pub state: State,
    /// Accepted, uncommitted entries in acceptance order.
    pub pending: Vec<PendingEntry>,
    /// Next transaction id.
    pub next_seq: u64,
    /// Next deposit queue index.
    pub next_deposit: u64,
    /// Next forced-withdrawal queue index.
    pub next_forced: u64,
}

/// A future that flushes.
pub type Flush<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// The sequencer's storage.
pub trait Store: Send + Sync {
    /// The stored genesis and depth, if initialised.
    fn genesis(&self) -> Result<Option<(Genesis, usize)>, StoreError>;

    /// Writes the genesis state (durable when it returns).
    fn init(&self, genesis: &Genesis, state: &State, depth: usize) -> Result<(), StoreError>;

    /// Loads the committed state and pending entries; checks the stored root.
    fn load(&self) -> Result<Loaded, StoreError>;

    /// Records an accepted entry with its idempotency key, if any, in one atomic
    /// write (the caller flushes before acknowledging).
    fn append_pending(
        &self,
        entry: &PendingEntry,
        key: Option<&Idempotency>,
    ) -> Result<(), StoreError>;

    /// Records a rejected submission's receipt (and, for a deposit, its queue
    /// slot; with an idempotency key, the key) in one atomic write.
    fn record_rejection(
        &self,
        seq: u64,
        receipt: &StoredReceipt,
        deposit: Option<&DepositRequest>,
        key: Option<&Idempotency>,
    ) -> Result<(), StoreError>;

    /// What idempotency key `key` was first used for, if it is remembered.
    fn idempotency(&self, key: &str) -> Result<Option<Idempotency>, StoreError>;

    /// Commits a batch atomically and durably.
    fn commit_batch(&self, commit: BatchCommit<'_>) -> Result<(), StoreError>;

    /// Makes everything written so far durable.
    fn flush(&self) -> Flush<'_>;

    /// A committed or rejected transaction's receipt.
    fn receipt(&self, seq: u64) -> Result<Option<StoredReceipt>, StoreError>;

    /// A committed account.
    fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError>;

    /// A batch record (JSON bytes).
    fn batch(&self, number: u64) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores chunk `chunk` of batch `batch`'s proof artifact unless one is stored
    /// already (durable when this returns). Returns whether this call stored it.
    fn put_proof(&self, batch: u64, chunk: u32, artifact: &[u8]) -> Result<bool, StoreError>;

    /// A stored chunk proof artifact (JSON bytes).
    fn proof(&self, batch: u64, chunk: u32) -> Result<Option<Vec<u8>>, StoreError>;

    /// The deposit recorded at a queue index, with its transaction id.
    fn deposit(&self, queue_index: u64) -> Result<Option<(u64, DepositRequest)>, StoreError>;
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}
