//! The escape hatch end to end (PROTOCOL §6.4, §7), with real chunk proofs
//! (small parameters) posted to a real base layer, on each backend (sled and
//! in-memory): forced withdrawals served, refused with a proven reason, skipped
//! or reordered; the freeze and its timing; escapes and their refusals; the
//! state rebuilt from the base layer alone and resumed by a sequencer.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use clearproof_protocol::account_proof::AccountProof;
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::State;
use clearproof_protocol::tx::{Deposit, ForcedOutcome, ForcedWithdraw, Transaction};
use clearproof_protocol::types::{AccountId, Amount};
use clearproof_prover::ProverKeys;
use clearproof_sequencer::restore::{restore, RestoreError};
use clearproof_sequencer::store::{MemoryStore, SledStore, Store};
use clearproof_sequencer::{Config, Sequencer};
use clearproof_tests::{
    deposit, genesis, genesis_state, key, keys, on_every_backend, proven, small_keys, Backend,
    Held, SMALL,
};
use clearproof_verifier::base_layer::hatch::ForcedRequest;
use clearproof_verifier::base_layer::sled_store::PostedBatch;
use clearproof_verifier::base_layer::{Ledger, LedgerError, MemoryLedgerStore};
use clearproof_verifier::key::VerifierKey;

const GRACE: u64 = 100;
const WINDOW: u64 = 50;
/// When the requests are queued.
const T: u64 = 1_000;

fn id(i: u32) -> AccountId {
    AccountId::new(i.into()).unwrap()
}

fn units(x: i128) -> Amount {
    Amount::new(x).unwrap()
}

fn forced(account: u32, amount: i128, outcome: ForcedOutcome) -> Transaction {
    Transaction::ForcedWithdraw(ForcedWithdraw {
        account: id(account),
        amount: units(amount),
        outcome,
    })
}

/// Carol's (3) valid request for 5 000 and Bob's (2) for 60 000, more than his
/// 50 000 collateral.
const CAROL: (u32, i128) = (3, 5_000);
const BOB: (u32, i128) = (2, 60_000);

struct Fixture {
    keys: ProverKeys,
    key: VerifierKey,
    deposits: Vec<Deposit>,
    /// Batch 1: the three deposits.
    b1: PostedBatch,
    /// Batch 2 serving both requests: Carol's applied, Bob's refused.
    served: PostedBatch,
    /// Batch 2 with Bob's alone (Carol's skipped).
    skipped: PostedBatch,
    /// Batch 2 with both, Bob's first.
    reordered: PostedBatch,
    /// The native state after `served`.
    state: State,
    /// The native state after batch 1.
    state_b1: State,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keys");
        let prover = small_keys(&cache);
        let mut state = genesis_state();
        let deposits = vec![deposit(1, 50_000), deposit(2, 50_000), deposit(3, 20_000)];
        let first: Vec<Transaction> = deposits.iter().cloned().map(Transaction::Deposit).collect();
        let b1 = state.apply_batch_signed(&first, keys());
        assert_eq!(b1.witnesses.len(), 3);
        let state_b1 = state.clone();
        let carol = forced(CAROL.0, CAROL.1, ForcedOutcome::Applied);
        let bob = forced(BOB.0, BOB.1, ForcedOutcome::RefusedNegativeCollateral);
        let batch = |txs: &[Transaction]| {
            let mut s = state_b1.clone();
            let out = s.apply_batch_signed(txs, keys());
            assert_eq!(out.witnesses.len(), txs.len(), "every forced withdrawal applies");
            (s, proven(&prover, &out))
        };
        let (state, served) = batch(&[carol.clone(), bob.clone()]);
        let (_, skipped) = batch(std::slice::from_ref(&bob));
        let (_, reordered) = batch(&[bob, carol]);
        let b1 = proven(&prover, &b1);
        Fixture {
            key: prover.verifier_key(),
            keys: prover,
            deposits,
            b1,
            served,
            skipped,
            reordered,
            state,
            state_b1,
        }
    })
}

/// A base layer at genesis (grace 100 s, window 50 s) with the deposits queued.
fn base(backend: Backend) -> Held {
    let f = fixture();
    let held = backend.base_layer(&f.key, |s| {
        s.forced_grace = GRACE;
        s.escape_window = WINDOW;
    });
    for d in &f.deposits {
        held.deposit(d.clone()).unwrap();
    }
    held
}

