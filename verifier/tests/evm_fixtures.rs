//! The committed EVM fixtures, replayed in revm: the production aggregation's
//! generated verifier (`evm/build/Verifier.bin`) and two real aggregated
//! batches (`evm/fixtures/settlement.json`: three deposits; then a trade and a
//! withdrawal) posted to `Settlement.sol`; every tampered post reverts and
//! changes nothing; and the EVM base layer accepts and refuses what the Rust
//! ledger (over sled) does on the same posts. Seconds; no proving (the fixtures are made by
//! `verifier/evm/build.sh --fixtures`).

use clearproof_api::artifact::{ChunkProof, FORMAT, VERSION};
use clearproof_circuits::circuit::aggregation::{
    AggregateProof, AggregationParams, ACCUMULATOR_LIMBS, PINNED_AGGREGATION,
};
use clearproof_circuits::circuit::{CircuitParams, Instance, Proof, ProvingKey, Srs, PINNED};
use clearproof_protocol::state::Genesis;
use clearproof_protocol::tx::{Deposit, Transaction};
use clearproof_protocol::Fr;
use clearproof_verifier::base_layer::evm::ledger::{EvmLedger, VERIFIER_BIN};
use clearproof_verifier::base_layer::evm::settlement::{Settlement, SettlementState};
use clearproof_verifier::base_layer::evm::{Address, Evm, EvmError};
use clearproof_verifier::base_layer::rules::{PostedAggregate, PostedBatch};
use clearproof_verifier::base_layer::sled_store::SledLedgerStore;
use clearproof_verifier::base_layer::{BaseLayer, Ledger, LedgerError, MemoryLedgerStore};
use clearproof_verifier::key::{KeyManifest, VerifierKey, INSECURE_DEV_SRS};
use serde::Deserialize;

const FIXTURE: &str = include_str!("../evm/fixtures/settlement.json");
const REGENERATE: &str = "regenerate the EVM fixtures with `verifier/evm/build.sh --fixtures` \
                          (needs node; proves two batches, about 15 minutes)";

#[derive(Deserialize)]
struct Fixture {
    chunk_vk_digest: String,
    aggregation: AggregationParams,
    aggregation_vk_digest: String,
    genesis: Genesis,
    #[serde(with = "clearproof_protocol::serde_fr")]
    genesis_root: Fr,
    deposits: Vec<Deposit>,
    batches: Vec<FixtureBatch>,
}

#[derive(Deserialize, Clone)]
struct FixtureBatch {
    data: Vec<Transaction>,
    instance: clearproof_protocol::batch::BatchHeader,
    proof: AggregateProof,
    /// The verifier contract's calldata, hex (committed with the proof).
    calldata: String,
    chunk_proofs: Vec<(Proof, Instance)>,
}

fn fixture() -> Fixture {
    serde_json::from_str(FIXTURE).expect("the fixture parses")
}

#[test]
fn the_fixtures_are_for_todays_keys() {
    let f = fixture();
    assert_eq!(f.chunk_vk_digest, PINNED.vk_digest_insecure_dev, "chunk key changed: {REGENERATE}");
    assert_eq!(f.aggregation, AggregationParams::PRODUCTION, "aggregation changed: {REGENERATE}");
    assert_eq!(
        f.aggregation_vk_digest, PINNED_AGGREGATION.vk_digest_insecure_dev,
        "aggregation key changed: {REGENERATE}"
    );
}

/// A chain at the fixture's genesis with its deposits queued.
fn chain(f: &Fixture) -> (Evm, Settlement, Address) {
    let mut evm = Evm::new();
    let code = hex::decode(VERIFIER_BIN.trim()).expect("hex");
    let verifier = evm.deploy(&code, &[]).expect("the verifier deploys (under 24 KB)");
    let settlement = Settlement::deploy(&mut evm, verifier, f.genesis_root, 1_000).expect("deploy");
    for d in &f.deposits {
        settlement.deposit(&mut evm, d).expect("deposit queued");
    }
    (evm, settlement, verifier)
}

