//! What must not drift: the production circuit's `k`, the digest of its
//! verifying key with the insecure development SRS, and its proof length are
//! pinned in `circuits/src/circuit/proof.rs` (`PINNED`). A change to the circuit
//! (a constraint, a column, the layout, the Poseidon chip) changes them: this
//! test fails, saying how to re-pin on purpose.

use clearproof_circuits::circuit::{CircuitParams, Srs, VerifyingKey, PINNED};
use clearproof_protocol::params::{ACCOUNT_TREE_DEPTH, CHUNK_K, CHUNK_SLOTS};

#[test]
fn the_production_circuit_is_the_pinned_one() {
    assert_eq!(PINNED.params, CircuitParams::PRODUCTION);
    assert_eq!(
        (PINNED.params.depth, PINNED.params.slots, PINNED.params.k),
        (ACCOUNT_TREE_DEPTH, CHUNK_SLOTS, CHUNK_K as u32)
    );
    let srs = Srs::insecure_dev(PINNED.params.k);
    let vk = VerifyingKey::generate(&srs, &PINNED.params).expect("keygen");
    let (digest, proof_bytes) = (vk.digest(), vk.proof_len());
    assert!(
        digest == PINNED.vk_digest_insecure_dev && proof_bytes == PINNED.proof_bytes,
        "\nthe production circuit {} changed:\n  \
         vk digest (development SRS) {digest}\n  proof bytes {proof_bytes}\n\
         pinned:\n  vk digest {}\n  proof bytes {}\n\
         If the change is on purpose, set PINNED in circuits/src/circuit/proof.rs to the new \
         values, say so in the change's notes (every prover and ledger must move to the new \
         keys together), and replace cached keys with `clearproof setup --regenerate`.\n",
        PINNED.params.id(),
        PINNED.vk_digest_insecure_dev,
        PINNED.proof_bytes,
    );
}
