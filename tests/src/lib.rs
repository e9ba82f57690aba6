//! Shared fixtures for the end-to-end and adversarial scenarios in
//! `tests/tests/`: a small circuit (depth 8, 2 slots, `2^14` rows: the
//! production code path at test size), a test genesis, and native batches.

#![forbid(unsafe_code)]

use std::path::Path;

use clearproof_circuits::circuit::CircuitParams;
use clearproof_protocol::batch::BatchOutput;
use clearproof_protocol::oracle::Committee;
use clearproof_protocol::orders::OrderId;
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
/// The test keys (`key(i)` signs with the seed `[i; 32]`) and their ring.
pub use clearproof_protocol::testing::{key, keys};
use clearproof_protocol::tx::{Deposit, PriceUpdate, Trade, Transaction, Withdraw};
use clearproof_protocol::types::*;
use clearproof_protocol::Fr;
use clearproof_prover::keys::{setup_with, Regenerate};
use clearproof_prover::{ProverKeys, SrsSource};

/// The test circuit: the production code at a small size.
pub const SMALL: CircuitParams = CircuitParams { depth: 8, slots: 2, k: 14 };

/// Genesis timestamp.
pub const T0: u64 = 1_700_000_000;

/// The test oracle.
pub fn oracle() -> SecretKey {
    key(200)
}

/// Every market at 100 micro-units per lot; im 10 %, mm 5 %; fund 1 000.
pub fn genesis() -> Genesis {
    let market = Market {
        params: MarketParams::standard(
            Committee::single(oracle().public_key()),
            FundingRate::new(4_294_967).expect("rate"),
        ),
        state: MarketState::at(Price::from_units(100), Timestamp::new(T0.into()).expect("ts")),
    };
    Genesis { markets: [market; MARKETS], insurance_fund: Quote::new(1_000).expect("fund") }
}

/// The genesis state at the test depth.
pub fn genesis_state() -> State {
    State::genesis_with_depth(&genesis(), SMALL.depth).expect("valid genesis")
}

/// Keys for [`SMALL`] from `cache` (made on first use, with the development SRS).
/// The tests' caches outlive circuit changes, so keys of older circuit code are
/// replaced here on purpose; a process test calls this before the binary, which
/// itself would refuse them.
pub fn small_keys(cache: &Path) -> ProverKeys {
    setup_with(cache, SMALL, &SrsSource::InsecureDev, Regenerate::Stale).expect("setup")
}

/// A deposit of `amount` into `account`, owned by `key(account)`.
pub fn deposit(account: u32, amount: i128) -> Deposit {
    Deposit {
        account: AccountId::new(account.into()).expect("id"),
        owner: key(account as u8).public_key(),
        amount: Amount::new(amount).expect("amount"),
    }
}

/// Two native batches from genesis: three deposits (2 chunks), then a price, a
/// trade and a withdrawal (2 chunks). Returns the genesis root, the deposit
/// queue, and both batch outputs.
pub fn two_batches() -> (Fr, Vec<Deposit>, BatchOutput, BatchOutput) {
    let mut state = genesis_state();
    let root = state.root();
    let deposits = vec![deposit(1, 50_000), deposit(2, 50_000), deposit(3, 20_000)];
    let first: Vec<Transaction> = deposits.iter().cloned().map(Transaction::Deposit).collect();
    let b1 = state.apply_batch_signed(&first, keys());
    let second = vec![
        Transaction::PriceUpdate(PriceUpdate {
            market: MarketId::new(0).expect("market"),
            price: Price::from_units(101),
            timestamp: Timestamp::new((T0 + 10).into()).expect("ts"),
        }),
        Transaction::Trade(Trade {
            market: MarketId::new(0).expect("market"),
            buyer: AccountId::new(1).expect("id"),
            seller: AccountId::new(2).expect("id"),
            base: Amount::new(10).expect("base"),
            quote: Amount::new(1_010).expect("quote"),
            buyer_fee: Quote::new(1).expect("fee"),
            seller_fee: Quote::new(1).expect("fee"),
            buyer_order_id: OrderId::new(1).expect("order id"),
            seller_order_id: OrderId::new(1).expect("order id"),
        }),
        Transaction::Withdraw(Withdraw {
            account: AccountId::new(3).expect("id"),
            amount: Amount::new(5_000).expect("amount"),
            nonce: Nonce::new(0).expect("nonce"),
        }),
    ];
    let b2 = state.apply_batch_signed(&second, keys());
    assert_eq!(b1.witnesses.len(), 3, "every deposit applies");
    assert_eq!(b2.witnesses.len(), 3, "price, trade and withdrawal apply");
    (root, deposits, b1, b2)
}

