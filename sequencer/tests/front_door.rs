//! The sequencer's front door against an adversarial client: deposits only
//! from the base layer's queue, duplicate JSON keys and non-canonical numbers
//! refused, concurrent rejections never stall the server (one writer, group
//! commit), and idle or half-open sockets cannot keep a normal client out.

mod common;

use std::time::{Duration, Instant};

use clearproof_api::records::BatchRecord;
use clearproof_api::wire::Submission;
use clearproof_protocol::batch::Receipt;
use clearproof_protocol::orders::Side;
use clearproof_protocol::tx::Transaction;
use clearproof_protocol::types::Nonce;
use clearproof_sequencer::conn::ConnectionLimits;
use clearproof_sequencer::jobs::JobBoard;
use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    s.deposit(1, 1, 1_000_000).await;
    s.deposit(2, 2, 1_000_000).await;
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
            // A normal request in the middle of the round is answered within 1 s.
            let normal = {
                let client = s.client.clone();
                tokio::spawn(async move {
                    let started = Instant::now();
                    let answer = client.get("/v1/state").await.unwrap();
                    (answer.status, started.elapsed())
                })
            };
            let answers = tokio::time::timeout(Duration::from_secs(30), async {
                let mut out = Vec::new();
                for t in tasks {
                    out.push(t.await.unwrap().unwrap());
                }
                out
            })
            .await
            .unwrap_or_else(|_| panic!("{name} round {round}: the server stopped answering"));
            let (status, took) = normal.await.unwrap();
            assert_eq!(status, 200);
            assert!(took < Duration::from_secs(1), "{name} round {round}: answered in {took:?}");
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

/// A forged deposit (an index not yet used), one racing a real queue entry for
/// its index, and one with a changed amount are all refused over HTTP, change
/// nothing and never reach a batch: every committed deposit is the base layer's
/// queue entry at its index, in order, which is exactly what the base layer
/// checks when the batch is posted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_come_only_from_the_base_layer_queue() {
    let s = start(1000, 20).await;
    let forged = |index: u64, account: u32, amount: i128| {
        json!({"type": "deposit", "queue_index": index.to_string(), "account": account.to_string(),
               "owner": key(9).public_key().to_hex(), "amount": amount.to_string()})
    };
    s.deposit(1, 1, 500).await;
    let before = s.settle().await;
    for (path, body) in [
        ("/v1/deposits", forged(1, 7, 1_000_000)), // the next, unused index
        ("/v1/deposits", forged(0, 1, 5_000_000)), // a real entry, amount changed
        ("/v1/transactions", forged(1, 7, 1_000_000)), // the other door
    ] {
        let a = s.client.post_raw(path, body.to_string().into_bytes()).await.unwrap();
        let expected = if path == "/v1/deposits" {
            (403, "DEPOSITS_FROM_BASE_LAYER")
        } else {
            (400, "UNKNOWN_TX_TYPE")
        };
        assert_eq!((a.status, a.code()), (expected.0, Some(expected.1)), "{}", a.body);
    }
    // The race: a forged deposit sent while the real entry 1 is queued but not taken.
    let real = deposit_of(2, 2, 300);
    let race = s.client.post_raw("/v1/deposits", forged(1, 2, 9_999).to_string().into_bytes());
    let (answer, _) = tokio::join!(race, async { s.queue.push(real.clone()) });
    assert_eq!(answer.unwrap().status, 403);
    s.taken(2).await;
    // A deposit the state machine refuses (another owner's account) still takes its slot.
    let refused = s.queue.push(deposit_of(1, 2, 5));
    s.deposit(3, 3, 700).await;
    let after = s.settle().await;
    assert_ne!(before, after);
    assert_eq!(after["next_deposit"], 4);

    let queue = [deposit_of(1, 1, 500), real, deposit_of(3, 3, 700)];
    let mut committed = Vec::new();
    for b in 1..=after["batch_number"].as_u64().unwrap() {
        let body = s.client.get(&format!("/v1/batches/{b}")).await.unwrap().body;
        let record: BatchRecord = serde_json::from_value(body).unwrap();
        for p in record.public_data {
            if let Transaction::Deposit(d) = p.tx {
                committed.push(d);
            }
        }
    }
    assert_eq!(committed, queue, "the batches hold exactly the queue's applicable entries");
    assert_eq!(refused, 2);
    let state = s.check_replay().await;
    assert_eq!(state.account(acct(1)).unwrap().collateral.get(), 500);
    assert_eq!(state.account(acct(2)).unwrap().collateral.get(), 300);
    assert!(state.account(acct(7)).is_none(), "a forged deposit created an account");
    let _ = Receipt::Applied { index: 0 };
}

/// Asserts `body` is refused with `code` and changes nothing.
async fn refused(s: &Server, body: &str, status: u16, code: &str) {
    let before = s.settle().await;
    let a = s.client.submit_line(body).await.unwrap();
    assert_eq!((a.status, a.code()), (status, Some(code)), "{body}: {}", a.body);
    assert_eq!(before, s.settle().await, "{body} changed the state");
}

