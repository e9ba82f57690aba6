//! The sequencer core: authorises submissions, applies them in arrival order to
//! the open batch, and commits batches to the store.
//!
//! Every submission is executed when it arrives, against the state of the open
//! batch: a rejected one is answered with its code at once and changes nothing;
//! an accepted one is written to the pending log and made durable before it is
//! acknowledged. A batch commits (state, tree nodes, batch record, receipts,
//! order slots — one atomic sled batch) when it holds `batch_size` transactions or its
//! first transaction is `batch_interval` old. After a crash, the committed state
//! is loaded and the pending log replayed in order, with each entry's recorded
//! acceptance time, which reproduces the open batch exactly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clearproof_protocol::batch::{DeferredBatch, SequencedBatch};
use clearproof_protocol::serde_fr;
use clearproof_protocol::state::{Genesis, Market, State};
use clearproof_protocol::tx::{
    Deposit, ForcedWithdraw, ForcedWithdrawError, SignedTx, Transaction, TxError,
};
use clearproof_protocol::types::{AccountId, MarketId};
use clearproof_verifier::hatch::{ForcedEntry, MAX_FORCED_PER_BATCH};

use crate::authorise::Authoriser;
use crate::batches::Batches;
use crate::error::SubmitError;
use crate::oracle::ObservationPool;
use crate::records::{BatchSummary, StoredBatch, StoredTx};
use crate::store::{
    BatchCommit, EntryBody, Idempotency, Loaded, PendingEntry, Store, StoreError, StoredReceipt,
    IDEMPOTENCY_RETENTION_SECS,
};
use clearproof_api::records::{BatchHeader, CommittedView};
use clearproof_api::wire::{
    DepositRequest, ForcedPickup, ObservationReceipt, ObservationRequest, Submission, TxReceipt,
    TxStatus,
};

/// Batching parameters.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// A batch closes when it holds this many transactions.
    pub batch_size: usize,
    /// … or when its first transaction is this old.
    pub batch_interval: Duration,
}

/// What a keyed submission did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied now.
    New(TxReceipt),
    /// Its key was used before for the same submission: the first outcome,
    /// nothing applied now.
    Replayed(TxReceipt),
}

