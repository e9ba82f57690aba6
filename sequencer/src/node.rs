//! The sequencer core: authorises submissions, applies them in arrival order to
//! the open batch, and commits batches to the store.
//!
//! Every submission is executed when it arrives, against the state of the open
//! batch: a rejected one is answered with its code at once and changes nothing;
//! an accepted one is written to the pending log and made durable before it is
//! acknowledged. A batch commits (state, tree nodes, batch record, receipts,
//! fills — one atomic sled batch) when it holds `batch_size` transactions or its
//! first transaction is `batch_interval` old. After a crash, the committed state
//! is loaded and the pending log replayed in order, with each entry's recorded
//! acceptance time, which reproduces the open batch exactly.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use clearproof_circuits::batch::{BatchOutput, OpenBatch};
use clearproof_circuits::params::{BPS_DENOMINATOR, FIXED_POINT_BITS};
use clearproof_circuits::signature::{Signature, SignatureError};
use clearproof_circuits::state::{Genesis, Globals, Market, State};
use clearproof_circuits::tx::{
    deleverage, CommonError, CoverDeficit, Deleverage, Deposit, FundingTick, Liquidate,
    PriceUpdate, Trade, Transaction, TxError, Withdraw,
};
use clearproof_circuits::types::{AccountId, Amount, MarketId, RangeError};
use clearproof_circuits::{funding, margin, serde_fr, Fr};
use ethnum::I256;
use serde::{Deserialize, Serialize};

use crate::order::{Side, SignedOrder};
use crate::store::{BatchCommit, EntryBody, Fill, PendingEntry, Store, StoreError, StoredReceipt};
use crate::wire::{DepositRequest, Submission, TxReceipt, TxStatus};

/// Batching parameters.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// A batch closes when it holds this many transactions.
    pub batch_size: usize,
    /// … or when its first transaction is this old.
    pub batch_interval: Duration,
}

/// Why a submission was refused. [`SubmitError::code`] is stable.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The body is not JSON.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// The JSON has no known `type`.
    #[error("unknown transaction type {0:?}")]
    UnknownType(String),
    /// The JSON does not match the transaction's schema.
    #[error("malformed transaction: {0}")]
    MalformedTx(String),
    /// A quantity outside its range.
    #[error("{0}")]
    Range(String),
    /// A signature does not verify (or a key/signature is invalid).
    #[error("signature rejected: {0}")]
    Signature(#[from] SignatureError),
    /// The order does not authorise this fill.
    #[error("{0}")]
    Order(#[from] OrderError),
    /// A protocol rule rejected the transaction; recorded under `id`.
    #[error("{error}")]
    Rule {
        /// The rule's error.
        error: TxError,
        /// The id the rejection is recorded under, if any.
        id: Option<u64>,
    },
    /// Deposit queue order or idempotency violated.
    #[error("{0}")]
    DepositQueue(#[from] DepositQueueError),
    /// No account can take the other side of a deleverage.
    #[error("no counterparty can absorb the deleverage")]
    NoCounterparty,
    /// Storage failed; the sequencer stops accepting until restarted.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    /// A previous storage failure stopped the sequencer.
    #[error("sequencer halted after a storage failure; restart it")]
    Halted,
}

impl From<TxError> for SubmitError {
    fn from(error: TxError) -> Self {
        SubmitError::Rule { error, id: None }
    }
}

impl SubmitError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            SubmitError::MalformedJson(_) => "MALFORMED_JSON",
            SubmitError::UnknownType(_) => "UNKNOWN_TX_TYPE",
            SubmitError::MalformedTx(_) => "MALFORMED_TX",
            SubmitError::Range(_) => "AMOUNT_OUT_OF_RANGE",
            SubmitError::Signature(e) => e.code(),
            SubmitError::Order(e) => e.code(),
            SubmitError::Rule { error, .. } => error.code(),
            SubmitError::DepositQueue(e) => e.code(),
            SubmitError::NoCounterparty => "DELEVERAGE_NO_COUNTERPARTY",
            SubmitError::Store(_) => "INTERNAL_STORAGE",
            SubmitError::Halted => "SEQUENCER_HALTED",
        }
    }

    /// The HTTP status that carries it.
    pub fn http_status(&self) -> u16 {
        match self {
            SubmitError::MalformedJson(_)
            | SubmitError::UnknownType(_)
            | SubmitError::MalformedTx(_)
            | SubmitError::Range(_) => 400,
            SubmitError::Signature(_) => 403,
            SubmitError::DepositQueue(_) | SubmitError::Order(OrderError::IdConflict) => 409,
            SubmitError::Order(_) | SubmitError::Rule { .. } | SubmitError::NoCounterparty => 422,
            SubmitError::Store(_) => 500,
            SubmitError::Halted => 503,
        }
    }

    /// Classifies a JSON decoding error of a well-formed body.
    pub fn from_decode(e: serde_json::Error) -> Self {
        let text = e.to_string();
        if text.contains(" out of range: ") {
            SubmitError::Range(text)
        } else {
            SubmitError::MalformedTx(text)
        }
    }
}

