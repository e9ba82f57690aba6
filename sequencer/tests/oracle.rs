//! The oracle committee over HTTP (`POST /v1/observations`, PROTOCOL §6.3):
//! market 3's committee has four members and quorum 3. Updates continue with
//! one member down, a faulty member's outliers never become the price, and a
//! faulty member's bad observations are refused and change nothing.

mod common;

use clearproof_api::wire::ObservationRequest;
use clearproof_protocol::types::{FundingIndex, Price, Timestamp};
use common::*;
use serde_json::{json, Value};

fn ts(t: u64) -> Timestamp {
    Timestamp::new(t as i128).unwrap()
}

fn price_obs(member_index: u8, units: u32, at: u64) -> ObservationRequest {
    ObservationRequest::price(&member(member_index), mkt(3), Price::from_units(units), ts(at))
}

async fn observe(s: &Server, o: &ObservationRequest) -> Answer {
    let body = serde_json::to_vec(o).unwrap();
    s.client.post_raw("/v1/observations", body).await.unwrap()
}

fn market_price(state: &Value) -> Value {
    state["markets"][3]["state"]["price"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_member_down_and_one_faulty_neither_stop_nor_move_the_price() {
    let s = start(1000, 20).await;
    for (round, honest) in [(1u64, 120u32), (2, 90), (3, 95)] {
        let at = T0 + 10 * round;
        // Member 3 is faulty (ten times the price), member 2 is down.
        let a = observe(&s, &price_obs(3, honest * 10, at)).await;
        assert_eq!((a.status, &a.body["held"], &a.body["update"]), (202, &json!(1), &Value::Null));
        let a = observe(&s, &price_obs(0, honest, at + 1)).await;
        assert_eq!((a.status, &a.body["held"]), (202, &json!(2)), "{}", a.body);
        let a = observe(&s, &price_obs(1, honest + 1, at + 2)).await;
        assert_eq!(a.status, 202, "{}", a.body);
        assert_eq!(a.body["update"]["type"], "price_update", "{}", a.body);
        assert_eq!(a.body["held"], 0, "the quorum's observations are used up");
        let state = s.settle().await;
        // The median of {honest, honest + 1, 10·honest} is honest + 1; the
        // timestamp is the earliest observation's.
        let expected = Price::from_units(honest + 1).get().to_string();
        assert_eq!(market_price(&state), json!(expected), "round {round}");
        assert_eq!(state["markets"][3]["state"]["price_ts"], json!(at.to_string()));
    }
    // The updates the sequencer built replay from the posted data.
    s.check_replay().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulty_members_bad_observations_are_refused_and_change_nothing() {
    let s = start(1000, 20).await;
    let at = T0 + 10;
    let a = observe(&s, &price_obs(0, 100, at)).await;
    assert_eq!((a.status, &a.body["held"]), (202, &json!(1)));
    let before = s.settle().await;
    let refused = |o: Value, status: u16, code: &'static str| {
        let s = &s;
        async move {
            let a =
                s.client.post_raw("/v1/observations", o.to_string().into_bytes()).await.unwrap();
            assert_eq!((a.status, a.code()), (status, Some(code)), "{o}: {}", a.body);
        }
    };
    let good = serde_json::to_value(price_obs(1, 100, at)).unwrap();
    // A bad signature: the value changed after signing.
    let mut tampered = good.clone();
    tampered["price"] = json!(Price::from_units(101).get().to_string());
    refused(tampered, 403, "SIG_BAD_SIGNATURE").await;
    // A key outside the committee (market 3's committee is keys 200–203).
    let outsider = ObservationRequest::price(&key(9), mkt(3), Price::from_units(100), ts(at));
    refused(serde_json::to_value(outsider).unwrap(), 403, "ORACLE_NOT_A_MEMBER").await;
    // A member of another market's committee only.
    let other = ObservationRequest::price(&member(3), mkt(0), Price::from_units(100), ts(at));
    refused(serde_json::to_value(other).unwrap(), 403, "ORACLE_NOT_A_MEMBER").await;
    // Stale: not after the market's price timestamp, or not after the member's
    // previous observation.
    refused(serde_json::to_value(price_obs(1, 100, T0)).unwrap(), 409, "ORACLE_OBSERVATION_STALE")
        .await;
    refused(
        serde_json::to_value(price_obs(0, 99, at - 1)).unwrap(),
        409,
        "ORACLE_OBSERVATION_STALE",
    )
    .await;
    // Malformed input.
    let mut unknown = good.clone();
    unknown["type"] = json!("price_update");
    refused(unknown, 400, "UNKNOWN_TX_TYPE").await;
    let mut extra = good.clone();
    extra["weight"] = json!("5");
    refused(extra, 400, "MALFORMED_TX").await;
    let a = s
        .client
        .post_raw(
            "/v1/observations",
            good.to_string()
                .replacen("\"market\":\"3\"", "\"market\":\"3\",\"market\":\"0\"", 1)
                .into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!((a.status, a.code()), (400, Some("DUPLICATE_KEY")), "{}", a.body);
    assert_eq!(before, s.settle().await, "a refused observation changed the state");
    // Only member 0's observation is held: a resend of it is idempotent, and
    // two more members complete the quorum.
    let a = observe(&s, &price_obs(0, 100, at)).await;
    assert_eq!((a.status, &a.body["held"]), (202, &json!(1)), "{}", a.body);
    let a = observe(&s, &price_obs(1, 100, at)).await;
    assert_eq!((a.status, &a.body["held"]), (202, &json!(2)), "{}", a.body);
    let a = observe(&s, &price_obs(2, 100, at)).await;
    assert_eq!(a.body["update"]["type"], "price_update", "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observations_too_far_apart_wait_and_funding_follows_the_same_rule() {
    let s = start(1000, 20).await;
    // Members 0 and 1 observe at T0 + 10, member 2 only 61 s later: the three
    // are not one reading (max_oracle_age 60), so no update yet.
    observe(&s, &price_obs(0, 100, T0 + 10)).await;
    observe(&s, &price_obs(1, 100, T0 + 10)).await;
    let a = observe(&s, &price_obs(2, 100, T0 + 71)).await;
    assert_eq!((a.status, &a.body["update"]), (202, &Value::Null), "{}", a.body);
    // Member 3 within 60 s of member 2 is not enough either (two in the window)…
    let a = observe(&s, &price_obs(3, 100, T0 + 70)).await;
    assert_eq!(a.body["update"], Value::Null, "{}", a.body);
    // …until member 0 reports again within the window.
    let a = observe(&s, &price_obs(0, 104, T0 + 72)).await;
    assert_eq!(a.body["update"]["type"], "price_update", "{}", a.body);
    let state = s.settle().await;
    assert_eq!(state["markets"][3]["state"]["price_ts"], json!((T0 + 70).to_string()));

    // Funding: a quorum's median index; one beyond the rate bound is refused by
    // the rule (recorded under an id) and its observations are used up.
    let funding = |i: u8, index: i128, at: u64| {
        ObservationRequest::funding(&member(i), mkt(3), FundingIndex::new(index).unwrap(), ts(at))
    };
    for i in 0..2 {
        observe(&s, &funding(i, 1 << 30, T0 + 100)).await;
    }
    let a = observe(&s, &funding(3, -(1 << 40), T0 + 100)).await;
    assert_eq!(a.body["update"]["type"], "funding_tick", "{}", a.body);
    let state = s.settle().await;
    assert_eq!(state["markets"][3]["state"]["funding_index"], json!((1i64 << 30).to_string()));
    let huge = 1i128 << 62;
    for i in 0..2 {
        observe(&s, &funding(i, huge, T0 + 101)).await;
    }
    let a = observe(&s, &funding(2, huge, T0 + 101)).await;
    assert_eq!((a.status, a.code()), (422, Some("FUNDING_RATE_EXCEEDED")), "{}", a.body);
    assert!(a.body["error"]["id"].is_string(), "the rejection is recorded: {}", a.body);
    s.check_replay().await;
}
