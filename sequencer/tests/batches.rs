//! Witnesses built on demand: the sequencer stores a batch without its witness
//! (transactions with their authority, and an undo record), and
//! `batches::Batches` rebuilds the witness from its own copy of the state,
//! moving back by undo records and forward by replay. The rebuilt witness must
//! equal the one an `OpenBatch` gives when applying the same transactions from
//! genesis; a stored batch that does not reach its header's root is reported
//! as corrupt, naming the batch.

mod common;

use std::sync::Arc;
use std::time::Duration;

use clearproof_api::wire::{DepositRequest, Submission};
use clearproof_protocol::orders::Side;
use clearproof_protocol::state::State;
use clearproof_protocol::tx::{Deposit, SignedTx};
use clearproof_protocol::types::{Amount, Nonce};
use clearproof_sequencer::batches::Batches;
use clearproof_sequencer::store::{
    BatchCommit, Flush, Idempotency, Loaded, MemoryStore, PendingEntry, SledStore, Store,
    StoreError, StoredReceipt,
};
use clearproof_sequencer::{Config, Sequencer};
use common::*;

const NOW: u64 = T0 + 5;

fn config() -> Config {
    Config { batch_size: 1_000, batch_interval: Duration::from_secs(3_600) }
}

fn deposit(account: u32, amount: i128) -> Deposit {
    Deposit { account: acct(account), owner: key(account as u8).public_key(), amount: n(amount) }
}

fn fill(buyer: u32, seller: u32, id: u64, size: i128) -> Submission {
    let buy = order(buyer as u8, buyer, 0, Side::Buy, size, 120, id);
    let sell = order(seller as u8, seller, 0, Side::Sell, size, 80, id);
    serde_json::from_value(trade(0, 1, 100, buy, sell)).unwrap()
}

/// Three committed batches: deposits; trades (a standing and fresh orders), a
/// withdrawal and a price update; more trades and a new account.
fn three_batches(store: &Arc<dyn Store>) {
    let mut seq = Sequencer::open(store.clone(), &genesis(), DEPTH, config()).unwrap();
    let deposits: Vec<_> = (1..=4).map(|a| deposit(a, 1_000_000_000)).collect();
    seq.take_deposits(0, &deposits, NOW).unwrap();
    seq.commit().unwrap().unwrap();
    for i in 0..6 {
        seq.submit(fill(1, 2, 1, 100), NOW).unwrap();
        seq.submit(fill(3, 4, 10 + i, 1), NOW).unwrap();
    }
    let withdraw =
        Submission::withdraw(&key(1), acct(1), Amount::new(5).unwrap(), Nonce::new(0).unwrap());
    seq.submit(withdraw, NOW).unwrap();
    let price: Submission = serde_json::from_value(price_update(0, 101, T0 + 1)).unwrap();
    seq.submit(price, NOW).unwrap();
    seq.commit().unwrap().unwrap();
    seq.take_deposits(4, &[deposit(5, 1_000_000)], NOW).unwrap();
    for i in 0..4 {
        seq.submit(fill(2, 1, 30 + i, 1), NOW).unwrap();
    }
    seq.commit().unwrap().unwrap();
}

#[test]
fn rebuilt_witnesses_equal_the_witnessed_application_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let sled: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    for store in [sled, Arc::new(MemoryStore::new()) as Arc<dyn Store>] {
        three_batches(&store);
        let batches = Batches::new(store.clone(), store.load().unwrap().state);
        // The reference: each stored batch applied with witnesses from genesis.
        let mut reference = State::genesis_with_depth(&genesis(), DEPTH).unwrap();
        let expected: Vec<_> = (1..=3)
            .map(|n| {
                let stored = batches.stored(n).unwrap().unwrap();
                let txs: Vec<SignedTx> = stored.txs.into_iter().map(|t| t.tx).collect();
                reference.apply_batch(&txs)
            })
            .collect();
        assert_eq!(expected[1].witnesses.len(), 14, "every transaction of batch 2 applied");
        // Back three batches, forward two, back one, and one from the cache.
        for n in [1u64, 3, 2, 2] {
            let record = batches.record(n).unwrap().unwrap();
            assert_eq!(record.witness, expected[n as usize - 1], "batch {n}");
            assert_eq!(record.header.batch.next_state_root, record.witness.next_state_root);
            assert_eq!(record.public_data.len(), record.witness.witnesses.len());
        }
        assert!(batches.record(4).unwrap().is_none(), "no batch 4");
    }
}

