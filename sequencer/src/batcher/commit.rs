//! Committing the open batch: one atomic write of the batch, its receipts,
//! the touched accounts, tree nodes and order slots; and importing an
//! accepted batch (`clearproof restore`).

use std::time::Instant;

use clearproof_api::records::{CommittedHeader, CommittedView};
use clearproof_api::wire::TxStatus;
use clearproof_protocol::batch::BatchHeader;
use clearproof_protocol::serde_fr;
use clearproof_protocol::tx::{SignedTx, Transaction};
use clearproof_protocol::types::AccountId;

use super::{now_ms, Sequencer};
use crate::error::SubmitError;
use crate::pending::ClosedBatch;
use crate::records::{BatchSummary, StoredBatch, StoredTx};
use crate::store::{BatchCommit, StoreError, StoredReceipt, IDEMPOTENCY_RETENTION_SECS};

impl Sequencer {
    /// Applies an accepted batch's posted data as the next batch and commits it
    /// (`clearproof restore`): each transaction under [`SignedTx::proven`], with
    /// the base layer's queue heads after that batch. Refused, before anything
    /// is written, when transactions are pending, when the data does not apply
    /// (the position and code) or does not reach `expected_root`; the sequencer
    /// is then halted (its memory is ahead of its store).
    pub fn import_batch(
        &mut self,
        data: &[Transaction],
        expected_root: clearproof_protocol::Fr,
        next_deposit: u64,
        next_forced: u64,
    ) -> Result<BatchSummary, SubmitError> {
        if self.halted {
            return Err(SubmitError::Halted);
        }
        if !self.open.is_empty() {
            return Err(SubmitError::ImportOverPending(self.open.len()));
        }
        for (position, tx) in data.iter().enumerate() {
            if let Err(error) = self.execute(&SignedTx::proven(tx.clone())) {
                // The state already holds the earlier transactions: only a
                // reopen from the store is safe now.
                self.halted = true;
                return Err(SubmitError::ImportDoesNotApply { position, kind: tx.kind(), error });
            }
            let seq = self.next_seq;
            self.push_entry(seq, tx.kind());
        }
        self.next_deposit = next_deposit;
        self.next_forced = next_forced;
        // An empty batch still increments the batch number.
        self.commit_any(Some(expected_root))
    }

    /// True when the open batch should be committed.
    pub fn due(&self) -> bool {
        self.open.is_due(&self.config)
    }

    /// Commits the open batch if it holds anything.
    pub fn commit(&mut self) -> Result<Option<BatchSummary>, StoreError> {
        if self.halted {
            // Memory may be ahead of the durable log: never commit it. A restart
            // recovers exactly what was acknowledged.
            return Err(StoreError::Corrupt("sequencer halted after a storage failure".into()));
        }
        if self.open.is_empty() {
            return Ok(None);
        }
        match self.commit_any(None) {
            Ok(summary) => Ok(Some(summary)),
            Err(SubmitError::Store(e)) => Err(e),
            Err(e) => Err(StoreError::Corrupt(e.to_string())),
        }
    }

    /// Commits the open batch, empty or not: hashes the state once, then writes
    /// the batch (header, transactions with their authority, undo record),
    /// receipts, touched accounts, tree nodes and order slots in one atomic
    /// write. With `expected_root` (an imported batch), a batch reaching another
    /// root is refused before anything is written, and the sequencer halts.
    fn commit_any(
        &mut self,
        expected_root: Option<clearproof_protocol::Fr>,
    ) -> Result<BatchSummary, SubmitError> {
        let started = Instant::now();
        let ClosedBatch { batch: closed, entries } = self.open.close(&mut self.state);
        let hashed = started.elapsed();
        let number = closed.batch_number;
        if let Some(expected) = expected_root.filter(|r| *r != closed.next_state_root) {
            self.halted = true;
            return Err(SubmitError::ImportRootMismatch {
                replayed: serde_fr::to_hex(&closed.next_state_root),
                accepted: serde_fr::to_hex(&expected),
            });
        }
        let touched: Vec<AccountId> = closed.touched().collect();
        // The order slots the batch moved, at their values after it.
        let order_slots: Vec<_> = closed
            .undo
            .slots
            .iter()
            .filter_map(|(id, slot, _)| self.state.order_slots(*id).at(*slot).map(|s| (*id, s)))
            .collect();
        let header = CommittedHeader {
            batch: BatchHeader {
                number,
                prev_state_root: closed.prev_state_root,
                next_state_root: closed.next_state_root,
                data_hash: closed.data_hash,
            },
            transactions: closed.applied.len(),
            committed_at_ms: now_ms(),
        };
        let txs = entries
            .iter()
            .zip(closed.applied)
            .map(|((id, _), tx)| StoredTx { id: *id, tx })
            .collect();
        let record = StoredBatch { header, txs, undo: closed.undo };
        let receipts = entries
            .iter()
            .enumerate()
            .map(|(index, (seq, kind))| {
                (
                    *seq,
                    StoredReceipt {
                        kind: kind.name().to_string(),
                        status: TxStatus::Applied { batch: number, index },
                    },
                )
            })
            .collect();
        let result = self.store.commit_batch(BatchCommit {
            state: &self.state,
            touched,
            number,
            record: serde_json::to_vec(&record).expect("batch record serialises"),
            receipts,
            order_slots,
            forget_keys_before: (now_ms() / 1_000).saturating_sub(IDEMPOTENCY_RETENTION_SECS),
            next_seq: self.next_seq,
            next_deposit: self.next_deposit,
            next_forced: self.next_forced,
        });
        if let Err(e) = result {
            self.halted = true;
            tracing::error!(error = %e, batch = number, "batch commit failed; sequencer halted");
            return Err(SubmitError::Store(e));
        }
        let transactions = entries.len();
        self.committed = CommittedView {
            state_root: self.state.root(),
            accounts_root: self.state.accounts_root(),
            globals: *self.state.globals(),
            markets: *self.state.markets(),
            pending: 0,
            next_deposit: self.next_deposit,
            next_forced: self.next_forced,
        };
        let summary = BatchSummary {
            number,
            transactions,
            root: self.committed.state_root,
            elapsed: started.elapsed(),
            hashing: hashed,
        };
        tracing::info!(
            batch = number,
            transactions,
            root = %serde_fr::to_hex(&summary.root),
            commit_ms = summary.elapsed.as_secs_f64() * 1e3,
            hash_ms = hashed.as_secs_f64() * 1e3,
            "batch committed"
        );
        Ok(summary)
    }
}
