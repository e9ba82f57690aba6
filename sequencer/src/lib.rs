//! The clearproof sequencer (first stage of sequencer → prover → verifier).
//!
//! Exchange operators run it: it accepts signed transactions over HTTP
//! ([`api`]), checks signatures up front (`authorise`) and picks the deleverage
//! counterparty (`deleverage`), pools the oracle committee's observations until
//! they make a quorum and builds price updates and funding ticks from them
//! ([`oracle`]), applies them in arrival order with the native
//! state machine of `clearproof-protocol` (which checks every order term and
//! order slot, as the circuit proves them)
//! ([`batcher`]), and commits batches durably ([`store`]: sled in production,
//! memory in tests) together with everything a prover needs ([`records`]).
//! [`jobs`] hands committed batches' chunks to remote provers under leases and
//! keeps their proofs. The wire types and the typed client are
//! `clearproof-api`'s; [`relay`] posts proven batches to the base layer.

#![forbid(unsafe_code)]

pub mod api;
pub mod authorise;
pub mod batcher;
pub mod batches;
pub mod conn;
mod deleverage;
pub mod error;
pub mod follow;
pub mod genesis;
pub mod jobs;
pub mod oracle;
mod pending;
pub mod records;
pub mod relay;
pub mod restore;
pub mod store;
mod strict;

pub use batcher::{Config, Outcome, Sequencer};
pub use error::SubmitError;
pub use records::{BatchSummary, StoredBatch};
