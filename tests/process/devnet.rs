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
    clearproof_tests::small_keys(&cache);
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
