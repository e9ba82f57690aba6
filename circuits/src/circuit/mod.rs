//! The halo2 state-transition circuit (PROTOCOL §7): a chunk of `S` slots
//! proves the state moved from `prev_state_root` to `next_state_root` under
//! every v1 rule. See `docs/CIRCUIT-DESIGN.md` for the design and its costs.
//!
//! - [`chunk`]: the chunk (state opened and re-hashed, slots, batch-number step)
//!   over the witnesses `clearproof_protocol::witness` cuts from a native batch;
//! - `slot`: one slot (type one-hot, two gated Merkle updates, funding);
//! - `tx`: each transaction's constraints, one file per transaction;
//! - [`aggregation`]: one proof per batch (the chunk proofs verified in a
//!   snark-verifier aggregation circuit, the batch rules over their public
//!   inputs, the EVM verifier);
//! - [`proof`]: the public surface — [`Srs`], [`ProvingKey`], [`VerifyingKey`],
//!   [`Proof`], [`Instance`] — and the one place the proof system and its
//!   transcript are chosen;
//! - `public`: the data-hash chain in the circuit;
//! - [`cost`]: cells per part, for the cost report (`benches/chunk.rs`);
//! - gadgets, each with MockProver tests that tamper one value and expect
//!   failure: [`hash`] (Poseidon behind one interface, proven by the custom
//!   gate in [`poseidon_chip`]), `num` (range-checked
//!   protocol numbers), `arith` (sound comparisons), `merkle` (membership
//!   and update along one path), `account` and `market` (cells and hashes),
//!   `funding` (§5 settlement), `margin` (§4 health and solvency).
//!
//! Modules from the bottom up (each imports only modules before it in this
//! list; a child may use its parent's items): gadgets `cost`, `arith`, `num`;
//! the chips [`poseidon_chip`], [`eddsa_chip`] and [`hash`] over them; `merkle`,
//! `public`, `account`, `market`, `funding`, `margin`; `tx` (the gadgets and the
//! `Slot` they read); `slot`; [`chunk`]; [`proof`]; [`aggregation`].

mod account;
pub mod aggregation;
mod arith;
pub mod chunk;
pub mod cost;
pub mod eddsa_chip;
mod funding;
pub mod hash;
mod margin;
mod market;
mod merkle;
mod num;
pub mod poseidon_chip;
pub mod proof;
mod public;
mod slot;
mod tx;

#[cfg(any(test, feature = "test-utils"))]
pub(crate) use arith::violations_of;
pub use clearproof_protocol::witness::{chunk_ranges, slots_taken};
pub use proof::{
    CircuitParams, Instance, KeyError, Layout, Pinned, Proof, ProofError, ProvingKey, Srs,
    VerifyingKey, PINNED,
};

/// The context type every gadget takes first.
pub type Ctx = halo2_base::Context<crate::Fr>;
/// An assigned cell.
pub type Cell = halo2_base::AssignedValue<crate::Fr>;

/// Rows at the end of every column that halo2 keeps for blinding (halo2-base's
/// `minimum_unusable_rows`).
pub const UNUSABLE_ROWS: usize = 9;

/// Sizes the columns for what `builder` laid out and fixes them in its
/// configuration: the advice and lookup columns each phase needs at `2^k` rows
/// (less [`UNUSABLE_ROWS`]) and the fixed columns for its constants. The same
/// arithmetic as halo2-base's `calculate_params`, which also prints its
/// statistics to stdout: a user of `clearproof` sees only clearproof's lines.
pub fn fit_columns(
    builder: &mut halo2_base::gates::circuit::builder::BaseCircuitBuilder<crate::Fr>,
) -> halo2_base::gates::circuit::BaseCircuitParams {
    let mut params = builder.config_params.clone();
    let k = params.k;
    assert_ne!(k, 0, "k must be set");
    let usable = (1usize << k) - UNUSABLE_ROWS;
    let stats = builder.statistics();
    params.num_advice_per_phase =
        stats.gate.total_advice_per_phase.iter().map(|cells| cells.div_ceil(usable)).collect();
    params.num_fixed = stats.gate.total_fixed.div_ceil(1 << k);
    params.num_lookup_advice_per_phase =
        stats.total_lookup_advice_per_phase.iter().map(|cells| cells.div_ceil(usable)).collect();
    params.lookup_bits = builder.lookup_bits();
    builder.set_params(params.clone());
    params
}