/// Why an order does not authorise a fill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// Market, side or account of the order does not match the fill.
    #[error("order does not match the fill (market, side or account)")]
    Mismatch,
    /// The order expired before the fill was accepted.
    #[error("order expired")]
    Expired,
    /// The fill price is worse than the order's limit.
    #[error("fill price violates the order's limit price")]
    LimitPrice,
    /// The fee exceeds the order's maximum.
    #[error("fee above the order's maximum")]
    FeeAboveMax,
    /// The fill would exceed the order's size.
    #[error("fill exceeds the order's remaining size")]
    Overfilled,
    /// Another order was already filled under the same `(account, order_id)`.
    #[error("order id already used by a different order")]
    IdConflict,
}

impl OrderError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            OrderError::Mismatch => "ORDER_MISMATCH",
            OrderError::Expired => "ORDER_EXPIRED",
            OrderError::LimitPrice => "ORDER_LIMIT_PRICE",
            OrderError::FeeAboveMax => "ORDER_FEE_ABOVE_MAX",
            OrderError::Overfilled => "ORDER_OVERFILLED",
            OrderError::IdConflict => "ORDER_ID_CONFLICT",
        }
    }
}

/// Deposit queue violations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositQueueError {
    /// A queue index beyond the next one expected.
    #[error("deposit queue index {got} out of order: expected {expected}")]
    OutOfOrder {
        /// Next index expected.
        expected: u64,
        /// Index received.
        got: u64,
    },
    /// A queue index already used by a different deposit.
    #[error("deposit queue index {0} already holds a different deposit")]
    Conflict(u64),
}

impl DepositQueueError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            DepositQueueError::OutOfOrder { .. } => "DEPOSIT_OUT_OF_ORDER",
            DepositQueueError::Conflict(_) => "DEPOSIT_CONFLICT",
        }
    }
}

/// What `GET /v1/state` shows: the last committed batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommittedView {
    /// State root.
    #[serde(with = "serde_fr")]
    pub state_root: Fr,
    /// Accounts root.
    #[serde(with = "serde_fr")]
    pub accounts_root: Fr,
    /// Insurance fund, fee pool, and the number of the last committed batch.
    #[serde(flatten)]
    pub globals: Globals,
    /// Markets.
    pub markets: [Market; 4],
    /// Accepted transactions waiting in the open batch.
    pub pending: usize,
}

/// A batch as stored and served by `GET /v1/batches/{n}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Header.
    pub header: BatchHeader,
    /// The applied transactions with their field encodings: the batch's public data.
    pub public_data: Vec<PublicTx>,
    /// Everything the prover needs.
    pub witness: BatchOutput,
}

/// A batch header.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchHeader {
    /// Batch number.
    pub number: u64,
    /// Root before.
    #[serde(with = "serde_fr")]
    pub prev_state_root: Fr,
    /// Root after.
    #[serde(with = "serde_fr")]
    pub next_state_root: Fr,
    /// Data hash of the public data (chain from `prev_state_root`, PROTOCOL §7).
    #[serde(with = "serde_fr")]
    pub data_hash: Fr,
    /// Number of transactions.
    pub transactions: usize,
    /// Unix milliseconds of the commit.
    pub committed_at_ms: u64,
}

/// One transaction of the public data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicTx {
    /// Transaction id.
    pub id: u64,
    /// The protocol transaction.
    pub tx: Transaction,
    /// Its field encoding (what signatures sign and the circuit hashes).
    #[serde(with = "serde_fr::vec")]
    pub encoding: Vec<Fr>,
}

