//! The base-layer ledger (PROTOCOL §7), in its own sled store: the chain of
//! accepted roots, the deposit queue, and the withdrawals each accepted batch
//! releases.
//!
//! `post` accepts a batch only if its number is the next one, [`verify_batch`]
//! accepts its proofs against the last accepted root, its deposits are entries
//! of the deposit queue in queue order (the circuit does not check who
//! authorised a deposit: this does), and its withdrawals come from accounts a
//! deposit created (they are released to that deposit's owner). Queue entries a
//! batch skips — the sequencer refused them, e.g. for an account owned by
//! another key — are consumed and refunded to their depositor; a sequencer can
//! thereby delay a deposit but not take it. An accepted post is one atomic sled batch, flushed before
//! `post` returns; a refused one writes nothing.

use std::path::Path;

use clearproof_circuits::circuit::CircuitParams;
use clearproof_circuits::serde_fr;
use clearproof_circuits::signature::PublicKey;
use clearproof_circuits::tx::{Deposit, Transaction, Withdrawal};
use clearproof_circuits::types::AccountId;
use clearproof_circuits::Fr;
use serde::{Deserialize, Serialize};

use crate::artifact::ChunkProof;
use crate::check::{verify_batch, Verified};
use crate::key::VerifierKey;
use crate::Rejection;

const META: &[u8] = b"meta";
const DEPOSIT: &str = "deposit/";
const OWNER: &str = "owner/";
const BATCH: &str = "batch/";
const POSTED: &str = "posted/";

/// The ledger's running state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LedgerState {
    /// The last accepted root (the genesis root before any batch).
    #[serde(with = "serde_fr")]
    pub root: Fr,
    /// Number of accepted batches (= the last accepted batch number).
    pub batches: u64,
    /// Deposits ever queued.
    pub deposits_queued: u64,
    /// Deposits consumed by accepted batches (the queue head).
    pub deposits_consumed: u64,
    /// The verifying key the ledger accepts proofs for.
    pub vk_digest: String,
    /// The SRS it verifies them with (`key::srs_digest`).
    pub srs_digest: String,
    /// Its circuit.
    pub circuit: CircuitParams,
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
    /// Withdrawals released to their owners.
    pub withdrawals: Vec<Withdrawal>,
}

/// Why the ledger refused a request.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The post was refused (PROTOCOL §7); nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The store already holds a different chain.
    #[error("the ledger at this path was created for another genesis root, verifying key or SRS")]
    Mismatch,
    /// The store has not been created.
    #[error("no ledger at this path (create one first)")]
    Missing,
    /// Storage failed; nothing was acknowledged.
    #[error("ledger storage: {0}")]
    Storage(String),
}

impl From<sled::Error> for LedgerError {
    fn from(e: sled::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serializable")
}

fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, LedgerError> {
    serde_json::from_slice(bytes).map_err(|e| LedgerError::Storage(format!("corrupt record: {e}")))
}

fn key(prefix: &str, n: u64) -> Vec<u8> {
    format!("{prefix}{n:020}").into_bytes()
}

/// The base-layer ledger.
pub struct Ledger {
    db: sled::Db,
    /// Serialises the read-check-write of `deposit` and `post`.
    writer: std::sync::Mutex<()>,
}

impl Ledger {
    /// Opens the ledger at `dir`, creating it at `genesis_root` for `key`'s
    /// verifying key if it does not exist. An existing ledger must have been
    /// created with the same genesis root and key.
    pub fn open_or_create(
        dir: &Path,
        genesis_root: Fr,
        key: &VerifierKey,
    ) -> Result<Self, LedgerError> {
        let db = sled::open(dir)?;
        let ledger = Self { db, writer: std::sync::Mutex::new(()) };
        match ledger.db.get(META)? {
            Some(_) => {
                let state = ledger.state()?;
                let genesis = match ledger.batch(1)? {
                    Some(b) => b.prev_state_root,
                    None => state.root,
                };
                if genesis != genesis_root
                    || state.vk_digest != key.digest()
                    || state.srs_digest != key.srs_digest()
                {
                    return Err(LedgerError::Mismatch);
                }
            }
            None => {
                let state = LedgerState {
                    root: genesis_root,
                    batches: 0,
                    deposits_queued: 0,
                    deposits_consumed: 0,
                    vk_digest: key.digest().to_string(),
                    srs_digest: key.srs_digest().to_string(),
                    circuit: key.manifest.circuit,
                };
                ledger.db.insert(META, json(&state))?;
                ledger.db.flush()?;
            }
        }
        Ok(ledger)
    }

    /// Opens an existing ledger.
    pub fn open(dir: &Path) -> Result<Self, LedgerError> {
        let db = sled::open(dir)?;
        if db.get(META)?.is_none() {
            return Err(LedgerError::Missing);
        }
        Ok(Self { db, writer: std::sync::Mutex::new(()) })
    }

