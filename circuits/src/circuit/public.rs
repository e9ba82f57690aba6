//! The data-hash chain in the circuit (PROTOCOL §7). A chunk's public inputs are
//! [`super::Instance`]: `prev_state_root`, `next_state_root`, `prev_data_hash`,
//! `next_data_hash`, at the offsets of `proof.rs`. The data hash of a
//! batch starts at the batch's `prev_state_root` and absorbs each applied
//! transaction's 8-element encoding: `d' = H(d, enc_0..enc_7)`
//! ([`clearproof_protocol::batch::data_hash`]); no-op padding slots leave it unchanged, so the
//! batch's data hash does not depend on the number of slots per chunk.
//! Consecutive chunks chain: chunk `i+1`'s `prev_*` equal chunk `i`'s `next_*`.
//!
//! A chunk whose `prev_data_hash` equals its `prev_state_root` is the batch's
//! first chunk and increments `batch_number` before its first slot. No later
//! chunk can look like a first one: its `prev_state_root` already carries the
//! incremented number, so it differs from the chain's start, and every later
//! chain value is a Poseidon output over 9 elements.

use halo2_base::gates::GateInstructions;

use super::hash::CircuitHasher;
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::params::TX_ENCODING_LEN;

/// One step of the data-hash chain in the circuit; `is_noop` (a constrained bit)
/// leaves the hash unchanged.
pub(super) fn data_hash_step_in_circuit(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    hasher: &CircuitHasher,
    prev: Cell,
    encoding: &[Cell; TX_ENCODING_LEN],
    is_noop: Cell,
) -> Cell {
    let mut input = Vec::with_capacity(1 + TX_ENCODING_LEN);
    input.push(prev);
    input.extend_from_slice(encoding);
    let next = hasher.hash(ctx, gate, &input);
    gate.select(ctx, prev, next, is_noop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::testing::satisfied_hashing;
    use clearproof_protocol::batch::data_hash_step;
    use halo2_base::gates::RangeInstructions;

    fn chain_ok(is_noop: bool, claimed: impl FnOnce(Fr, Fr) -> Fr) -> bool {
        let prev = Fr::from(99u64);
        let encoding: [Fr; TX_ENCODING_LEN] = std::array::from_fn(|i| Fr::from(i as u64 + 3));
        let native = data_hash_step(prev, &encoding);
        let claimed = claimed(prev, native);
        satisfied_hashing(13, |ctx, range, hasher| {
            let prev = ctx.load_witness(prev);
            let enc = ctx.assign_witnesses(encoding);
            let noop = ctx.load_witness(Fr::from(u64::from(is_noop)));
            range.gate().assert_bit(ctx, noop);
            let enc: [Cell; TX_ENCODING_LEN] = enc.try_into().unwrap();
            let next = data_hash_step_in_circuit(ctx, range.gate(), hasher, prev, &enc, noop);
            let claimed = ctx.load_witness(claimed);
            ctx.constrain_equal(&next, &claimed);
        })
    }

    #[test]
    fn data_hash_step_matches_native_and_noops_keep_it() {
        assert!(chain_ok(false, |_, native| native));
        assert!(chain_ok(true, |prev, _| prev));
    }

    #[test]
    fn a_data_hash_that_does_not_match_is_rejected() {
        assert!(!chain_ok(false, |prev, _| prev));
        assert!(!chain_ok(true, |_, native| native));
        assert!(!chain_ok(false, |_, native| native + Fr::one()));
    }
}
