//! What the sequencer, the provers and the CLI say to each other: the HTTP
//! API's wire types ([`wire`]), the records the sequencer serves
//! ([`records`]), the typed client ([`client`]) and the chunk-proof artifact
//! ([`artifact`]). The sequencer serves these types, the prover and the CLI
//! use them through the client; neither side depends on the other.

#![forbid(unsafe_code)]

pub mod artifact;
#[cfg(feature = "client")]
pub mod client;
pub mod records;
pub mod wire;