    /// The running state.
    pub fn state(&self) -> Result<LedgerState, LedgerError> {
        parse(&self.db.get(META)?.ok_or(LedgerError::Missing)?)
    }

    /// Queues a deposit; returns its queue index (durable when this returns).
    pub fn deposit(&self, deposit: Deposit) -> Result<u64, LedgerError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = self.state()?;
        let index = state.deposits_queued;
        state.deposits_queued += 1;
        let mut batch = sled::Batch::default();
        batch.insert(key(DEPOSIT, index), json(&deposit));
        batch.insert(META, json(&state));
        self.db.apply_batch(batch)?;
        self.db.flush()?;
        Ok(index)
    }

    /// Queue entry `index`.
    pub fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        self.db.get(key(DEPOSIT, index))?.map(|b| parse(&b)).transpose()
    }

    /// Accepted batch `number`.
    pub fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError> {
        self.db.get(key(BATCH, number))?.map(|b| parse(&b)).transpose()
    }

    /// What was posted for accepted batch `number` (data and proofs), for
    /// re-verification.
    pub fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError> {
        self.db.get(key(POSTED, number))?.map(|b| parse(&b)).transpose()
    }

    fn owner(&self, account: AccountId) -> Result<Option<PublicKey>, LedgerError> {
        self.db.get(key(OWNER, u64::from(account.get())))?.map(|b| parse(&b)).transpose()
    }

    /// Posts a batch: accepted and recorded only if every check of PROTOCOL §7
    /// passes (see the module docs); otherwise the reason, and nothing changes.
    pub fn post(
        &self,
        key_: &VerifierKey,
        posted: &PostedBatch,
    ) -> Result<AcceptedBatch, LedgerError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = self.state()?;
        if key_.digest() != state.vk_digest || key_.srs_digest() != state.srs_digest {
            return Err(Rejection::WrongVerifyingKey { chunk: 0 }.into());
        }
        let expected = state.batches + 1;
        if posted.number != expected {
            return Err(Rejection::WrongBatchNumber { expected, got: posted.number }.into());
        }
        if let Some(p) = posted.proofs.iter().find(|p| p.batch != posted.number) {
            return Err(Rejection::WrongBatchNumber { expected, got: p.batch }.into());
        }
        // The proofs first: a stale root or tampered data is reported as such.
        let Verified { next_state_root, data_hash, chunks, proof_bytes, .. } =
            verify_batch(key_, state.root, &posted.data, &posted.proofs)?;
        // Deposits: the queue's next entries, in order. Owners are learned from
        // them so withdrawals can be released to the account's owner.
        let mut new_owners: Vec<(AccountId, PublicKey)> = Vec::new();
        let mut withdrawals = Vec::new();
        let mut refunds = Vec::new();
        let mut consumed = state.deposits_consumed;
        for (position, tx) in posted.data.iter().enumerate() {
            match tx {
                Transaction::Deposit(d) => {
                    // Queue entries before the one applied were refused by the
                    // sequencer (e.g. an account owned by another key): refunded.
                    loop {
                        let Some(entry) = self.queued(consumed)? else {
                            return Err(Rejection::DepositMismatch {
                                position,
                                queue_index: consumed,
                            }
                            .into());
                        };
                        consumed += 1;
                        if entry == *d {
                            break;
                        }
                        refunds.push(entry);
                    }
                    let known = new_owners.iter().any(|(a, _)| *a == d.account)
                        || self.owner(d.account)?.is_some();
                    if !known {
                        new_owners.push((d.account, d.owner));
                    }
                }
                Transaction::Withdraw(w) => {
                    let owner = match new_owners.iter().find(|(a, _)| *a == w.account) {
                        Some((_, owner)) => Some(*owner),
                        None => self.owner(w.account)?,
                    };
                    let owner = owner.ok_or(Rejection::UnknownAccount(w.account.get()))?;
                    withdrawals.push(Withdrawal { account: w.account, owner, amount: w.amount });
                }
                _ => {}
            }
        }
        let accepted = AcceptedBatch {
            number: posted.number,
            prev_state_root: state.root,
            next_state_root,
            data_hash,
            transactions: posted.data.len(),
            deposits: (consumed - state.deposits_consumed) as usize - refunds.len(),
            refunds,
            chunks,
            proof_bytes,
            withdrawals,
        };
        state.root = next_state_root;
        state.batches = posted.number;
        state.deposits_consumed = consumed;
        let mut batch = sled::Batch::default();
        for (account, owner) in &new_owners {
            batch.insert(key(OWNER, u64::from(account.get())), json(owner));
        }
        batch.insert(key(BATCH, posted.number), json(&accepted));
        batch.insert(key(POSTED, posted.number), json(posted));
        batch.insert(META, json(&state));
        self.db.apply_batch(batch)?;
        self.db.flush()?;
        Ok(accepted)
    }
}