/// MockProver helpers for the gadget tests.
#[cfg(test)]
pub(crate) mod testing {
    use halo2_base::gates::circuit::builder::RangeCircuitBuilder;
    use halo2_base::gates::RangeChip;
    use halo2_base::halo2_proofs::dev::MockProver;

    use super::hash::{CircuitHasher, HashedCircuit};
    use super::Ctx;
    use crate::Fr;
    use halo2_base::gates::RangeInstructions;

    /// Runs `f` in a fresh range-check circuit of size `2^k` and reports whether
    /// MockProver is satisfied (a constraint failure is `false`, never a panic).
    pub(crate) fn satisfied(k: u32, f: impl FnOnce(&mut Ctx, &RangeChip<Fr>)) -> bool {
        satisfied_hashing(k, |ctx, range, _| f(ctx, range))
    }

    /// [`satisfied`] for gadgets that hash: `f` gets a hasher whose calls the
    /// Poseidon chip proves, in the same circuit.
    pub(crate) fn satisfied_hashing(
        k: u32,
        f: impl FnOnce(&mut Ctx, &RangeChip<Fr>, &CircuitHasher),
    ) -> bool {
        MockProver::run(k, &hashed(k, f), vec![]).expect("circuit fits").verify().is_ok()
    }

    /// What MockProver reports: each failed constraint as `Constraint i ('name')
    /// in gate j ('gate name')`, and "copy constraint" for a failed equality.
    pub(crate) fn failure_names(
        result: Result<(), Vec<halo2_base::halo2_proofs::dev::VerifyFailure>>,
    ) -> Vec<String> {
        use halo2_base::halo2_proofs::dev::VerifyFailure;
        match result {
            Ok(()) => Vec::new(),
            Err(errors) => errors
                .iter()
                .map(|e| match e {
                    VerifyFailure::ConstraintNotSatisfied { constraint, .. } => {
                        constraint.to_string()
                    }
                    VerifyFailure::Permutation { .. } => "copy constraint".into(),
                    other => other.to_string(),
                })
                .collect(),
        }
    }

    /// The circuit [`satisfied_hashing`] checks.
    pub(crate) fn hashed(
        k: u32,
        f: impl FnOnce(&mut Ctx, &RangeChip<Fr>, &CircuitHasher),
    ) -> HashedCircuit {
        let lookup_bits = 8;
        let mut builder = RangeCircuitBuilder::default().use_k(k as usize);
        builder.set_lookup_bits(lookup_bits);
        let range = RangeChip::new(lookup_bits, builder.lookup_manager().clone());
        let ctx = builder.main(0);
        let hasher = CircuitHasher::new(ctx, range.gate());
        f(ctx, &range, &hasher);
        super::fit_columns(&mut builder);
        HashedCircuit::new(builder, &hasher)
    }
}

#[cfg(test)]
mod tests {
    use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
    use halo2_base::gates::circuit::CircuitBuilderStage;
    use halo2_base::gates::RangeInstructions;

    use crate::Fr;

    #[test]
    fn fit_columns_sizes_columns_as_halo2_base_does() {
        let mut builder = BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Keygen)
            .use_k(10)
            .use_lookup_bits(8)
            .use_instance_columns(1);
        let range = builder.range_chip();
        let ctx = builder.main(0);
        for i in 0..900u64 {
            let x = ctx.load_witness(Fr::from(i * 7_919));
            range.range_check(ctx, x, 40);
            ctx.load_constant(Fr::from(i));
        }
        let mut theirs = builder.deep_clone();
        let ours = super::fit_columns(&mut builder);
        let expected = theirs.calculate_params(Some(super::UNUSABLE_ROWS));
        assert_eq!(format!("{ours:?}"), format!("{expected:?}"));
        assert!(ours.num_advice_per_phase[0] > 1 && ours.num_fixed > 0, "{ours:?}");
    }
}