/// Records `out` (applied from `prev_root`) as the next accepted batch straight
/// in a base layer's store, without proofs: for tests of what reads the base
/// layer's records (restore, escapes), which do not read proofs. `ledger` is the
/// running state, advanced here.
pub fn record_unproven(
    store: &dyn clearproof_verifier::base_layer::LedgerStore,
    ledger: &mut clearproof_verifier::base_layer::state::LedgerState,
    prev_root: Fr,
    out: &BatchOutput,
) {
    use clearproof_verifier::base_layer::rules::{AcceptedBatch, PostedBatch, Settlement};
    let data: Vec<Transaction> = out.applied().cloned().collect();
    let count = |f: fn(&Transaction) -> bool| data.iter().filter(|t| f(t)).count();
    let accepted = AcceptedBatch {
        header: clearproof_protocol::batch::BatchHeader {
            number: out.batch_number,
            prev_state_root: prev_root,
            next_state_root: out.next_state_root,
            data_hash: clearproof_protocol::batch::data_hash(prev_root, &data),
        },
        transactions: data.len(),
        deposits: count(|t| matches!(t, Transaction::Deposit(_))),
        refunds: Vec::new(),
        chunks: 0,
        proof_bytes: 0,
        withdrawals: out.withdrawals.clone(),
        forced: count(|t| matches!(t, Transaction::ForcedWithdraw(_))),
    };
    ledger.root = out.next_state_root;
    ledger.batches = out.batch_number;
    ledger.deposits_consumed += accepted.deposits as u64;
    ledger.deposits_queued = ledger.deposits_queued.max(ledger.deposits_consumed);
    ledger.forced_consumed += accepted.forced as u64;
    ledger.forced_queued = ledger.forced_queued.max(ledger.forced_consumed);
    let new_owners = out
        .applied()
        .filter_map(|t| match t {
            Transaction::Deposit(d) => Some((d.account, d.owner)),
            _ => None,
        })
        .collect();
    let settlement = Settlement { state: ledger.clone(), accepted, new_owners };
    let posted =
        PostedBatch { number: out.batch_number, data, proofs: Vec::new(), aggregate: None };
    store.accept(&settlement, &posted).expect("recording a batch");
}

/// A chain of `batches` unproven batches (each: a deposit into account
/// `1 + i % 40` and a trade between two funded accounts) recorded in `store`,
/// created at genesis for `key`. Returns the native state after it.
pub fn unproven_chain(
    store: &dyn clearproof_verifier::base_layer::LedgerStore,
    key: &clearproof_verifier::key::VerifierKey,
    batches: usize,
) -> (State, clearproof_verifier::base_layer::state::LedgerState) {
    let mut state = genesis_state();
    let mut ledger =
        clearproof_verifier::base_layer::state::LedgerState::genesis(state.root(), key, 1_000);
    store.init(&ledger, &genesis()).expect("creating the ledger");
    for i in 0..batches {
        let prev = state.root();
        let a = 1 + (i % 40) as u32;
        let mut txs = vec![Transaction::Deposit(deposit(a, 10_000))];
        if i >= 2 {
            let (b, s) = (1 + ((i - 1) % 40) as u32, 1 + ((i - 2) % 40) as u32);
            txs.push(Transaction::Trade(Trade {
                market: MarketId::new(0).expect("market"),
                buyer: AccountId::new(b.into()).expect("id"),
                seller: AccountId::new(s.into()).expect("id"),
                base: Amount::new(1).expect("base"),
                quote: Amount::new(100).expect("quote"),
                buyer_fee: Quote::new(0).expect("fee"),
                seller_fee: Quote::new(0).expect("fee"),
                buyer_order_id: OrderId::new(i as u64 + 1).expect("order id"),
                seller_order_id: OrderId::new(i as u64 + 1).expect("order id"),
            }));
        }
        let out = state.apply_batch_signed(&txs, keys());
        record_unproven(store, &mut ledger, prev, &out);
    }
    (state, ledger)
}

/// Which store keeps a test base layer's records: each base-layer case runs on
/// both ([`on_every_backend!`]), since the rules must not depend on storage.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// The sled ledger, in a temporary directory.
    Sled,
    /// The in-memory store.
    Memory,
}

/// A test base layer and the directory it must outlive.
pub struct Held {
    /// The base layer.
    pub ledger: Box<dyn clearproof_verifier::base_layer::EscapeHatch>,
    /// Its directory (sled).
    pub dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held").finish_non_exhaustive()
    }
}

impl std::ops::Deref for Held {
    type Target = dyn clearproof_verifier::base_layer::EscapeHatch;
    fn deref(&self) -> &Self::Target {
        self.ledger.as_ref()
    }
}

impl Backend {
    /// A fresh base layer at the test [`genesis`] for `key`, its new state
    /// adjusted by `configure` (grace, claim window).
    pub fn base_layer(
        self,
        key: &clearproof_verifier::key::VerifierKey,
        configure: impl FnOnce(&mut clearproof_verifier::base_layer::state::LedgerState),
    ) -> Held {
        use clearproof_verifier::base_layer::sled_store::SledLedgerStore;
        use clearproof_verifier::base_layer::{Ledger, MemoryLedgerStore};
        match self {
            Backend::Sled => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let store = SledLedgerStore::open(dir.path()).expect("sled ledger");
                let ledger =
                    Ledger::create_with(store, &genesis(), key, configure).expect("ledger");
                Held { ledger: Box::new(ledger), dir: Some(dir) }
            }
            Backend::Memory => {
                let store = MemoryLedgerStore::default();
                let ledger =
                    Ledger::create_with(store, &genesis(), key, configure).expect("ledger");
                Held { ledger: Box::new(ledger), dir: None }
            }
        }
    }
}

/// Each listed case, a function of a [`Backend`], as one test per backend
/// (modules `sled_backend` and `memory_backend`).
#[macro_export]
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod sled_backend {
            $(#[test]
            fn $case() {
                super::$case($crate::Backend::Sled)
            })*
        }
        mod memory_backend {
            $(#[test]
            fn $case() {
                super::$case($crate::Backend::Memory)
            })*
        }
    };
}

/// `batch` as a relay posts it, with real chunk proofs made with `keys`.
pub fn proven(
    keys: &ProverKeys,
    batch: &BatchOutput,
) -> clearproof_verifier::base_layer::rules::PostedBatch {
    let proofs = clearproof_prover::prove_batch(keys, batch, 0, false).expect("proving");
    clearproof_verifier::base_layer::rules::PostedBatch {
        number: batch.batch_number,
        data: batch.applied().cloned().collect(),
        proofs: proofs.into_iter().map(|c| c.proof).collect(),
        aggregate: None,
    }
}
