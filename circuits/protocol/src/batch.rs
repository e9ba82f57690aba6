//! The batch applier: the only code that writes to a [`State`].
//!
//! A batch first sets `batch_number += 1`, then applies its transactions in order.
//! A rejected transaction gets a receipt with its code and changes nothing; an
//! applied one is written account by account (each with its own Merkle update),
//! then market, then globals. For every applied transaction the output records
//! what a circuit witness needs: each touched account's value before and after,
//! its Merkle path under the running accounts root, and the market and global
//! values around it.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::orders::{slot_of, Slot, SlotUpdate};
use crate::params::{MARKETS, TX_ENCODING_LEN};
use crate::poseidon;
use crate::state::{leaf_of, Account, Globals, MarketParams, MarketState, State};
use crate::tree::MerklePath;
use crate::tx::{Authority, Effect, KeyRing, SignedTx, Transaction, TxError, Withdrawal};
use crate::types::AccountId;

/// What happened to one transaction of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Receipt {
    /// Applied; its witness is `witnesses[index]` of the batch output.
    Applied {
        /// Position among the batch's applied transactions.
        index: usize,
    },
    /// Rejected with a stable code; the state was not touched.
    Rejected {
        /// Stable error code.
        code: String,
        /// Human-readable reason.
        message: String,
    },
}

/// One account's Merkle update inside a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUpdate {
    /// Leaf index.
    pub id: AccountId,
    /// Value before (None: empty leaf).
    pub before: Option<Account>,
    /// Value after.
    pub after: Account,
    /// Siblings under `root_before` (the same path gives `root_after`).
    pub path: MerklePath,
    /// Accounts root before this update.
    #[serde(with = "crate::serde_fr")]
    pub root_before: Fr,
    /// Accounts root after this update.
    #[serde(with = "crate::serde_fr")]
    pub root_after: Fr,
}

/// Everything about one applied transaction that a circuit witness needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxWitness {
    /// The transaction.
    pub tx: Transaction,
    /// What authorised it (the signatures the circuit proves).
    pub auth: Authority,
    /// Touched accounts in update order.
    pub accounts: Vec<AccountUpdate>,
    /// The order-slot updates of its fills, in account order (the `orders_root`
    /// in each account's leaf after is the update's `root_after`).
    pub order_fills: Vec<(AccountId, SlotUpdate)>,
    /// Market states before the transaction.
    pub markets_before: [MarketState; MARKETS],
    /// Market states after.
    pub markets_after: [MarketState; MARKETS],
    /// Globals before.
    pub globals_before: Globals,
    /// Globals after.
    pub globals_after: Globals,
    /// Accounts root before.
    #[serde(with = "crate::serde_fr")]
    pub accounts_root_before: Fr,
    /// State root before.
    #[serde(with = "crate::serde_fr")]
    pub state_root_before: Fr,
    /// State root after.
    #[serde(with = "crate::serde_fr")]
    pub state_root_after: Fr,
}

/// What a batch claims: its number, the root it extends, the root it reaches
/// and its data hash (PROTOCOL §7). The one shape of a batch header: the
/// aggregation proof's public inputs, the sequencer's batch records, the base
/// layer's accepted batches and the verifier's result each carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    /// The batch's number (`batch_number` in aggregation artifacts written
    /// before v3, still read).
    #[serde(alias = "batch_number")]
    pub number: u64,
    /// The state root the batch extends.
    #[serde(with = "crate::serde_fr")]
    pub prev_state_root: Fr,
    /// The state root it reaches.
    #[serde(with = "crate::serde_fr")]
    pub next_state_root: Fr,
    /// Its data hash (the chain from `prev_state_root` over its public data).
    #[serde(with = "crate::serde_fr")]
    pub data_hash: Fr,
}

