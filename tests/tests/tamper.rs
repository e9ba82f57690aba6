//! The tamper suite: real chunk proofs (small parameters) of two batches,
//! posted to a real ledger in every broken way. Each post is refused with its
//! specific reason and leaves the ledger exactly as it was; the honest posts
//! are accepted and release their withdrawals. Every case runs on each base-layer
//! backend (the sled ledger and the in-memory one): the rules are the same
//! whatever keeps the records.

use std::path::PathBuf;
use std::sync::OnceLock;

use clearproof_api::artifact::{ArtifactError, ChunkProof};
use clearproof_circuits::circuit::Proof;
use clearproof_protocol::Fr;
use clearproof_tests::{on_every_backend, proven, small_keys, two_batches, Backend, Held};
use clearproof_verifier::base_layer::sled_store::PostedBatch;
use clearproof_verifier::base_layer::{BaseLayer, LedgerError};
use clearproof_verifier::key::VerifierKey;
use clearproof_verifier::Rejection;

struct Fixture {
    key: VerifierKey,
    genesis_root: Fr,
    deposits: Vec<clearproof_protocol::tx::Deposit>,
    b1: PostedBatch,
    b2: PostedBatch,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keys");
        let keys = small_keys(&cache);
        let (genesis_root, deposits, b1, b2) = two_batches();
        let (b1, b2) = (proven(&keys, &b1), proven(&keys, &b2));
        assert_eq!((b1.proofs.len(), b2.proofs.len()), (2, 2));
        Fixture { key: keys.verifier_key(), genesis_root, deposits, b1, b2 }
    })
}

/// A fresh base layer at genesis with an empty deposit queue.
fn empty(backend: Backend) -> Held {
    backend.base_layer(&fixture().key, |_| {})
}

/// A fresh base layer at genesis with the deposit queue filled.
fn ledger(backend: Backend) -> Held {
    let ledger = empty(backend);
    for d in &fixture().deposits {
        ledger.deposit(d.clone()).unwrap();
    }
    ledger
}

on_every_backend!(
    honest_batches_are_accepted_and_release_withdrawals,
    posted_data_alone_rebuilds_every_accepted_root,
    a_batch_on_a_stale_root_is_rejected,
    every_word_of_a_proof_flipped_is_rejected,
    a_proof_with_bytes_appended_or_cut_is_rejected,
    public_inputs_swapped_between_chunks_are_rejected,
    proofs_swapped_between_chunks_are_rejected,
    reordered_chunks_are_rejected,
    an_omitted_or_repeated_chunk_is_rejected,
    a_one_bit_change_in_the_data_is_rejected,
    a_deposit_that_is_not_the_queue_head_is_rejected,
    queue_entries_a_batch_skips_are_refunded,
    foreign_keys_and_unknown_formats_are_rejected,
);

/// Posts `batch`, expects `code`, and checks nothing changed.
fn refused(ledger: &dyn BaseLayer, batch: &PostedBatch, code: &str) {
    let before = ledger.state().unwrap();
    match ledger.post(&fixture().key, batch) {
        Err(LedgerError::Rejected(r)) => assert_eq!(r.code(), code, "{r}"),
        other => panic!("expected {code}, got {other:?}"),
    }
    assert_eq!(ledger.state().unwrap(), before, "a refused post changes nothing");
    assert!(ledger.batch(before.batches + 1).unwrap().is_none());
}

fn honest_batches_are_accepted_and_release_withdrawals(b: Backend) {
    let f = fixture();
    let ledger = ledger(b);
    let first = ledger.post(&f.key, &f.b1).unwrap();
    assert_eq!(first.deposits, 3);
    let second = ledger.post(&f.key, &f.b2).unwrap();
    assert_eq!(second.header.prev_state_root, first.header.next_state_root);
    assert_eq!(second.withdrawals.len(), 1);
    let w = &second.withdrawals[0];
    assert_eq!((w.account.get(), w.amount.get()), (3, 5_000));
    assert_eq!(w.owner, f.deposits[2].owner, "released to the depositing owner");
    let state = ledger.state().unwrap();
    assert_eq!((state.batches, state.deposits_consumed), (2, 3));
    assert_eq!(state.root, second.header.next_state_root);
}

