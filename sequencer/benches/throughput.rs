//! Sequencer throughput and commit latency, printed as the figures an operator
//! would quote. `cargo bench -p clearproof-sequencer --bench throughput`.
//!
//! - accepted transactions/s directly through the batcher (authorise + apply +
//!   pending-log write; one fsync per batch), and over HTTP on loopback with
//!   several concurrent clients (each acknowledgement waits for its fsync);
//! - batch commit latency (p50/p99) for batches of 100 and 1000 trades.
//!
//! Workload: 1-lot trades between 64 funded account pairs, against standing
//! signed orders (every fill presents the pair's same two signatures, which
//! the verified-signature memo recognises), and with fresh orders (two new
//! signatures per trade, verified outside the sequencer's lock over HTTP).

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use clearproof_circuits::params::ACCOUNT_TREE_DEPTH;
use clearproof_circuits::signature::SecretKey;
use clearproof_circuits::tx::Deposit;
use clearproof_circuits::types::*;
use clearproof_sequencer::api::{self, Node, ServeOptions};
use clearproof_sequencer::client::Client;
use clearproof_sequencer::genesis;
use clearproof_sequencer::order::{Order, OrderId, Side, SignedOrder};
use clearproof_sequencer::wire::Submission;
use clearproof_sequencer::Config;

const PAIRS: u32 = 64;

fn key(i: u32) -> SecretKey {
    SecretKey::from_bytes([(i % 251) as u8 + 1; 32]).unwrap()
}

fn order(account: u32, side: Side, id: u64, size: i128) -> SignedOrder {
    Order {
        account: AccountId::new(account as i128).unwrap(),
        market: MarketId::new(0).unwrap(),
        side,
        size: Amount::new(size).unwrap(),
        limit_price: Price::from_units(6_000_000),
        max_fee_bp: Bps::new(50).unwrap(),
        expiry: Timestamp::new((1u64 << 39) as i128).unwrap(),
        order_id: OrderId::new(id).unwrap(),
    }
    .sign(&key(account))
}

fn standing(account: u32, side: Side) -> SignedOrder {
    order(account, side, 1, 1 << 40)
}

/// `count` 1-lot trades: against standing orders (two signatures shared by
/// every fill of a pair), or `fresh`, each between two new 1-lot orders (two
/// new signatures per trade, signed before the clock starts).
fn trades_of(count: usize, fresh: bool) -> Vec<Submission> {
    let orders: Vec<(SignedOrder, SignedOrder)> = (0..PAIRS)
        .map(|p| (standing(2 * p + 1, Side::Buy), standing(2 * p + 2, Side::Sell)))
        .collect();
    (0..count)
        .map(|i| {
            let pair = (i % PAIRS as usize) as u32;
            let (buy, sell) = if fresh {
                let id = 2 + (i / PAIRS as usize) as u64;
                (order(2 * pair + 1, Side::Buy, id, 1), order(2 * pair + 2, Side::Sell, id, 1))
            } else {
                orders[pair as usize].clone()
            };
            Submission::Trade {
                market: MarketId::new(0).unwrap(),
                base: Amount::new(1).unwrap(),
                quote: Amount::new(6_000_000).unwrap(),
                buyer_fee: Quote::new(0).unwrap(),
                seller_fee: Quote::new(0).unwrap(),
                buyer_order: buy,
                seller_order: sell,
            }
        })
        .collect()
}

fn trades(count: usize) -> Vec<Submission> {
    trades_of(count, false)
}