fn post(
    evm: &mut Evm,
    settlement: &Settlement,
    b: &FixtureBatch,
) -> Result<clearproof_verifier::base_layer::evm::CallOutcome, EvmError> {
    let accumulator: [Fr; ACCUMULATOR_LIMBS] = b.proof.accumulator.clone().try_into().unwrap();
    settlement.post_batch(
        evm,
        b.instance.next_state_root,
        b.instance.number,
        &b.data,
        &accumulator,
        &b.proof.bytes,
    )
}

fn state(evm: &mut Evm, settlement: &Settlement) -> SettlementState {
    settlement.state(evm).expect("state")
}

#[test]
fn real_batches_are_accepted_and_the_root_advances() {
    let f = fixture();
    let (mut evm, settlement, verifier) = chain(&f);
    for b in &f.batches {
        let before = state(&mut evm, &settlement);
        assert_eq!(before.root, b.instance.prev_state_root);
        let outcome = post(&mut evm, &settlement, b).expect("the batch is accepted");
        let after = state(&mut evm, &settlement);
        assert_eq!(after.root, b.instance.next_state_root);
        assert_eq!(after.batches, b.instance.number);
        let calldata = hex::decode(&b.calldata).expect("hex");
        assert_eq!(calldata, b.proof.calldata(&b.instance), "the committed calldata");
        let verification =
            evm.view(verifier, &calldata).expect("the verifier alone accepts").gas_used;
        println!(
            "batch {}: {} transactions, postBatch {} gas (verification {}, settlement {}), \
             calldata {} bytes",
            b.instance.number,
            b.data.len(),
            outcome.gas_used,
            verification,
            outcome.gas_used - verification,
            b.proof.calldata(&b.instance).len(),
        );
        assert!(verification <= 500_000, "verification takes {verification} gas");
    }
    // Deposits consumed; the withdrawal released to account 3's owner.
    let s = state(&mut evm, &settlement);
    assert_eq!((s.deposits_queued, s.deposits_consumed), (3, 3));
    let owner = f.deposits[2].owner;
    assert_eq!(
        settlement.withdrawable(&mut evm, &owner).unwrap(),
        clearproof_verifier::base_layer::evm::U256::from(5_000u64)
    );
}

/// Posts `b` and expects a revert naming `reason`, with no state change.
fn refused(evm: &mut Evm, settlement: &Settlement, b: &FixtureBatch, reason: &str) {
    let before = state(evm, settlement);
    let err = post(evm, settlement, b).expect_err("the tampered post is refused");
    assert_eq!(err.reason(), Some(reason), "{err}");
    assert_eq!(state(evm, settlement), before, "a refused post changes nothing");
}

#[test]
fn tampered_posts_revert_and_change_nothing() {
    let f = fixture();
    let (mut evm, settlement, _) = chain(&f);
    let first = &f.batches[0];

    let mut flipped = first.clone();
    flipped.proof.bytes[100] ^= 1;
    refused(&mut evm, &settlement, &flipped, "proof does not verify");

    let mut swapped = first.clone();
    swapped.instance.next_state_root = f.batches[1].instance.next_state_root;
    refused(&mut evm, &settlement, &swapped, "proof does not verify");

    let mut accumulator = first.clone();
    accumulator.proof.accumulator.swap(0, 1);
    refused(&mut evm, &settlement, &accumulator, "proof does not verify");

    // Data the proof did not commit to (the last deposit left out): the data
    // hash differs, so the proof fails.
    let mut data = first.clone();
    data.data.pop();
    refused(&mut evm, &settlement, &data, "proof does not verify");

    // The second batch before the first: wrong number.
    refused(&mut evm, &settlement, &f.batches[1], "wrong batch number");

    post(&mut evm, &settlement, first).expect("the real batch is accepted");
    // Replayed.
    refused(&mut evm, &settlement, first, "wrong batch number");

    // A chain at another root: the proof's previous root is not its root.
    let mut other = Evm::new();
    let code = hex::decode(VERIFIER_BIN.trim()).unwrap();
    let verifier = other.deploy(&code, &[]).unwrap();
    let wrong_root = Settlement::deploy(&mut other, verifier, Fr::from(7u64), 1_000).unwrap();
    for d in &f.deposits {
        wrong_root.deposit(&mut other, d).unwrap();
    }
    refused(&mut other, &wrong_root, first, "proof does not verify");
}