/// The result of applying a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOutput {
    /// The batch's number (previous + 1).
    pub batch_number: u64,
    /// State root before the batch.
    #[serde(with = "crate::serde_fr")]
    pub prev_state_root: Fr,
    /// Depth of the account tree.
    pub tree_depth: usize,
    /// The markets' genesis parameters (they never change).
    pub market_params: [MarketParams; MARKETS],
    /// Accounts root at the batch's start.
    #[serde(with = "crate::serde_fr")]
    pub accounts_root_before: Fr,
    /// Market states at the batch's start.
    pub markets_before: [MarketState; MARKETS],
    /// Globals before the batch-number increment.
    pub globals_before: Globals,
    /// State root after the batch-number increment, before the first transaction.
    #[serde(with = "crate::serde_fr")]
    pub header_state_root: Fr,
    /// State root after the batch.
    #[serde(with = "crate::serde_fr")]
    pub next_state_root: Fr,
    /// Accounts root after the batch.
    #[serde(with = "crate::serde_fr")]
    pub accounts_root_after: Fr,
    /// Market states after the batch.
    pub markets_after: [MarketState; MARKETS],
    /// Globals after the batch (the incremented batch number included): with the
    /// two above, the preimage of `next_state_root` (the aggregation circuit
    /// opens it for the batch number; padding chunks start from it).
    pub globals_after: Globals,
    /// The batch's data hash: [`data_hash`] of its applied transactions.
    #[serde(with = "crate::serde_fr")]
    pub data_hash: Fr,
    /// One receipt per submitted transaction, in order.
    pub receipts: Vec<Receipt>,
    /// One witness per applied transaction, in order.
    pub witnesses: Vec<TxWitness>,
    /// Withdrawals to release once the batch is accepted.
    pub withdrawals: Vec<Withdrawal>,
}

impl BatchOutput {
    /// The batch's header.
    pub fn header(&self) -> BatchHeader {
        BatchHeader {
            number: self.batch_number,
            prev_state_root: self.prev_state_root,
            next_state_root: self.next_state_root,
            data_hash: self.data_hash,
        }
    }

    /// The applied transactions, in order: the batch's public data.
    pub fn applied(&self) -> impl Iterator<Item = &Transaction> {
        self.witnesses.iter().map(|w| &w.tx)
    }
}

/// One step of the data-hash chain: `d' = H(d, enc_0, …, enc_9)`.
pub fn data_hash_step(prev: Fr, encoding: &[Fr; TX_ENCODING_LEN]) -> Fr {
    let mut input = Vec::with_capacity(1 + TX_ENCODING_LEN);
    input.push(prev);
    input.extend_from_slice(encoding);
    poseidon::hash(&input)
}

/// A batch's data hash (PROTOCOL §7): the chain starts at the batch's
/// `prev_state_root` and absorbs each applied transaction's encoding in order.
/// Starting from the root binds the data to the state it applies to, and lets a
/// chunk proof recognise the batch's first chunk (`prev_data_hash ==
/// prev_state_root`), the one that increments `batch_number`.
pub fn data_hash<'a>(prev_state_root: Fr, txs: impl IntoIterator<Item = &'a Transaction>) -> Fr {
    txs.into_iter().fold(prev_state_root, |d, tx| data_hash_step(d, &tx.encode()))
}

fn market_states(state: &State) -> [MarketState; MARKETS] {
    std::array::from_fn(|m| state.markets()[m].state)
}

impl State {
    /// Applies one transaction, or returns why not (leaving the state untouched).
    pub fn apply(&mut self, tx: &SignedTx) -> Result<TxWitness, TxError> {
        let effect = tx.tx.apply(self, &tx.auth)?;
        Ok(self.commit(tx.clone(), effect))
    }

    fn commit(&mut self, tx: SignedTx, effect: Effect) -> TxWitness {
        let state_root_before = self.root();
        let accounts_root_before = self.accounts_root();
        let markets_before = market_states(self);
        let globals_before = *self.globals();
        let mut journal = WitnessJournal::default();
        self.write_effect(effect, &mut journal);
        TxWitness {
            tx: tx.tx,
            auth: tx.auth,
            accounts: journal.accounts,
            order_fills: journal.order_fills,
            markets_before,
            markets_after: market_states(self),
            globals_before,
            globals_after: *self.globals(),
            accounts_root_before,
            state_root_before,
            state_root_after: self.root(),
        }
    }

