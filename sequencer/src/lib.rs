//! The clearproof sequencer (first stage of sequencer → prover → verifier):
//! accepts signed transactions, orders them into batches with the native state
//! machine of `clearproof-circuits`, and keeps state durably.
//!
//! Not built yet: see the "Sequencer" issue. This crate exists so the workspace
//! layout matches the architecture from the start.