/// A committed batch, for logs and benchmarks.
#[derive(Debug, Clone)]
pub struct BatchSummary {
    /// Batch number.
    pub number: u64,
    /// Transactions.
    pub transactions: usize,
    /// New root.
    pub root: Fr,
    /// Time spent committing.
    pub elapsed: Duration,
}

type FillKey = (AccountId, u64);

/// The sequencer.
pub struct Sequencer {
    store: Store,
    config: Config,
    state: State,
    open: Option<OpenBatch>,
    /// (id, type) of the open batch's entries, in order.
    entries: Vec<(u64, &'static str)>,
    entry_index: HashMap<u64, usize>,
    opened_at: Option<Instant>,
    fills: HashMap<FillKey, Fill>,
    dirty_fills: BTreeSet<FillKey>,
    next_seq: u64,
    next_deposit: u64,
    committed: CommittedView,
    halted: bool,
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
        store: Store,
        genesis: &Genesis,
        depth: usize,
        config: Config,
    ) -> Result<Self, StoreError> {
        if store.genesis()?.is_none() {
            let state = State::genesis_with_depth(genesis, depth)
                .map_err(|e| StoreError::Corrupt(format!("invalid genesis: {e}")))?;
            store.init(genesis, &state, depth)?;
        }
        let loaded = store.load()?;
        let mut state = loaded.state;
        let committed = CommittedView {
            state_root: state.root(),
            accounts_root: state.accounts_root(),
            globals: *state.globals(),
            markets: *state.markets(),
            pending: 0,
        };
        let open = Some(state.begin_batch());
        let mut node = Self {
            store,
            config,
            state,
            open,
            entries: Vec::new(),
            entry_index: HashMap::new(),
            opened_at: None,
            fills: loaded.fills,
            dirty_fills: BTreeSet::new(),
            next_seq: loaded.next_seq,
            next_deposit: loaded.next_deposit,
            committed,
            halted: false,
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
            EntryBody::Submission(sub) => {
                self.authorise(sub, entry.accepted_at).and_then(|(tx, fills)| {
                    self.execute(&tx).map(|_| fills).map_err(SubmitError::from)
                })
            }
            EntryBody::Deposit(d) => {
                self.execute(&deposit_tx(d)).map(|_| Vec::new()).map_err(SubmitError::from)
            }
        };
        let fills = result.map_err(|e| {
            StoreError::Corrupt(format!("pending entry {seq} no longer applies on replay: {e}"))
        })?;
        self.record_fills(fills);
        let kind = entry_kind(&entry.body);
        self.push_entry(seq, kind);
        Ok(())
    }

    fn execute(&mut self, tx: &Transaction) -> Result<(), TxError> {
        let mut open = self.open.take().expect("a batch is always open outside commit");
        let result = open.apply(&mut self.state, tx).map(|_| ());
        self.open = Some(open);
        result
    }

    fn record_fills(&mut self, fills: Vec<(FillKey, Fill)>) {
        for (key, fill) in fills {
            self.fills.insert(key, fill);
            self.dirty_fills.insert(key);
        }
    }

    fn push_entry(&mut self, seq: u64, kind: &'static str) {
        self.entry_index.insert(seq, self.entries.len());
        self.entries.push((seq, kind));
        self.opened_at.get_or_insert_with(Instant::now);
        self.next_seq = self.next_seq.max(seq + 1);
    }

    /// Authorises and applies a submission accepted at `now` (unix seconds). The
    /// caller must [`Store::flush`] before acknowledging an `Ok`.
    pub fn submit(&mut self, sub: Submission, now: u64) -> Result<TxReceipt, SubmitError> {
        if self.halted {
            return Err(SubmitError::Halted);
        }
        let kind = sub.kind();
        let (tx, fills) = self.authorise(&sub, now)?;
        if let Err(error) = self.execute(&tx) {
            let id = self.record_rejection(kind, &error, None)?;
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
            batch = self.open.as_ref().map_or(0, OpenBatch::number),
            "accepted"
        );
        let entry = PendingEntry { seq, accepted_at: now, body: EntryBody::Submission(sub) };
        self.persist_pending(&entry)?;
        self.record_fills(fills);
        self.push_entry(seq, kind);
        Ok(self.pending_receipt(seq, kind))
    }