fn open(batch_size: usize, interval: Duration) -> (tempfile::TempDir, Arc<Node>) {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(
        dir.path(),
        &genesis::devnet(),
        ACCOUNT_TREE_DEPTH,
        Config { batch_size, batch_interval: interval },
    )
    .unwrap();
    {
        let mut seq = node.lock();
        let deposits: Vec<Deposit> = (1..=2 * PAIRS)
            .map(|a| Deposit {
                account: AccountId::new(a as i128).unwrap(),
                owner: key(a).public_key(),
                amount: Amount::new(1 << 50).unwrap(),
            })
            .collect();
        seq.take_deposits(0, &deposits, 0).unwrap();
        seq.commit().unwrap();
    }
    (dir, node)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// Seconds per Poseidon permutation on this machine (2-to-1 hashes: two
/// permutations each).
fn permutation_seconds() -> f64 {
    use clearproof_circuits::poseidon::{hash2, permutations};
    use clearproof_circuits::Fr;
    let (n, before) = (20_000u64, permutations());
    let start = Instant::now();
    let mut x = Fr::from(7);
    for i in 0..n {
        x = hash2(x, Fr::from(i));
    }
    std::hint::black_box(x);
    start.elapsed().as_secs_f64() / (permutations() - before) as f64
}

/// The machine's hashing limit: trades/s if a trade cost only the Poseidon
/// permutations the sequencer computes for it (accept and commit), measured
/// on the batcher workload.
fn hashing_limit() {
    use clearproof_circuits::poseidon::permutations;
    let n = 1_000;
    let subs = trades_of(n, true);
    let (_dir, node) = open(1_000, Duration::from_secs(3600));
    let mut seq = node.lock();
    let before = permutations();
    for s in subs {
        seq.submit(s, 1_700_000_000).unwrap();
    }
    seq.commit().unwrap();
    let per_trade = (permutations() - before) as f64 / n as f64;
    let t = permutation_seconds();
    println!(
        "hashing limit: {per_trade:.0} Poseidon permutations per trade (accept + commit) x \
         {:.1} us = {:.2} ms per trade = {:.0} trades/s on one core",
        t * 1e6,
        per_trade * t * 1e3,
        1.0 / (per_trade * t)
    );
}

fn batcher_throughput(fresh: bool) {
    let n = 2_000;
    let subs = trades_of(n, fresh);
    let (_dir, node) = open(1_000, Duration::from_secs(3600));
    let start = Instant::now();
    let mut seq = node.lock();
    for s in subs {
        seq.submit(s, 1_700_000_000).unwrap();
        if seq.due() {
            seq.commit().unwrap();
        }
    }
    seq.commit().unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "batcher{}: {n} trades accepted and committed in {secs:.2} s = {:.0} tx/s",
        if fresh { ", fresh orders" } else { "" },
        n as f64 / secs
    );
}

fn commit_latency(batch: usize, rounds: usize) {
    let subs = trades(batch * rounds);
    let (_dir, node) = open(usize::MAX, Duration::from_secs(3600));
    let mut seq = node.lock();
    let mut times = Vec::with_capacity(rounds);
    for chunk in subs.chunks(batch) {
        for s in chunk {
            seq.submit(s.clone(), 1_700_000_000).unwrap();
        }
        let summary = seq.commit().unwrap().expect("non-empty batch");
        times.push(summary.elapsed);
    }
    times.sort();
    println!(
        "commit latency, batches of {batch} trades ({rounds} batches): p50 {:.1} ms, p99 {:.1} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
}

fn http_throughput(clients: usize, fresh: bool) {
    let n = 1_200;
    let subs: Vec<String> =
        trades_of(n, fresh).iter().map(|s| serde_json::to_string(s).unwrap()).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_dir, node) = open(100, Duration::from_millis(100));
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(api::serve(node, listener, ServeOptions::new(Duration::from_millis(100))));
        let start = Instant::now();
        let per_client = n / clients;
        let mut tasks = Vec::new();
        for c in 0..clients {
            let lines: Vec<String> = subs[c * per_client..(c + 1) * per_client].to_vec();
            let client = Client::new(&url);
            tasks.push(tokio::spawn(async move {
                for line in lines {
                    let answer = client.submit_line(&line).await.unwrap();
                    assert!(answer.new, "{answer:?}");
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "http{}: {} trades accepted by {clients} loopback clients in {secs:.2} s = {:.0} tx/s",
            if fresh { ", fresh orders" } else { "" },
            per_client * clients,
            (per_client * clients) as f64 / secs
        );
    });
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: keep it quick then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("skipping throughput figures outside `cargo bench`");
        return;
    }
    hashing_limit();
    batcher_throughput(false);
    http_throughput(1, false);
    http_throughput(4, false);
    batcher_throughput(true);
    http_throughput(1, true);
    http_throughput(4, true);
    commit_latency(100, 30);
    commit_latency(1_000, 8);
}
