//! End-to-end and adversarial scenarios across the clearproof crates live in
//! `tests/tests/`; this library holds nothing yet.