    /// Accepts the deposit at `queue_index`. Returns the receipt and whether it is
    /// new (`false`: the same deposit was posted before; nothing changed).
    pub fn deposit(
        &mut self,
        request: DepositRequest,
        now: u64,
    ) -> Result<(TxReceipt, bool), SubmitError> {
        if self.halted {
            return Err(SubmitError::Halted);
        }
        if request.queue_index < self.next_deposit {
            return match self.store.deposit(request.queue_index)? {
                Some((seq, existing)) if existing == request => {
                    Ok((self.receipt(seq)?.expect("a recorded deposit has a receipt"), false))
                }
                _ => Err(DepositQueueError::Conflict(request.queue_index).into()),
            };
        }
        if request.queue_index > self.next_deposit {
            return Err(DepositQueueError::OutOfOrder {
                expected: self.next_deposit,
                got: request.queue_index,
            }
            .into());
        }
        if let Err(error) = self.execute(&deposit_tx(&request)) {
            let id = self.record_rejection("deposit", &error, Some(&request))?;
            self.next_deposit += 1;
            return Err(SubmitError::Rule { error, id: Some(id) });
        }
        let seq = self.next_seq;
        let entry = PendingEntry { seq, accepted_at: now, body: EntryBody::Deposit(request) };
        self.persist_pending(&entry)?;
        self.next_deposit += 1;
        self.push_entry(seq, "deposit");
        Ok((self.pending_receipt(seq, "deposit"), true))
    }

