//! The clearproof verifier (last stage of sequencer → prover → verifier): the
//! base-layer ledger and proof checks. Kept small: no storage engine, no prover code.
//!
//! Not built yet: see the "Provers, verifier and base layer" issue.
