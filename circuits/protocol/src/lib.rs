//! The clearproof protocol in code (PROTOCOL.md): quantities, the native state
//! machine, the Poseidon state tree, signatures, batches and their witnesses.
//!
//! The native state machine here is the oracle: the sequencer runs it to build
//! batches, the prover cuts its [`batch::BatchOutput`] into chunk witnesses
//! ([`witness`]), and every circuit test checks its roots against it. The
//! circuit (`clearproof-circuits`) depends on this crate, never the reverse.
//!
//! Where to find a rule: transaction `X` is in `tx/x.rs` (type, errors, `apply`);
//! margin in [`margin`], funding in [`funding`], hashing layouts in [`state`],
//! every domain tag in [`tags`].
//!
//! Modules from the bottom up (each imports only modules above it in this
//! list): [`params`], [`serde_fr`], [`poseidon`], [`types`], [`tags`], [`tree`],
//! [`signature`], [`orders`], [`oracle`], [`state`], [`funding`], [`margin`],
//! [`authority`], [`tx`], [`batch`], [`instance`], [`witness`],
//! [`account_proof`].

#![forbid(unsafe_code)]

pub mod account_proof;
pub mod authority;
pub mod batch;
pub mod funding;
pub mod instance;
pub mod margin;
pub mod oracle;
pub mod orders;
pub mod params;
pub mod poseidon;
pub mod serde_fr;
pub mod signature;
pub mod state;
pub mod tags;
pub mod tree;
pub mod tx;
pub mod types;
pub mod witness;

#[cfg(feature = "test-utils")]
pub mod testing;

/// The protocol's field: the BN254 scalar field.
pub use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
