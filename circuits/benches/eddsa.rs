//! The EdDSA chip's cost: rows and columns per signature, and a real KZG
//! keygen, proof and verification of a circuit of signature checks (each with
//! its challenge hashed in the Poseidon chip), with an INSECURE development SRS.
//!
//! `cargo bench -p clearproof-circuits --bench eddsa`
//! (`EDDSA_SIGNATURES` sets the count, default 28: two per trade of a 14-slot chunk.)

use std::time::Instant;

use clearproof_circuits::circuit::eddsa_chip::{
    rows, SignatureCircuit, SignatureWitness, ADVICE_COLUMNS, FIXED_COLUMNS, ROWS_PER_SIGNATURE,
};
use clearproof_circuits::circuit::poseidon_chip::rows_for_hash;
use clearproof_circuits::circuit::proof::{keygen_circuit, prove_circuit, verify_circuit};
use clearproof_circuits::circuit::{Instance, Srs};
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::Fr;

fn main() {
    let n: usize =
        std::env::var("EDDSA_SIGNATURES").ok().and_then(|v| v.parse().ok()).unwrap_or(28);
    let signatures: Vec<_> = (0..n)
        .map(|i| {
            let sk = SecretKey::from_bytes([i as u8 + 1; 32]).unwrap();
            let msg = Fr::from(1_000 + i as u64);
            let sig = sk.sign(msg);
            (rows(&SignatureWitness::new(&sk.public_key(), msg, &sig)), msg)
        })
        .collect();
    let used = ROWS_PER_SIGNATURE * n;
    // Room for halo2's blinding rows.
    let k = (used + 16).next_power_of_two().trailing_zeros();
    println!(
        "eddsa chip: {ROWS_PER_SIGNATURE} rows × {ADVICE_COLUMNS} advice columns = {} cells per \
         signature ({FIXED_COLUMNS} fixed columns), plus {} Poseidon chip rows for its challenge \
         beside them",
        ROWS_PER_SIGNATURE * ADVICE_COLUMNS,
        rows_for_hash(5)
    );
    println!("{n} signatures: {used} rows, k = {k}");
    let zero = Fr::from(0);
    let instance = Instance {
        prev_state_root: signatures[0].1,
        next_state_root: zero,
        prev_data_hash: zero,
        next_data_hash: zero,
    };
    let circuit = SignatureCircuit { signatures };
    let srs = Srs::insecure_dev(k);
    let started = Instant::now();
    let pk = keygen_circuit(&srs, &circuit).expect("keygen");
    let keygen = started.elapsed();
    let started = Instant::now();
    let proof = prove_circuit(&srs, &pk, circuit, &instance).expect("prove");
    let prove = started.elapsed();
    let started = Instant::now();
    verify_circuit(&srs, pk.get_vk(), &proof, &instance).expect("verify");
    let verify = started.elapsed();
    println!(
        "keygen {:.1} s, prove {:.2} s ({:.1} ms per signature, {:.1} signatures/s), verify {:.1} ms, proof {} bytes",
        keygen.as_secs_f64(),
        prove.as_secs_f64(),
        prove.as_secs_f64() * 1e3 / n as f64,
        n as f64 / prove.as_secs_f64(),
        verify.as_secs_f64() * 1e3,
        proof.len()
    );
}
