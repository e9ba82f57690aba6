//! The base layer behind two seams:
//!
//! - [`BaseLayer`]: what the sequencer side talks to — the deposit queue,
//!   posting proven batches, the accepted chain. [`Ledger`] implements it in
//!   Rust; an EVM settlement contract is the second implementation of the same
//!   interface and of the same [`crate::rules`].
//! - [`LedgerStore`]: where [`Ledger`] keeps its records. [`MemoryLedgerStore`]
//!   here, and the sled store in [`crate::ledger`] (feature `ledger`).
//!
//! [`Ledger`] applies [`crate::rules::settle`] under one writer lock and hands the
//! settlement to its store in one atomic write; a refused post writes nothing.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use clearproof_circuits::signature::PublicKey;
use clearproof_circuits::tx::Deposit;
use clearproof_circuits::types::AccountId;
use clearproof_circuits::Fr;

use crate::key::VerifierKey;
use crate::rules::{settle, AcceptedBatch, ChainView, LedgerState, PostedBatch, Settlement};
use crate::Rejection;

/// Why the base layer refused a request.
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

/// The base layer, as the sequencer side sees it.
pub trait BaseLayer {
    /// The running state.
    fn state(&self) -> Result<LedgerState, LedgerError>;
    /// Queues a deposit; returns its queue index (durable when this returns).
    fn deposit(&self, deposit: Deposit) -> Result<u64, LedgerError>;
    /// Deposit queue entry `index`.
    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError>;
    /// Posts a batch proven for `key`: accepted and recorded only if every rule of
    /// [`crate::rules`] holds; otherwise the reason, and nothing changes.
    fn post(&self, key: &VerifierKey, posted: &PostedBatch) -> Result<AcceptedBatch, LedgerError>;
    /// Accepted batch `number`.
    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError>;
    /// What was posted for accepted batch `number` (data and proofs).
    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError>;
}

/// Where a [`Ledger`] keeps its records. Each write is atomic and durable when
/// it returns.
pub trait LedgerStore: Send + Sync {
    /// The running state, if the ledger was created.
    fn state(&self) -> Result<Option<LedgerState>, LedgerError>;
    /// Deposit queue entry `index`.
    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError>;
    /// The owner an account's first deposit named.
    fn owner(&self, account: AccountId) -> Result<Option<PublicKey>, LedgerError>;
    /// Accepted batch `number`.
    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError>;
    /// What was posted for accepted batch `number`.
    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError>;
    /// Creates the ledger.
    fn init(&self, state: &LedgerState) -> Result<(), LedgerError>;
    /// Records deposit queue entry `index` and the state that counts it.
    fn queue(&self, index: u64, deposit: &Deposit, state: &LedgerState) -> Result<(), LedgerError>;
    /// Records an accepted post.
    fn accept(&self, settlement: &Settlement, posted: &PostedBatch) -> Result<(), LedgerError>;
}

/// The base layer's rules over a store.
pub struct Ledger<S> {
    store: S,
    /// Serialises the read-check-write of `deposit` and `post`.
    writer: Mutex<()>,
}

struct View<'a, S>(&'a S);

impl<S: LedgerStore> ChainView for View<'_, S> {
    type Error = LedgerError;

    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        self.0.queued(index)
    }

    fn owner(&self, account: AccountId) -> Result<Option<PublicKey>, LedgerError> {
        self.0.owner(account)
    }
}

impl<S: LedgerStore> Ledger<S> {
    /// The ledger in `store`, created at `genesis_root` for `key`'s verifying key
    /// and SRS if it does not exist; an existing one must have been created with
    /// the same genesis root, key and SRS.
    pub fn create_in(store: S, genesis_root: Fr, key: &VerifierKey) -> Result<Self, LedgerError> {
        let ledger = Self { store, writer: Mutex::new(()) };
        match ledger.store.state()? {
            Some(state) => {
                let genesis = match ledger.store.batch(1)? {
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
            None => ledger.store.init(&LedgerState::genesis(genesis_root, key))?,
        }
        Ok(ledger)
    }

    /// The existing ledger in `store`.
    pub fn existing_in(store: S) -> Result<Self, LedgerError> {
        if store.state()?.is_none() {
            return Err(LedgerError::Missing);
        }
        Ok(Self { store, writer: Mutex::new(()) })
    }

    fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<S: LedgerStore> BaseLayer for Ledger<S> {
    fn state(&self) -> Result<LedgerState, LedgerError> {
        self.store.state()?.ok_or(LedgerError::Missing)
    }

    fn deposit(&self, deposit: Deposit) -> Result<u64, LedgerError> {
        let _writer = self.write_lock();
        let mut state = self.state()?;
        let index = state.deposits_queued;
        state.deposits_queued += 1;
        self.store.queue(index, &deposit, &state)?;
        Ok(index)
    }

    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        self.store.queued(index)
    }

    fn post(&self, key: &VerifierKey, posted: &PostedBatch) -> Result<AcceptedBatch, LedgerError> {
        let _writer = self.write_lock();
        let state = self.state()?;
        let settlement = settle(&state, key, posted, &View(&self.store))?;
        self.store.accept(&settlement, posted)?;
        Ok(settlement.accepted)
    }

    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError> {
        self.store.batch(number)
    }

    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError> {
        self.store.posted(number)
    }
}

#[derive(Default)]
struct Records {
    state: Option<LedgerState>,
    queue: HashMap<u64, Deposit>,
    owners: HashMap<AccountId, PublicKey>,
    batches: HashMap<u64, (AcceptedBatch, PostedBatch)>,
}

/// A [`LedgerStore`] in memory, for tests (kept for the life of the value).
#[derive(Default)]
pub struct MemoryLedgerStore {
    records: Mutex<Records>,
}

impl MemoryLedgerStore {
    fn lock(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl LedgerStore for MemoryLedgerStore {
    fn state(&self) -> Result<Option<LedgerState>, LedgerError> {
        Ok(self.lock().state.clone())
    }

    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        Ok(self.lock().queue.get(&index).cloned())
    }

    fn owner(&self, account: AccountId) -> Result<Option<PublicKey>, LedgerError> {
        Ok(self.lock().owners.get(&account).copied())
    }

    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError> {
        Ok(self.lock().batches.get(&number).map(|b| b.0.clone()))
    }

    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError> {
        Ok(self.lock().batches.get(&number).map(|b| b.1.clone()))
    }

    fn init(&self, state: &LedgerState) -> Result<(), LedgerError> {
        self.lock().state = Some(state.clone());
        Ok(())
    }

    fn queue(&self, index: u64, deposit: &Deposit, state: &LedgerState) -> Result<(), LedgerError> {
        let mut records = self.lock();
        records.queue.insert(index, deposit.clone());
        records.state = Some(state.clone());
        Ok(())
    }

    fn accept(&self, settlement: &Settlement, posted: &PostedBatch) -> Result<(), LedgerError> {
        let mut records = self.lock();
        records.owners.extend(settlement.new_owners.iter().copied());
        records
            .batches
            .insert(settlement.accepted.number, (settlement.accepted.clone(), posted.clone()));
        records.state = Some(settlement.state.clone());
        Ok(())
    }
}