    fn persist_pending(&mut self, entry: &PendingEntry) -> Result<(), SubmitError> {
        // The state already moved; a storage failure here leaves memory ahead of
        // disk, so stop accepting: a restart replays what is durable.
        self.store.append_pending(entry).map_err(|e| self.halt(e))
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
    ) -> Result<u64, SubmitError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let receipt = StoredReceipt {
            kind: kind.to_string(),
            status: TxStatus::Rejected { code: error.code().into(), message: error.to_string() },
        };
        self.store.record_rejection(seq, &receipt, deposit).map_err(|e| self.halt(e))?;
        Ok(seq)
    }

    fn pending_receipt(&self, seq: u64, kind: &str) -> TxReceipt {
        TxReceipt {
            id: seq.to_string(),
            kind: kind.into(),
            status: TxStatus::Pending { batch: self.open.as_ref().map_or(0, OpenBatch::number) },
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

    /// The committed view.
    pub fn committed(&self) -> CommittedView {
        CommittedView { pending: self.entries.len(), ..self.committed.clone() }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
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
        let started = Instant::now();
        let open = self.open.take().expect("a batch is always open outside commit");
        let output = open.close(&self.state);
        let number = output.batch_number;
        let touched: Vec<AccountId> = output
            .witnesses
            .iter()
            .flat_map(|w| w.accounts.iter().map(|u| u.id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let public_data = self
            .entries
            .iter()
            .zip(&output.witnesses)
            .map(|((id, _), w)| PublicTx {
                id: *id,
                tx: w.tx.clone(),
                encoding: w.tx.encode().to_vec(),
            })
            .collect();
        let record = BatchRecord {
            header: BatchHeader {
                number,
                prev_state_root: output.prev_state_root,
                next_state_root: output.next_state_root,
                data_hash: output.data_hash,
                transactions: output.witnesses.len(),
                committed_at_ms: now_ms(),
            },
            public_data,
            witness: output,
        };
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
        let fills = self.dirty_fills.iter().map(|k| (*k, self.fills[k])).collect();
        let result = self.store.commit_batch(BatchCommit {
            state: &self.state,
            touched,
            number,
            record: serde_json::to_vec(&record).expect("batch record serialises"),
            receipts,
            fills,
        });
        if let Err(e) = result {
            self.halted = true;
            tracing::error!(error = %e, batch = number, "batch commit failed; sequencer halted");
            return Err(e);
        }
        let transactions = self.entries.len();
        self.entries.clear();
        self.entry_index.clear();
        self.dirty_fills.clear();
        self.opened_at = None;
        self.committed = CommittedView {
            state_root: self.state.root(),
            accounts_root: self.state.accounts_root(),
            globals: *self.state.globals(),
            markets: *self.state.markets(),
            pending: 0,
        };
        self.open = Some(self.state.begin_batch());
        let summary = BatchSummary {
            number,
            transactions,
            root: self.committed.state_root,
            elapsed: started.elapsed(),
        };
        tracing::info!(
            batch = number,
            transactions,
            root = %serde_fr::to_hex(&summary.root),
            commit_ms = summary.elapsed.as_secs_f64() * 1e3,
            "batch committed"
        );
        Ok(Some(summary))
    }

    /// Turns a submission into a protocol transaction, checking what the
    /// sequencer (not the circuit) is responsible for: signatures, orders, and the
    /// choice of deleverage counterparty. Returns the fills the transaction makes.
    fn authorise(
        &self,
        sub: &Submission,
        now: u64,
    ) -> Result<(Transaction, Vec<(FillKey, Fill)>), SubmitError> {
        let owner = |id: AccountId| {
            self.state
                .account(id)
                .map(|a| a.owner)
                .ok_or(TxError::Withdraw(CommonError::UnknownAccount(id).into()))
        };
        match sub {
            Submission::Withdraw { account, amount, nonce, signature } => {
                let tx = Transaction::Withdraw(Withdraw {
                    account: *account,
                    amount: *amount,
                    nonce: *nonce,
                });
                owner(*account)?.verify(tx.message(), signature)?;
                Ok((tx, Vec::new()))
            }
            Submission::Trade {
                market,
                base,
                quote,
                buyer_fee,
                seller_fee,
                buyer_order,
                seller_order,
            } => {
                let buy = self.check_order(
                    buyer_order,
                    *market,
                    Side::Buy,
                    *base,
                    *quote,
                    buyer_fee.get(),
                    now,
                )?;
                let sell = self.check_order(
                    seller_order,
                    *market,
                    Side::Sell,
                    *base,
                    *quote,
                    seller_fee.get(),
                    now,
                )?;
                let tx = Transaction::Trade(Trade {
                    market: *market,
                    buyer: buyer_order.order.account,
                    seller: seller_order.order.account,
                    base: *base,
                    quote: *quote,
                    buyer_fee: *buyer_fee,
                    seller_fee: *seller_fee,
                });
                Ok((tx, vec![buy, sell]))
            }
            Submission::Liquidate {
                market,
                liquidated,
                base,
                quote,
                penalty,
                liquidator_order,
            } => {
                let position =
                    self.state.account(*liquidated).map_or(0, |a| a.balances[market.index()].get());
                // The liquidator takes the side opposite to the liquidated position.
                let side = if position < 0 { Side::Sell } else { Side::Buy };
                let fill =
                    self.check_order(liquidator_order, *market, side, *base, *quote, 0, now)?;
                let tx = Transaction::Liquidate(Liquidate {
                    market: *market,
                    liquidated: *liquidated,
                    liquidator: liquidator_order.order.account,
                    base: *base,
                    quote: *quote,
                    penalty: *penalty,
                });
                Ok((tx, vec![fill]))
            }
            Submission::CoverDeficit { account } => {
                Ok((Transaction::CoverDeficit(CoverDeficit { account: *account }), Vec::new()))
            }
            Submission::Deleverage { market, bankrupt } => {
                Ok((self.pick_deleverage(*market, *bankrupt)?, Vec::new()))
            }
            Submission::PriceUpdate { market, price, timestamp, signature } => {
                let tx = Transaction::PriceUpdate(PriceUpdate {
                    market: *market,
                    price: *price,
                    timestamp: *timestamp,
                });
                self.oracle_signed(*market, tx, signature)
            }
            Submission::FundingTick { market, index, timestamp, signature } => {
                let tx = Transaction::FundingTick(FundingTick {
                    market: *market,
                    index: *index,
                    timestamp: *timestamp,
                });
                self.oracle_signed(*market, tx, signature)
            }
        }
    }

    /// `tx` if `signature` is the market oracle's over its message.
    fn oracle_signed(
        &self,
        market: MarketId,
        tx: Transaction,
        signature: &Signature,
    ) -> Result<(Transaction, Vec<(FillKey, Fill)>), SubmitError> {
        self.state.market(market).params.oracle.verify(tx.message(), signature)?;
        Ok((tx, Vec::new()))
    }

    /// Checks that `signed` authorises a fill of `base` lots for `quote` with `fee`.
    #[allow(clippy::too_many_arguments)]
    fn check_order(
        &self,
        signed: &SignedOrder,
        market: MarketId,
        side: Side,
        base: Amount,
        quote: Amount,
        fee: u64,
        now: u64,
    ) -> Result<(FillKey, Fill), SubmitError> {
        let order = &signed.order;
        if order.market != market || order.side != side {
            return Err(OrderError::Mismatch.into());
        }
        let owner = self
            .state
            .account(order.account)
            .ok_or(TxError::Trade(CommonError::UnknownAccount(order.account).into()))?
            .owner;
        let message = order.message();
        owner.verify(message, &signed.signature)?;
        if now > order.expiry.get() {
            return Err(OrderError::Expired.into());
        }
        let fill = I256::from(quote.get()) << FIXED_POINT_BITS;
        let limit = I256::from(order.limit_price.get()) * I256::from(base.get());
        let within_limit = match side {
            Side::Buy => fill <= limit,
            Side::Sell => fill >= limit,
        };
        if !within_limit {
            return Err(OrderError::LimitPrice.into());
        }
        if I256::from(fee) * I256::from(BPS_DENOMINATOR)
            > I256::from(order.max_fee_bp.get()) * I256::from(quote.get())
        {
            return Err(OrderError::FeeAboveMax.into());
        }
        let key = (order.account, order.order_id.get());
        let filled = match self.fills.get(&key) {
            Some(f) if f.message != message => return Err(OrderError::IdConflict.into()),
            Some(f) => f.filled,
            None => 0,
        };
        let total = filled as u128 + base.get() as u128;
        if total > order.size.get() as u128 {
            return Err(OrderError::Overfilled.into());
        }
        Ok((key, Fill { message, filled: total as u64 }))
    }

    /// Ranking policy for deleverage (documented in docs/API.md): candidates hold
    /// the opposite side of `market`; the largest position goes first, ties by
    /// lowest account id; the first for which the deleverage is valid is taken.
    /// The fill closes `min(|bankrupt|, |counterparty|)` lots at the bankruptcy
    /// price.
    fn pick_deleverage(
        &self,
        market: MarketId,
        bankrupt: AccountId,
    ) -> Result<Transaction, SubmitError> {
        let m = market.index();
        let account = self
            .state
            .account(bankrupt)
            .ok_or(TxError::Deleverage(CommonError::UnknownAccount(bankrupt).into()))?;
        let settled = funding::settle(account, self.state.markets())
            .map_err(|e: RangeError| TxError::Deleverage(CommonError::from(e).into()))?;
        let position = deleverage::check_bankrupt(&self.state, market, &settled)
            .map_err(TxError::Deleverage)?;
        let mut candidates: Vec<(u64, AccountId)> = self
            .state
            .accounts()
            .filter(|(id, _)| **id != bankrupt)
            .filter_map(|(id, a)| {
                let other = a.balances[m].get();
                (other != 0 && (other > 0) != (position > 0)).then(|| (other.unsigned_abs(), *id))
            })
            .collect();
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let tv = margin::total_value(&settled, self.state.markets());
        let price = I256::from(self.state.market(market).state.price.get());
        let one = I256::ONE << FIXED_POINT_BITS;
        for (size, counterparty) in candidates {
            let lots = size.min(position.unsigned_abs());
            // TV after closing `lots` must land in [0, 2^32): solve for the quote.
            let signed_lots = if position > 0 { I256::from(lots) } else { -I256::from(lots) };
            let rest = tv - signed_lots * price;
            let quote =
                if position > 0 { (-rest + one - 1).div_euclid(one) } else { rest.div_euclid(one) };
            let Ok(quote) = i128::try_from(quote) else { continue };
            let (Ok(base), Ok(quote)) = (Amount::new(lots as i128), Amount::new(quote)) else {
                continue;
            };
            let tx =
                Transaction::Deleverage(Deleverage { market, bankrupt, counterparty, base, quote });
            if tx.apply(&self.state).is_ok() {
                return Ok(tx);
            }
        }
        Err(SubmitError::NoCounterparty)
    }
}

fn deposit_tx(d: &DepositRequest) -> Transaction {
    Transaction::Deposit(Deposit { account: d.account, owner: d.owner, amount: d.amount })
}

fn entry_kind(body: &EntryBody) -> &'static str {
    match body {
        EntryBody::Submission(s) => s.kind(),
        EntryBody::Deposit(_) => "deposit",
    }
}
