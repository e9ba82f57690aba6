//! The whole pipeline with real processes and real (small) proofs: a
//! `clearproof sequencer serve` process batches deposits, a price and a
//! withdrawal; two `clearproof prover run` worker processes pull its chunk jobs
//! over HTTP, one of them killed with SIGKILL while it holds a lease; the
//! surviving worker proves every chunk (the dead worker's chunk once its lease
//! expires); the proofs are posted to a base-layer ledger, which verifies them
//! against its last accepted root; and `clearproof verify` accepts the batch
//! from files and rejects a one-bit change of its data. Then a forced
//! withdrawal queued on the ledger is served by the running sequencer and
//! released when its batch is posted, and after the operator's store is lost a
//! new sequencer resumes the chain from the state `clearproof restore` rebuilt
//! from the ledger alone.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use clearproof_api::client::{Client, ClientError};
use clearproof_api::wire::{JobStatus, LeaseRequest, Submission, Submitted};
use clearproof_protocol::serde_fr::to_hex;
use clearproof_protocol::tx::Transaction;
use clearproof_protocol::types::*;
use clearproof_tests::{deposit, genesis, key, oracle, small_keys, SMALL, T0};
use clearproof_verifier::base_layer::sled_store::{BaseLayer, Ledger, PostedBatch};

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_clearproof"));
    c.env("RUST_LOG", "warn").stderr(Stdio::inherit());
    c
}

/// Spawns `cmd` and waits for a stdout line starting with `prefix`.
fn spawn_until(mut cmd: Command, prefix: &str) -> (Process, String) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("spawn");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "process ended before {prefix:?}");
        if line.starts_with(prefix) {
            break;
        }
    }
    // Keep draining stdout so the process never blocks on a full pipe.
    std::thread::spawn(move || for _ in out.lines() {});
    (Process(child), line.trim().to_string())
}

fn small_args(cmd: &mut Command, cache: &Path) {
    cmd.arg("--cache").arg(cache);
    cmd.args(["--depth", &SMALL.depth.to_string(), "--slots", &SMALL.slots.to_string()]);
    cmd.args(["--k", &SMALL.k.to_string()]);
}

fn worker(url: &str, name: &str, cache: &Path) -> Process {
    let mut cmd = bin();
    cmd.args(["prover", "run", "--sequencer", url, "--threads", "1", "--worker", name]);
    small_args(&mut cmd, cache);
    spawn_until(cmd, "prover ").0
}

async fn jobs(client: &Client) -> Vec<JobStatus> {
    client.jobs().await.unwrap()
}

