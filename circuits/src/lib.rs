//! The clearproof circuits (PROTOCOL §7): the chunk circuit that proves the
//! native rules of `clearproof-protocol`, its keys and proofs, and the
//! aggregation of a batch's chunk proofs into one proof for an EVM verifier.
//! See [`circuit`].

#![forbid(unsafe_code)]

pub mod circuit;

#[cfg(any(test, feature = "test-utils"))]
pub mod testing;

/// The protocol's field: the BN254 scalar field.
pub use clearproof_protocol::Fr;
