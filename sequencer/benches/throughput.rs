//! Sequencer throughput and commit latency, printed as the figures an operator
//! would quote. `cargo bench -p clearproof-sequencer --bench throughput`.
//!
//! - accepted transactions/s directly through the batcher (authorise + apply +
//!   pending-log write; one fsync per batch), next to the machine's hashing
//!   limit for the same workload (the Poseidon permutations the run computed
//!   per trade × the time of one), and over HTTP on loopback with 1 and 4
//!   concurrent clients (each acknowledgement waits for its fsync), with the
//!   accept latency each client saw;
//! - the same on one core (the bench runs itself again under `taskset -c 0`);
//! - batch commit latency (p50/p99) for batches of 100 and 1000 trades, and the
//!   part of it spent hashing;
//! - the data directory's growth per trade and the start-up time after a short
//!   and a ten times longer history.
//!
//! Parts alone: `THROUGHPUT_PROFILE=1` (HTTP, 4 clients, for a profiler;
//! `THROUGHPUT_CLIENTS=N`), `THROUGHPUT_COMMITS=N` (N rounds of commit
//! latency), `THROUGHPUT_STORAGE=1`.
//!
//! Workload: 1-lot trades between 64 funded account pairs, against standing
//! signed orders (every fill presents the pair's same two signatures, which
//! the verified-signature memo recognises), and with fresh orders (two new
//! signatures per trade, verified outside the sequencer's lock over HTTP).

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use clearproof_api::client::Client;
use clearproof_api::wire::Submission;
use clearproof_protocol::orders::{Order, OrderId, Side, SignedOrder};
use clearproof_protocol::params::ACCOUNT_TREE_DEPTH;
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::tx::Deposit;
use clearproof_protocol::types::*;
use clearproof_sequencer::api::{self, Node, ServeOptions};
use clearproof_sequencer::genesis;
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
    use clearproof_protocol::poseidon::{hash2, permutations};
    use clearproof_protocol::Fr;
    let (n, before) = (20_000u64, permutations());
    let start = Instant::now();
    let mut x = Fr::from(7);
    for i in 0..n {
        x = hash2(x, Fr::from(i));
    }
    std::hint::black_box(x);
    start.elapsed().as_secs_f64() / (permutations() - before) as f64
}

fn workload(fresh: bool) -> &'static str {
    if fresh {
        "fresh orders"
    } else {
        "standing orders"
    }
}

/// `n` trades through the batcher (batches of 1000); returns trades/s and the
/// Poseidon permutations computed per trade (accept and commit).
fn batcher(fresh: bool) -> (f64, f64) {
    use clearproof_protocol::poseidon::permutations;
    let n = 4_000;
    let subs = trades_of(n, fresh);
    let (_dir, node) = open(1_000, Duration::from_secs(3600));
    let mut seq = node.lock();
    let before = permutations();
    let start = Instant::now();
    for s in subs {
        seq.submit(s, 1_700_000_000).unwrap();
        if seq.due() {
            seq.commit().unwrap();
        }
    }
    seq.commit().unwrap();
    let secs = start.elapsed().as_secs_f64();
    (n as f64 / secs, (permutations() - before) as f64 / n as f64)
}

/// [`batcher`] through `submit_all` in slices of 250 (signatures verified in
/// parallel before ordering): trades/s.
fn batcher_bulk(fresh: bool) -> f64 {
    let n = 4_000;
    let subs = trades_of(n, fresh);
    let (_dir, node) = open(1_000, Duration::from_secs(3600));
    let mut seq = node.lock();
    let start = Instant::now();
    for slice in subs.chunks(250) {
        for result in seq.submit_all(slice.to_vec(), 1_700_000_000) {
            result.unwrap();
        }
    }
    seq.commit().unwrap();
    n as f64 / start.elapsed().as_secs_f64()
}