/// An owner-signed request: the account's `request`-th, signed by `signer`.
fn request(account: u32, amount: i128, number: u64, signer: &SecretKey) -> ForcedRequest {
    ForcedRequest::sign(signer, genesis_state().root(), id(account), units(amount), number)
}

/// Batch 1 accepted and both requests queued at `T`.
fn with_requests(backend: Backend) -> Held {
    let ledger = base(backend);
    ledger.post(&fixture().key, &fixture().b1).unwrap();
    ledger.force_withdraw(&request(CAROL.0, CAROL.1, 0, &key(3)), T).unwrap();
    ledger.force_withdraw(&request(BOB.0, BOB.1, 0, &key(2)), T).unwrap();
    ledger
}

fn code(e: LedgerError) -> String {
    match e {
        LedgerError::Rejected(r) => r.code().to_string(),
        LedgerError::Hatch(h) => h.code().to_string(),
        other => panic!("unexpected error: {other}"),
    }
}

on_every_backend!(
    served_and_validly_refused_requests_prevent_a_freeze,
    an_unserved_request_allows_a_freeze_after_the_grace_not_before,
    skipping_or_reordering_forced_withdrawals_is_rejected,
    forced_requests_are_owner_signed_numbered_and_one_at_a_time,
    escapes_are_refused_unless_valid_and_paid_once,
    the_state_rebuilt_from_the_base_layer_is_the_native_state,
);

fn served_and_validly_refused_requests_prevent_a_freeze(backend: Backend) {
    let ledger = with_requests(backend);
    let held = ledger.state().unwrap().held;
    let accepted = ledger.post(&fixture().key, &fixture().served).unwrap();
    assert_eq!(accepted.forced, 2, "both entries consumed");
    assert_eq!(accepted.withdrawals.len(), 1, "only the applied one is released");
    assert_eq!(accepted.withdrawals[0].account, id(CAROL.0));
    assert_eq!(accepted.withdrawals[0].owner, key(3).public_key());
    let state = ledger.state().unwrap();
    assert_eq!(state.forced_consumed, 2);
    assert_eq!(state.held, held - CAROL.1 as u128);
    // Long after the grace, nothing unserved: no freeze.
    assert_eq!(code(ledger.freeze(T + 10 * GRACE).unwrap_err()), "FREEZE_NOT_DUE");
    assert_eq!(ledger.state().unwrap(), state);
}

fn an_unserved_request_allows_a_freeze_after_the_grace_not_before(backend: Backend) {
    let ledger = base(backend);
    ledger.post(&fixture().key, &fixture().b1).unwrap();
    // Nothing requested: no freeze.
    assert_eq!(code(ledger.freeze(T).unwrap_err()), "FREEZE_NOT_DUE");
    ledger.force_withdraw(&request(CAROL.0, CAROL.1, 0, &key(3)), T).unwrap();
    let late = deposit(4, 7_000);
    ledger.deposit(late.clone()).unwrap();
    let before = ledger.state().unwrap();
    assert_eq!(code(ledger.freeze(T + GRACE - 1).unwrap_err()), "FREEZE_NOT_DUE");
    assert_eq!(ledger.state().unwrap(), before);
    let refunds = ledger.freeze(T + GRACE).unwrap();
    assert_eq!(refunds, vec![late.clone()], "the queued deposit is refunded");
    let frozen = ledger.state().unwrap();
    assert_eq!(frozen.frozen_at, Some(T + GRACE));
    assert_eq!(frozen.held, before.held - 7_000);
    // Frozen: no batch, deposit, request or second freeze is accepted.
    assert_eq!(code(ledger.post(&fixture().key, &fixture().served).unwrap_err()), "FROZEN");
    assert_eq!(code(ledger.deposit(late).unwrap_err()), "FROZEN");
    let bob = request(BOB.0, BOB.1, 0, &key(2));
    assert_eq!(code(ledger.force_withdraw(&bob, T + GRACE).unwrap_err()), "FROZEN");
    assert_eq!(code(ledger.freeze(T + 2 * GRACE).unwrap_err()), "FROZEN");
    assert_eq!(ledger.state().unwrap(), frozen);
}

fn skipping_or_reordering_forced_withdrawals_is_rejected(backend: Backend) {
    let ledger = with_requests(backend);
    let before = ledger.state().unwrap();
    for (batch, position) in [(&fixture().skipped, 0), (&fixture().reordered, 0)] {
        match ledger.post(&fixture().key, batch).unwrap_err() {
            LedgerError::Rejected(clearproof_verifier::Rejection::ForcedMismatch {
                position: p,
                queue_index,
            }) => assert_eq!((p, queue_index), (position, 0)),
            other => panic!("expected FORCED_MISMATCH, got {other}"),
        }
        assert_eq!(ledger.state().unwrap(), before, "a refused post changes nothing");
    }
    // A batch serving nothing is fine: the queue waits (until the grace).
    ledger.post(&fixture().key, &fixture().served).unwrap();
}

