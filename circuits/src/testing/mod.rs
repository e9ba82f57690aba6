//! Helpers for the circuit's tests (feature `test-utils`; the crate's own tests
//! turn it on): MockProver runs that report which named rule a witness breaks
//! ([`assert_rejected_by`]), the batch every circuit test proves
//! ([`scenario`]) and forged effects ([`effects`]). Never for production code:
//! nothing here is part of the circuit.
//!
//! A circuit test file per transaction type (`tests/circuit_<type>.rs`) takes
//! what it needs from here and from [`clearproof_protocol::testing`] (keys,
//! transaction builders).

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;

use crate::circuit::chunk::builder;
use crate::Fr;
use clearproof_protocol::witness::ChunkWitness;

pub mod effects;
pub mod scenario;

pub use effects::*;
pub use scenario::*;

/// The size (`2^K` rows) the tests lay a chunk out in.
pub const K: usize = 17;

/// Runs MockProver on `w`'s chunk with `instance` as public inputs (the
/// circuit's own outputs if `None`): whether it is satisfied, and the outputs.
/// With `CHUNK_DEBUG` set, prints the first failures.
pub fn mock(w: &ChunkWitness, instance: Option<Vec<Fr>>) -> (bool, Vec<Fr>) {
    let (b, outputs) = builder(CircuitBuilderStage::Mock, K, w);
    let instance = instance.unwrap_or_else(|| outputs.clone());
    let result = MockProver::run(K as u32, &b, vec![instance]).unwrap().verify();
    if let Err(errors) = &result {
        if std::env::var("CHUNK_DEBUG").is_ok() {
            for e in errors.iter().take(3) {
                eprintln!("{e:?}");
            }
        }
    }
    (result.is_ok(), outputs)
}

/// Satisfied with the circuit's own outputs as public inputs: a failure can
/// only come from a rule constraint, not from a public-input mismatch.
pub fn rules_hold(w: &ChunkWitness) -> bool {
    mock(w, None).0
}

/// MockProver refuses `w`, and `rule` is among the named rules its witness
/// violates: the negative test fails for the rule it names.
pub fn assert_rejected_by(w: &ChunkWitness, rule: &str) {
    let mut holds = true;
    let violated = crate::circuit::violations_of(|| holds = rules_hold(w));
    assert!(!holds, "the circuit accepts a witness that breaks {rule:?}");
    assert!(violated.contains(&rule), "expected {rule:?} to fail; the witness breaks {violated:?}");
}

/// Every named rule holds, yet MockProver refuses `w`: what fails is a
/// signature (the EdDSA chip's equation, tied to the leaf's key and the
/// message the circuit builds).
pub fn assert_signature_refused(w: &ChunkWitness) {
    let mut holds = true;
    let violated = crate::circuit::violations_of(|| holds = rules_hold(w));
    assert!(violated.is_empty(), "a rule failed instead of the signature: {violated:?}");
    assert!(!holds, "the circuit accepts a forged signature");
}