/// The production chunk key with the development SRS, as `clearproof setup`
/// would make it (keygen at k = 17: about 20 s, once for the tests here).
fn production_key() -> &'static VerifierKey {
    static KEY: std::sync::OnceLock<VerifierKey> = std::sync::OnceLock::new();
    KEY.get_or_init(make_production_key)
}

fn make_production_key() -> VerifierKey {
    let params = CircuitParams::PRODUCTION;
    let srs = Srs::insecure_dev(params.k);
    let pk = ProvingKey::generate(&srs, &params).expect("keygen");
    let vk = pk.vk().clone();
    let manifest = KeyManifest {
        circuit: params,
        layout: pk.layout().clone(),
        vk_digest: vk.digest(),
        srs_digest: srs.digest(),
        proof_bytes: vk.proof_len(),
        srs: INSECURE_DEV_SRS.into(),
        srs_file: String::new(),
    };
    VerifierKey { manifest, vk, srs }
}

fn posted(f: &Fixture, key: &VerifierKey, b: &FixtureBatch) -> PostedBatch {
    let proofs = b
        .chunk_proofs
        .iter()
        .enumerate()
        .map(|(i, (proof, instance))| ChunkProof {
            format: FORMAT.into(),
            version: VERSION,
            circuit: f.aggregation.chunk,
            vk_digest: key.digest().into(),
            srs: INSECURE_DEV_SRS.into(),
            batch: b.instance.number,
            chunk: i,
            chunks: b.chunk_proofs.len(),
            public_inputs: *instance,
            proof: proof.clone(),
        })
        .collect();
    PostedBatch {
        number: b.instance.number,
        data: b.data.clone(),
        proofs,
        aggregate: Some(PostedAggregate { instance: b.instance, proof: b.proof.clone() }),
    }
}

/// `Ok`, or the refusal's code and message.
fn outcome(result: Result<impl Sized, LedgerError>) -> Result<(), String> {
    result.map(|_| ()).map_err(|e| match e {
        LedgerError::Rejected(r) => format!("{} ({r})", r.code()),
        other => panic!("not a refusal: {other}"),
    })
}

