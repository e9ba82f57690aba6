//! A real sequencer on 127.0.0.1:0 with a small test genesis, and helpers.
#![allow(dead_code, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use clearproof_api::client::Client;
use clearproof_api::records::BatchRecord;
use clearproof_api::wire::Submission;
use clearproof_protocol::oracle::Committee;
use clearproof_protocol::orders::{Order, OrderId, Side, SignedOrder};
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
pub(crate) use clearproof_protocol::testing::key;
use clearproof_protocol::tx::{Deposit, SignedTx};
use clearproof_protocol::types::*;
use clearproof_sequencer::api::{self, Node, ServeOptions};
use clearproof_sequencer::conn::ConnectionLimits;
use clearproof_sequencer::follow::DepositQueue;
use clearproof_sequencer::jobs::JobBoard;
use clearproof_sequencer::Config;
use clearproof_verifier::base_layer::LedgerError;
use serde_json::Value;

pub(crate) const T0: u64 = 1_700_000_000;
pub(crate) const DEPTH: usize = 24;

pub(crate) fn oracle() -> SecretKey {
    key(200)
}

/// Committee member `i` of market 3 ([`committee`]).
pub(crate) fn member(i: u8) -> SecretKey {
    key(200 + i)
}

/// Market 3's oracle committee: members `key(200)` to `key(203)`, quorum 3,
/// observations at most 60 s apart.
pub(crate) fn committee() -> Committee {
    let members: Vec<_> = (0..4).map(|i| member(i).public_key()).collect();
    Committee::new(&members, Quorum::new(3).unwrap(), Seconds::new(60).unwrap()).unwrap()
}

/// Every market at 100 micro-units per lot; im 10 %, mm 5 %, liq fee 1 %, fee cap
/// 0.5 %, band 5 %; insurance fund 1 000. Markets 0–2 have a one-member oracle
/// committee ([`oracle`]), market 3 the committee of four of [`committee`].
pub(crate) fn genesis() -> Genesis {
    let rate = FundingRate::new(4_294_967).unwrap();
    let markets = std::array::from_fn(|m| Market {
        params: MarketParams::standard(
            if m == 3 { committee() } else { Committee::single(oracle().public_key()) },
            rate,
        ),
        state: MarketState::at(Price::from_units(100), Timestamp::new(T0 as i128).unwrap()),
    });
    Genesis { markets, insurance_fund: Quote::new(1_000).unwrap() }
}

/// A sequencer's answer as it came: HTTP status and JSON body (`null` if the
/// body was not JSON). The tests' own raw HTTP, for adversarial requests and
/// for asserting exact statuses; users go through the typed [`Client`].
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The error code of a 4xx/5xx answer.
    pub(crate) fn code(&self) -> Option<&str> {
        self.body.get("error")?.get("code")?.as_str()
    }
}

/// Raw HTTP to one sequencer.
#[derive(Debug, Clone)]
pub(crate) struct RawClient {
    base: String,
    http: reqwest::Client,
}

impl RawClient {
    pub(crate) fn new(base: &str) -> Self {
        Self { base: base.trim_end_matches('/').to_string(), http: reqwest::Client::new() }
    }

    async fn answer(response: reqwest::Response) -> Result<Answer, reqwest::Error> {
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        Ok(Answer { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) })
    }

    /// POSTs raw bytes to `path`.
    pub(crate) async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Answer, reqwest::Error> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        Self::answer(response).await
    }

    /// Posts one JSON line where `clearproof submit` would.
    pub(crate) async fn submit_line(&self, line: &str) -> Result<Answer, reqwest::Error> {
        self.post_raw("/v1/transactions", line.as_bytes().to_vec()).await
    }

    /// GETs `path`.
    pub(crate) async fn get(&self, path: &str) -> Result<Answer, reqwest::Error> {
        Self::answer(self.http.get(format!("{}{path}", self.base)).send().await?).await
    }
}

/// The base layer's deposit queue, in memory: what the sequencer under test
/// reads deposits from (the real ledger's queue is exercised by the process tests).
#[derive(Default)]
pub(crate) struct Queue {
    entries: std::sync::Mutex<Vec<Deposit>>,
    forced: std::sync::Mutex<Vec<clearproof_verifier::base_layer::hatch::ForcedEntry>>,
}

impl Queue {
    /// Queues a deposit; returns its queue index.
    pub(crate) fn push(&self, d: Deposit) -> u64 {
        let mut entries = self.entries.lock().unwrap();
        entries.push(d);
        entries.len() as u64 - 1
    }

