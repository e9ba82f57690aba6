//! The clearproof prover (middle stage of sequencer → prover → verifier):
//! turns batch witnesses into halo2 chunk proofs.
//!
//! Not built yet: see the "Provers, verifier and base layer" issue.
