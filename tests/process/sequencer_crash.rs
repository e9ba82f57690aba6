//! Crash safety of the real `clearproof sequencer serve` process: a stream of
//! deposits (queued on the base-layer ledger, whose queue the sequencer reads),
//! trades and price updates is submitted while the process is killed with
//! SIGKILL several times (some kills land while a request is in flight), and
//! restarted on the same data directory. Afterwards:
//!
//! - every acknowledged transaction is applied in a committed batch;
//! - the committed batches replay natively from genesis to every posted root and
//!   to the final state root;
//! - nothing was applied twice: transaction ids are unique across batches, every
//!   deposit queue entry appears once, and the standing orders are filled to
//!   exactly their size although the stream offers more trades (no overfill
//!   across restarts);
//! - a submission whose answer was lost to a kill is retried under its
//!   idempotency key and gets its first outcome: the trades acknowledged are
//!   exactly the trades applied.
//!
//! The same run with 100 kills and about 1,200 trades is a soak, not part of
//! the default test run; it also prints the data directory's size per
//! acknowledged transaction and the start-up time of the first and last
//! restarts:
//!
//! ```text
//! cargo test --release --test sequencer_crash -- --ignored --nocapture soak
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clearproof_api::client::{Client, ClientError};
use clearproof_api::wire::{Submission, TxStatus};
use clearproof_protocol::batch::Receipt;
use clearproof_protocol::oracle::Committee;
use clearproof_protocol::orders::{Order, OrderId, Side};
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
use clearproof_protocol::tx::Deposit;
use clearproof_protocol::tx::{SignedTx, Transaction};
use clearproof_protocol::types::*;
use clearproof_tests::{key, small_keys};
use clearproof_verifier::base_layer::sled_store::{BaseLayer, Ledger};
use rand::{Rng, SeedableRng};

const T0: u64 = 1_700_000_000;
const DEPTH: usize = 16;

fn genesis() -> Genesis {
    let market = Market {
        params: MarketParams::standard(
            Committee::single(key(200).public_key()),
            FundingRate::new(4_294_967).unwrap(),
        ),
        state: MarketState::at(Price::from_units(100), Timestamp::new(T0 as i128).unwrap()),
    };
    Genesis { markets: [market; MARKETS], insurance_fund: Quote::new(1_000).unwrap() }
}

struct Process {
    child: Child,
    client: Client,
    /// From spawning the process to its "listening" line.
    startup: Duration,
}

impl Drop for Process {
    fn drop(&mut self) {
        // Never leave a server behind, even when an assertion fails.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &std::path::Path, genesis_file: &std::path::Path) -> Process {
    let started = std::time::Instant::now();
    let ledger = dir.parent().unwrap().join("ledger");
    let mut child = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["sequencer", "serve", "--listen", "127.0.0.1:0", "--ledger-poll-ms", "5"])
        .arg("--ledger")
        .arg(ledger)
        .args(["--batch-size", "7", "--batch-interval-ms", "15", "--tree-depth"])
        .arg(DEPTH.to_string())
        .arg("--data-dir")
        .arg(dir)
        .arg("--genesis")
        .arg(genesis_file)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the sequencer");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").expect("address line").to_string();
    Process { child, client: Client::new(&url), startup: started.elapsed() }
}

