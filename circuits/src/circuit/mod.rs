//! The halo2 state-transition circuit — **in progress** (see
//! `docs/CIRCUIT-DESIGN.md` for the plan and what exists).
//!
//! Built so far: [`chunk`] (the chunk circuit for no-ops and all eight v1
//! transactions, checked against the native applier) on top
//! of the gadgets every slot needs, each with MockProver tests that
//! tamper one value and expect failure: [`hash`] (Poseidon behind one
//! interface), [`num`] (range-checked protocol numbers), [`arith`] (sound
//! comparisons), [`merkle`] (membership and update along one path), [`account`]
//! and [`market`] (cells and hashes), [`funding`] (§5 settlement), [`margin`]
//! (§4 health and solvency), and [`public`] (public-input layout and the
//! data-hash chain, natively and in-circuit).

pub mod account;
pub mod arith;
pub mod chunk;
pub mod funding;
pub mod hash;
pub mod margin;
pub mod market;
pub mod merkle;
pub mod num;
pub mod public;

/// The context type every gadget takes first.
pub type Ctx = halo2_base::Context<crate::Fr>;
/// An assigned cell.
pub type Cell = halo2_base::AssignedValue<crate::Fr>;

/// MockProver helpers for the gadget tests.
#[cfg(test)]
pub(crate) mod testing {
    use halo2_base::gates::circuit::builder::RangeCircuitBuilder;
    use halo2_base::gates::RangeChip;
    use halo2_base::halo2_proofs::dev::MockProver;

    use super::Ctx;
    use crate::Fr;

    /// Runs `f` in a fresh range-check circuit of size `2^k` and reports whether
    /// MockProver is satisfied (a constraint failure is `false`, never a panic).
    pub fn satisfied(k: u32, f: impl FnOnce(&mut Ctx, &RangeChip<Fr>)) -> bool {
        let lookup_bits = 8;
        let mut builder = RangeCircuitBuilder::default().use_k(k as usize);
        builder.set_lookup_bits(lookup_bits);
        let range = RangeChip::new(lookup_bits, builder.lookup_manager().clone());
        f(builder.main(0), &range);
        builder.calculate_params(Some(9));
        MockProver::run(k, &builder, vec![]).expect("circuit fits").verify().is_ok()
    }
}