    /// Queues a forced withdrawal (the base layer checked its signature).
    #[allow(dead_code)]
    pub(crate) fn force(&self, e: clearproof_verifier::base_layer::hatch::ForcedEntry) -> u64 {
        let mut forced = self.forced.lock().unwrap();
        forced.push(e);
        forced.len() as u64 - 1
    }
}

impl DepositQueue for Queue {
    fn entries(&self, from: u64, max: usize) -> Result<Vec<Deposit>, LedgerError> {
        let entries = self.entries.lock().unwrap();
        Ok(entries.iter().skip(from as usize).take(max).cloned().collect())
    }

    fn forced_entries(
        &self,
        from: u64,
        max: usize,
    ) -> Result<Vec<clearproof_verifier::base_layer::hatch::ForcedEntry>, LedgerError> {
        let forced = self.forced.lock().unwrap();
        Ok(forced.iter().skip(from as usize).take(max).cloned().collect())
    }
}

pub(crate) struct Server {
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// The base layer's deposit queue the sequencer reads.
    pub queue: Arc<Queue>,
    /// Raw HTTP (exact statuses, adversarial bodies).
    pub client: RawClient,
    /// The typed client users have.
    pub api: Client,
    pub node: Arc<Node>,
    pub dir: tempfile::TempDir,
    pub task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stops the server without committing the open batch and waits until the
    /// store is closed; returns the data directory.
    pub(crate) async fn stop(self) -> tempfile::TempDir {
        self.task.abort();
        let weak = Arc::downgrade(&self.node);
        let Server { client, api, node, dir, task, .. } = self;
        let _ = task.await;
        drop((client, api, node));
        for _ in 0..500 {
            if weak.upgrade().is_none() {
                return dir;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the sequencer did not shut down");
    }
}

pub(crate) async fn start_in(
    dir: tempfile::TempDir,
    batch_size: usize,
    interval_ms: u64,
) -> Server {
    start_with_jobs(dir, batch_size, interval_ms, JobBoard::default).await
}

pub(crate) async fn start_with_jobs(
    dir: tempfile::TempDir,
    batch_size: usize,
    interval_ms: u64,
    jobs: impl Fn() -> JobBoard,
) -> Server {
    start_with(dir, batch_size, interval_ms, jobs, Arc::new(Queue::default()), Default::default())
        .await
}

/// A server on `dir` reading deposits from `queue`, with connection `limits`.
pub(crate) async fn start_with(
    dir: tempfile::TempDir,
    batch_size: usize,
    interval_ms: u64,
    jobs: impl Fn() -> JobBoard,
    queue: Arc<Queue>,
    limits: ConnectionLimits,
) -> Server {
    let interval = Duration::from_millis(interval_ms);
    let config = Config { batch_size, batch_interval: interval };
    // sled releases its file lock from a background thread shortly after the
    // last handle drops: after a stop, retry the open for a moment.
    let mut attempts = 0;
    let node = loop {
        match Node::open_with_jobs(dir.path(), &genesis(), DEPTH, config, jobs()) {
            Ok(node) => break node,
            Err(e) if e.to_string().contains("could not acquire lock") && attempts < 100 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("opening the sequencer: {e}"),
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let options = ServeOptions {
        batch_interval: interval,
        deposits: Some((queue.clone() as Arc<dyn DepositQueue>, Duration::from_millis(5))),
        connections: limits,
    };
    let task = tokio::spawn({
        let node = node.clone();
        async move {
            api::serve(node, listener, options).await.unwrap();
        }
    });
    Server { client: RawClient::new(&url), api: Client::new(&url), url, queue, node, dir, task }
}

pub(crate) async fn start(batch_size: usize, interval_ms: u64) -> Server {
    start_in(tempfile::tempdir().unwrap(), batch_size, interval_ms).await
}

pub(crate) fn n(x: i128) -> Amount {
    Amount::new(x).unwrap()
}
pub(crate) fn q(x: i128) -> Quote {
    Quote::new(x).unwrap()
}
pub(crate) fn acct(i: u32) -> AccountId {
    AccountId::new(i as i128).unwrap()
}
pub(crate) fn mkt(m: u8) -> MarketId {
    MarketId::new(m as i128).unwrap()
}

pub(crate) fn deposit_of(account: u32, owner: u8, amount: i128) -> Deposit {
    Deposit { account: acct(account), owner: key(owner).public_key(), amount: n(amount) }
}

pub(crate) fn order(
    owner: u8,
    account: u32,
    market: u8,
    side: Side,
    size: i128,
    limit: u32,
    id: u64,
) -> SignedOrder {
    Order {
        account: acct(account),
        market: mkt(market),
        side,
        size: n(size),
        limit_price: Price::from_units(limit),
        max_fee_bp: Bps::new(50).unwrap(),
        expiry: Timestamp::new((1u64 << 39) as i128).unwrap(),
        order_id: OrderId::new(id).unwrap(),
    }
    .sign(&key(owner))
}

pub(crate) fn trade(
    market: u8,
    base: i128,
    quote: i128,
    buy: SignedOrder,
    sell: SignedOrder,
) -> Value {
    serde_json::to_value(Submission::Trade {
        market: mkt(market),
        base: n(base),
        quote: n(quote),
        buyer_fee: q(0),
        seller_fee: q(0),
        buyer_order: buy,
        seller_order: sell,
    })
    .unwrap()
}

pub(crate) fn price_update(market: u8, units: u32, ts: u64) -> Value {
    let sub = Submission::price_quorum(
        &[&oracle()],
        mkt(market),
        Price::from_units(units),
        Timestamp::new(ts as i128).unwrap(),
    );
    serde_json::to_value(sub).unwrap()
}

impl Server {
    /// The listening address (`127.0.0.1:port`).
    pub(crate) fn node_addr(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// Queues a deposit on the base layer and waits until the sequencer took it;
    /// returns its queue index.
    pub(crate) async fn deposit(&self, account: u32, owner: u8, amount: i128) -> u64 {
        let index = self.queue.push(deposit_of(account, owner, amount));
        self.taken(index + 1).await;
        index
    }

    /// Waits until the sequencer took the first `n` queue entries.
    pub(crate) async fn taken(&self, n: u64) {
        for _ in 0..500 {
            if self.state().await["next_deposit"].as_u64().unwrap() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the sequencer did not take deposit {}", n - 1);
    }

    pub(crate) async fn post(&self, v: &Value) -> Answer {
        self.client.submit_line(&v.to_string()).await.unwrap()
    }

    /// Posts and asserts acceptance.
    pub(crate) async fn ok(&self, v: &Value) -> String {
        let a = self.post(v).await;
        assert!(a.status == 202 || a.status == 200, "rejected: {} {}", a.status, a.body);
        a.body["id"].as_str().unwrap().to_string()
    }

    pub(crate) async fn state(&self) -> Value {
        self.client.get("/v1/state").await.unwrap().body
    }

    /// Waits until the open batch is committed.
    pub(crate) async fn settle(&self) -> Value {
        for _ in 0..500 {
            let s = self.state().await;
            if s["pending"] == 0 {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("batch never committed");
    }

    pub(crate) async fn receipt(&self, id: &str) -> Value {
        self.client.get(&format!("/v1/transactions/{id}")).await.unwrap().body
    }

    pub(crate) async fn account(&self, id: u32) -> Value {
        self.client.get(&format!("/v1/accounts/{id}")).await.unwrap().body
    }

    /// Replays every committed batch's public data natively from genesis (as
    /// proven: no signatures are posted) and checks each root.
    pub(crate) async fn check_replay(&self) -> State {
        let committed = self.settle().await;
        let last = committed["batch_number"].as_u64().unwrap();
        let mut state = State::genesis_with_depth(&genesis(), DEPTH).unwrap();
        for b in 1..=last {
            let answer = self.client.get(&format!("/v1/batches/{b}")).await.unwrap();
            let record: BatchRecord = serde_json::from_value(answer.body).unwrap();
            assert_eq!(
                record.header.batch.prev_state_root,
                state.root(),
                "batch {b} does not chain"
            );
            let txs: Vec<_> =
                record.public_data.iter().map(|p| SignedTx::proven(p.tx.clone())).collect();
            let out = state.apply_batch(&txs);
            assert!(out
                .receipts
                .iter()
                .all(|r| matches!(r, clearproof_protocol::batch::Receipt::Applied { .. })));
            assert_eq!(out.next_state_root, record.header.batch.next_state_root, "batch {b} root");
        }
        assert_eq!(
            clearproof_protocol::serde_fr::to_hex(&state.root()),
            committed["state_root"].as_str().unwrap()
        );
        state
    }
}