/// PROTOCOL §7 (v2): anyone can rebuild the state from the base layer's posted
/// data alone — no signature, no order term, no witness — and check it against
/// every accepted root. The second batch's trade moves both sides' order slots,
/// which are in the leaves: the roots match only if the ids in the posted data
/// rebuild them.
fn posted_data_alone_rebuilds_every_accepted_root(b: Backend) {
    use clearproof_protocol::tx::SignedTx;
    let f = fixture();
    let ledger = ledger(b);
    ledger.post(&f.key, &f.b1).unwrap();
    ledger.post(&f.key, &f.b2).unwrap();
    let mut state = clearproof_tests::genesis_state();
    assert_eq!(state.root(), f.genesis_root);
    for number in 1..=ledger.state().unwrap().batches {
        let posted = ledger.posted(number).unwrap().expect("posted data is kept");
        let accepted = ledger.batch(number).unwrap().expect("accepted");
        assert_eq!(accepted.header.prev_state_root, state.root(), "batch {number} chains");
        let replay: Vec<SignedTx> = posted.data.iter().cloned().map(SignedTx::proven).collect();
        let out = state.apply_batch(&replay);
        assert!(out
            .receipts
            .iter()
            .all(|r| matches!(r, clearproof_protocol::batch::Receipt::Applied { .. })));
        assert_eq!(out.next_state_root, accepted.header.next_state_root, "batch {number}'s root");
    }
    let traded = state.order_slots(clearproof_protocol::types::AccountId::new(1).unwrap());
    assert_eq!(traded.slots().count(), 1, "the buyer's order slot was rebuilt");
}

fn every_word_of_a_proof_flipped_is_rejected(b: Backend) {
    let f = fixture();
    let ledger = ledger(b);
    let len = f.b1.proofs[1].proof.len();
    // One flipped byte in every 32-byte word: commitments, evaluations and
    // opening proofs, in every chunk position they occur.
    for word in 0..len / 32 {
        let mut batch = f.b1.clone();
        let at = word * 32 + word % 32;
        let mut bytes = batch.proofs[1].proof.as_bytes().to_vec();
        bytes[at] ^= 1 << (word % 8);
        batch.proofs[1].proof = Proof::from_bytes(bytes);
        refused(&*ledger, &batch, "BAD_PROOF");
    }
}

fn a_proof_with_bytes_appended_or_cut_is_rejected(b: Backend) {
    let f = fixture();
    let ledger = ledger(b);
    let valid = f.b1.proofs[0].proof.as_bytes().to_vec();
    assert_eq!(valid.len(), f.key.manifest.proof_bytes, "the manifest pins the length");
    for bytes in [[&valid[..], &[0u8]].concat(), [&valid[..], &[0u8; 32]].concat()] {
        let mut appended = f.b1.clone();
        appended.proofs[0].proof = Proof::from_bytes(bytes);
        refused(&*ledger, &appended, "WRONG_PROOF_LENGTH");
    }
    let mut truncated = f.b1.clone();
    truncated.proofs[0].proof = Proof::from_bytes(valid[..valid.len() - 1].to_vec());
    refused(&*ledger, &truncated, "WRONG_PROOF_LENGTH");
}

fn public_inputs_swapped_between_chunks_are_rejected(b: Backend) {
    let ledger = ledger(b);
    let mut batch = fixture().b1.clone();
    let (a, b) = (batch.proofs[0].public_inputs, batch.proofs[1].public_inputs);
    batch.proofs[0].public_inputs = b;
    batch.proofs[1].public_inputs = a;
    refused(&*ledger, &batch, "WRONG_PREV_ROOT");
}

fn proofs_swapped_between_chunks_are_rejected(b: Backend) {
    let ledger = ledger(b);
    let mut batch = fixture().b1.clone();
    let a = batch.proofs[0].proof.clone();
    batch.proofs[0].proof = batch.proofs[1].proof.clone();
    batch.proofs[1].proof = a;
    refused(&*ledger, &batch, "BAD_PROOF");
}

fn reordered_chunks_are_rejected(b: Backend) {
    let ledger = ledger(b);
    let mut batch = fixture().b1.clone();
    batch.proofs.swap(0, 1);
    refused(&*ledger, &batch, "CHUNK_OUT_OF_PLACE");
    // Relabelled to look in order, they no longer chain from the root.
    batch.proofs[0].chunk = 0;
    batch.proofs[1].chunk = 1;
    refused(&*ledger, &batch, "WRONG_PREV_ROOT");
}

fn an_omitted_or_repeated_chunk_is_rejected(b: Backend) {
    let ledger = ledger(b);
    let mut batch = fixture().b1.clone();
    batch.proofs.pop();
    refused(&*ledger, &batch, "WRONG_CHUNK_COUNT");
    let mut batch = fixture().b1.clone();
    batch.proofs[1] = batch.proofs[0].clone();
    refused(&*ledger, &batch, "CHUNK_OUT_OF_PLACE");
}