#[test]
fn the_evm_base_layer_and_the_rust_ledger_agree() {
    let f = fixture();
    let key = production_key();
    let dir = tempfile::tempdir().unwrap();
    let store = SledLedgerStore::open(&dir.path().join("ledger")).expect("sled");
    let rust = Ledger::create_in(store, &f.genesis, key).expect("ledger");
    let evm = EvmLedger::deploy_production(&f.genesis, key).expect("EVM base layer");
    assert_eq!(rust.state().unwrap().root, evm.state().unwrap().root, "same genesis root");
    for d in &f.deposits {
        assert_eq!(rust.deposit(d.clone()).unwrap(), evm.deposit(d.clone()).unwrap());
    }
    let [first, second] = [&f.batches[0], &f.batches[1]].map(|b| posted(&f, key, b));

    // (case, post, whether the case is refused)
    let mut cases: Vec<(&str, PostedBatch)> = Vec::new();
    cases.push(("out of order", second.clone()));
    let mut data = first.clone();
    data.data.pop();
    cases.push(("data not matching the proofs", data));
    let mut proof = first.clone();
    proof.proofs[0].proof = flip(&proof.proofs[0].proof);
    if let Some(a) = proof.aggregate.as_mut() {
        a.proof.bytes[100] ^= 1;
    }
    cases.push(("tampered proofs", proof));
    let mut number = first.clone();
    number.number = 2;
    for p in &mut number.proofs {
        p.batch = 2;
    }
    if let Some(a) = number.aggregate.as_mut() {
        a.instance.number = 2;
    }
    cases.push(("wrong batch number", number));
    for (case, post) in &cases {
        let (r, e) = (outcome(rust.post(key, post)), outcome(evm.post(key, post)));
        println!("{case}: rust {r:?}, evm {e:?}");
        assert!(r.is_err() && e.is_err(), "{case}: both refuse (rust {r:?}, evm {e:?})");
        assert_eq!(rust.state().unwrap().root, evm.state().unwrap().root);
    }
    for post in [&first, &second] {
        let r = rust.post(key, post).expect("rust accepts");
        let e = evm.post(key, post).expect("EVM accepts");
        assert_eq!(
            (r.header, &r.refunds, &r.withdrawals),
            (e.header, &e.refunds, &e.withdrawals),
            "the same record"
        );
        let gas = evm.gas(post.number).expect("gas recorded");
        println!(
            "batch {}: postBatch {} gas, verification {}",
            post.number, gas.total, gas.verification
        );
    }
    // Replays refused by both.
    let (r, e) = (outcome(rust.post(key, &first)), outcome(evm.post(key, &first)));
    assert!(r.is_err() && e.is_err(), "replay: rust {r:?}, evm {e:?}");
    let (rs, es) = (rust.state().unwrap(), evm.state().unwrap());
    assert_eq!(
        (rs.root, rs.batches, rs.deposits_consumed, rs.held),
        (es.root, es.batches, es.deposits_consumed, es.held)
    );
}

/// Both base layers, fresh, at `genesis`, with the first `deposits` of the
/// fixture's deposits queued.
fn pair(
    f: &Fixture,
    key: &VerifierKey,
    genesis: &Genesis,
    deposits: usize,
) -> (Ledger<MemoryLedgerStore>, EvmLedger) {
    let rust = Ledger::create_in(MemoryLedgerStore::default(), genesis, key).expect("ledger");
    let evm = EvmLedger::deploy_production(genesis, key).expect("EVM base layer");
    for d in &f.deposits[..deposits] {
        rust.deposit(d.clone()).unwrap();
        evm.deposit(d.clone()).unwrap();
    }
    (rust, evm)
}

#[test]
fn both_base_layers_refuse_a_stale_root_and_an_unqueued_deposit() {
    let f = fixture();
    let key = production_key();
    let first = posted(&f, key, &f.batches[0]);
    // A chain at another root (another insurance fund): the batch's previous
    // root is not the last accepted one.
    let mut other = f.genesis.clone();
    other.insurance_fund = clearproof_protocol::types::Quote::new(7).unwrap();
    let (rust, evm) = pair(&f, key, &other, 3);
    let (r, e) = (outcome(rust.post(key, &first)), outcome(evm.post(key, &first)));
    println!("stale root: rust {r:?}, evm {e:?}");
    assert!(r.unwrap_err().starts_with("WRONG_PREV_ROOT"));
    assert!(e.unwrap_err().contains("proof does not verify"));
    // Only two of the batch's three deposits were queued.
    let (rust, evm) = pair(&f, key, &f.genesis, 2);
    let (r, e) = (outcome(rust.post(key, &first)), outcome(evm.post(key, &first)));
    println!("deposit not queued: rust {r:?}, evm {e:?}");
    assert!(r.unwrap_err().starts_with("DEPOSIT_MISMATCH"));
    assert!(e.unwrap_err().contains("deposit does not match the queue"));
    assert_eq!(rust.state().unwrap().root, evm.state().unwrap().root);
    assert_eq!(evm.state().unwrap().deposits_consumed, 0, "nothing changed");
}

fn flip(proof: &Proof) -> Proof {
    let mut bytes = proof.as_bytes().to_vec();
    bytes[100] ^= 1;
    Proof::from_bytes(bytes)
}