async fn wait_for(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn verify_cli(args: &[&str], keys: &Path) -> Output {
    let mut cmd = bin();
    cmd.arg("verify").args(args).arg("--keys").arg(keys).stderr(Stdio::piped());
    cmd.output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sequencer_two_provers_one_killed_ledger_and_verify() {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keys");
    let keys = {
        let cache = cache.clone();
        tokio::task::spawn_blocking(move || small_keys(&cache)).await.unwrap()
    };
    let key_dir = keys.dir.clone();
    let verifier = keys.verifier_key();
    let dir = tempfile::tempdir().unwrap();
    let genesis_file = dir.path().join("genesis.json");
    std::fs::write(&genesis_file, serde_json::to_vec(&genesis()).unwrap()).unwrap();

    let ledger_dir = dir.path().join("ledger");
    let mut cmd = bin();
    cmd.args(["sequencer", "serve", "--listen", "127.0.0.1:0", "--batch-size", "3"]);
    cmd.args(["--batch-interval-ms", "300", "--lease-ms", "4000"]);
    cmd.args(["--tree-depth", &SMALL.depth.to_string()]);
    cmd.arg("--data-dir").arg(dir.path().join("sequencer"));
    cmd.arg("--genesis").arg(&genesis_file).arg("--keys").arg(&key_dir);
    cmd.arg("--ledger").arg(&ledger_dir).args(["--ledger-poll-ms", "50"]);
    let (_sequencer, line) = spawn_until(cmd, "listening on ");
    let url = line.strip_prefix("listening on ").unwrap().to_string();
    let client = Client::new(&url);

    // Deposits are queued on the ledger (`clearproof ledger deposit`); the
    // sequencer reads the ledger's queue itself. A deposit sent to the sequencer
    // directly is refused and never reaches a batch.
    let ledger_cmd = |sub: &str| {
        let mut cmd = bin();
        cmd.args(["ledger", sub, "--ledger"]).arg(&ledger_dir);
        cmd.arg("--keys").arg(&key_dir).arg("--genesis").arg(&genesis_file);
        cmd.stderr(Stdio::piped());
        cmd
    };
    let forged = serde_json::json!({"type": "deposit", "queue_index": "1", "account": "9",
        "owner": key(9).public_key().to_hex(), "amount": "1000000"});
    let refused = client.submit_line(&forged.to_string()).await.unwrap_err();
    assert_eq!(refused.code(), Some("UNKNOWN_TX_TYPE"), "{refused}");
    for (i, d) in
        [deposit(1, 50_000), deposit(2, 50_000), deposit(3, 20_000)].into_iter().enumerate()
    {
        let out = ledger_cmd("deposit")
            .args(["--account", &d.account.get().to_string(), "--owner", &d.owner.to_hex()])
            .args(["--amount", &d.amount.get().to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let queued: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(queued["queue_index"], i.to_string());
    }
    wait_for("the sequencer to take the three deposits", Duration::from_secs(10), async || {
        client.state().await.unwrap().next_deposit == 3
    })
    .await;
    let price = Submission::price_quorum(
        &[&oracle()],
        MarketId::new(0).unwrap(),
        Price::from_units(101),
        Timestamp::new((T0 + 10).into()).unwrap(),
    );
    let withdraw = Submission::withdraw(
        &key(3),
        AccountId::new(3).unwrap(),
        Amount::new(5_000).unwrap(),
        Nonce::new(0).unwrap(),
    );
    for s in [price, withdraw] {
        client.submit(&s).await.unwrap();
    }
    wait_for("two committed batches", Duration::from_secs(10), async || {
        client.state().await.unwrap().globals.batch_number == 2
    })
    .await;
    // Batch 1: three deposits in 2 chunks of 2 slots; batch 2: the price update
    // with its continuation, then the withdrawal.
    assert_eq!(jobs(&client).await.len(), 4, "2 chunks + 2 chunks");

    // A worker with other keys gets no job.
    let foreign = LeaseRequest { worker: "foreign".into(), vk_digest: Some("00".repeat(32)) };
    let refused = client.lease(&foreign).await.unwrap_err();
    assert!(
        matches!(&refused, ClientError::Refused { status: 409, .. })
            && refused.code() == Some("WRONG_VERIFYING_KEY"),
        "{refused}"
    );

    // Two workers; kill the first while it holds a lease.
    let mut doomed = worker(&url, "doomed", &cache);
    let _survivor = worker(&url, "survivor", &cache);
    let mut held = None;
    wait_for("the doomed worker to lease a job", Duration::from_secs(60), async || {
        held = jobs(&client).await.into_iter().find(|j| j.worker.as_deref() == Some("doomed"));
        held.is_some()
    })
    .await;
    doomed.0.kill().unwrap(); // SIGKILL
    doomed.0.wait().unwrap();
    let held = held.unwrap();
    assert_eq!(held.state, "leased", "killed mid-job, before its proof arrived");
    wait_for("every chunk proven", Duration::from_secs(300), async || {
        jobs(&client).await.iter().all(|j| j.state == "proven")
    })
    .await;

    // `clearproof ledger post` posts both batches; the ledger verifies them
    // against its root.
    let posted = ledger_cmd("post").arg("--sequencer").arg(&url).output().unwrap();
    let stdout = String::from_utf8_lossy(&posted.stdout);
    assert!(posted.status.success(), "{stdout}{}", String::from_utf8_lossy(&posted.stderr));
    assert!(stdout.contains("batch 1: accepted, 3 transactions, 2 chunks"), "{stdout}");
    assert!(stdout.contains("batch 2: accepted, 2 transactions, 2 chunks,"), "{stdout}");
    assert!(stdout.contains("1 withdrawal released"), "{stdout}");
    let ledger = Ledger::open(&ledger_dir).unwrap();
    assert_eq!(ledger.state().unwrap().vk_digest, verifier.digest());
    let mut files = Vec::new();
    for n in 1..=2u64 {
        let record = client.batch(n).await.unwrap();
        let accepted = ledger.batch(n).unwrap().expect("accepted");
        assert_eq!(accepted.header.next_state_root, record.header.batch.next_state_root);
        let posted: PostedBatch = ledger.posted(n).unwrap().unwrap();
        let data: Vec<Transaction> = record.public_data.iter().map(|p| p.tx.clone()).collect();
        assert_eq!(posted.data, data);
        files.push((record.header.batch.prev_state_root, posted));
    }
    let state = ledger.state().unwrap();
    assert_eq!(state.root, client.state().await.unwrap().state_root);
    let released = ledger.batch(2).unwrap().unwrap().withdrawals;
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].owner, key(3).public_key());

    // A proof that arrives twice is stored once.
    let again = client.post_proof(&files[0].1.proofs[0]).await.unwrap();
    assert_eq!(again, Submitted::Duplicate);
    drop(ledger);

    // A forced withdrawal queued on the ledger (`clearproof ledger
    // force-withdraw`) is taken by the running sequencer from the ledger
    // directory, proven in batch 3 and released when the batch is posted.
    let out = bin()
        .args(["ledger", "force-withdraw", "--ledger"])
        .arg(&ledger_dir)
        .args(["--key", &key(2).to_hex(), "--account", "2", "--amount", "1000"])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("queued at index 0"));
    wait_for("batch 3 with the forced withdrawal", Duration::from_secs(10), async || {
        let state = client.state().await.unwrap();
        state.next_forced == 1 && state.globals.batch_number == 3
    })
    .await;
    wait_for("batch 3 proven", Duration::from_secs(300), async || {
        jobs(&client).await.iter().all(|j| j.state == "proven")
    })
    .await;
    let posted = ledger_cmd("post").arg("--sequencer").arg(&url).output().unwrap();
    let stdout = String::from_utf8_lossy(&posted.stdout);
    assert!(posted.status.success(), "{stdout}{}", String::from_utf8_lossy(&posted.stderr));
    assert!(stdout.contains("batch 3: accepted, 1 transaction, 1 chunk"), "{stdout}");
    assert!(stdout.contains("1 withdrawal released"), "{stdout}");

    // The operator's store is lost: anyone rebuilds it from the ledger alone,
    // and a new sequencer resumes the chain from the rebuilt store.
    drop(_sequencer);
    let rebuilt = dir.path().join("rebuilt");
    let restore = bin()
        .args(["restore", "--ledger"])
        .arg(&ledger_dir)
        .arg("--out")
        .arg(&rebuilt)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&restore.stdout);
    assert!(restore.status.success(), "{stdout}{}", String::from_utf8_lossy(&restore.stderr));
    assert!(stdout.contains("restored 3 batches to batch 3"), "{stdout}");
    let mut cmd = bin();
    cmd.args(["sequencer", "serve", "--listen", "127.0.0.1:0", "--batch-size", "1"]);
    cmd.args(["--tree-depth", &SMALL.depth.to_string()]);
    cmd.arg("--data-dir").arg(&rebuilt).arg("--genesis").arg(&genesis_file);
    cmd.arg("--ledger").arg(&ledger_dir).args(["--ledger-poll-ms", "50"]);
    let (_resumed, line) = spawn_until(cmd, "listening on ");
    let resumed = Client::new(line.strip_prefix("listening on ").unwrap());
    let view = resumed.state().await.unwrap();
    let last = Ledger::open(&ledger_dir).unwrap().state().unwrap();
    assert_eq!((view.state_root, view.globals.batch_number), (last.root, 3));
    assert_eq!((view.next_deposit, view.next_forced), (3, 1));
    let d = deposit(4, 7_000);
    let out = ledger_cmd("deposit")
        .args(["--account", "4", "--owner", &d.owner.to_hex(), "--amount", "7000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_for("the resumed sequencer to commit batch 4", Duration::from_secs(10), async || {
        let view = resumed.state().await.unwrap();
        view.globals.batch_number == 4 && view.next_deposit == 4
    })
    .await;

    // `clearproof verify` from files, then against the ledger.
    let (prev, posted) = &files[0];
    let mut args: Vec<String> = vec!["--proof".into()];
    for (i, p) in posted.proofs.iter().enumerate() {
        let path = dir.path().join(format!("chunk-{i}.json"));
        std::fs::write(&path, p.to_json()).unwrap();
        args.push(path.display().to_string());
    }
    let data = dir.path().join("data.json");
    std::fs::write(&data, serde_json::to_vec(&posted.data).unwrap()).unwrap();
    args.extend(["--prev-root".into(), to_hex(prev), "--data".into(), data.display().to_string()]);
    let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
    let ok = verify_cli(&args_ref, &key_dir);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("valid: batch 1"));
    let mut tampered = posted.data.clone();
    let Transaction::Deposit(d) = &mut tampered[0] else { panic!("a deposit") };
    d.amount = Amount::new(d.amount.wide() ^ 1).unwrap();
    std::fs::write(&data, serde_json::to_vec(&tampered).unwrap()).unwrap();
    let bad = verify_cli(&args_ref, &key_dir);
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("DATA_HASH_MISMATCH"), "{stderr}");
    let from_ledger =
        verify_cli(&["--ledger", ledger_dir.to_str().unwrap(), "--batch", "2"], &key_dir);
    assert!(from_ledger.status.success(), "{}", String::from_utf8_lossy(&from_ledger.stderr));
    assert!(String::from_utf8_lossy(&from_ledger.stdout).starts_with("valid: batch 2"));
}
