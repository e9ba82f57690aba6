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
use std::time::Duration;

use clearproof_protocol::serde_fr;
use clearproof_protocol::state::{Genesis, Market, State};
use clearproof_protocol::tx::{
    Deposit, ForcedWithdraw, ForcedWithdrawError, SignedTx, Transaction, TxError, TxKind,
};
use clearproof_protocol::types::MarketId;

use crate::authorise::Authoriser;
use crate::batches::Batches;
use crate::error::SubmitError;
use crate::oracle::ObservationPool;
use crate::pending::PendingBatch;
mod commit;
mod queues;

use crate::store::{
    EntryBody, Idempotency, Loaded, PendingEntry, Store, StoreError, StoredReceipt,
};
use clearproof_api::records::CommittedView;
use clearproof_api::wire::{
    DepositRequest, ObservationReceipt, ObservationRequest, Submission, TxReceipt, TxStatus,
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
    open: PendingBatch,
    next_seq: u64,
    next_deposit: u64,
    next_forced: u64,
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
        let state = loaded.state;
        let committed = CommittedView {
            state_root: state.root(),
            accounts_root: state.accounts_root(),
            globals: *state.globals(),
            markets: *state.markets(),
            pending: 0,
            next_deposit: loaded.next_deposit,
            next_forced: loaded.next_forced,
        };
        let open = PendingBatch::open(&state);
        let mut node = Self {
            store,
            config,
            state,
            open,
            next_seq: loaded.next_seq,
            next_deposit: loaded.next_deposit,
            next_forced: loaded.next_forced,
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
            EntryBody::Forced(f) => ForcedWithdraw::decide(&self.state, f.account, f.amount)
                .map_err(|e| SubmitError::Rule {
                    error: TxError::from(ForcedWithdrawError::from(e)),
                    id: None,
                })
                .and_then(|tx| {
                    self.execute(&Transaction::from(tx).into()).map_err(SubmitError::from)
                }),
        };
        result.map_err(|e| {
            StoreError::Corrupt(format!("pending entry {seq} no longer applies on replay: {e}"))
        })?;
        let kind = entry_kind(&entry.body);
        self.push_entry(seq, kind);
        Ok(())
    }

    fn execute(&mut self, tx: &SignedTx) -> Result<(), TxError> {
        self.open.apply(&mut self.state, tx)
    }

    fn push_entry(&mut self, seq: u64, kind: TxKind) {
        self.open.push(seq, kind);
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
                tracing::debug!(%kind, code = error.code(), "unsigned request rejected");
                return Err(SubmitError::Rule { error, id: None });
            }
            let id = self.record_rejection(kind, &error, None, remember(self.next_seq))?;
            tracing::debug!(
                id,
                %kind,
                code = error.code(),
                "submission rejected by a protocol rule"
            );
            return Err(SubmitError::Rule { error, id: Some(id) });
        }
        let seq = self.next_seq;
        tracing::debug!(id = seq, %kind, batch = self.open.number(), "accepted");
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
                    kind = %update.kind(),
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
        kind: TxKind,
        error: &TxError,
        deposit: Option<&DepositRequest>,
        key: Option<Idempotency>,
    ) -> Result<u64, SubmitError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let receipt = StoredReceipt {
            kind: kind.name().to_string(),
            status: TxStatus::Rejected { code: error.code().into(), message: error.to_string() },
        };
        self.store
            .record_rejection(seq, &receipt, deposit, key.as_ref())
            .map_err(|e| self.halt(e))?;
        Ok(seq)
    }

    fn pending_receipt(&self, seq: u64, kind: TxKind) -> TxReceipt {
        TxReceipt {
            id: seq.to_string(),
            kind: kind.name().into(),
            status: TxStatus::Pending { batch: self.open.number() },
        }
    }

    /// A transaction's receipt: pending in the open batch, or as stored.
    pub fn receipt(&self, seq: u64) -> Result<Option<TxReceipt>, StoreError> {
        if let Some(kind) = self.open.kind_of(seq) {
            return Ok(Some(self.pending_receipt(seq, kind)));
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
            pending: self.open.len(),
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
}

fn deposit_tx(d: &DepositRequest) -> Transaction {
    Transaction::Deposit(Deposit { account: d.account, owner: d.owner, amount: d.amount })
}

fn entry_kind(body: &EntryBody) -> TxKind {
    match body {
        EntryBody::Submission(s) => s.kind(),
        EntryBody::Deposit(_) => TxKind::Deposit,
        EntryBody::Forced(_) => TxKind::ForcedWithdraw,
    }
}
