//! `clearproof prove` offline from a batch file, then `clearproof verify` on the
//! artifacts and public data it wrote (small test circuit).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use clearproof_protocol::serde_fr::to_hex;
use clearproof_tests::{two_batches, SMALL};

#[test]
fn prove_writes_artifacts_that_verify() {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keys");
    clearproof_tests::small_keys(&cache);
    let dir = tempfile::tempdir().unwrap();
    let (_, _, b1, _) = two_batches();
    let batch = dir.path().join("batch.json");
    // A bare batch output works as well as a `GET /v1/batches/{n}` record.
    std::fs::write(&batch, serde_json::to_vec(&serde_json::json!({ "witness": b1 })).unwrap())
        .unwrap();
    let out = dir.path().join("proofs");
    let small = [
        "--depth".to_string(),
        SMALL.depth.to_string(),
        "--slots".into(),
        SMALL.slots.to_string(),
        "--k".into(),
        SMALL.k.to_string(),
    ];
    let proved = Command::new(env!("CARGO_BIN_EXE_clearproof"))
        .args(["prove", "--threads", "2", "--batch"])
        .arg(&batch)
        .arg("--out")
        .arg(&out)
        .arg("--cache")
        .arg(&cache)
        .args(&small)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&proved.stdout);
    assert!(proved.status.success(), "{}", String::from_utf8_lossy(&proved.stderr));
    assert!(stdout.contains("chunk 2/2 proved"), "{stdout}");
    assert!(String::from_utf8_lossy(&proved.stderr).contains("INSECURE development SRS"));

    let keys = cache.join(format!("{}-insecure-dev", SMALL.id()));
    let verify = |chunks: [usize; 2]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clearproof"));
        cmd.arg("verify").arg("--proof");
        for c in chunks {
            cmd.arg(out.join(format!("batch-1-chunk-{c}.json")));
        }
        cmd.args(["--prev-root", &to_hex(&b1.prev_state_root), "--data"])
            .arg(out.join("batch-1-data.json"))
            .arg("--keys")
            .arg(&keys)
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    };
    let verified = verify([0, 1]);
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    assert!(stdout.starts_with("valid: batch 1, 3 transactions in 2 chunks"), "{stdout}");
    assert!(stdout.contains(&to_hex(&b1.next_state_root)), "{stdout}");

    // Chunks given in the wrong order are refused with the reason.
    let swapped = verify([1, 0]);
    assert_eq!(swapped.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&swapped.stderr).contains("invalid: CHUNK_OUT_OF_PLACE"));
}