enum Item {
    /// Queued on the base layer.
    Deposit(Deposit),
    /// A JSON line for the sequencer, and its type.
    Line(String, &'static str),
}

/// Item `i` of the stream; deposits carry amount `1_000 + i`. The standing
/// orders fill at most `order_size` 1-lot trades.
fn item(i: u64, order_size: i64) -> Item {
    let deposit = |account: u32, owner: u8, amount: i128| {
        Item::Deposit(Deposit {
            account: AccountId::new(account as i128).unwrap(),
            owner: key(owner).public_key(),
            amount: Amount::new(amount).unwrap(),
        })
    };
    match i {
        0 => return deposit(1, 1, 10_000_000),
        1 => return deposit(2, 2, 10_000_001),
        _ => {}
    }
    match i % 3 {
        0 => deposit(3 + (i % 5) as u32, 9, 1_000 + i as i128),
        1 => {
            let order = |owner: u8, side| {
                Order {
                    account: AccountId::new(owner as i128).unwrap(),
                    market: MarketId::new(0).unwrap(),
                    side,
                    size: Amount::new(order_size as i128).unwrap(),
                    limit_price: Price::from_units(100),
                    max_fee_bp: Bps::new(0).unwrap(),
                    expiry: Timestamp::new((1u64 << 39) as i128).unwrap(),
                    order_id: OrderId::new(1).unwrap(),
                }
                .sign(&key(owner))
            };
            let sub = Submission::Trade {
                market: MarketId::new(0).unwrap(),
                base: Amount::new(1).unwrap(),
                quote: Amount::new(100).unwrap(),
                buyer_fee: Quote::ZERO,
                seller_fee: Quote::ZERO,
                buyer_order: order(1, Side::Buy),
                seller_order: order(2, Side::Sell),
            };
            Item::Line(serde_json::to_string(&sub).unwrap(), "trade")
        }
        _ => {
            let sub = Submission::price_quorum(
                &[&key(200)],
                MarketId::new(3).unwrap(),
                Price::from_units(100 + (i % 7) as u32),
                Timestamp::new((T0 + i) as i128).unwrap(),
            );
            Item::Line(serde_json::to_string(&sub).unwrap(), "price_update")
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_transactions_survive_sigkill_and_nothing_applies_twice() {
    // The stream offers more trades than the orders' size, so overfilling
    // across restarts would show.
    crash_run(240, 6, 50).await;
}

/// The soak: 100 kills with traffic in flight, 3,700 items (about 1,230
/// trades, more than the orders' 1,000 lots).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a soak of 100 kills: cargo test --release --test sequencer_crash -- --ignored soak"]
async fn soak_100_kills_with_traffic() {
    let report = crash_run(3_700, 100, 1_000).await;
    println!(
        "soak: {} kills, {} transactions acknowledged, {} trades applied, none lost or applied \
         twice; data directory {:.0} bytes per acknowledged transaction ({:.1} MB); start-up \
         {:.0} ms at the first restart, {:.0} ms at the last",
        report.kills,
        report.acked,
        report.trades,
        report.dir_bytes as f64 / report.acked as f64,
        report.dir_bytes as f64 / 1e6,
        report.startups.first().unwrap().as_secs_f64() * 1e3,
        report.startups.last().unwrap().as_secs_f64() * 1e3,
    );
}

struct Report {
    kills: usize,
    acked: usize,
    trades: i64,
    dir_bytes: u64,
    startups: Vec<Duration>,
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

/// `items` of the stream with `kills` SIGKILLs spread over it, then every check.
async fn crash_run(items: u64, kills_wanted: usize, order_size: i64) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let genesis_file = dir.path().join("genesis.json");
    std::fs::write(&genesis_file, serde_json::to_vec(&genesis()).unwrap()).unwrap();
    let data = dir.path().join("data");
    // The base layer: a ledger whose deposit queue the sequencer reads.
    let ledger_dir = dir.path().join("ledger");
    let key = tokio::task::spawn_blocking(|| {
        small_keys(&std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keys"))
            .verifier_key()
    })
    .await
    .unwrap();
    drop(Ledger::open_or_create(&ledger_dir, &genesis(), &key).unwrap());
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut process = spawn(&data, &genesis_file);
    let mut startups = Vec::new();

    let spacing = (items - 40) / kills_wanted as u64;
    let kill_points: std::collections::BTreeSet<u64> = (0..kills_wanted)
        .map(|k| 20 + k as u64 * spacing + rng.gen_range(0..spacing.min(10)))
        .collect();
    let mut acked: Vec<(String, &'static str, String)> = Vec::new(); // (id, kind, line)
    let mut deposits = 0u64;
    let mut kills = 0;
    let mut i = 0u64;
    while i < items {
        let (line, kind) = match item(i, order_size) {
            Item::Line(line, kind) => (line, kind),
            Item::Deposit(d) => {
                let dir = ledger_dir.clone();
                tokio::task::spawn_blocking(move || {
                    Ledger::open(&dir).unwrap().deposit(d).unwrap()
                })
                .await
                .unwrap();
                deposits += 1;
                if kill_points.contains(&i) {
                    // Kill while the sequencer may be taking it.
                    tokio::time::sleep(Duration::from_micros(rng.gen_range(0..3_000))).await;
                    process.child.kill().unwrap();
                    process.child.wait().unwrap();
                    kills += 1;
                    process = spawn(&data, &genesis_file);
                    startups.push(process.startup);
                }
                // Later items spend what it credits: wait until it is taken.
                let mut taken = 0;
                for _ in 0..1_000 {
                    match process.client.state().await {
                        Ok(state) => taken = state.next_deposit,
                        // Killed at an earlier item after it answered: restart.
                        Err(_) => {
                            process = spawn(&data, &genesis_file);
                            startups.push(process.startup);
                        }
                    }
                    if taken == deposits {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                assert_eq!(taken, deposits, "queued deposits not taken");
                i += 1;
                continue;
            }
        };
        let mut retries = 0;
        loop {
            let client = process.client.clone();
            let body = line.clone();
            // One key per item, kept across restarts: a retry after a lost answer
            // gets the first outcome instead of applying again.
            let key = format!("item-{i}");
            let request = tokio::spawn(async move { client.submit_keyed(&body, &key).await });
            if kill_points.contains(&i) && retries == 0 {
                // Kill while the request is (probably) in flight.
                tokio::time::sleep(Duration::from_micros(rng.gen_range(0..3_000))).await;
                process.child.kill().unwrap();
                process.child.wait().unwrap();
                kills += 1;
            }
            match request.await.unwrap() {
                Ok(answer) => {
                    acked.push((answer.receipt.id, kind, line.clone()));
                    break;
                }
                Err(refused @ ClientError::Refused { .. }) => {
                    // Only trades beyond the orders' size are refused: a retry of
                    // an in-flight request that did apply gets its first outcome.
                    let overfilled = kind == "trade" && refused.code() == Some("ORDER_OVERFILLED");
                    assert!(overfilled, "unexpected rejection: {refused}");
                    break;
                }
                Err(_) => {
                    // The process is gone: restart it on the same directory and retry.
                    process = spawn(&data, &genesis_file);
                    startups.push(process.startup);
                    retries += 1;
                    assert!(retries < 5, "sequencer does not come back");
                }
            }
        }
        i += 1;
    }
    assert_eq!(kills, kills_wanted);

    // Let every queued deposit be taken and the last batch commit, then check
    // every guarantee.
    let client = process.client.clone();
    let mut committed = client.state().await.unwrap();
    for _ in 0..1000 {
        if committed.pending == 0 && committed.next_deposit == deposits {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        committed = client.state().await.unwrap();
    }
    for (id, kind, _) in &acked {
        let receipt = client.transaction(id).await.unwrap();
        assert!(
            matches!(receipt.status, TxStatus::Applied { .. }),
            "acknowledged {kind} {id} lost: {receipt:?}"
        );
    }

    let mut state = State::genesis_with_depth(&genesis(), DEPTH).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    let mut deposit_amounts = Vec::new();
    let mut trades = 0i64;
    for b in 1..=committed.globals.batch_number {
        let record = client.batch(b).await.unwrap();
        assert_eq!(record.header.batch.prev_state_root, state.root(), "batch {b} does not chain");
        for p in &record.public_data {
            assert!(ids.insert(p.id), "transaction {} applied twice", p.id);
            match &p.tx {
                Transaction::Deposit(d) => deposit_amounts.push(d.amount.get()),
                Transaction::Trade(_) => trades += 1,
                _ => {}
            }
        }
        // The public data alone, replayed as proven (order slots included).
        let txs: Vec<_> =
            record.public_data.iter().map(|p| SignedTx::proven(p.tx.clone())).collect();
        let out = state.apply_batch(&txs);
        assert!(out.receipts.iter().all(|r| matches!(r, Receipt::Applied { .. })));
        assert_eq!(out.next_state_root, record.header.batch.next_state_root, "batch {b} root");
    }
    assert_eq!(
        state.root(),
        committed.state_root,
        "final root differs from a replay of the committed batches"
    );
    // Each queue entry once: amounts are distinct per queue index.
    let mut sorted = deposit_amounts.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), deposit_amounts.len(), "a deposit was applied twice");
    assert_eq!(deposit_amounts.len() as u64, deposits, "every queue entry is applied");
    // Exactly the orders' size was filled, never more, across all restarts.
    assert_eq!(trades, order_size, "standing orders filled {trades} lots");
    let buyer = state.account(AccountId::new(1).unwrap()).unwrap();
    assert_eq!(buyer.balances[0].get(), order_size);
    // Every acknowledged trade applied once, and every applied trade acknowledged
    // (an answer lost to a kill was recovered by its idempotency key).
    let acked_trades = acked.iter().filter(|(_, k, _)| *k == "trade").count() as i64;
    assert_eq!(acked_trades, trades, "acknowledged trades differ from applied ones");
    let acked_ids: std::collections::BTreeSet<_> = acked.iter().map(|(id, _, _)| id).collect();
    assert_eq!(acked_ids.len(), acked.len(), "two items acknowledged under one id");
    let report =
        Report { kills, acked: acked.len(), trades, dir_bytes: dir_bytes(&data), startups };
    if std::env::var_os("SOAK_KEEP").is_some() {
        drop(process);
        println!("kept {}", dir.keep().display());
    }
    report
}
