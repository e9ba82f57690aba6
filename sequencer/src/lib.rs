//! The clearproof sequencer (first stage of sequencer → prover → verifier).
//!
//! Exchange operators run it: it accepts signed transactions over HTTP
//! ([`api`]), checks what only the sequencer checks — signatures, orders and
//! their fills, the deleverage counterparty ([`node`]) — applies them in arrival
//! order with the native state machine of `clearproof-circuits`, and commits
//! batches durably in sled ([`store`]) together with everything a prover needs.
//! [`jobs`] hands committed batches' chunks to remote provers under leases and
//! keeps their proofs. [`client`] is the HTTP client the CLI and tests use.

#![forbid(unsafe_code)]

pub mod api;
pub mod client;
pub mod genesis;
pub mod jobs;
pub mod node;
pub mod order;
pub mod store;
pub mod wire;
