//! The open batch (zkSync Lite's `PendingBlock` is the model): the native
//! batch on the accept path, the entries it holds (id and type), when its
//! first entry arrived and how many forced withdrawals it holds. There is
//! always one: [`PendingBatch::close`] hands over what the commit writes and
//! opens the next batch in its place.

use std::collections::HashMap;
use std::time::Instant;

use clearproof_protocol::batch::{DeferredBatch, SequencedBatch};
use clearproof_protocol::state::State;
use clearproof_protocol::tx::{SignedTx, TxError, TxKind};

use crate::batcher::Config;

/// The open batch.
#[derive(Debug)]
pub(crate) struct PendingBatch {
    batch: DeferredBatch,
    /// (id, type) of its entries, in order.
    entries: Vec<(u64, TxKind)>,
    /// Position of each entry by id.
    positions: HashMap<u64, usize>,
    /// When its first entry arrived.
    opened_at: Option<Instant>,
    /// Forced withdrawals it holds (at most `MAX_FORCED_PER_BATCH`).
    forced: usize,
}

/// A closed batch: the native batch and its entries' (id, type), in order.
#[derive(Debug)]
pub(crate) struct ClosedBatch {
    pub(crate) batch: SequencedBatch,
    pub(crate) entries: Vec<(u64, TxKind)>,
}

impl PendingBatch {
    /// Opens the batch after `state`'s last committed one (`state` in sync).
    pub(crate) fn open(state: &State) -> Self {
        Self {
            batch: state.begin_deferred(),
            entries: Vec::new(),
            positions: HashMap::new(),
            opened_at: None,
            forced: 0,
        }
    }

    /// Its batch number.
    pub(crate) fn number(&self) -> u64 {
        self.batch.number()
    }

    /// Entries it holds.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when it holds no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forced withdrawals it holds.
    pub(crate) fn forced(&self) -> usize {
        self.forced
    }

    /// Applies `tx` to `state` as the batch's next transaction; on rejection
    /// nothing changes. [`PendingBatch::push`] records it once it is durable.
    pub(crate) fn apply(&mut self, state: &mut State, tx: &SignedTx) -> Result<(), TxError> {
        self.batch.apply(state, tx)
    }

    /// Records the applied transaction `seq` of type `kind`.
    pub(crate) fn push(&mut self, seq: u64, kind: TxKind) {
        self.positions.insert(seq, self.entries.len());
        self.entries.push((seq, kind));
        self.opened_at.get_or_insert_with(Instant::now);
        if kind == TxKind::ForcedWithdraw {
            self.forced += 1;
        }
    }

    /// The type of entry `seq`, if the batch holds it.
    pub(crate) fn kind_of(&self, seq: u64) -> Option<TxKind> {
        self.positions.get(&seq).map(|&i| self.entries[i].1)
    }

    /// True when it should be committed: it holds `batch_size` entries, or its
    /// first entry is `batch_interval` old.
    pub(crate) fn is_due(&self, config: &Config) -> bool {
        !self.entries.is_empty()
            && (self.entries.len() >= config.batch_size
                || self.opened_at.is_some_and(|t| t.elapsed() >= config.batch_interval))
    }

    /// Closes the batch at `state` (hashed once) and opens the next one in its
    /// place.
    pub(crate) fn close(&mut self, state: &mut State) -> ClosedBatch {
        // The native batch rolls over to the next one itself.
        let batch = self.batch.close(state);
        let entries = std::mem::take(&mut self.entries);
        self.positions.clear();
        self.opened_at = None;
        self.forced = 0;
        ClosedBatch { batch, entries }
    }
}
