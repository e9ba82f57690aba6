//! Crash safety of the escape hatch's commands as processes: `clearproof
//! restore` and `clearproof escape`, each killed with SIGKILL at random moments
//! and run again on the same directories. A restore always finishes at the
//! base layer's last root with a store the sequencer opens (each batch is one
//! atomic commit; a rerun resumes); an escape is recorded at most once, and the
//! settlement pays once.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use clearproof_sequencer::store::{SledStore, Store};
use clearproof_tests::{small_keys, unproven_chain};
use clearproof_verifier::base_layer::sled_store::{EscapeHatch, Ledger, SledLedgerStore};
use clearproof_verifier::base_layer::LedgerStore;
use rand::{Rng, SeedableRng};

const BATCHES: usize = 300;

fn clearproof(args: &[&str], dirs: &[(&str, &Path)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clearproof"));
    cmd.args(args);
    for (flag, dir) in dirs {
        cmd.arg(flag).arg(dir);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Starts `cmd`, kills it with SIGKILL after `ms`; whether it was still running.
fn kill_after(mut cmd: Command, ms: u64) -> bool {
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    running
}

fn run(mut cmd: Command) -> Output {
    cmd.output().unwrap()
}

#[test]
fn restore_and_escape_survive_sigkill_and_never_pay_twice() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_dir = dir.path().join("ledger");
    let key = small_keys(&std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keys"))
        .verifier_key();
    let (state, mut ledger_state) = {
        let store = SledLedgerStore::open(&ledger_dir).unwrap();
        unproven_chain(&store, &key, BATCHES)
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);

    // Restore, killed at random moments, then run to the end.
    let out = dir.path().join("restored");
    // Kills land within how long an uninterrupted run takes on this machine.
    let timed = |cmd: Command| {
        let started = std::time::Instant::now();
        assert!(run(cmd).status.success());
        started.elapsed().as_millis() as f64
    };
    let scratch = dir.path().join("scratch");
    let full = timed(clearproof(&["restore"], &[("--ledger", &ledger_dir), ("--out", &scratch)]));
    let mut interrupted = 0;
    for _ in 0..8 {
        let cmd = clearproof(&["restore"], &[("--ledger", &ledger_dir), ("--out", &out)]);
        interrupted += usize::from(kill_after(cmd, (full * rng.gen_range(0.05..0.3)) as u64));
    }
    // Each interrupted run leaves less to do, so later kills may find it done.
    assert!(interrupted >= 3, "only {interrupted} kills landed while restore ran");
    let done = run(clearproof(&["restore"], &[("--ledger", &ledger_dir), ("--out", &out)]));
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(done.status.success(), "{stdout}{}", String::from_utf8_lossy(&done.stderr));
    assert!(stdout.contains(&format!("to batch {BATCHES}")), "{stdout}");
    {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&out).unwrap());
        let loaded = store.load().unwrap();
        assert_eq!(loaded.state.root(), state.root(), "the restored store is the chain's state");
        assert_eq!(loaded.next_deposit, BATCHES as u64);
    }

    // Freeze the base layer (its records written directly) with a short window.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    {
        let store = SledLedgerStore::open(&ledger_dir).unwrap();
        ledger_state.frozen_at = Some(now);
        ledger_state.escape_window = 30;
        store.freeze(&ledger_state, &[]).unwrap();
    }
    // Escapes of account 7, killed at random moments, then once more.
    let escape = || clearproof(&["escape", "--account", "7"], &[("--ledger", &ledger_dir)]);
    // An account proof rebuilds the state as an escape does.
    let full =
        timed(clearproof(&["account-proof", "--account", "7"], &[("--ledger", &ledger_dir)]));
    let mut interrupted = 0;
    for _ in 0..8 {
        interrupted += usize::from(kill_after(escape(), (full * rng.gen_range(0.05..0.8)) as u64));
    }
    assert!(interrupted >= 4, "only {interrupted} kills landed while escape ran");
    let last = run(escape());
    let stderr = String::from_utf8_lossy(&last.stderr);
    assert!(
        last.status.success() || stderr.contains("has escaped already"),
        "{}{stderr}",
        String::from_utf8_lossy(&last.stdout)
    );
    let ledger = Ledger::open(&ledger_dir).unwrap();
    let claims = ledger.escapes().unwrap();
    assert_eq!(claims.len(), 1, "one claim, whatever the kills: {claims:?}");
    let account = clearproof_protocol::types::AccountId::new(7).unwrap();
    let proof = clearproof_protocol::account_proof::AccountProof::of(&state, account).unwrap();
    assert_eq!(claims[0].account, account);
    assert_eq!(claims[0].claim, proof.escape_value().unwrap());
    let again = ledger.escape(&proof, now + 1).unwrap_err();
    assert!(again.to_string().contains("escaped already"), "{again}");
    drop(ledger);

    // After the window: settled once, paid once.
    std::thread::sleep(Duration::from_secs((now + 31).saturating_sub(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
    )));
    let settle = || run(clearproof(&["ledger", "settle-escapes"], &[("--ledger", &ledger_dir)]));
    let first = settle();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(String::from_utf8_lossy(&first.stdout).lines().count(), 1);
    let second = settle();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("settled already"));
    let ledger = Ledger::open(&ledger_dir).unwrap();
    assert_eq!(ledger.payouts().unwrap().len(), 1);
}
