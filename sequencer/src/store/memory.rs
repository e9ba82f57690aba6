//! [`MemoryStore`]: the [`Store`] contract in memory, for tests. Every write is
//! applied under one lock, so a batch commit is atomic; "durable" means "kept
//! for the life of the `MemoryStore`", so a sequencer reopened on the same store
//! replays its pending log exactly as after a restart on disk.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use clearproof_protocol::state::{Account, Genesis, State};
use clearproof_protocol::types::AccountId;

use super::{
    corrupt, BatchCommit, EntryBody, Flush, Idempotency, Loaded, PendingEntry, Store, StoreError,
    StoredReceipt,
};
use clearproof_api::wire::DepositRequest;

#[derive(Default)]
struct Inner {
    genesis: Option<(Genesis, usize)>,
    /// The committed state.
    state: Option<State>,
    next_seq: u64,
    next_deposit: u64,
    next_forced: u64,
    pending: BTreeMap<u64, PendingEntry>,
    receipts: HashMap<u64, StoredReceipt>,
    batches: HashMap<u64, Vec<u8>>,
    proofs: HashMap<(u64, u32), Vec<u8>>,
    deposits: HashMap<u64, (u64, DepositRequest)>,
    keys: HashMap<String, Idempotency>,
    keys_by_time: std::collections::BTreeSet<(u64, String)>,
}

impl Inner {
    fn remember(&mut self, key: Option<&Idempotency>) {
        if let Some(k) = key {
            self.keys.insert(k.key.clone(), k.clone());
            self.keys_by_time.insert((k.at, k.key.clone()));
        }
    }
}

/// The sequencer's store in memory.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn genesis(&self) -> Result<Option<(Genesis, usize)>, StoreError> {
        Ok(self.lock().genesis.clone())
    }

    fn init(&self, genesis: &Genesis, state: &State, depth: usize) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.genesis = Some((genesis.clone(), depth));
        inner.state = Some(state.clone());
        inner.next_seq = 1;
        inner.next_deposit = 0;
        inner.next_forced = 0;
        Ok(())
    }

    fn load(&self) -> Result<Loaded, StoreError> {
        let inner = self.lock();
        let state = inner.state.clone().ok_or_else(|| corrupt("store not initialised"))?;
        Ok(Loaded {
            state,
            pending: inner.pending.values().cloned().collect(),
            next_seq: inner.next_seq,
            next_deposit: inner.next_deposit,
            next_forced: inner.next_forced,
        })
    }

    fn append_pending(
        &self,
        entry: &PendingEntry,
        key: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.remember(key);
        inner.pending.insert(entry.seq, entry.clone());
        inner.next_seq = entry.seq + 1;
        if let EntryBody::Deposit(d) = &entry.body {
            inner.deposits.insert(d.queue_index, (entry.seq, d.clone()));
            inner.next_deposit = d.queue_index + 1;
        }
        if let EntryBody::Forced(f) = &entry.body {
            inner.next_forced = f.queue_index + 1;
        }
        Ok(())
    }

    fn record_rejection(
        &self,
        seq: u64,
        receipt: &StoredReceipt,
        deposit: Option<&DepositRequest>,
        key: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.remember(key);
        inner.receipts.insert(seq, receipt.clone());
        inner.next_seq = seq + 1;
        if let Some(d) = deposit {
            inner.deposits.insert(d.queue_index, (seq, d.clone()));
            inner.next_deposit = d.queue_index + 1;
        }
        Ok(())
    }

    fn commit_batch(&self, c: BatchCommit<'_>) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.state = Some(c.state.clone());
        inner.batches.insert(c.number, c.record);
        inner.next_seq = c.next_seq;
        inner.next_deposit = c.next_deposit;
        inner.next_forced = c.next_forced;
        for (seq, receipt) in c.receipts {
            inner.pending.remove(&seq);
            inner.receipts.insert(seq, receipt);
        }
        while let Some((at, key)) = inner.keys_by_time.first().cloned() {
            if at >= c.forget_keys_before {
                break;
            }
            inner.keys_by_time.pop_first();
            inner.keys.remove(&key);
        }
        Ok(())
    }

    fn flush(&self) -> Flush<'_> {
        Box::pin(async { Ok(()) })
    }

    fn idempotency(&self, key: &str) -> Result<Option<Idempotency>, StoreError> {
        Ok(self.lock().keys.get(key).cloned())
    }

    fn receipt(&self, seq: u64) -> Result<Option<StoredReceipt>, StoreError> {
        Ok(self.lock().receipts.get(&seq).cloned())
    }

    fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.lock().state.as_ref().and_then(|s| s.account(id).copied()))
    }

    fn batch(&self, number: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().batches.get(&number).cloned())
    }

    fn put_proof(&self, batch: u64, chunk: u32, artifact: &[u8]) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        if inner.proofs.contains_key(&(batch, chunk)) {
            return Ok(false);
        }
        inner.proofs.insert((batch, chunk), artifact.to_vec());
        Ok(true)
    }

    fn proof(&self, batch: u64, chunk: u32) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().proofs.get(&(batch, chunk)).cloned())
    }

    fn deposit(&self, queue_index: u64) -> Result<Option<(u64, DepositRequest)>, StoreError> {
        Ok(self.lock().deposits.get(&queue_index).cloned())
    }
}