    /// The one writer of an [`Effect`] into the state, for the witnessed path
    /// ([`OpenBatch`]) and the accept path ([`DeferredBatch`]) alike: the order
    /// slots the fills moved, then the accounts in the listed order, then the
    /// market, then the globals. `journal` sees every value before it is
    /// overwritten; a hashing journal ([`Journal::HASHES`]) gets each write's
    /// Merkle path and roots, the state hashed after every write.
    fn write_effect<J: Journal>(&mut self, effect: Effect, journal: &mut J) {
        let mut accounts = effect.accounts;
        for (id, slot) in effect.order_fills {
            let index = slot_of(slot.order_id);
            journal.slot_before(id, index, self.order_slots(id).at(index));
            if J::HASHES {
                let update = self.fill_slot(id, slot);
                let after = accounts
                    .iter_mut()
                    .find(|(a, _)| *a == id)
                    .expect("an order fill names an account of the effect");
                after.1.orders_root = update.root_after;
                journal.slot_filled(id, update);
            } else {
                // The account's `orders_root` follows at the next sync.
                self.write_slot(id, index, Some(slot));
            }
        }
        for (id, after) in accounts {
            journal.account_before(self, id);
            self.write_account(id, after);
            if J::HASHES {
                self.sync();
                journal.account_written(self, id, after);
            }
        }
        if let Some((id, market)) = effect.market {
            self.set_market_state(id, market);
        }
        if let Some(globals) = effect.globals {
            self.set_globals(globals);
        }
        if J::HASHES {
            self.sync();
        }
    }

    /// Opens a batch: sets `batch_number += 1`. Apply transactions with
    /// [`OpenBatch::apply`] and finish with [`OpenBatch::close`].
    pub fn begin_batch(&mut self) -> OpenBatch {
        let prev_state_root = self.root();
        let accounts_root_before = self.accounts_root();
        let markets_before = market_states(self);
        let market_params = std::array::from_fn(|m| self.markets()[m].params);
        let globals_before = *self.globals();
        let mut globals = globals_before;
        globals.batch_number += 1;
        self.set_globals(globals);
        self.sync();
        OpenBatch {
            batch_number: globals.batch_number,
            prev_state_root,
            tree_depth: self.depth(),
            market_params,
            accounts_root_before,
            markets_before,
            globals_before,
            header_state_root: self.root(),
            receipts: Vec::new(),
            witnesses: Vec::new(),
            withdrawals: Vec::new(),
        }
    }

    /// [`State::apply_batch`] for unsigned transactions, each signed against
    /// the state it applies to with [`SignedTx::exact`] (tests, benches, tools).
    pub fn apply_batch_signed(&mut self, txs: &[Transaction], keys: &KeyRing) -> BatchOutput {
        let mut batch = self.begin_batch();
        for tx in txs {
            let signed = SignedTx::exact(self, tx.clone(), keys);
            if let Err(e) = batch.apply(self, &signed) {
                batch.record_rejection(&e);
            }
        }
        batch.close(self)
    }

    /// Applies a batch: opens it, applies every transaction in order (a rejected one
    /// gets a receipt and does not stop the batch), closes it.
    pub fn apply_batch(&mut self, txs: &[SignedTx]) -> BatchOutput {
        let mut batch = self.begin_batch();
        for tx in txs {
            if let Err(e) = batch.apply(self, tx) {
                batch.record_rejection(&e);
            }
        }
        batch.close(self)
    }
}

/// A batch being built, one transaction at a time (the sequencer's open batch).
#[derive(Debug, Clone)]
pub struct OpenBatch {
    batch_number: u64,
    prev_state_root: Fr,
    tree_depth: usize,
    market_params: [MarketParams; MARKETS],
    accounts_root_before: Fr,
    markets_before: [MarketState; MARKETS],
    globals_before: Globals,
    header_state_root: Fr,
    receipts: Vec<Receipt>,
    witnesses: Vec<TxWitness>,
    withdrawals: Vec<Withdrawal>,
}

