//! `clearproof devnet` end to end, at the small test circuit (the same code as
//! the production run, with a depth-8 tree and 2-slot chunks): every batch of the
//! built-in workload is proven, posted, verified and accepted, the withdrawals
//! are released, and the process exits 0. The data directory is kept, so the
//! ledger it leaves can be checked again with `clearproof verify --ledger`.

use std::path::PathBuf;
use std::process::Command;

use clearproof_tests::SMALL;

#[test]
fn devnet_accepts_every_batch_and_releases_withdrawals() {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keys");
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["devnet", "--threads", "2"])
        .arg("--data-dir")
        .arg(data.path())
        .arg("--cache")
        .arg(&cache)
        .args(["--depth", &SMALL.depth.to_string(), "--slots", &SMALL.slots.to_string()])
        .args(["--k", &SMALL.k.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("INSECURE development SRS"), "{stdout}");
    assert!(stdout.contains("all 4 batches accepted"), "{stdout}");
    assert!(stdout.contains("1 liquidate"), "{stdout}");
    assert!(stdout.contains("1 cover_deficit"), "{stdout}");
    assert!(stdout.contains("account 1: 20.000000 USD"), "{stdout}");
    assert!(stdout.contains("account 4: 10.000000 USD"), "{stdout}");

    let keys = cache.join(format!("{}-insecure-dev", SMALL.id()));
    let verify = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["verify", "--batch", "3", "--ledger"])
        .arg(data.path().join("ledger"))
        .arg("--keys")
        .arg(&keys)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    assert!(stdout.starts_with("valid: batch 3, 3 transactions in 2 chunks"), "{stdout}");
}