fn forced_requests_are_owner_signed_numbered_and_one_at_a_time(backend: Backend) {
    let ledger = base(backend);
    let carol = request(CAROL.0, CAROL.1, 0, &key(3));
    // No accepted deposit created the account yet.
    assert_eq!(code(ledger.force_withdraw(&carol, T).unwrap_err()), "FORCED_UNKNOWN_ACCOUNT");
    ledger.post(&fixture().key, &fixture().b1).unwrap();
    let before = ledger.state().unwrap();
    let forged = request(CAROL.0, CAROL.1, 0, &key(9));
    assert!(code(ledger.force_withdraw(&forged, T).unwrap_err()).starts_with("SIG_"));
    let skipped_number = request(CAROL.0, CAROL.1, 1, &key(3));
    assert_eq!(
        code(ledger.force_withdraw(&skipped_number, T).unwrap_err()),
        "FORCED_WRONG_REQUEST_NUMBER"
    );
    assert_eq!(ledger.state().unwrap(), before, "refused requests change nothing");
    assert_eq!(ledger.force_withdraw(&carol, T).unwrap(), 0);
    let second = request(CAROL.0, 1, 1, &key(3));
    assert_eq!(code(ledger.force_withdraw(&second, T).unwrap_err()), "FORCED_ALREADY_PENDING");
    ledger.force_withdraw(&request(BOB.0, BOB.1, 0, &key(2)), T).unwrap();
    ledger.post(&fixture().key, &fixture().served).unwrap();
    // Served: the signed request cannot be queued again; the next number can.
    assert_eq!(code(ledger.force_withdraw(&carol, T).unwrap_err()), "FORCED_WRONG_REQUEST_NUMBER");
    assert_eq!(ledger.force_withdraw(&second, T).unwrap(), 2);
}

fn escapes_are_refused_unless_valid_and_paid_once(backend: Backend) {
    let f = fixture();
    let ledger = with_requests(backend);
    ledger.post(&f.key, &f.served).unwrap();
    let carol = AccountProof::of(&f.state, id(CAROL.0)).unwrap();
    assert_eq!(carol.state_root, ledger.state().unwrap().root);
    assert_eq!(code(ledger.escape(&carol, T).unwrap_err()), "NOT_FROZEN");
    // An unserved request, then the freeze.
    ledger.force_withdraw(&request(CAROL.0, 1, 1, &key(3)), T).unwrap();
    ledger.freeze(T + GRACE).unwrap();
    let now = T + GRACE + 1;

    let mut forged_path = carol.clone();
    forged_path.path.siblings[3] += clearproof_protocol::Fr::one();
    let mut richer = carol.clone();
    richer.value.collateral = richer.value.collateral.checked_add(1_000_000).unwrap();
    let stale = AccountProof::of(&f.state_b1, id(CAROL.0)).unwrap();
    let mut thief = carol.clone();
    thief.value.owner = key(9).public_key();
    for (proof, expected) in [
        (&forged_path, "ESCAPE_BAD_PROOF"),
        (&richer, "ESCAPE_BAD_PROOF"),
        (&stale, "ESCAPE_STALE_ROOT"),
        (&thief, "ESCAPE_WRONG_OWNER"),
    ] {
        assert_eq!(code(ledger.escape(proof, now).unwrap_err()), expected);
    }
    assert!(ledger.escapes().unwrap().is_empty(), "nothing claimed by a refused escape");

    let claim = ledger.escape(&carol, now).unwrap();
    assert_eq!(claim.owner, key(3).public_key());
    assert_eq!(claim.claim, 15_000, "20 000 deposited, 5 000 withdrawn by force");
    assert_eq!(code(ledger.escape(&carol, now).unwrap_err()), "ESCAPE_ALREADY_CLAIMED");
    let alice = AccountProof::of(&f.state, id(1)).unwrap();
    let bob = AccountProof::of(&f.state, id(BOB.0)).unwrap();
    ledger.escape(&alice, now).unwrap();
    assert_eq!(code(ledger.settle_escapes(now).unwrap_err()), "ESCAPE_WINDOW_OPEN");
    let closed = T + GRACE + WINDOW;
    assert_eq!(code(ledger.escape(&bob, closed).unwrap_err()), "ESCAPE_WINDOW_CLOSED");
    let payouts = ledger.settle_escapes(closed).unwrap();
    let paid: Vec<(AccountId, u64)> = payouts.iter().map(|p| (p.account, p.paid)).collect();
    assert_eq!(paid, vec![(id(1), 50_000), (id(CAROL.0), 15_000)]);
    assert_eq!(code(ledger.settle_escapes(closed + 1).unwrap_err()), "ESCAPES_SETTLED");
    // Even with a clock that says the window is open, no claim after settlement.
    assert_eq!(code(ledger.escape(&bob, now).unwrap_err()), "ESCAPES_SETTLED");
    assert_eq!(ledger.escapes().unwrap().len(), 2);
    assert_eq!(ledger.payouts().unwrap(), payouts, "paid once");
}