/// A store whose stored batch `number` is altered by `tamper` on read.
struct Tampered {
    inner: Arc<dyn Store>,
    number: u64,
    tamper: fn(&mut serde_json::Value),
}

impl Store for Tampered {
    fn genesis(&self) -> Result<Option<(clearproof_protocol::state::Genesis, usize)>, StoreError> {
        self.inner.genesis()
    }
    fn init(
        &self,
        genesis: &clearproof_protocol::state::Genesis,
        state: &State,
        depth: usize,
    ) -> Result<(), StoreError> {
        self.inner.init(genesis, state, depth)
    }
    fn load(&self) -> Result<Loaded, StoreError> {
        self.inner.load()
    }
    fn append_pending(&self, e: &PendingEntry, k: Option<&Idempotency>) -> Result<(), StoreError> {
        self.inner.append_pending(e, k)
    }
    fn record_rejection(
        &self,
        seq: u64,
        receipt: &StoredReceipt,
        deposit: Option<&DepositRequest>,
        key: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        self.inner.record_rejection(seq, receipt, deposit, key)
    }
    fn idempotency(&self, key: &str) -> Result<Option<Idempotency>, StoreError> {
        self.inner.idempotency(key)
    }
    fn commit_batch(&self, commit: BatchCommit<'_>) -> Result<(), StoreError> {
        self.inner.commit_batch(commit)
    }
    fn flush(&self) -> Flush<'_> {
        self.inner.flush()
    }
    fn receipt(&self, seq: u64) -> Result<Option<StoredReceipt>, StoreError> {
        self.inner.receipt(seq)
    }
    fn account(
        &self,
        id: clearproof_protocol::types::AccountId,
    ) -> Result<Option<clearproof_protocol::state::Account>, StoreError> {
        self.inner.account(id)
    }
    fn batch(&self, number: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let bytes = self.inner.batch(number)?;
        if number != self.number {
            return Ok(bytes);
        }
        Ok(bytes.map(|b| {
            let mut value: serde_json::Value = serde_json::from_slice(&b).unwrap();
            (self.tamper)(&mut value);
            serde_json::to_vec(&value).unwrap()
        }))
    }
    fn put_proof(&self, batch: u64, chunk: u32, artifact: &[u8]) -> Result<bool, StoreError> {
        self.inner.put_proof(batch, chunk, artifact)
    }
    fn proof(&self, batch: u64, chunk: u32) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.proof(batch, chunk)
    }
    fn deposit(&self, index: u64) -> Result<Option<(u64, DepositRequest)>, StoreError> {
        self.inner.deposit(index)
    }
}

fn corrupt_message(number: u64, tamper: fn(&mut serde_json::Value), wanted: u64) -> String {
    let inner: Arc<dyn Store> = Arc::new(MemoryStore::new());
    three_batches(&inner);
    let state = inner.load().unwrap().state;
    let store: Arc<dyn Store> = Arc::new(Tampered { inner, number, tamper });
    let batches = Batches::new(store, state);
    let error = batches.record(wanted).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error}");
    // Nothing half-moved is kept: an untampered batch still builds.
    assert!(batches.record(3).is_ok() || number == 3);
    error.to_string()
}

#[test]
fn a_stored_batch_that_misses_its_root_is_corrupt() {
    // An undo record with a wrong value: going back through batch 2 fails.
    let message =
        corrupt_message(2, |v| v["undo"]["accounts"][0][1]["collateral"] = "123".into(), 1);
    assert!(message.contains("batch 2: its undo record misses its root"), "{message}");
    // A transaction changed: batch 2 no longer reaches its header's root.
    let message = corrupt_message(2, |v| v["txs"].as_array_mut().unwrap().truncate(13), 2);
    assert!(message.contains("batch 2: its transactions reach root"), "{message}");
}

#[test]
fn a_directory_from_before_this_layout_is_refused_as_outdated() {
    let dir = tempfile::tempdir().unwrap();
    // The old layout: a genesis, no format marker.
    let old = sled::open(dir.path()).unwrap();
    old.insert("meta/genesis", b"{}".to_vec()).unwrap();
    old.flush().unwrap();
    drop(old);
    let error = SledStore::open(dir.path()).expect_err("refused");
    assert!(matches!(error, StoreError::Outdated), "{error}");
    assert!(error.to_string().contains("clearproof restore"));
}