/// The sequencer.
pub struct Sequencer {
    store: Arc<dyn Store>,
    config: Config,
    state: State,
    open: Option<DeferredBatch>,
    /// (id, type) of the open batch's entries, in order.
    entries: Vec<(u64, &'static str)>,
    entry_index: std::collections::HashMap<u64, usize>,
    opened_at: Option<Instant>,
    next_seq: u64,
    next_deposit: u64,
    next_forced: u64,
    /// Forced withdrawals in the open batch (at most `MAX_FORCED_PER_BATCH`).
    forced_open: usize,
    committed: CommittedView,
    halted: bool,
    observations: ObservationPool,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer").finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Sequencer {
    /// Opens the store: initialises it from `genesis` if empty (a stored genesis
    /// wins otherwise), loads the committed state and replays the pending log.
    pub fn open(
        store: Arc<dyn Store>,
        genesis: &Genesis,
        depth: usize,
        config: Config,
    ) -> Result<Self, StoreError> {
        Self::init(store.as_ref(), genesis, depth)?;
        let loaded = store.load()?;
        Self::resume(store, loaded, config)
    }

    /// [`Sequencer::open`], with the committed batches of the same store
    /// ([`Batches`], whose witness builder starts from the state loaded here).
    pub fn open_with_batches(
        store: Arc<dyn Store>,
        genesis: &Genesis,
        depth: usize,
        config: Config,
    ) -> Result<(Self, Batches), StoreError> {
        Self::init(store.as_ref(), genesis, depth)?;
        let loaded = store.load()?;
        let batches = Batches::new(store.clone(), loaded.state.clone());
        Ok((Self::resume(store, loaded, config)?, batches))
    }

    /// Initialises an empty store from `genesis` (a stored genesis wins otherwise).
    pub fn init(store: &dyn Store, genesis: &Genesis, depth: usize) -> Result<(), StoreError> {
        if store.genesis()?.is_none() {
            let state = State::genesis_with_depth(genesis, depth)
                .map_err(|e| StoreError::Corrupt(format!("invalid genesis: {e}")))?;
            store.init(genesis, &state, depth)?;
        }
        Ok(())
    }

    /// Resumes from what [`Store::load`] returned: the committed state, with the
    /// pending log replayed.
    pub fn resume(
        store: Arc<dyn Store>,
        loaded: Loaded,
        config: Config,
    ) -> Result<Self, StoreError> {
        let mut state = loaded.state;
        let committed = CommittedView {
            state_root: state.root(),
            accounts_root: state.accounts_root(),
            globals: *state.globals(),
            markets: *state.markets(),
            pending: 0,
            next_deposit: loaded.next_deposit,
            next_forced: loaded.next_forced,
        };
        let open = Some(state.begin_deferred());
        let mut node = Self {
            store,
            config,
            state,
            open,
            entries: Vec::new(),
            entry_index: Default::default(),
            opened_at: None,
            next_seq: loaded.next_seq,
            next_deposit: loaded.next_deposit,
            next_forced: loaded.next_forced,
            forced_open: 0,
            committed,
            halted: false,
            observations: ObservationPool::default(),
        };
        let replayed = loaded.pending.len();
        for entry in loaded.pending {
            node.replay(entry)?;
        }
        tracing::info!(
            root = %serde_fr::to_hex(&node.committed.state_root),
            batch = node.committed.globals.batch_number,
            replayed,
            "sequencer state loaded"
        );
        Ok(node)
    }

    fn replay(&mut self, entry: PendingEntry) -> Result<(), StoreError> {
        let seq = entry.seq;
        let result = match &entry.body {
            EntryBody::Submission(sub) => self
                .authoriser()
                .authorise(sub)
                .and_then(|tx| self.execute(&tx).map_err(SubmitError::from)),
            EntryBody::Deposit(d) => self.execute(&deposit_tx(d).into()).map_err(SubmitError::from),
            EntryBody::Forced(f) => {
                self.forced_open += 1;
                ForcedWithdraw::decide(&self.state, f.account, f.amount)
                    .map_err(|e| SubmitError::Rule {
                        error: TxError::from(ForcedWithdrawError::from(e)),
                        id: None,
                    })
                    .and_then(|tx| {
                        self.execute(&Transaction::from(tx).into()).map_err(SubmitError::from)
                    })
            }
        };
        result.map_err(|e| {
            StoreError::Corrupt(format!("pending entry {seq} no longer applies on replay: {e}"))
        })?;
        let kind = entry_kind(&entry.body);
        self.push_entry(seq, kind);
        Ok(())
    }

    fn execute(&mut self, tx: &SignedTx) -> Result<(), TxError> {
        let mut open = self.open.take().expect("a batch is always open outside commit");
        let result = open.apply(&mut self.state, tx);
        self.open = Some(open);
        result
    }

    fn push_entry(&mut self, seq: u64, kind: &'static str) {
        self.entry_index.insert(seq, self.entries.len());
        self.entries.push((seq, kind));
        self.opened_at.get_or_insert_with(Instant::now);
        self.next_seq = self.next_seq.max(seq + 1);
    }

    /// Submits many submissions in order, as [`Sequencer::submit`] does one (a
    /// matching engine handing over its fills), committing whenever the open
    /// batch is due. Their order messages are hashed and their signatures
    /// verified first, in parallel across the submissions; under the ordering
    /// each check is then a lookup (only valid signatures are remembered, so
    /// the rules still decide). The caller flushes before acknowledging.
    pub fn submit_all(
        &mut self,
        subs: Vec<Submission>,
        now: u64,
    ) -> Vec<Result<TxReceipt, SubmitError>> {
        use rayon::prelude::*;
        let checks: Vec<_> = subs
            .par_iter()
            .flat_map_iter(|sub| {
                crate::authorise::hash_messages(sub);
                self.signature_checks(sub)
            })
            .collect();
        checks.par_iter().for_each(|(key, message, signature)| {
            // A failure is reported by `submit` below, in order.
            let _ = key.verify(*message, signature);
        });
        let mut out = Vec::with_capacity(subs.len());
        for sub in subs {
            out.push(self.submit(sub, now));
            // A failed commit halts the sequencer (and is logged): the
            // submissions after it get `SEQUENCER_HALTED`.
            if self.due() && self.commit().is_err() {
                continue;
            }
        }
        out
    }

    /// Authorises and applies a submission accepted at `now` (unix seconds). The
    /// caller must [`Store::flush`] before acknowledging an `Ok` or a rejection
    /// recorded under an id (signed submissions only; an unsigned one's
    /// rejection writes nothing).
    pub fn submit(&mut self, sub: Submission, now: u64) -> Result<TxReceipt, SubmitError> {
        match self.submit_keyed(sub, now, None)? {
            Outcome::New(receipt) | Outcome::Replayed(receipt) => Ok(receipt),
        }
    }

    /// [`Sequencer::submit`] under an idempotency key: if `key` was used before
    /// (and is still remembered) for the same submission, nothing is applied and
    /// the first outcome is returned ([`Outcome::Replayed`], whose receipt may
    /// say `rejected`); for another submission, `IDEMPOTENCY_KEY_REUSED`.
    /// Otherwise the key is stored with the outcome, in the same atomic write
    /// (an accepted entry, or a rejection recorded under an id). Outcomes that
    /// write nothing (malformed, bad signature, order checks, unsigned
    /// rejections) are not remembered: they changed nothing, so evaluating a
    /// resubmission again cannot apply anything twice.
    pub fn submit_keyed(
        &mut self,
        sub: Submission,
        now: u64,
        key: Option<&str>,
    ) -> Result<Outcome, SubmitError> {
        if self.halted {
            return Err(SubmitError::Halted);
        }
        let digest = key.map(|_| sub.digest());
        if let (Some(key), Some(digest)) = (key, &digest) {
            if let Some(first) = self.store.idempotency(key)? {
                if &first.digest != digest {
                    return Err(SubmitError::IdempotencyKeyReused(key.to_string()));
                }
                let receipt = self.receipt(first.seq)?.ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "idempotency key {key:?}: no transaction {}",
                        first.seq
                    ))
                })?;
                return Ok(Outcome::Replayed(receipt));
            }
        }
        let remember = |seq: u64| {
            key.zip(digest.clone()).map(|(key, digest)| Idempotency {
                key: key.to_string(),
                digest,
                seq,
                at: now,
            })
        };
        let kind = sub.kind();
        let tx = self.authoriser().authorise(&sub)?;
        if let Err(error) = self.execute(&tx) {
            if !sub.is_signed() {
                tracing::debug!(kind, code = error.code(), "unsigned request rejected");
                return Err(SubmitError::Rule { error, id: None });
            }
            let id = self.record_rejection(kind, &error, None, remember(self.next_seq))?;
            tracing::debug!(
                id,
                kind,
                code = error.code(),
                "submission rejected by a protocol rule"
            );
            return Err(SubmitError::Rule { error, id: Some(id) });
        }
        let seq = self.next_seq;
        tracing::debug!(
            id = seq,
            kind,
            batch = self.open.as_ref().map_or(0, DeferredBatch::number),
            "accepted"
        );
        let entry = PendingEntry { seq, accepted_at: now, body: EntryBody::Submission(sub) };
        self.persist_pending(&entry, remember(seq).as_ref())?;
        self.push_entry(seq, kind);
        Ok(Outcome::New(self.pending_receipt(seq, kind)))
    }

    /// Takes an oracle committee member's observation ([`crate::oracle`]); when
    /// it completes a quorum, submits the update the quorum authorises (as
    /// [`Sequencer::submit`], so the caller must flush before answering).
    pub fn observe(
        &mut self,
        request: ObservationRequest,
        now: u64,
    ) -> Result<ObservationReceipt, SubmitError> {
        if self.halted {
            return Err(SubmitError::Halted);
        }
        let market = *self.state.market(request.market());
        let offered = self.observations.offer(&request, &market.params.committee, &market.state)?;
        let update = match offered.update {
            Some(update) => {
                tracing::debug!(
                    market = request.market().get(),
                    kind = update.kind(),
                    "oracle quorum"
                );
                Some(self.submit(update, now)?)
            }
            None => None,
        };
        let market_now = self.state.market(request.market()).state;
        Ok(ObservationReceipt {
            observes: offered.observes.to_string(),
            market: request.market(),
            held: self.observations.held(&request, &market_now),
            quorum: market.params.committee.quorum().get(),
            update,
        })
    }

    /// The next base-layer deposit queue index the sequencer takes.
    pub fn next_deposit(&self) -> u64 {
        self.next_deposit
    }

    /// Takes base-layer deposit queue entries, `entries[i]` being queue entry
    /// `first + i` as read from the base layer ([`crate::follow`]). Entries
    /// before [`Sequencer::next_deposit`] are skipped (already taken); the rest
    /// are applied in queue order, committing whenever the open batch is full. A
    /// deposit the state machine refuses (another owner's account) still takes
    /// its queue slot, and the base layer refunds it. Returns how many were taken.
    ///
    /// Nothing is acknowledged to anyone here, so nothing waits for a flush: a
    /// crash before the next flush re-reads the same entries from the queue.
    pub fn take_deposits(
        &mut self,
        first: u64,
        entries: &[Deposit],
        now: u64,
    ) -> Result<usize, SubmitError> {
        let mut taken = 0;
        for (index, deposit) in (first..).zip(entries) {
            if index < self.next_deposit {
                continue;
            }
            if index > self.next_deposit {
                break;
            }
            self.take_deposit(index, deposit, now)?;
            taken += 1;
            if self.due() {
                self.commit()?;
            }
        }
        Ok(taken)
    }

    fn take_deposit(&mut self, index: u64, d: &Deposit, now: u64) -> Result<(), SubmitError> {
        if self.halted {
            return Err(SubmitError::Halted);
        }
        let request = DepositRequest {
            kind: clearproof_api::wire::DepositTag::Deposit,
            queue_index: index,
            account: d.account,
            owner: d.owner,
            amount: d.amount,
        };
        if let Err(error) = self.execute(&deposit_tx(&request).into()) {
            let id = self.record_rejection("deposit", &error, Some(&request), None)?;
            tracing::info!(id, queue_index = index, code = error.code(), "deposit refused");
            self.next_deposit += 1;
            return Ok(());
        }
        let seq = self.next_seq;
        let entry = PendingEntry { seq, accepted_at: now, body: EntryBody::Deposit(request) };
        self.persist_pending(&entry, None)?;
        self.next_deposit += 1;
        self.push_entry(seq, "deposit");
        tracing::debug!(id = seq, queue_index = index, "deposit taken from the base layer");
        Ok(())
    }

    /// The next base-layer forced-withdrawal queue index the sequencer takes.
    pub fn next_forced(&self) -> u64 {
        self.next_forced
    }

    /// Takes base-layer forced-withdrawal queue entries, `entries[i]` being queue
    /// entry `first + i` (PROTOCOL §6.4), in queue order: each gets the outcome
    /// the rules give against the open batch's state (applied, or refused with
    /// its code: both consume the entry), at most `MAX_FORCED_PER_BATCH` per
    /// batch (a full one commits first). Like deposits, nothing is acknowledged
    /// here. Returns how many were taken.
    pub fn take_forced(
        &mut self,
        first: u64,
        entries: &[ForcedEntry],
        now: u64,
    ) -> Result<usize, SubmitError> {
        let mut taken = 0;
        for (index, entry) in (first..).zip(entries) {
            if index < self.next_forced {
                continue;
            }
            if index > self.next_forced {
                break;
            }
            if self.halted {
                return Err(SubmitError::Halted);
            }
            if self.forced_open >= MAX_FORCED_PER_BATCH {
                self.commit()?;
            }
            let tx = match ForcedWithdraw::decide(&self.state, entry.account, entry.amount) {
                Ok(tx) => tx,
                Err(e) => {
                    // The base layer queues requests only for accounts its
                    // accepted deposits created, so either this store is behind
                    // the base layer, or settling the account's funding leaves
                    // its range (no outcome can be proven): the queue stalls.
                    tracing::error!(
                        queue_index = index,
                        code = e.code(),
                        "forced withdrawal cannot be served"
                    );
                    return Err(SubmitError::BaseLayer(format!(
                        "forced withdrawal {index} (account {}) cannot be served: {e}",
                        entry.account
                    )));
                }
            };
            let outcome = tx.outcome;
            self.execute(&Transaction::from(tx).into())?;
            let pickup =
                ForcedPickup { queue_index: index, account: entry.account, amount: entry.amount };
            let seq = self.next_seq;
            let body = EntryBody::Forced(pickup);
            self.persist_pending(&PendingEntry { seq, accepted_at: now, body }, None)?;
            self.next_forced += 1;
            self.forced_open += 1;
            self.push_entry(seq, "forced_withdraw");
            tracing::info!(
                id = seq,
                queue_index = index,
                ?outcome,
                "forced withdrawal taken from the base layer"
            );
            taken += 1;
            if self.due() {
                self.commit()?;
            }
        }
        Ok(taken)
    }

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
        if !self.entries.is_empty() {
            return Err(SubmitError::BaseLayer("the open batch is not empty".into()));
        }
        for (position, tx) in data.iter().enumerate() {
            if let Err(error) = self.execute(&SignedTx::proven(tx.clone())) {
                // The state already holds the earlier transactions: only a
                // reopen from the store is safe now.
                self.halted = true;
                return Err(SubmitError::BaseLayer(format!(
                    "transaction {position} ({}) does not apply: {}: {error}",
                    tx.name(),
                    error.code()
                )));
            }
            let seq = self.next_seq;
            self.push_entry(seq, tx.name());
        }
        self.next_deposit = next_deposit;
        self.next_forced = next_forced;
        // An empty batch still increments the batch number.
        self.commit_any(Some(expected_root))
    }

    fn persist_pending(
        &mut self,
        entry: &PendingEntry,
        key: Option<&Idempotency>,
    ) -> Result<(), SubmitError> {
        // The state already moved; a storage failure here leaves memory ahead of
        // disk, so stop accepting: a restart replays what is durable.
        self.store.append_pending(entry, key).map_err(|e| self.halt(e))
    }

    /// Stops accepting and committing after a storage failure: memory may now be
    /// ahead of disk, and only a restart (which replays what is durable) is safe.
    pub fn halt(&mut self, error: StoreError) -> SubmitError {
        self.halted = true;
        tracing::error!(%error, "storage failure; sequencer halted until restarted");
        SubmitError::Store(error)
    }

    fn record_rejection(
        &mut self,
        kind: &str,
        error: &TxError,
        deposit: Option<&DepositRequest>,
        key: Option<Idempotency>,
    ) -> Result<u64, SubmitError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let receipt = StoredReceipt {
            kind: kind.to_string(),
            status: TxStatus::Rejected { code: error.code().into(), message: error.to_string() },
        };
        self.store
            .record_rejection(seq, &receipt, deposit, key.as_ref())
            .map_err(|e| self.halt(e))?;
        Ok(seq)
    }

    fn pending_receipt(&self, seq: u64, kind: &str) -> TxReceipt {
        TxReceipt {
            id: seq.to_string(),
            kind: kind.into(),
            status: TxStatus::Pending {
                batch: self.open.as_ref().map_or(0, DeferredBatch::number),
            },
        }
    }

    /// A transaction's receipt: pending in the open batch, or as stored.
    pub fn receipt(&self, seq: u64) -> Result<Option<TxReceipt>, StoreError> {
        if let Some(&i) = self.entry_index.get(&seq) {
            return Ok(Some(self.pending_receipt(seq, self.entries[i].1)));
        }
        Ok(self.store.receipt(seq)?.map(|r| TxReceipt {
            id: seq.to_string(),
            kind: r.kind,
            status: r.status,
        }))
    }

    /// The signatures `sub` carries whose keys are known now, for checking
    /// outside the lock ([`crate::authorise::Authoriser::signature_checks`]).
    pub fn signature_checks(&self, sub: &Submission) -> Vec<crate::authorise::SignatureCheck> {
        self.authoriser().signature_checks(sub)
    }

    /// A market as the open batch has it (its latest oracle values included).
    pub fn market(&self, market: MarketId) -> Market {
        *self.state.market(market)
    }

    /// The committed view.
    pub fn committed(&self) -> CommittedView {
        CommittedView {
            pending: self.entries.len(),
            next_deposit: self.next_deposit,
            next_forced: self.next_forced,
            ..self.committed.clone()
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn authoriser(&self) -> Authoriser<'_> {
        Authoriser { state: &self.state }
    }

    /// True when the open batch should be committed.
    pub fn due(&self) -> bool {
        !self.entries.is_empty()
            && (self.entries.len() >= self.config.batch_size
                || self.opened_at.is_some_and(|t| t.elapsed() >= self.config.batch_interval))
    }

    /// Commits the open batch if it holds anything.
    pub fn commit(&mut self) -> Result<Option<BatchSummary>, StoreError> {
        if self.halted {
            // Memory may be ahead of the durable log: never commit it. A restart
            // recovers exactly what was acknowledged.
            return Err(StoreError::Corrupt("sequencer halted after a storage failure".into()));
        }
        if self.entries.is_empty() {
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
        let open = self.open.take().expect("a batch is always open outside commit");
        let closed: SequencedBatch = open.close(&mut self.state);
        let hashed = started.elapsed();
        let number = closed.batch_number;
        if let Some(expected) = expected_root.filter(|r| *r != closed.next_state_root) {
            self.halted = true;
            return Err(SubmitError::BaseLayer(format!(
                "the replay reaches root {}, the base layer accepted {}",
                serde_fr::to_hex(&closed.next_state_root),
                serde_fr::to_hex(&expected)
            )));
        }
        let touched: Vec<AccountId> = closed.touched().collect();
        // The order slots the batch moved, at their values after it.
        let order_slots: Vec<_> = closed
            .undo
            .slots
            .iter()
            .filter_map(|(id, slot, _)| self.state.order_slots(*id).at(*slot).map(|s| (*id, s)))
            .collect();
        let header = BatchHeader {
            number,
            prev_state_root: closed.prev_state_root,
            next_state_root: closed.next_state_root,
            data_hash: closed.data_hash,
            transactions: closed.applied.len(),
            committed_at_ms: now_ms(),
        };
        let txs = self
            .entries
            .iter()
            .zip(closed.applied)
            .map(|((id, _), tx)| StoredTx { id: *id, tx })
            .collect();
        let record = StoredBatch { header, txs, undo: closed.undo };
        let receipts = self
            .entries
            .iter()
            .enumerate()
            .map(|(index, (seq, kind))| {
                (
                    *seq,
                    StoredReceipt {
                        kind: kind.to_string(),
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
        let transactions = self.entries.len();
        self.entries.clear();
        self.entry_index.clear();
        self.opened_at = None;
        self.forced_open = 0;
        self.committed = CommittedView {
            state_root: self.state.root(),
            accounts_root: self.state.accounts_root(),
            globals: *self.state.globals(),
            markets: *self.state.markets(),
            pending: 0,
            next_deposit: self.next_deposit,
            next_forced: self.next_forced,
        };
        self.open = Some(self.state.begin_deferred());
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

fn deposit_tx(d: &DepositRequest) -> Transaction {
    Transaction::Deposit(Deposit { account: d.account, owner: d.owner, amount: d.amount })
}

fn entry_kind(body: &EntryBody) -> &'static str {
    match body {
        EntryBody::Submission(s) => s.kind(),
        EntryBody::Deposit(_) => "deposit",
        EntryBody::Forced(_) => "forced_withdraw",
    }
}