fn the_state_rebuilt_from_the_base_layer_is_the_native_state(backend: Backend) {
    let f = fixture();
    let ledger = with_requests(backend);
    ledger.post(&f.key, &f.served).unwrap();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let restored = restore(&*ledger, store, |_| {}).unwrap();
    assert_eq!((restored.batch, restored.replayed), (2, 2));
    assert_eq!(restored.root, f.state.root());
    let accounts = |s: &State| s.accounts().map(|(i, a)| (*i, *a)).collect::<Vec<_>>();
    assert_eq!(accounts(&restored.state), accounts(&f.state));
    assert_eq!(restored.state.globals(), f.state.globals());
}

#[test]
fn a_tampered_posted_batch_stops_the_rebuild_at_its_number() {
    let f = fixture();
    let ledger = with_requests(Backend::Sled);
    ledger.post(&f.key, &f.served).unwrap();
    let Held { ledger, dir } = ledger;
    drop(ledger);
    let dir = dir.unwrap();
    // Someone rewrites what the base layer holds for batch 2: Carol's amount.
    {
        let db = sled::open(dir.path()).unwrap();
        let k = format!("posted/{:020}", 2);
        let mut posted: PostedBatch =
            serde_json::from_slice(&db.get(&k).unwrap().unwrap()).unwrap();
        posted.data[0] = forced(CAROL.0, CAROL.1 + 1, ForcedOutcome::Applied);
        db.insert(k, serde_json::to_vec(&posted).unwrap()).unwrap();
        db.flush().unwrap();
    }
    let ledger = Ledger::open(dir.path()).unwrap();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    match restore(&ledger, store, |_| {}) {
        Err(e @ RestoreError::DataHash { batch: 2, .. }) => {
            assert!(e.to_string().starts_with("batch 2: "), "{e}")
        }
        other => panic!("expected a data-hash mismatch at batch 2, got {other:?}"),
    }
}

#[test]
fn a_restored_store_resumes_the_chain() {
    let f = fixture();
    let Held { ledger, dir: _dir } = with_requests(Backend::Sled);
    ledger.post(&f.key, &f.served).unwrap();
    let data = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(data.path()).unwrap());
    assert_eq!(restore(&*ledger, store.clone(), |_| {}).unwrap().replayed, 2);
    // A second run (as after a crash) has nothing left to do.
    assert_eq!(restore(&*ledger, store.clone(), |_| {}).unwrap().replayed, 0);
    // The sequencer opens the store, takes a new deposit from the base layer's
    // queue and commits batch 3, which the base layer accepts.
    let config = Config { batch_size: 100, batch_interval: std::time::Duration::from_secs(60) };
    let mut sequencer = Sequencer::open(store, &genesis(), SMALL.depth, config).unwrap();
    assert_eq!(sequencer.committed().state_root, ledger.state().unwrap().root);
    assert_eq!(sequencer.next_deposit(), 3);
    assert_eq!(sequencer.next_forced(), 2);
    ledger.deposit(deposit(4, 9_000)).unwrap();
    let queued = clearproof_sequencer::follow::read_queue(&*ledger, 3, 10).unwrap();
    assert_eq!(sequencer.take_deposits(3, &queued, T).unwrap(), 1);
    let summary = sequencer.commit().unwrap().unwrap();
    assert_eq!(summary.number, 3);
    // Its witness, rebuilt from the committed state by undoing batch 3.
    let batches = clearproof_sequencer::batches::Batches::new(
        sequencer.store().clone(),
        sequencer.store().load().unwrap().state,
    );
    let record = batches.record(3).unwrap().unwrap();
    let accepted = ledger.post(&f.key, &proven(&f.keys, &record.witness)).unwrap();
    assert_eq!(accepted.header.next_state_root, summary.root);
}

