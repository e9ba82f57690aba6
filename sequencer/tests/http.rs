//! HTTP integration tests against a real sequencer on 127.0.0.1:0: every
//! transaction type applied, every rejection path with its code and no state
//! change, durability of pending entries and fills across a restart, and
//! concurrent clients.

mod common;

use clearproof_api::wire::Submission;
use clearproof_protocol::orders::Side;
use clearproof_protocol::signature::Signature;
use clearproof_protocol::types::{Amount, Nonce, Price};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

fn withdraw(owner: u8, account: u32, amount: i128, nonce: u64) -> Value {
    let sub = Submission::withdraw(
        &key(owner),
        acct(account),
        n(amount),
        Nonce::new(nonce as i128).unwrap(),
    );
    serde_json::to_value(sub).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transaction_type_is_applied_and_the_root_replays() {
    let s = start(1000, 20).await;
    for (account, amount) in [(1, 10_000), (2, 10_000), (3, 1_000_000), (4, 10_000), (5, 10_000)] {
        s.deposit(account, account as u8, amount).await;
    }
    // Alice (1) buys 900 from Bob (2) in market 0; Dave (4) buys 900 from Erin (5) in market 1.
    s.ok(&trade(
        0,
        900,
        90_000,
        order(1, 1, 0, Side::Buy, 900, 100, 1),
        order(2, 2, 0, Side::Sell, 900, 100, 1),
    ))
    .await;
    s.ok(&trade(
        1,
        900,
        90_000,
        order(4, 4, 1, Side::Buy, 900, 100, 1),
        order(5, 5, 1, Side::Sell, 900, 100, 1),
    ))
    .await;
    // Market 0 to 93: Alice liquidatable; Carol takes 100 lots with the full penalty.
    s.ok(&price_update(0, 93, T0 + 1)).await;
    let liquidation = Submission::Liquidate {
        market: mkt(0),
        liquidated: acct(1),
        base: n(100),
        quote: n(9_300),
        penalty: q(93),
        liquidator_order: order(3, 3, 0, Side::Buy, 100, 94, 1),
    };
    s.ok(&serde_json::to_value(liquidation).unwrap()).await;
    // Market 1 to 88: Dave bankrupt by 800; liquidated fully, then covered (fund 1 093).
    s.ok(&price_update(1, 88, T0 + 1)).await;
    let liquidation = Submission::Liquidate {
        market: mkt(1),
        liquidated: acct(4),
        base: n(900),
        quote: n(79_200),
        penalty: q(0),
        liquidator_order: order(3, 3, 1, Side::Buy, 900, 88, 2),
    };
    s.ok(&serde_json::to_value(liquidation).unwrap()).await;
    s.ok(&json!({"type": "cover_deficit", "account": "4"})).await;
    // Market 0 to 85: Alice bankrupt by 2 793 > fund 293: deleveraged against Bob.
    s.ok(&price_update(0, 85, T0 + 2)).await;
    s.ok(&json!({"type": "deleverage", "market": "0", "bankrupt": "1"})).await;
    let funding = Submission::funding_quorum(
        &[&oracle()],
        mkt(2),
        clearproof_protocol::types::FundingIndex::new(1_000).unwrap(),
        clearproof_protocol::types::Timestamp::new((T0 + 10) as i128).unwrap(),
    );
    s.ok(&serde_json::to_value(funding).unwrap()).await;
    let id = s.ok(&withdraw(2, 2, 1_000, 0)).await;

    let state = s.check_replay().await;
    assert_eq!(s.receipt(&id).await["status"], "applied");
    let alice = state.account(acct(1)).unwrap();
    assert_eq!((alice.balances[0].get(), alice.collateral.get()), (0, 0));
    let dave = state.account(acct(4)).unwrap();
    assert_eq!((dave.balances[1].get(), dave.collateral.get()), (0, 0));
    assert_eq!(state.globals().insurance_fund.get(), 1_000 + 93 - 800);
    let bob = &s.account(2).await["account"];
    assert_eq!(bob["balances"][0], "-100");
    assert_eq!(bob["collateral"], (100_000 - 70_793 - 1_000).to_string());
    assert_eq!(bob["nonce"], "1");
}

/// Asserts a rejection with `status` and `code`, and that the committed state is unchanged.
async fn assert_rejected(s: &Server, body: &str, status: u16, code: &str) {
    let before = s.settle().await;
    let answer = s.client.submit_line(body).await.unwrap();
    assert_eq!((answer.status, answer.code()), (status, Some(code)), "{}", answer.body);
    let after = s.settle().await;
    assert_eq!(before, after, "a rejected submission changed the state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejection_path_returns_its_code_and_changes_nothing() {
    let s = start(1000, 10).await;
    s.deposit(1, 1, 10_000).await;
    s.deposit(2, 2, 10_000).await;
    s.settle().await;

    assert_rejected(&s, "{not json", 400, "MALFORMED_JSON").await;
    assert_rejected(&s, r#"{"type":"mint","account":"1"}"#, 400, "UNKNOWN_TX_TYPE").await;
    assert_rejected(&s, r#"{"type":"cover_deficit"}"#, 400, "MALFORMED_TX").await;
    assert_rejected(&s, r#"{"type":"cover_deficit","account":"1","extra":1}"#, 400, "MALFORMED_TX")
        .await;

    // Amounts over the §2 bounds.
    let mut w = withdraw(1, 1, 5, 0);
    w["amount"] = json!("9223372036854775808");
    assert_rejected(&s, &w.to_string(), 400, "AMOUNT_OUT_OF_RANGE").await;
    w["amount"] = json!("0");
    assert_rejected(&s, &w.to_string(), 400, "AMOUNT_OUT_OF_RANGE").await;

    // Signatures: another key, a tampered amount, an oracle impostor.
    assert_rejected(&s, &withdraw(2, 1, 5, 0).to_string(), 403, "SIG_BAD_SIGNATURE").await;
    let mut tampered = withdraw(1, 1, 5, 0);
    tampered["amount"] = json!("6");
    assert_rejected(&s, &tampered.to_string(), 403, "SIG_BAD_SIGNATURE").await;
    let mut forged = price_update(0, 101, T0 + 1);
    forged["observations"][0]["signature"] =
        serde_json::to_value(key(9).sign(clearproof_protocol::Fr::from(1u64))).unwrap();
    assert_rejected(&s, &forged.to_string(), 403, "SIG_BAD_SIGNATURE").await;
    // An update whose price is not what its observations say.
    let mut moved = price_update(0, 101, T0 + 1);
    moved["price"] = json!(Price::from_units(102).get().to_string());
    assert_rejected(&s, &moved.to_string(), 422, "ORACLE_NOT_MEDIAN").await;
    let mut unsigned = price_update(0, 101, T0 + 1);
    unsigned["observations"] = json!([]);
    assert_rejected(&s, &unsigned.to_string(), 422, "ORACLE_QUORUM_NOT_MET").await;
    let mut garbage = withdraw(1, 1, 5, 0);
    garbage["signature"] = json!("zz");
    assert_rejected(&s, &garbage.to_string(), 400, "MALFORMED_TX").await;

    // Unknown account.
    assert_rejected(&s, &withdraw(7, 7, 5, 0).to_string(), 422, "UNKNOWN_ACCOUNT").await;

    // Replayed nonce: the first withdrawal applies, its replay is refused.
    let first = withdraw(1, 1, 5, 0);
    s.ok(&first).await;
    s.settle().await;
    assert_rejected(&s, &first.to_string(), 422, "WITHDRAW_BAD_NONCE").await;

    // Undercollateralised results.
    assert_rejected(
        &s,
        &withdraw(1, 1, 10_000, 1).to_string(),
        422,
        "WITHDRAW_NEGATIVE_COLLATERAL",
    )
    .await;
    let big = trade(
        0,
        1_000,
        100_000,
        order(1, 1, 0, Side::Buy, 1_000, 100, 1),
        order(2, 2, 0, Side::Sell, 1_000, 100, 1),
    );
    assert_rejected(&s, &big.to_string(), 422, "TRADE_BUYER_UNDERCOLLATERALISED").await;

    // Orders: expired (against the oracle clock, at T0), limit price, fee cap,
    // mismatched side, overfilled, superseded in its slot.
    let mut expired = order(1, 1, 0, Side::Buy, 10, 100, 2);
    expired.order.expiry = clearproof_protocol::types::Timestamp::new(T0 as i128 - 1).unwrap();
    let expired = expired.order.clone().sign(&key(1));
    let sell = order(2, 2, 0, Side::Sell, 10, 100, 2);
    assert_rejected(&s, &trade(0, 5, 500, expired, sell.clone()).to_string(), 422, "ORDER_EXPIRED")
        .await;
    let cheap = order(1, 1, 0, Side::Buy, 10, 99, 3);
    assert_rejected(
        &s,
        &trade(0, 5, 500, cheap, sell.clone()).to_string(),
        422,
        "ORDER_LIMIT_PRICE",
    )
    .await;
    let mut fee = trade(0, 5, 500, order(1, 1, 0, Side::Buy, 10, 100, 4), sell.clone());
    fee["buyer_fee"] = json!("3");
    assert_rejected(&s, &fee.to_string(), 422, "ORDER_FEE_ABOVE_MAX").await;
    let wrong_side = order(1, 1, 0, Side::Sell, 10, 100, 5);
    assert_rejected(
        &s,
        &trade(0, 5, 500, wrong_side, sell.clone()).to_string(),
        422,
        "ORDER_MISMATCH",
    )
    .await;
    let buy = order(1, 1, 0, Side::Buy, 10, 100, 6);
    s.ok(&trade(0, 8, 800, buy.clone(), sell.clone())).await;
    s.settle().await;
    assert_rejected(
        &s,
        &trade(0, 3, 300, buy.clone(), sell.clone()).to_string(),
        422,
        "ORDER_OVERFILLED",
    )
    .await;
    // Order 6 + 256 takes order 6's slot; order 6 (8 of 10 filled) never fills again.
    let newer = order(1, 1, 0, Side::Buy, 10, 100, 6 + 256);
    let other_sell = order(2, 2, 0, Side::Sell, 10, 100, 7);
    s.ok(&trade(0, 1, 100, newer, other_sell.clone())).await;
    assert_rejected(
        &s,
        &trade(0, 1, 100, buy.clone(), other_sell).to_string(),
        422,
        "ORDER_SUPERSEDED",
    )
    .await;

    // Oracle: stale timestamp.
    assert_rejected(&s, &price_update(0, 101, T0).to_string(), 422, "PRICE_STALE_TIMESTAMP").await;
    // Deleverage of a solvent account.
    assert_rejected(
        &s,
        r#"{"type":"deleverage","market":"0","bankrupt":"1"}"#,
        422,
        "DELEVERAGE_NOT_BANKRUPT",
    )
    .await;

    // Deposits come only from the base layer's queue.
    assert_rejected(&s, r#"{"type":"deposit"}"#, 400, "UNKNOWN_TX_TYPE").await;

    // A rejection that had touched the open batch in memory would surface here:
    // one more valid transaction, then every committed root must replay.
    s.deposit(3, 3, 10).await;
    s.check_replay().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_entries_and_fills_survive_a_restart() {
    // A huge interval: nothing commits before the restart.
    let s = start(1000, 3_600_000).await;
    s.deposit(1, 1, 100_000).await;
    s.deposit(2, 2, 100_000).await;
    let buy = order(1, 1, 0, Side::Buy, 10, 100, 1);
    let sell = order(2, 2, 0, Side::Sell, 10, 100, 1);
    let id = s.ok(&trade(0, 8, 800, buy.clone(), sell.clone())).await;
    assert_eq!(s.receipt(&id).await["status"], "pending");
    let dir = s.stop().await; // no commit happens: the entries are only in the pending log
    let s = start_in(dir, 1000, 10).await;
    let answer = s.post(&trade(0, 3, 300, buy.clone(), sell.clone())).await;
    assert_eq!(answer.code(), Some("ORDER_OVERFILLED"), "fills were not restored");
    s.ok(&trade(0, 2, 200, buy, sell)).await;
    s.check_replay().await;
    assert_eq!(s.receipt(&id).await["status"], "applied");
    assert_eq!(s.account(1).await["account"]["balances"][0], "10");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_lose_and_duplicate_nothing() {
    const CLIENTS: u32 = 4;
    const EACH: u64 = 40;
    let s = start(25, 20).await;
    for c in 0..CLIENTS {
        s.deposit(2 * c + 1, 1, 1_000_000).await;
        s.deposit(2 * c + 2, 2, 1_000_000).await;
    }
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client = s.client.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for j in 0..EACH {
                let buy = order(1, 2 * c + 1, 0, Side::Buy, 1, 100, j);
                let sell = order(2, 2 * c + 2, 0, Side::Sell, 1, 100, j);
                let answer =
                    client.submit_line(&trade(0, 1, 100, buy, sell).to_string()).await.unwrap();
                assert_eq!(answer.status, 202, "{}", answer.body);
                ids.push(answer.body["id"].as_str().unwrap().to_string());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate transaction ids");
    let state = s.check_replay().await;
    for id in &ids {
        assert_eq!(s.receipt(id).await["status"], "applied");
    }
    for c in 0..CLIENTS {
        assert_eq!(state.account(acct(2 * c + 1)).unwrap().balances[0].get(), EACH as i64);
    }
    let committed: u64 = s.state().await["batch_number"].as_u64().unwrap();
    assert!(committed >= 2, "several batches expected");
    let _ = (Amount::new(1), Signature::from_hex("00"));
}

/// The typed client, on the server's own wire types, over real HTTP: every call
/// returns the answer's type, and a refusal carries its status and code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_client_speaks_the_whole_api() {
    use clearproof_api::client::ClientError;
    use clearproof_api::wire::{LeaseRequest, TxStatus};

    let s = start(1_000, 50).await;
    let api = &s.api;
    s.deposit(1, 1, 10_000).await;
    assert_eq!(api.state().await.unwrap().next_deposit, 1);
    let withdraw =
        Submission::withdraw(&key(1), acct(1), Amount::new(5).unwrap(), Nonce::new(0).unwrap());
    let receipt = api.submit(&withdraw).await.unwrap();
    let committed = api.wait_committed(&receipt.id, Duration::from_secs(10)).await.unwrap();
    assert!(matches!(committed.status, TxStatus::Applied { batch: 1, index: 1 }), "{committed:?}");
    let replay = api.submit(&withdraw).await.unwrap_err();
    assert!(matches!(replay, ClientError::Refused { status: 422, .. }), "{replay}");
    assert_eq!(replay.code(), Some("WITHDRAW_BAD_NONCE"));
    assert_eq!(api.transaction(&receipt.id).await.unwrap(), committed);
    let state = api.state().await.unwrap();
    assert_eq!((state.globals.batch_number, state.pending), (1, 0));
    let account = api.account(acct(1)).await.unwrap();
    assert_eq!(account.account.collateral.get(), 10_000 - 5);
    let record = api.batch(1).await.unwrap();
    assert_eq!(record.header.batch.next_state_root, state.state_root);
    assert_eq!(record.public_data.len(), 2);
    let missing = api.batch(9).await.unwrap_err();
    assert_eq!(
        (missing.code(), missing.body().error.code.as_str()),
        (Some("UNKNOWN_BATCH"), "UNKNOWN_BATCH")
    );
    // The job board: the batch's one chunk is leased, then none is open.
    let lease = LeaseRequest { worker: "w".into(), vk_digest: None };
    let job = api.lease(&lease).await.unwrap().expect("batch 1's chunk");
    assert_eq!((job.batch, job.chunk, job.chunks), (1, 0, 1));
    assert_eq!(api.lease(&lease).await.unwrap(), None);
    let jobs = api.jobs().await.unwrap();
    assert_eq!((jobs.len(), jobs[0].state.as_str()), (1, "leased"));
    let proofs = api.batch_proofs(1).await.unwrap();
    assert_eq!((proofs.chunks, proofs.complete, proofs.proofs.clone()), (1, false, vec![None]));
}
