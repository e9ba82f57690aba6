//! The chunk-job board over HTTP, without a prover: leases are handed out in
//! order and offered again when they expire; a proof is checked against the
//! chunk's public inputs and stored once — a late proof (its lease expired and
//! the job went to someone else) is accepted if it is the first, a second one is
//! a duplicate. (Real proofs through real workers: `tests/process/pipeline.rs`.)

mod common;

use std::time::Duration;

use clearproof_api::artifact::{ChunkProof, FORMAT, VERSION};
use clearproof_api::records::BatchRecord;
use clearproof_circuits::circuit::CircuitParams;
use clearproof_protocol::witness::chunk_witnesses;
use clearproof_sequencer::jobs::JobBoard;
use common::*;
use serde_json::Value;

const SLOTS: usize = 2;

fn artifact(record: &BatchRecord, chunk: usize) -> ChunkProof {
    let chunks = chunk_witnesses(&record.witness, SLOTS);
    ChunkProof {
        format: FORMAT.into(),
        version: VERSION,
        circuit: CircuitParams { depth: DEPTH, slots: SLOTS, k: 17 },
        vk_digest: "00".repeat(32),
        srs: "none".into(),
        batch: record.header.batch.number,
        chunk,
        chunks: chunks.len(),
        public_inputs: chunks[chunk].instance,
        // No verifying key on this sequencer: only the public inputs are checked.
        proof: clearproof_circuits::circuit::Proof::from_bytes(vec![1, 2, 3]),
    }
}

async fn lease(s: &Server, worker: &str) -> (u16, Value) {
    let body = serde_json::to_vec(&serde_json::json!({ "worker": worker })).unwrap();
    let a = s.client.post_raw("/v1/jobs/lease", body).await.unwrap();
    (a.status, a.body)
}

async fn submit(s: &Server, batch: u64, chunk: usize, p: &ChunkProof) -> (u16, Value) {
    let path = format!("/v1/jobs/{batch}/{chunk}/proof");
    let a = s.client.post_raw(&path, p.to_json().into_bytes()).await.unwrap();
    (a.status, a.body)
}

#[tokio::test]
async fn leases_expire_and_proofs_are_stored_once() {
    let jobs = || JobBoard::new(SLOTS, Duration::from_millis(300), None);
    let s = start_with_jobs(tempfile::tempdir().unwrap(), 3, 60_000, jobs).await;
    assert_eq!(lease(&s, "a").await.0, 204, "nothing committed yet");
    for account in [1, 2, 3] {
        s.deposit(account, account as u8, 1_000).await;
    }
    let record: BatchRecord =
        serde_json::from_value(s.client.get("/v1/batches/1").await.unwrap().body).unwrap();

    let (status, first) = lease(&s, "a").await;
    assert_eq!(
        (status, &first["batch"], &first["chunk"], &first["chunks"]),
        (200, &1.into(), &0.into(), &2.into())
    );
    let (_, second) = lease(&s, "b").await;
    assert_eq!(second["chunk"], 1);
    assert_eq!(lease(&s, "c").await.0, 204, "both chunks are leased");
    let listed = s.client.get("/v1/jobs").await.unwrap().body;
    assert_eq!(listed[0]["state"], "leased");
    assert_eq!(listed[0]["worker"], "a");

    // "a" goes quiet; its lease expires and the job goes to "c".
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (_, again) = lease(&s, "c").await;
    assert_eq!((&again["batch"], &again["chunk"]), (&1.into(), &0.into()));
    assert_ne!(again["lease_id"], first["lease_id"]);

    // Refusals change nothing.
    let mut wrong = artifact(&record, 0);
    wrong.public_inputs.next_state_root = wrong.public_inputs.prev_state_root;
    let (status, body) = submit(&s, 1, 0, &wrong).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("WRONG_PUBLIC_INPUTS")));
    let (status, body) = submit(&s, 1, 1, &artifact(&record, 0)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("WRONG_JOB")));
    let (status, body) = submit(&s, 7, 0, &artifact(&record, 0)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("WRONG_JOB")));
    let mut unknown = artifact(&record, 0);
    unknown.batch = 7;
    let (status, body) = submit(&s, 7, 0, &unknown).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("UNKNOWN_JOB")));
    let garbage = s.client.post_raw("/v1/jobs/1/0/proof", b"{}".to_vec()).await.unwrap();
    assert_eq!(garbage.status, 400);

    // The late proof from "a" is the first: accepted. "c"'s is a duplicate.
    let (status, body) = submit(&s, 1, 0, &artifact(&record, 0)).await;
    assert_eq!((status, body["status"].as_str()), (201, Some("accepted")));
    let (status, body) = submit(&s, 1, 0, &artifact(&record, 0)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("duplicate")));
    let proofs = s.client.get("/v1/batches/1/proofs").await.unwrap().body;
    assert_eq!((proofs["complete"].as_bool(), proofs["proofs"][1].is_null()), (Some(false), true));

    let (status, body) = submit(&s, 1, 1, &artifact(&record, 1)).await;
    assert_eq!((status, body["status"].as_str()), (201, Some("accepted")));
    let proofs = s.client.get("/v1/batches/1/proofs").await.unwrap().body;
    assert_eq!(proofs["complete"], true);
    let stored: ChunkProof = serde_json::from_value(proofs["proofs"][0].clone()).unwrap();
    assert_eq!(stored, artifact(&record, 0));
    assert_eq!(lease(&s, "a").await.0, 204, "every job is proven");

    // Proofs survive a restart; proven jobs are not offered again.
    let dir = s.stop().await;
    let s = start_with_jobs(dir, 3, 60_000, jobs).await;
    assert_eq!(lease(&s, "a").await.0, 204);
    let listed = s.client.get("/v1/jobs").await.unwrap().body;
    assert!(listed.as_array().unwrap().iter().all(|j| j["state"] == "proven"));
}