impl OpenBatch {
    /// The batch's number.
    pub fn number(&self) -> u64 {
        self.batch_number
    }

    /// Applied transactions so far.
    pub fn applied(&self) -> usize {
        self.witnesses.len()
    }

    /// Applies `tx` to `state` (which must be the state this batch was opened on)
    /// and records its receipt; on rejection nothing is recorded or changed.
    pub fn apply(&mut self, state: &mut State, tx: &SignedTx) -> Result<&TxWitness, TxError> {
        let effect = tx.tx.apply(state, &tx.auth)?;
        Ok(self.apply_effect(state, tx, effect))
    }

    /// Writes `effect` for `tx` without checking any rule. Only for building
    /// witnesses of invalid transactions in circuit tests (a forged witness must
    /// be consistent everywhere except in the rule under test).
    #[cfg(feature = "test-utils")]
    pub(crate) fn force(&mut self, state: &mut State, tx: &SignedTx, effect: Effect) {
        self.apply_effect(state, tx, effect);
    }

    fn apply_effect(&mut self, state: &mut State, tx: &SignedTx, effect: Effect) -> &TxWitness {
        self.withdrawals.extend(effect.withdrawal);
        self.receipts.push(Receipt::Applied { index: self.witnesses.len() });
        self.witnesses.push(state.commit(tx.clone(), effect));
        self.witnesses.last().expect("just pushed")
    }

    /// Records a rejected transaction's receipt in the batch.
    pub fn record_rejection(&mut self, error: &TxError) {
        self.receipts
            .push(Receipt::Rejected { code: error.code().to_string(), message: error.to_string() });
    }

    /// Closes the batch at `state`'s current root.
    pub fn close(self, state: &State) -> BatchOutput {
        let data_hash = data_hash(self.prev_state_root, self.witnesses.iter().map(|w| &w.tx));
        BatchOutput {
            batch_number: self.batch_number,
            prev_state_root: self.prev_state_root,
            tree_depth: self.tree_depth,
            market_params: self.market_params,
            accounts_root_before: self.accounts_root_before,
            markets_before: self.markets_before,
            globals_before: self.globals_before,
            header_state_root: self.header_state_root,
            next_state_root: state.root(),
            accounts_root_after: state.accounts_root(),
            markets_after: market_states(state),
            globals_after: *state.globals(),
            data_hash,
            receipts: self.receipts,
            witnesses: self.witnesses,
            withdrawals: self.withdrawals,
        }
    }
}

/// What a batch changed, as the values before it: enough to take the state
/// after the batch back to the state before it ([`State::undo`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchUndo {
    /// Each touched account's value before the batch (`None`: created by it).
    pub accounts: Vec<(AccountId, Option<Account>)>,
    /// Each moved order slot `(account, slot index)` before the batch.
    pub slots: Vec<(AccountId, u64, Option<Slot>)>,
    /// Market states before the batch.
    pub markets: [MarketState; MARKETS],
    /// Globals before the batch.
    pub globals: Globals,
}

impl State {
    /// Takes the state after a batch back to the state before it, given the
    /// batch's [`BatchUndo`]. Hashes at the next [`State::sync`].
    pub fn undo(&mut self, undo: &BatchUndo) {
        for (id, slot, value) in &undo.slots {
            self.write_slot(*id, *slot, *value);
        }
        for (id, before) in &undo.accounts {
            match before {
                Some(account) => self.write_account(*id, *account),
                None => self.remove_account(*id),
            }
        }
        if market_states(self) != undo.markets {
            self.set_market_states(undo.markets);
        }
        self.set_globals(undo.globals);
    }

