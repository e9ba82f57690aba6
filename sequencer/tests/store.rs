//! The store seam: the same sequence of submissions, rejections, commits,
//! restarts and proofs gives the same answers on the sled store and on the
//! in-memory one, and a sequencer reopened on either replays its pending log to
//! the same state.

mod common;

use std::sync::Arc;
use std::time::Duration;

use clearproof_api::wire::{Submission, TxStatus};
use clearproof_protocol::tx::Deposit;
use clearproof_protocol::types::{Amount, Nonce};
use clearproof_sequencer::batches::Batches;
use clearproof_sequencer::store::{MemoryStore, SledStore, Store};
use clearproof_sequencer::{Config, Sequencer};
use common::*;

const NOW: u64 = T0 + 5;

fn config() -> Config {
    Config { batch_size: 1_000, batch_interval: Duration::from_secs(3_600) }
}

fn open(store: &Arc<dyn Store>) -> Sequencer {
    Sequencer::open(store.clone(), &genesis(), DEPTH, config()).unwrap()
}

fn deposit(account: u32, amount: i128) -> Deposit {
    Deposit { account: acct(account), owner: key(account as u8).public_key(), amount: n(amount) }
}

fn withdraw(account: u32, amount: i128, nonce: i128) -> Submission {
    Submission::withdraw(
        &key(account as u8),
        acct(account),
        Amount::new(amount).unwrap(),
        Nonce::new(nonce).unwrap(),
    )
}

/// Everything a client can observe, after a scenario that exercises every store
/// operation; the two stores must agree on all of it.
fn scenario(store: Arc<dyn Store>) -> Vec<String> {
    let mut seen = Vec::new();
    let mut seq = open(&store);
    assert_eq!(seq.take_deposits(0, &[deposit(1, 10_000), deposit(2, 10_000)], NOW).unwrap(), 2);
    // Entries already taken are skipped; a gap stops the taking.
    assert_eq!(seq.take_deposits(1, &[deposit(2, 10_000)], NOW).unwrap(), 0);
    assert_eq!(seq.take_deposits(5, &[deposit(2, 10_000)], NOW).unwrap(), 0);
    assert_eq!(seq.next_deposit(), 2);
    let accepted = seq.submit(withdraw(1, 100, 0), NOW).unwrap();
    let rejected = seq.submit(withdraw(2, 100, 7), NOW).unwrap_err();
    seen.push(format!("{accepted:?} {} {}", rejected.code(), rejected.http_status()));
    let summary = seq.commit().unwrap().expect("a batch");
    seen.push(format!("batch {} of {}", summary.number, summary.transactions));
    // One more accepted entry stays pending across the restart.
    let pending = seq.submit(withdraw(2, 50, 0), NOW).unwrap();
    let before = seq.committed();
    drop(seq);

    let mut seq = open(&store);
    let after = seq.committed();
    assert_eq!(after.state_root, before.state_root);
    assert_eq!(after.pending, 1, "the pending entry is replayed");
    seen.push(serde_json::to_string(&after).unwrap());
    seen.push(format!("{:?}", seq.receipt(pending.id.parse().unwrap()).unwrap()));
    for id in 1..=4 {
        seen.push(format!("{id}: {:?}", seq.receipt(id).unwrap().map(|r| r.status)));
    }
    assert!(matches!(seq.receipt(4).unwrap().map(|r| r.status), Some(TxStatus::Rejected { .. })));
    seen.push(format!("{:?}", store.account(acct(1)).unwrap()));
    seen.push(format!("{:?}", store.deposit(1).unwrap()));
    let record = store.batch(1).unwrap().expect("batch 1 stored");
    let record: serde_json::Value = serde_json::from_slice(&record).unwrap();
    seen.push(record["header"]["next_state_root"].to_string());
    assert!(store.batch(2).unwrap().is_none());
    assert!(store.put_proof(1, 0, b"first").unwrap());
    assert!(!store.put_proof(1, 0, b"second").unwrap(), "a proof is stored once");
    seen.push(String::from_utf8(store.proof(1, 0).unwrap().unwrap()).unwrap());
    seq.commit().unwrap().expect("the replayed entry commits");
    seen.push(serde_json::to_string(&seq.committed()).unwrap());
    seen
}

#[test]
fn sled_and_memory_stores_keep_the_same_contract() {
    let dir = tempfile::tempdir().unwrap();
    let sled: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let on_sled = scenario(sled);
    let in_memory = scenario(memory);
    assert_eq!(on_sled, in_memory);
}