/// Trades/s accepted over HTTP by `clients` loopback clients, and the
/// acknowledgement latencies they saw, sorted.
fn http(clients: usize, fresh: bool) -> (f64, Vec<Duration>) {
    let n = 2_400;
    let subs: Vec<String> =
        trades_of(n, fresh).iter().map(|s| serde_json::to_string(s).unwrap()).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // The batcher's batches (1000 trades), closed by size or after a second.
    let (_dir, node) = open(1_000, Duration::from_secs(1));
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(api::serve(node, listener, ServeOptions::new(Duration::from_secs(1))));
        let start = Instant::now();
        let per_client = n / clients;
        let mut tasks = Vec::new();
        for c in 0..clients {
            let lines: Vec<String> = subs[c * per_client..(c + 1) * per_client].to_vec();
            let client = Client::new(&url);
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(lines.len());
                for line in lines {
                    let sent = Instant::now();
                    let answer = client.submit_line(&line).await.unwrap();
                    latencies.push(sent.elapsed());
                    assert!(answer.new, "{answer:?}");
                }
                latencies
            }));
        }
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await.unwrap());
        }
        let secs = start.elapsed().as_secs_f64();
        latencies.sort();
        ((per_client * clients) as f64 / secs, latencies)
    })
}

/// Commit latency (total and hashing) over `rounds` batches of `batch` trades.
fn commit_latency(batch: usize, rounds: usize) {
    let subs = trades(batch * rounds);
    let (_dir, node) = open(usize::MAX, Duration::from_secs(3600));
    let mut seq = node.lock();
    let mut total = Vec::with_capacity(rounds);
    let mut hashing = Vec::with_capacity(rounds);
    for chunk in subs.chunks(batch) {
        for s in chunk {
            seq.submit(s.clone(), 1_700_000_000).unwrap();
        }
        let summary = seq.commit().unwrap().expect("non-empty batch");
        total.push(summary.elapsed);
        hashing.push(summary.hashing);
    }
    total.sort();
    hashing.sort();
    println!(
        "commit latency, batches of {batch} trades ({rounds} batches): p50 {:.1} ms, p99 {:.1} ms; \
         of which hashing p50 {:.1} ms, p99 {:.1} ms",
        percentile(&total, 0.5),
        percentile(&total, 0.99),
        percentile(&hashing, 0.5),
        percentile(&hashing, 0.99)
    );
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                dir_bytes(&e.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

/// Data-directory growth per trade and start-up time after `short` and `10 ×
/// short` trades of history (committed in batches of 1000). With standing
/// orders the state does not grow with history (the same accounts and order
/// slots), so the two start-up times should match; fresh orders use a new
/// order slot per trade until every account's 256 slots are taken.
fn storage(short: usize, fresh: bool) {
    let (dir, node) = open(1_000, Duration::from_secs(3600));
    let reopen = || loop {
        let started = Instant::now();
        let config = Config { batch_size: 1_000, batch_interval: Duration::from_secs(3600) };
        match Node::open(dir.path(), &genesis::devnet(), ACCOUNT_TREE_DEPTH, config) {
            Ok(node) => return (node, started.elapsed().as_secs_f64() * 1e3),
            // The last process's flushing thread may still hold the lock for a moment.
            Err(e) if e.to_string().contains("could not acquire lock") => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("{e}"),
        }
    };
    let subs = trades_of(10 * short, fresh);
    let run = |node: &Node, range: std::ops::Range<usize>| {
        let mut seq = node.lock();
        for s in &subs[range] {
            seq.submit(s.clone(), 1_700_000_000).unwrap();
            if seq.due() {
                seq.commit().unwrap();
            }
        }
        seq.commit().unwrap();
    };
    drop(node);
    let (node, _) = reopen();
    let base = dir_bytes(dir.path());
    run(&node, 0..short);
    drop(node);
    let (node, short_ms) = reopen();
    let after_short = dir_bytes(dir.path());
    run(&node, short..10 * short);
    drop(node);
    let (_node, long_ms) = reopen();
    let after_long = dir_bytes(dir.path());
    if std::env::var_os("THROUGHPUT_KEEP").is_some() {
        drop(_node);
        println!("kept {}", dir.keep().display());
        return;
    }
    println!(
        "storage, {}: {:.0} bytes per trade over {} trades ({:.0} over the first {short}); \
         start-up {short_ms:.0} ms after {short} trades, {long_ms:.0} ms after {}",
        workload(fresh),
        (after_long - base) as f64 / (10 * short) as f64,
        10 * short,
        (after_short - base) as f64 / short as f64,
        10 * short
    );
}

/// The figures that scale with cores, printed as one line each (parsed back
/// from the one-core run).
fn scaled_figures(limit_of: impl Fn(f64) -> f64) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for fresh in [false, true] {
        let (rate, perms) = batcher(fresh);
        println!(
            "batcher, {}: {rate:.0} trades/s; hashing limit {:.0} trades/s ({perms:.0} \
             Poseidon permutations per trade, accept + commit): {:.0} % of it",
            workload(fresh),
            limit_of(perms),
            100.0 * rate / limit_of(perms)
        );
        out.push((format!("batcher, {}", workload(fresh)), rate));
        let bulk = batcher_bulk(fresh);
        println!(
            "batcher, {}, submit_all (signatures verified in parallel): {bulk:.0} trades/s",
            workload(fresh)
        );
        out.push((format!("batcher, {}, submit_all", workload(fresh)), bulk));
        for clients in [1, 4] {
            let (rate, latencies) = http(clients, fresh);
            println!(
                "http, {}, {clients} client(s): {rate:.0} trades/s; accept latency p50 {:.2} ms, \
                 p99 {:.2} ms",
                workload(fresh),
                percentile(&latencies, 0.5),
                percentile(&latencies, 0.99)
            );
            out.push((format!("http, {}, {clients} client(s)", workload(fresh)), rate));
        }
    }
    out
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: keep it quick then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("skipping throughput figures outside `cargo bench`");
        return;
    }
    let t = permutation_seconds();
    let limit_of = |perms: f64| 1.0 / (perms * t);
    if std::env::var_os("THROUGHPUT_PROFILE").is_some() {
        // One figure only, for a profiler.
        let before = clearproof_protocol::poseidon::permutations();
        let clients = std::env::var("THROUGHPUT_CLIENTS").map_or(4, |c| c.parse().unwrap());
        let (rate, _) = http(clients, false);
        let perms = (clearproof_protocol::poseidon::permutations() - before) as f64 / 2_400.0;
        println!(
            "http, standing orders, {clients} clients: {rate:.0} trades/s, {perms:.0} perms/trade"
        );
        return;
    }
    if std::env::var_os("THROUGHPUT_BATCHER").is_some() {
        for fresh in [false, true] {
            let (rate, perms) = batcher(fresh);
            println!(
                "batcher, {}: {rate:.0} trades/s, {:.0} % of its hashing limit; submit_all {:.0}",
                workload(fresh),
                100.0 * rate / limit_of(perms),
                batcher_bulk(fresh)
            );
        }
        return;
    }
    if let Ok(rounds) = std::env::var("THROUGHPUT_COMMITS") {
        for _ in 0..rounds.parse().unwrap() {
            commit_latency(100, 30);
            commit_latency(1_000, 8);
        }
        return;
    }
    if std::env::var_os("THROUGHPUT_STORAGE").is_some() {
        storage(2_000, false);
        storage(2_000, true);
        return;
    }
    if std::env::var_os("THROUGHPUT_ONE_CORE").is_some() {
        for (name, rate) in scaled_figures(limit_of) {
            println!("one-core\t{name}\t{rate}");
        }
        return;
    }
    println!("Poseidon permutation: {:.1} us on this machine", t * 1e6);
    let two = scaled_figures(limit_of);
    // The same figures on one core: this bench again, pinned to CPU 0.
    let one = std::process::Command::new("taskset")
        .args(["-c", "0"])
        .arg(std::env::current_exe().unwrap())
        .arg("--bench")
        .env("THROUGHPUT_ONE_CORE", "1")
        .output();
    match one {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            for line in text.lines().filter_map(|l| l.strip_prefix("one-core\t")) {
                let (name, rate) = line.split_once('\t').unwrap();
                let rate: f64 = rate.parse().unwrap();
                let both = two.iter().find(|(n, _)| n == name).map_or(0.0, |(_, r)| *r);
                println!(
                    "scaling, {name}: {rate:.0} trades/s on 1 core, {both:.0} on {} = x{:.2}",
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                    both / rate
                );
            }
        }
        other => println!("scaling: the one-core run did not complete ({other:?})"),
    }
    commit_latency(100, 30);
    commit_latency(1_000, 8);
    storage(2_000, false);
    storage(2_000, true);
}
