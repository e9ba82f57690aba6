//! Committed batches: as stored ([`StoredBatch`]) and as served to provers
//! with their witness ([`BatchRecord`]).
//!
//! The sequencer stores no proving data: a batch's witness (every touched
//! account's Merkle path under every intermediate root) is rebuilt here when a
//! prover or the job board asks for it, by applying the batch's stored
//! transactions again, with an `OpenBatch`, to the state before the batch.
//! That state is kept apart from the sequencer's (its own copy, behind its own
//! lock, so building a witness never holds up accepting): it starts at the
//! committed state the node opened on, moves forward by applying stored
//! batches, and back by their undo records. The result must reach the stored
//! header's root and data hash, or the store is corrupt. The last few
//! witnesses are kept, as provers ask for the same batch once per chunk.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use clearproof_protocol::serde_fr::to_hex;
use clearproof_protocol::state::State;

use crate::records::StoredBatch;
use crate::store::{corrupt, Store, StoreError};
use clearproof_api::records::BatchRecord;

/// Witnesses kept after they are built.
const KEPT: usize = 4;

/// Batch `number` as stored, if it is committed.
pub fn stored(store: &dyn Store, number: u64) -> Result<Option<StoredBatch>, StoreError> {
    store
        .batch(number)?
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("batch {number}: {e}")))
        })
        .transpose()
}

/// The committed batches of one store, with their witnesses built on demand.
pub struct Batches {
    store: Arc<dyn Store>,
    builder: Mutex<Builder>,
}

impl std::fmt::Debug for Batches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batches").finish_non_exhaustive()
    }
}

struct Builder {
    /// In sync, after batch `state.globals().batch_number`.
    state: State,
    kept: VecDeque<Arc<BatchRecord>>,
}

impl Batches {
    /// The batches of `store`, whose committed state is `committed` (as loaded:
    /// nothing may be committed between that load and this call).
    pub fn new(store: Arc<dyn Store>, committed: State) -> Self {
        Self { store, builder: Mutex::new(Builder { state: committed, kept: VecDeque::new() }) }
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Batch `number` as stored.
    pub fn stored(&self, number: u64) -> Result<Option<StoredBatch>, StoreError> {
        stored(self.store.as_ref(), number)
    }

    /// Batch `number` with its witness, if it is committed.
    pub fn record(&self, number: u64) -> Result<Option<Arc<BatchRecord>>, StoreError> {
        let mut builder = self.builder.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(record) = builder.kept.iter().find(|r| r.header.batch.number == number) {
            return Ok(Some(record.clone()));
        }
        let Some(batch) = self.stored(number)? else { return Ok(None) };
        let record = Arc::new(builder.build(self.store.as_ref(), batch)?);
        if builder.kept.len() == KEPT {
            builder.kept.pop_front();
        }
        builder.kept.push_back(record.clone());
        Ok(Some(record))
    }
}

impl Builder {
    fn at(&self) -> u64 {
        self.state.globals().batch_number
    }

    fn load(store: &dyn Store, number: u64) -> Result<StoredBatch, StoreError> {
        stored(store, number)?.ok_or_else(|| corrupt(format!("batch {number} is missing")))
    }

    /// Moves the state to just before `batch` and applies it with witnesses.
    /// On a failure the state is reloaded from the store (it may hold part of
    /// a batch).
    fn build(&mut self, store: &dyn Store, batch: StoredBatch) -> Result<BatchRecord, StoreError> {
        let result = self.try_build(store, batch);
        if result.is_err() {
            self.state = store.load()?.state;
        }
        result
    }

    fn try_build(
        &mut self,
        store: &dyn Store,
        batch: StoredBatch,
    ) -> Result<BatchRecord, StoreError> {
        let number = batch.header.batch.number;
        while self.at() >= number {
            let last = Self::load(store, self.at())?;
            self.state.undo(&last.undo);
            self.state.sync();
            if self.state.root() != last.header.batch.prev_state_root {
                let n = last.header.batch.number;
                return Err(corrupt(format!("batch {n}: its undo record misses its root")));
            }
        }
        while self.at() + 1 < number {
            let next = Self::load(store, self.at() + 1)?;
            let mut open = self.state.begin_deferred();
            for (i, t) in next.txs.iter().enumerate() {
                open.apply(&mut self.state, &t.tx).map_err(|e| replay_error(&next, i, e))?;
            }
            let closed = open.close(&mut self.state);
            check(&next, closed.next_state_root, closed.data_hash)?;
        }
        if self.state.root() != batch.header.batch.prev_state_root {
            return Err(corrupt(format!("batch {number} does not start at the stored state")));
        }
        let mut open = self.state.begin_batch();
        for (i, t) in batch.txs.iter().enumerate() {
            open.apply(&mut self.state, &t.tx).map_err(|e| replay_error(&batch, i, e))?;
        }
        let witness = open.close(&self.state);
        check(&batch, witness.next_state_root, witness.data_hash)?;
        tracing::debug!(batch = number, txs = batch.txs.len(), "witness built");
        Ok(BatchRecord { public_data: batch.public_data(), header: batch.header, witness })
    }
}

fn replay_error(
    batch: &StoredBatch,
    index: usize,
    e: clearproof_protocol::tx::TxError,
) -> StoreError {
    corrupt(format!(
        "batch {}: stored transaction {index} no longer applies: {}: {e}",
        batch.header.batch.number,
        e.code()
    ))
}

fn check(
    batch: &StoredBatch,
    root: clearproof_protocol::Fr,
    data_hash: clearproof_protocol::Fr,
) -> Result<(), StoreError> {
    if root != batch.header.batch.next_state_root || data_hash != batch.header.batch.data_hash {
        return Err(corrupt(format!(
            "batch {}: its transactions reach root {} and data hash {}, its header says {} and {}",
            batch.header.batch.number,
            to_hex(&root),
            to_hex(&data_hash),
            to_hex(&batch.header.batch.next_state_root),
            to_hex(&batch.header.batch.data_hash)
        )));
    }
    Ok(())
}