mod random_workloads {
    //! Restore equals the native state on random workloads. The base layer's
    //! records are written straight into its store (the proofs, which restore
    //! does not read, are left out: the suite above posts real ones).

    use super::*;
    use clearproof_protocol::orders::OrderId;
    use clearproof_protocol::tx::{PriceUpdate, SignedTx, Trade, Withdraw};
    use clearproof_protocol::types::{MarketId, Nonce, Price, Quote, Timestamp};
    use clearproof_tests::T0;
    use clearproof_verifier::base_layer::state::LedgerState;
    use clearproof_verifier::base_layer::LedgerStore;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Deposit(u32, i128),
        Withdraw(u32, i128),
        Trade(u32, u32, i128),
        Forced(u32, i128),
        Price(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1u32..6, 1i128..50_000).prop_map(|(a, x)| Op::Deposit(a, x)),
            (1u32..6, 1i128..20_000).prop_map(|(a, x)| Op::Withdraw(a, x)),
            (1u32..6, 1u32..6, 1i128..200).prop_map(|(b, s, x)| Op::Trade(b, s, x)),
            (1u32..6, 1i128..40_000).prop_map(|(a, x)| Op::Forced(a, x)),
            (80u32..120).prop_map(Op::Price),
        ]
    }

    /// The transaction `op` stands for against `state`, as a user (or the
    /// sequencer, for a forced withdrawal's outcome) would build it.
    fn tx(state: &State, op: &Op, next_order: &mut u64, ts: &mut u64) -> Transaction {
        match *op {
            Op::Deposit(a, x) => Transaction::Deposit(deposit(a, x)),
            Op::Withdraw(a, x) => Transaction::Withdraw(Withdraw {
                account: id(a),
                amount: units(x),
                nonce: state.account(id(a)).map_or(Nonce::default(), |acc| acc.nonce),
            }),
            Op::Trade(b, s, x) => {
                let price = state.markets()[0].state.price.get() >> 32;
                *next_order += 1;
                Transaction::Trade(Trade {
                    market: MarketId::new(0).unwrap(),
                    buyer: id(b),
                    seller: id(s),
                    base: units(x),
                    quote: units(x * price as i128),
                    buyer_fee: Quote::new(0).unwrap(),
                    seller_fee: Quote::new(0).unwrap(),
                    buyer_order_id: OrderId::new(*next_order).unwrap(),
                    seller_order_id: OrderId::new(*next_order).unwrap(),
                })
            }
            Op::Forced(a, x) => match ForcedWithdraw::decide(state, id(a), units(x)) {
                Ok(f) => Transaction::ForcedWithdraw(f),
                // The base layer queues requests only for existing accounts.
                Err(_) => Transaction::Deposit(deposit(a, x)),
            },
            Op::Price(p) => {
                *ts += 1;
                Transaction::PriceUpdate(PriceUpdate {
                    market: MarketId::new(0).unwrap(),
                    price: Price::from_units(p),
                    timestamp: Timestamp::new((*ts).into()).unwrap(),
                })
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn restore_equals_the_native_state(
            batches in proptest::collection::vec(proptest::collection::vec(op(), 0..12), 1..5)
        ) {
            let store = MemoryLedgerStore::default();
            let mut state = genesis_state();
            let mut ledger = LedgerState::genesis(state.root(), &fixture().key, 1_000);
            store.init(&ledger, &genesis()).unwrap();
            let (mut next_order, mut ts) = (0u64, T0);
            for ops in &batches {
                let prev = state.root();
                let mut open = state.begin_batch();
                for op in ops {
                    let tx = tx(&state, op, &mut next_order, &mut ts);
                    let signed = SignedTx::exact(&state, tx, keys());
                    let _ = open.apply(&mut state, &signed);
                }
                let out = open.close(&state);
                clearproof_tests::record_unproven(&store, &mut ledger, prev, &out);
            }
            let base = Ledger::existing_in(store).unwrap();
            let restored = restore(&base, Arc::new(MemoryStore::default()), |_| {}).unwrap();
            prop_assert_eq!(restored.root, state.root());
            let accounts = |s: &State| s.accounts().map(|(i, a)| (*i, *a)).collect::<Vec<_>>();
            prop_assert_eq!(accounts(&restored.state), accounts(&state));
            prop_assert_eq!(restored.state.markets(), state.markets());
            prop_assert_eq!(restored.state.globals(), state.globals());
        }
    }
}
