//! The `clearproof` binary's orchestration library: [`devnet`] runs the whole
//! pipeline (sequencer → prover → ledger and verifier) in one process. Each
//! stage's logic lives in its crate; this only wires them together.

#![forbid(unsafe_code)]

pub mod devnet;