/// Idempotency keys are stored atomically with their outcome and forgotten
/// once past their retention, by both stores.
#[test]
fn idempotency_keys_are_remembered_then_forgotten() {
    use clearproof_sequencer::Outcome;
    let dir = tempfile::tempdir().unwrap();
    let stores: [Arc<dyn Store>; 2] =
        [Arc::new(SledStore::open(dir.path()).unwrap()), Arc::new(MemoryStore::new())];
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    for store in stores {
        let mut seq = open(&store);
        seq.take_deposits(0, &[deposit(1, 10_000)], NOW).unwrap();
        // Accepted at a time long past the 24 h retention, and now.
        let old = seq.submit_keyed(withdraw(1, 1, 0), 1_000, Some("old")).unwrap();
        let fresh = seq.submit_keyed(withdraw(1, 1, 1), now, Some("fresh")).unwrap();
        assert!(matches!(old, Outcome::New(_)) && matches!(fresh, Outcome::New(_)));
        assert!(store.idempotency("old").unwrap().is_some());
        let again = seq.submit_keyed(withdraw(1, 1, 1), now, Some("fresh")).unwrap();
        assert!(matches!(again, Outcome::Replayed(_)), "{again:?}");
        seq.commit().unwrap();
        assert!(store.idempotency("old").unwrap().is_none(), "kept past its retention");
        let kept = store.idempotency("fresh").unwrap().expect("within its retention");
        assert_eq!(kept.digest, withdraw(1, 1, 1).digest());
        drop(seq);
        let mut seq = open(&store);
        let after_restart = seq.submit_keyed(withdraw(1, 1, 1), now, Some("fresh")).unwrap();
        assert!(matches!(after_restart, Outcome::Replayed(_)));
    }
}

/// Forced withdrawals from the base layer's queue (PROTOCOL §6.4): each entry
/// is taken in order with the outcome the rules give, applied or refused (both
/// consume it), at most `MAX_FORCED_PER_BATCH` per batch; a restart replays
/// the pending ones to the same outcomes, and taken entries are not taken again.
#[test]
fn forced_withdrawals_are_served_in_order_and_survive_a_restart() {
    use clearproof_verifier::base_layer::hatch::{ForcedEntry, MAX_FORCED_PER_BATCH};
    let entry = |account: u32, amount: i128| ForcedEntry {
        account: acct(account),
        amount: n(amount),
        requested_at: NOW,
    };
    let dir = tempfile::tempdir().unwrap();
    for store in [
        Arc::new(SledStore::open(dir.path()).unwrap()) as Arc<dyn Store>,
        Arc::new(MemoryStore::new()),
    ] {
        let mut seq = open(&store);
        seq.take_deposits(0, &[deposit(1, 10_000), deposit(2, 10_000)], NOW).unwrap();
        seq.commit().unwrap();
        // Account 1's valid request, then account 2's for more than it holds.
        let queue = [entry(1, 4_000), entry(2, 20_000)];
        assert_eq!(seq.take_forced(0, &queue, NOW).unwrap(), 2);
        assert_eq!(seq.take_forced(0, &queue, NOW).unwrap(), 0, "taken entries are skipped");
        assert_eq!(seq.next_forced(), 2);
        let pending = seq.committed();
        drop(seq);
        // A restart replays the pending entries to the same outcomes.
        let mut seq = open(&store);
        assert_eq!(seq.committed().pending, pending.pending);
        assert_eq!(seq.next_forced(), 2);
        let summary = seq.commit().unwrap().unwrap();
        // The witness is rebuilt from the stored batch (and its undo record).
        let batches = Batches::new(store.clone(), store.load().unwrap().state);
        let record = batches.record(summary.number).unwrap().unwrap();
        let outcomes: Vec<String> =
            record.public_data.iter().map(|p| serde_json::to_string(&p.tx).unwrap()).collect();
        assert!(outcomes[0].contains(r#""outcome":"applied""#), "{outcomes:?}");
        assert!(outcomes[1].contains(r#""outcome":"refused_negative_collateral""#));
        assert_eq!(record.witness.withdrawals.len(), 1, "only the applied one is released");
        // A full batch of forced withdrawals commits before the next is taken.
        let many: Vec<ForcedEntry> = (0..MAX_FORCED_PER_BATCH + 2).map(|_| entry(1, 1)).collect();
        assert_eq!(seq.take_forced(2, &many, NOW).unwrap(), many.len());
        assert_eq!(seq.committed().pending, 2, "the first {MAX_FORCED_PER_BATCH} were committed");
        assert_eq!(seq.committed().next_forced, 2 + many.len() as u64);
    }
}

/// `submit_all` (signatures verified in parallel first) gives each submission
/// the outcome `submit` gives it one at a time, in order: a forged signature
/// in the middle is refused and the rest apply.
#[test]
fn submit_all_gives_the_outcomes_of_submitting_one_at_a_time() {
    let outcomes = |bulk: bool| {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let mut seq = open(&store);
        seq.take_deposits(0, &[deposit(1, 10_000), deposit(2, 10_000)], NOW).unwrap();
        let mut forged = withdraw(2, 10, 1);
        if let Submission::Withdraw { signature, .. } = &mut forged {
            *signature = key(9).sign(clearproof_protocol::Fr::from(1u64));
        }
        let subs = vec![withdraw(1, 100, 0), forged, withdraw(2, 50, 0), withdraw(1, 1, 5)];
        let results = if bulk {
            seq.submit_all(subs, NOW)
        } else {
            subs.into_iter().map(|s| seq.submit(s, NOW)).collect()
        };
        let codes: Vec<String> = results
            .iter()
            .map(|r| match r {
                Ok(receipt) => format!("{:?}", receipt.status),
                Err(e) => e.code().to_string(),
            })
            .collect();
        (codes, seq.commit().unwrap().unwrap().root)
    };
    let (one_by_one, root) = outcomes(false);
    assert_eq!(one_by_one[1], "SIG_BAD_SIGNATURE");
    assert!(one_by_one[0].contains("Pending") && one_by_one[2].contains("Pending"));
    assert_eq!(outcomes(true), (one_by_one, root));
}
