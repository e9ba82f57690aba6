//! The clearproof protocol in code (PROTOCOL.md): quantities, the native state
//! machine, the Poseidon state tree and signatures — and, in later modules, the
//! circuit that proves the same rules.
//!
//! The native state machine here is the oracle: the sequencer runs it to build
//! batches, the prover derives circuit witnesses from its [`batch::BatchOutput`],
//! and every circuit test checks its roots against it.
//!
//! Where to find a rule: transaction `X` is in `tx/x.rs` (type, errors, `apply`);
//! margin in [`margin`], funding in [`funding`], hashing layouts in [`state`].

#![forbid(unsafe_code)]

pub mod account_proof;
pub mod batch;
pub mod circuit;
pub mod funding;
pub mod margin;
pub mod oracle;
pub mod orders;
pub mod params;
pub mod poseidon;
pub mod serde_fr;
pub mod signature;
pub mod state;
pub mod tree;
pub mod tx;
pub mod types;

/// The protocol's field: the BN254 scalar field.
pub use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