/// Repeats `key` of the object at `path` (a JSON pointer) with `other` as its
/// first value, keeping the original value last.
fn with_duplicate(v: &Value, path: &str, key: &str, other: &str) -> String {
    let text = v.to_string();
    let target = v.pointer(path).unwrap().to_string();
    let original = v.pointer(path).unwrap()[key].to_string();
    let doubled = target.replacen(
        &format!("\"{key}\":{original}"),
        &format!("\"{key}\":{other},\"{key}\":{original}"),
        1,
    );
    assert_ne!(doubled, target, "{key} not found under {path}");
    text.replacen(&target, &doubled, 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_are_refused_in_every_type_and_in_orders() {
    let s = start(1000, 20).await;
    s.deposit(1, 1, 1_000_000).await;
    s.deposit(2, 2, 1_000_000).await;
    let buy = order(1, 1, 0, Side::Buy, 10, 100, 1);
    let sell = order(2, 2, 0, Side::Sell, 10, 100, 1);
    let withdraw =
        serde_json::to_value(Submission::withdraw(&key(1), acct(1), n(5), Nonce::new(0).unwrap()))
            .unwrap();
    let liquidate = serde_json::to_value(Submission::Liquidate {
        market: mkt(0),
        liquidated: acct(2),
        base: n(1),
        quote: n(100),
        penalty: q(0),
        liquidator_order: order(1, 1, 0, Side::Buy, 1, 100, 2),
    })
    .unwrap();
    let funding = serde_json::to_value(Submission::funding_quorum(
        &[&oracle()],
        mkt(0),
        clearproof_protocol::types::FundingIndex::new(1).unwrap(),
        clearproof_protocol::types::Timestamp::new((T0 + 1) as i128).unwrap(),
    ))
    .unwrap();
    let cases = [
        (withdraw.clone(), "", "amount"),
        (trade(0, 1, 100, buy.clone(), sell.clone()), "", "base"),
        (trade(0, 1, 100, buy, sell), "/buyer_order/order", "account"),
        (liquidate.clone(), "", "liquidated"),
        (liquidate, "/liquidator_order/order", "size"),
        (json!({"type": "cover_deficit", "account": "1"}), "", "account"),
        (json!({"type": "deleverage", "market": "0", "bankrupt": "1"}), "", "bankrupt"),
        (price_update(0, 101, T0 + 1), "", "price"),
        (funding, "", "index"),
        (withdraw, "", "type"),
    ];
    for (value, path, key) in cases {
        let body = with_duplicate(&value, path, key, "\"2\"");
        refused(&s, &body, 400, "DUPLICATE_KEY").await;
    }
    s.check_replay().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_and_keys_have_one_spelling_and_ids_their_own_range_codes() {
    let s = start(1000, 20).await;
    s.deposit(1, 1, 1_000_000).await;
    let withdraw = serde_json::to_value(Submission::withdraw(
        &key(1),
        acct(1),
        n(1_000_000),
        Nonce::new(0).unwrap(),
    ))
    .unwrap();
    for (field, spelling) in [
        ("amount", json!("+1000000")),
        ("amount", json!(" 1000000 ")),
        ("amount", json!("0001000000")),
        ("amount", json!(1_000_000)),
        ("nonce", json!("-0")),
        ("nonce", json!("00")),
    ] {
        let mut w = withdraw.clone();
        w[field] = spelling;
        refused(&s, &w.to_string(), 400, "MALFORMED_TX").await;
    }
    let mut upper = withdraw.clone();
    upper["signature"] = json!(withdraw["signature"].as_str().unwrap().to_uppercase());
    refused(&s, &upper.to_string(), 400, "MALFORMED_TX").await;
    refused(&s, r#"{"type":"cover_deficit","account":"16777216"}"#, 400, "ACCOUNT_OUT_OF_RANGE")
        .await;
    refused(&s, r#"{"type":"deleverage","market":"4","bankrupt":"1"}"#, 400, "MARKET_OUT_OF_RANGE")
        .await;
    let mut big = withdraw.clone();
    big["amount"] = json!("9223372036854775808");
    refused(&s, &big.to_string(), 400, "AMOUNT_OUT_OF_RANGE").await;
    // The canonical spelling is accepted.
    assert_eq!(s.post(&withdraw).await.status, 202);
}

/// 2,000 sockets held open — silent connects, half-sent request heads and idle
/// keep-alives — with a bound of 256 connections: a normal request is still
/// answered within 1 s (the longest-idle connections are evicted), and at most
/// the bound stay open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_open_sockets_cannot_keep_a_client_out() {
    let _ = rlimit::increase_nofile_limit(16_384);
    let limits = ConnectionLimits { max_connections: 256, ..ConnectionLimits::default() };
    let dir = tempfile::tempdir().unwrap();
    let s = start_with(dir, 1000, 20, JobBoard::default, Default::default(), limits).await;
    let addr = s.node_addr();
    let mut held = Vec::new();
    for i in 0..2_000 {
        let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
        match i % 3 {
            0 => {}
            1 => socket.write_all(b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\n").await.unwrap(),
            _ => socket.write_all(b"GET /v1/state HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap(),
        }
        held.push(socket);
    }
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(1), s.client.get("/v1/state"))
        .await
        .expect("a normal request answered within 1 s")
        .unwrap();
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    // At most `max_connections` (+ the client's own) stay open: the rest see the close.
    let reads = held.into_iter().map(|mut socket| {
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
            loop {
                match tokio::time::timeout_at(deadline, socket.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return (true, socket),
                    Ok(Ok(_)) => continue, // an idle keep-alive's answer
                    Err(_) => return (false, socket),
                }
            }
        })
    });
    let mut closed = 0;
    let mut still_open = Vec::new();
    for read in reads.collect::<Vec<_>>() {
        let (was_closed, socket) = read.await.unwrap();
        closed += was_closed as usize;
        still_open.push(socket);
    }
    assert!(closed >= 2_000 - 257, "only {closed} of 2,000 held sockets were closed");
    assert_eq!(s.client.get("/v1/state").await.unwrap().status, 200);
}

/// A silent connect, a half-sent head and an idle keep-alive are each closed
/// once the header timeout passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_slow_and_idle_connections_time_out() {
    let limits =
        ConnectionLimits { header_timeout: Duration::from_millis(300), ..Default::default() };
    let dir = tempfile::tempdir().unwrap();
    let s = start_with(dir, 1000, 20, JobBoard::default, Default::default(), limits).await;
    let addr = s.node_addr();
    for opening in
        [&b""[..], b"POST /v1/transactions HTTP/1.1\r\nHo", b"GET /v1/state HTTP/1.1\r\n\r\n"]
    {
        let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
        socket.write_all(opening).await.unwrap();
        let started = Instant::now();
        let mut buf = vec![0u8; 4096];
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "{:?} stayed open", String::from_utf8_lossy(opening));
        assert!(started.elapsed() >= Duration::from_millis(250), "closed too early");
    }
}

/// A resubmission under the same idempotency key gets the first outcome and
/// applies nothing, also after a restart; the same key with other content is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_returns_the_first_outcome_across_restarts() {
    let s = start(1000, 3_600_000).await; // nothing commits before the restart
    s.deposit(1, 1, 1_000_000).await;
    s.deposit(2, 2, 1_000_000).await;
    let buy = order(1, 1, 0, Side::Buy, 10, 100, 1);
    let sell = order(2, 2, 0, Side::Sell, 10, 100, 1);
    let fill = trade(0, 2, 200, buy.clone(), sell.clone()).to_string();
    let keyed = |body: String, key: &'static str| {
        let http = reqwest::Client::new();
        let url = format!("{}/v1/transactions", s.url);
        async move {
            let r = http.post(url).header("idempotency-key", key).body(body).send().await.unwrap();
            let replayed = r.headers().get("idempotent-replayed").is_some();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (status, replayed, body)
        }
    };
    let (status, replayed, first) = keyed(fill.clone(), "trade-1").await;
    assert_eq!((status, replayed), (202, false), "{first}");
    let (status, replayed, again) = keyed(fill.clone(), "trade-1").await;
    assert_eq!((status, replayed, &again["id"]), (200, true, &first["id"]), "{again}");
    // The same key for another submission.
    let other = trade(0, 1, 100, buy.clone(), sell.clone()).to_string();
    let (status, _, reused) = keyed(other, "trade-1").await;
    assert_eq!((status, reused["error"]["code"].as_str()), (422, Some("IDEMPOTENCY_KEY_REUSED")));
    // A rejection recorded under an id is replayed as that rejection.
    let bad_nonce = serde_json::to_string(&Submission::withdraw(
        &key(1),
        acct(1),
        n(5),
        Nonce::new(9).unwrap(),
    ))
    .unwrap();
    let (status, _, rejected) = keyed(bad_nonce.clone(), "w-9").await;
    assert_eq!((status, rejected["error"]["code"].as_str()), (422, Some("WITHDRAW_BAD_NONCE")));
    let (status, replayed, again) = keyed(bad_nonce.clone(), "w-9").await;
    assert_eq!((status, replayed), (422, true));
    assert_eq!(again["error"]["id"], rejected["error"]["id"]);
    // Malformed keys.
    for bad in ["", "has space", &"k".repeat(65)] {
        let a = reqwest::Client::new()
            .post(format!("{}/v1/transactions", s.url))
            .header("idempotency-key", bad)
            .body(fill.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(a.status().as_u16(), 400, "{bad:?}");
    }

    // Durable: after a restart the key still answers with the first outcome.
    let dir = s.stop().await;
    let s = start_in(dir, 1000, 10).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/v1/transactions", s.url))
        .header("idempotency-key", "trade-1")
        .body(fill.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["id"], first["id"]);
    let state = s.check_replay().await;
    assert_eq!(state.account(acct(1)).unwrap().balances[0].get(), 2, "applied exactly once");
    // Without a key the same trade is a new fill (orders have size left).
    s.ok(&serde_json::from_str::<Value>(&fill).unwrap()).await;
    let state = s.check_replay().await;
    assert_eq!(state.account(acct(1)).unwrap().balances[0].get(), 4);
}