    /// Opens a batch applied without witnesses (the sequencer's accept path).
    /// Reads the state only (it must be in sync): the batch-number increment
    /// is written when the batch closes, which reaches the root
    /// [`State::begin_batch`] does, since no rule reads the batch number and
    /// nothing is hashed in between.
    pub fn begin_deferred(&self) -> DeferredBatch {
        let prev_state_root = self.root();
        let globals_before = *self.globals();
        DeferredBatch {
            batch_number: globals_before.batch_number + 1,
            prev_state_root,
            chain: DataHashChain::start(prev_state_root),
            markets_before: market_states(self),
            globals_before,
            applied: Vec::new(),
            undo: UndoJournal::default(),
            withdrawals: Vec::new(),
        }
    }
}

/// A batch being built on the accept path: every rule applied and every value
/// written as [`OpenBatch`] does, but the state not hashed until
/// [`DeferredBatch::close`]. The data hash is chained on its own thread as
/// transactions are applied.
#[derive(Debug)]
pub struct DeferredBatch {
    batch_number: u64,
    prev_state_root: Fr,
    chain: DataHashChain,
    markets_before: [MarketState; MARKETS],
    globals_before: Globals,
    applied: Vec<SignedTx>,
    undo: UndoJournal,
    withdrawals: Vec<Withdrawal>,
}

/// The data hash chained on its own thread, one transaction encoding at a
/// time, while the batch is being built.
#[derive(Debug)]
struct DataHashChain {
    sender: std::sync::mpsc::Sender<[Fr; TX_ENCODING_LEN]>,
    worker: std::thread::JoinHandle<Fr>,
}

impl DataHashChain {
    fn start(prev_state_root: Fr) -> Self {
        let (sender, receiver) = std::sync::mpsc::channel::<[Fr; TX_ENCODING_LEN]>();
        let worker = std::thread::Builder::new()
            .name("data-hash".into())
            .spawn(move || receiver.iter().fold(prev_state_root, |d, e| data_hash_step(d, &e)))
            .expect("spawn the data-hash thread");
        Self { sender, worker }
    }

    fn push(&self, tx: &Transaction) {
        self.sender.send(tx.encode()).expect("the data-hash thread runs until the batch closes");
    }

    fn finish(self) -> Fr {
        drop(self.sender);
        self.worker.join().expect("the data-hash thread does not panic")
    }
}

/// What [`State::write_effect`] reports as it writes: one journal keeps a
/// transaction's witness ([`WitnessJournal`]), the other what a batch must
/// undo ([`UndoJournal`]).
trait Journal {
    /// Whether the writer hashes after each write (a witness needs each
    /// write's roots; the accept path hashes once, when the batch closes).
    const HASHES: bool;
    /// Order slot `index` of `id` holds `before` and is about to be filled.
    fn slot_before(&mut self, id: AccountId, index: u64, before: Option<Slot>);
    /// The fill of a slot, with its path and roots (hashing journals only).
    fn slot_filled(&mut self, id: AccountId, update: SlotUpdate);
    /// Account `id` is about to be written: `state` still holds it as before.
    fn account_before(&mut self, state: &State, id: AccountId);
    /// Account `id` was written as `after` and the state hashed (hashing
    /// journals only).
    fn account_written(&mut self, state: &State, id: AccountId, after: Account);
}

/// A transaction's witness as it is written: each account update with its
/// path and roots, each order-slot update.
#[derive(Debug, Default)]
struct WitnessJournal {
    accounts: Vec<AccountUpdate>,
    order_fills: Vec<(AccountId, SlotUpdate)>,
    /// The account being written: its value, path and the root before.
    writing: Option<(Option<Account>, MerklePath, Fr)>,
}

impl Journal for WitnessJournal {
    const HASHES: bool = true;

    fn slot_before(&mut self, _: AccountId, _: u64, _: Option<Slot>) {}

    fn slot_filled(&mut self, id: AccountId, update: SlotUpdate) {
        self.order_fills.push((id, update));
    }

    fn account_before(&mut self, state: &State, id: AccountId) {
        let before = state.account(id).copied();
        let path = state.tree().path(id.index());
        let root_before = state.accounts_root();
        debug_assert_eq!(path.root(id.index(), leaf_of(before.as_ref())), root_before);
        self.writing = Some((before, path, root_before));
    }