fn a_batch_on_a_stale_root_is_rejected(b: Backend) {
    let f = fixture();
    let ledger = ledger(b);
    ledger.post(&f.key, &f.b1).unwrap();
    let mut again = f.b1.clone();
    refused(&*ledger, &again, "WRONG_BATCH_NUMBER");
    again.number = 2;
    for p in &mut again.proofs {
        p.batch = 2;
    }
    refused(&*ledger, &again, "WRONG_PREV_ROOT");
    // And a later batch cannot skip ahead of an unposted one.
    let fresh = self::ledger(b);
    refused(&*fresh, &f.b2, "WRONG_BATCH_NUMBER");
}

fn a_one_bit_change_in_the_data_is_rejected(b: Backend) {
    let f = fixture();
    let ledger = ledger(b);
    ledger.post(&f.key, &f.b1).unwrap();
    let mut batch = f.b2.clone();
    let clearproof_protocol::tx::Transaction::Withdraw(w) = &mut batch.data[2] else {
        panic!("the third transaction is the withdrawal")
    };
    w.amount = clearproof_protocol::types::Amount::new(w.amount.wide() ^ 1).unwrap();
    refused(&*ledger, &batch, "DATA_HASH_MISMATCH");
    // Data for fewer chunks than the proofs: the price update (two slots) alone.
    let mut batch = f.b2.clone();
    batch.data.truncate(1);
    refused(&*ledger, &batch, "WRONG_CHUNK_COUNT");
}

fn a_deposit_that_is_not_the_queue_head_is_rejected(b: Backend) {
    let f = fixture();
    let ledger = empty(b);
    // The queue holds the same deposits in another order.
    for i in [1, 0, 2] {
        ledger.deposit(f.deposits[i].clone()).unwrap();
    }
    refused(&*ledger, &f.b1, "DEPOSIT_MISMATCH");
    let empty = self::empty(b);
    refused(&*empty, &f.b1, "DEPOSIT_MISMATCH");
}

fn queue_entries_a_batch_skips_are_refunded(b: Backend) {
    let f = fixture();
    let ledger = empty(b);
    // An entry the sequencer refused (another owner for account 1) sits between
    // the deposits it applied.
    let mut refused = f.deposits[0].clone();
    refused.owner = clearproof_tests::key(9).public_key();
    for d in [&f.deposits[0], &refused, &f.deposits[1], &f.deposits[2]] {
        ledger.deposit(d.clone()).unwrap();
    }
    let accepted = ledger.post(&f.key, &f.b1).unwrap();
    assert_eq!((accepted.deposits, accepted.refunds.clone()), (3, vec![refused]));
    assert_eq!(ledger.state().unwrap().deposits_consumed, 4);
}

fn foreign_keys_and_unknown_formats_are_rejected(b: Backend) {
    let f = fixture();
    let ledger = ledger(b);
    let mut batch = f.b1.clone();
    batch.proofs[1].vk_digest = "00".repeat(32);
    refused(&*ledger, &batch, "WRONG_VERIFYING_KEY");
    let mut batch = f.b1.clone();
    batch.proofs[0].circuit.k += 1;
    refused(&*ledger, &batch, "WRONG_CIRCUIT");
    // The same verifying key with another SRS (a known secret) is refused.
    let other = VerifierKey {
        manifest: clearproof_verifier::key::KeyManifest {
            srs_digest: "11".repeat(32),
            ..f.key.manifest.clone()
        },
        vk: f.key.vk.clone(),
        srs: clearproof_circuits::circuit::Srs::insecure_dev(10),
    };
    let before = ledger.state().unwrap();
    let refused_key = ledger.post(&other, &f.b1).unwrap_err();
    assert!(matches!(refused_key, LedgerError::Rejected(Rejection::WrongVerifyingKey { .. })));
    assert_eq!(ledger.state().unwrap(), before);
    let json = f.b1.proofs[0].to_json();
    let v2 = json.replace("\"version\": 1", "\"version\": 2");
    assert_eq!(ChunkProof::from_json(&v2), Err(ArtifactError::UnknownVersion(2)));
    let other = json.replace("clearproof-chunk-proof", "something-else");
    assert!(matches!(ChunkProof::from_json(&other), Err(ArtifactError::UnknownFormat(_))));
    assert_eq!(ChunkProof::from_json(&json).unwrap(), f.b1.proofs[0]);
}
