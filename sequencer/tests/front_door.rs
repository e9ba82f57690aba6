//! The sequencer's front door under adversarial load: concurrent rejections
//! never stall the server (one writer, group commit).

mod common;

use std::time::{Duration, Instant};

use clearproof_circuits::types::Nonce;
use clearproof_sequencer::order::Side;
use clearproof_sequencer::wire::Submission;
use common::*;
use serde_json::json;

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .unwrap()
        .flatten()
        .map(|e| {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                dir_size(&e.path())
            } else {
                m.len()
            }
        })
        .sum()
}

/// Rounds of 100 concurrent rejected requests, unsigned (`cover_deficit` of an
/// account with open positions) and signed (a withdrawal with a wrong nonce):
/// a normal request is answered within 1 s after every round.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rejections_never_stall_the_server() {
    let s = start(1000, 20).await;
    s.ok(&deposit(0, 1, 1, 1_000_000)).await;
    s.ok(&deposit(1, 2, 2, 1_000_000)).await;
    let buy = order(1, 1, 0, Side::Buy, 10, 100, 1);
    let sell = order(2, 2, 0, Side::Sell, 10, 100, 1);
    s.ok(&trade(0, 10, 1_000, buy, sell)).await;
    s.settle().await;
    let unsigned = json!({"type": "cover_deficit", "account": "1"}).to_string();
    let signed = serde_json::to_string(&Submission::withdraw(
        &key(1),
        acct(1),
        n(5),
        Nonce::new(7).unwrap(),
    ))
    .unwrap();
    for (name, body, code) in
        [("unsigned", &unsigned, "COVER_OPEN_POSITIONS"), ("signed", &signed, "WITHDRAW_BAD_NONCE")]
    {
        let size_before = dir_size(s.dir.path());
        for round in 0..20 {
            let mut tasks = Vec::new();
            for _ in 0..100 {
                let client = s.client.clone();
                let body = body.clone();
                tasks.push(tokio::spawn(async move { client.submit_line(&body).await }));
            }
            let answers = tokio::time::timeout(Duration::from_secs(30), async {
                let mut out = Vec::new();
                for t in tasks {
                    out.push(t.await.unwrap().unwrap());
                }
                out
            })
            .await
            .unwrap_or_else(|_| panic!("{name} round {round}: the server stopped answering"));
            for a in &answers {
                assert_eq!(a.code(), Some(code), "{name}: {}", a.body);
            }
            let started = Instant::now();
            let state = tokio::time::timeout(Duration::from_secs(1), s.client.get("/v1/state"))
                .await
                .unwrap_or_else(|_| panic!("{name} round {round}: no answer within 1 s"))
                .unwrap();
            assert_eq!(state.status, 200);
            assert!(started.elapsed() < Duration::from_secs(1));
        }
        if name == "unsigned" {
            let grown = dir_size(s.dir.path()).saturating_sub(size_before);
            assert!(grown < 64 * 1024, "2,000 unsigned rejections grew the store by {grown} B");
        }
    }
    s.check_replay().await;
}
