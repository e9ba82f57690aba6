//! The clearproof sequencer (first stage of sequencer → prover → verifier).
//!
//! Exchange operators run it: it accepts signed transactions over HTTP
//! ([`api`]), checks what only the sequencer checks — signatures, orders and
//! their fills (`authorise`), the deleverage counterparty (`deleverage`) — applies
//! them in arrival order with the native state machine of `clearproof-circuits`
//! ([`batcher`]), and commits batches durably ([`store`]: sled in production,
//! memory in tests) together with everything a prover needs ([`records`]).
//! [`jobs`] hands committed batches' chunks to remote provers under leases and
//! keeps their proofs. [`client`] is the typed HTTP client of the API, on the
//! same wire types as the server ([`wire`]); [`relay`] posts proven batches to
//! the base layer.

#![forbid(unsafe_code)]

pub mod api;
mod authorise;
pub mod batcher;
pub mod client;
pub mod conn;
mod deleverage;
pub mod error;
pub mod follow;
pub mod genesis;
pub mod jobs;
pub mod order;
pub mod records;
pub mod relay;
pub mod store;
mod strict;
pub mod wire;

pub use batcher::{Config, Outcome, Sequencer};
pub use error::{OrderError, SubmitError};
pub use records::{BatchHeader, BatchRecord, BatchSummary, CommittedView, PublicTx};
