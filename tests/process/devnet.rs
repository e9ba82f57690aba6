//! `clearproof devnet` end to end, at the small test circuit (the same code as
//! the production run, with a depth-8 tree and 2-slot chunks): every batch of the
//! built-in workload is proven, posted, verified and accepted, the withdrawals
//! are released, and the process exits 0. The data directory is kept, so the
//! ledger it leaves can be checked again with `clearproof verify --ledger`.

use std::path::PathBuf;
use std::process::Command;

use clearproof_tests::SMALL;

/// `clearproof devnet` at the small test circuit with `scenario`, in a new
/// data directory: its output and the directory (kept for later checks).
fn devnet(scenario: &str) -> (PathBuf, std::process::Output, tempfile::TempDir) {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keys");
    clearproof_tests::small_keys(&cache);
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["devnet", "--scenario", scenario, "--threads", "2"])
        .arg("--data-dir")
        .arg(data.path())
        .arg("--cache")
        .arg(&cache)
        .args(["--depth", &SMALL.depth.to_string(), "--slots", &SMALL.slots.to_string()])
        .args(["--k", &SMALL.k.to_string()])
        .output()
        .unwrap();
    (cache, output, data)
}

#[test]
fn devnet_accepts_every_batch_and_releases_withdrawals() {
    let (cache, output, data) = devnet("normal");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("INSECURE development SRS"), "{stdout}");
    assert!(stdout.contains("all 4 batches accepted"), "{stdout}");
    assert!(stdout.contains("1 liquidate"), "{stdout}");
    assert!(stdout.contains("1 cover_deficit"), "{stdout}");
    assert!(stdout.contains("account 1: 20.000000 USD"), "{stdout}");
    assert!(stdout.contains("account 4: 10.000000 USD"), "{stdout}");
    // Only clearproof's own lines: no library statistics (halo2-base prints its
    // column sizing to stdout unless clearproof sizes the columns itself).
    for noise in ["Gate Chip", "Total range check", "fixed cells", "read params", "creating params"]
    {
        assert!(!stdout.contains(noise), "library output on stdout ({noise:?}):\n{stdout}");
    }

    let keys = cache.join(format!("{}-insecure-dev", SMALL.id()));
    let verify = |batch: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_clearproof"))
            .args(["verify", "--batch", batch, "--ledger"])
            .arg(data.path().join("ledger"))
            .arg("--keys")
            .arg(&keys)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let stdout = verify("3");
    // A funding tick and a price update take two slots each, then the liquidation.
    assert!(stdout.starts_with("valid: batch 3, 3 transactions in 3 chunks,"), "{stdout}");
    let stdout = verify("2");
    assert!(stdout.starts_with("valid: batch 2, 2 transactions in 1 chunk,"), "{stdout}");
}

#[test]
fn devnet_escape_scenario_pays_every_account_its_value_after_a_freeze() {
    let (_, output, data) = devnet("escape");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for line in [
        "1 forced_withdraw",
        "account 3: 5.000000 USD",
        "freeze at once: refused",
        "freeze after 3 s: frozen at batch 4",
        "state rebuilt from the base layer's posted data: 4 batches",
        "escape: account 4 claims",
        "= Σ max(0, TV) over 4 accounts",
    ] {
        assert!(stdout.contains(line), "missing {line:?}:\n{stdout}");
    }

    // The receipts: an account proof from the ledger, checked offline and
    // against the ledger's last accepted root.
    let ledger = data.path().join("ledger");
    let proof = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["account-proof", "--account", "4", "--ledger"])
        .arg(&ledger)
        .output()
        .unwrap();
    assert!(proof.status.success(), "{}", String::from_utf8_lossy(&proof.stderr));
    let file = data.path().join("proof.json");
    std::fs::write(&file, &proof.stdout).unwrap();
    let check = |extra: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_clearproof"))
            .arg("verify-account")
            .arg(&file)
            .args(extra)
            .output()
            .unwrap()
    };
    let ok = check(&[]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("account 4: valid"));
    let ok = check(&["--ledger".as_ref(), ledger.as_os_str()]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    // A tampered receipt is refused.
    let mut json: serde_json::Value = serde_json::from_slice(&proof.stdout).unwrap();
    json["value"]["collateral"] = serde_json::Value::String("999999999".into());
    std::fs::write(&file, serde_json::to_vec(&json).unwrap()).unwrap();
    let bad = check(&[]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("do not hash to the state root"));

    // Escaping again after the settlement: refused, nothing recorded.
    let again = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["escape", "--account", "4", "--ledger"])
        .arg(&ledger)
        .output()
        .unwrap();
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("the escapes were settled already"), "{stderr}");

    // Anyone rebuilds the state from the ledger; a second run resumes (nothing to do).
    let out = data.path().join("rebuilt");
    let restore = || {
        let output = Command::new(env!("CARGO_BIN_EXE_clearproof"))
            .args(["restore", "--ledger"])
            .arg(&ledger)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let first = restore();
    assert!(first.contains("batch 4: 4 transactions"), "{first}");
    assert!(first.contains("restored 4 batches to batch 4"), "{first}");
    assert!(restore().contains("restored 0 batches to batch 4"));
}

/// `clearproof devnet --aggregate` at the production circuit: every batch's
/// chunk proof aggregated into one proof, posted to the EVM base layer
/// (Settlement.sol and the generated verifier in revm), the table with gas per
/// batch, and each batch's aggregate re-checked by `clearproof evm verify`.
/// Ignored: about 15 minutes and 9 GB on 2 cores (aggregation keygen and four
/// aggregations at 2^21). Run with `cargo test --release --test devnet --
/// --ignored aggregate`.
#[test]
#[ignore]
fn devnet_aggregate_posts_one_proof_per_batch_to_the_evm() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["devnet", "--aggregate", "--threads", "2"])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("all 4 batches accepted"), "{stdout}");
    assert!(stdout.contains("verify gas"), "{stdout}");
    assert!(stdout.contains("account 1: 20.000000 USD"), "{stdout}");
    for noise in ["Gate Chip", "Total range check", "fixed cells"] {
        assert!(!stdout.contains(noise), "library output on stdout ({noise:?}):\n{stdout}");
    }
    let aggregates: Vec<PathBuf> =
        (1..=4).map(|n| data.path().join(format!("aggregates/batch-{n}.json"))).collect();
    let verify = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["evm", "verify"])
        .args(&aggregates)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{text}");
    assert_eq!(text.matches("proof accepted").count(), 4, "{text}");
    // A tampered aggregate is refused.
    let mut tampered: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&aggregates[0]).unwrap()).unwrap();
    tampered["instance"]["batch_number"] = serde_json::json!(9);
    let file = data.path().join("tampered.json");
    std::fs::write(&file, tampered.to_string()).unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["evm", "verify"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stdout).contains("REFUSED"));
}

/// `clearproof evm verify` on the committed fixtures: the generated verifier
/// accepts both aggregated batches (seconds).
#[test]
fn evm_verify_accepts_the_committed_fixture_batches() {
    let output =
        Command::new(env!("CARGO_BIN_EXE_clearproof")).args(["evm", "verify"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.matches("proof accepted").count(), 2, "{stdout}");
    assert!(stdout.contains("INSECURE"), "{stdout}");

    // A file that is not an aggregated proof: a clear error, exit 1.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junk.json");
    std::fs::write(&file, "{\"instance\": 1}").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["evm", "verify"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not an aggregated proof"), "{stderr}");
}