    fn account_written(&mut self, state: &State, id: AccountId, after: Account) {
        let (before, path, root_before) = self.writing.take().expect("account_before came first");
        let root_after = state.accounts_root();
        self.accounts.push(AccountUpdate { id, before, after, path, root_before, root_after });
    }
}

/// What a batch changed, as each value's first value before the batch.
#[derive(Debug, Default)]
struct UndoJournal {
    accounts: BTreeMap<AccountId, Option<Account>>,
    slots: BTreeMap<(AccountId, u64), Option<Slot>>,
}

impl Journal for UndoJournal {
    const HASHES: bool = false;

    fn slot_before(&mut self, id: AccountId, index: u64, before: Option<Slot>) {
        self.slots.entry((id, index)).or_insert(before);
    }

    fn slot_filled(&mut self, _: AccountId, _: SlotUpdate) {
        unreachable!("an undo journal does not hash")
    }

    fn account_before(&mut self, state: &State, id: AccountId) {
        self.accounts.entry(id).or_insert_with(|| state.account(id).copied());
    }

    fn account_written(&mut self, _: &State, _: AccountId, _: Account) {
        unreachable!("an undo journal does not hash")
    }
}

/// A closed [`DeferredBatch`]: what the sequencer commits and a prover later
/// replays into the witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequencedBatch {
    /// The batch's number.
    pub batch_number: u64,
    /// State root before the batch.
    pub prev_state_root: Fr,
    /// State root after the batch.
    pub next_state_root: Fr,
    /// The batch's data hash.
    pub data_hash: Fr,
    /// The applied transactions with their authority, in order.
    pub applied: Vec<SignedTx>,
    /// The values before the batch of everything it changed.
    pub undo: BatchUndo,
    /// Withdrawals to release once the batch is accepted.
    pub withdrawals: Vec<Withdrawal>,
}

impl SequencedBatch {
    /// The accounts the batch touched, in id order.
    pub fn touched(&self) -> impl Iterator<Item = AccountId> + '_ {
        self.undo.accounts.iter().map(|(id, _)| *id)
    }
}

impl DeferredBatch {
    /// The batch's number.
    pub fn number(&self) -> u64 {
        self.batch_number
    }

    /// Applied transactions so far.
    pub fn applied(&self) -> usize {
        self.applied.len()
    }

    /// Applies `tx` to `state` (the state this batch was opened on) without
    /// hashing; on rejection nothing is recorded or changed.
    pub fn apply(&mut self, state: &mut State, tx: &SignedTx) -> Result<(), TxError> {
        let mut effect = tx.tx.apply(state, &tx.auth)?;
        let withdrawal = effect.withdrawal.take();
        state.write_effect(effect, &mut self.undo);
        self.withdrawals.extend(withdrawal);
        self.chain.push(&tx.tx);
        self.applied.push(tx.clone());
        Ok(())
    }

    /// Closes the batch and opens the next one in its place: writes the
    /// batch-number increment, hashes the state once, and takes the data hash
    /// from its thread.
    pub fn close(&mut self, state: &mut State) -> SequencedBatch {
        let mut globals = *state.globals();
        globals.batch_number = self.batch_number;
        state.set_globals(globals);
        state.sync();
        let closed = std::mem::replace(self, state.begin_deferred());
        let data_hash = closed.chain.finish();
        debug_assert_eq!(
            data_hash,
            crate::batch::data_hash(closed.prev_state_root, closed.applied.iter().map(|t| &t.tx))
        );
        SequencedBatch {
            batch_number: closed.batch_number,
            prev_state_root: closed.prev_state_root,
            next_state_root: state.root(),
            data_hash,
            applied: closed.applied,
            undo: BatchUndo {
                accounts: closed.undo.accounts.into_iter().collect(),
                slots: closed.undo.slots.into_iter().map(|((id, slot), v)| (id, slot, v)).collect(),
                markets: closed.markets_before,
                globals: closed.globals_before,
            },
            withdrawals: closed.withdrawals,
        }
    }
}
