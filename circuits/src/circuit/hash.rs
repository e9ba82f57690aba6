//! Poseidon in the circuit, behind one interface so a faster chip can replace
//! halo2-base's hasher without touching callers.

use halo2_base::gates::GateInstructions;
use halo2_base::poseidon::hasher::PoseidonHasher;

use super::{Cell, Ctx};
use crate::poseidon::{spec, RATE, T};
use crate::Fr;

/// `H(x_1..x_n)` in the circuit, identical to [`crate::poseidon::hash`].
#[derive(Debug, Clone)]
pub struct CircuitHasher {
    inner: PoseidonHasher<Fr, T, RATE>,
}

impl CircuitHasher {
    /// Loads the hasher's constants into `ctx`.
    pub fn new(ctx: &mut Ctx, gate: &impl GateInstructions<Fr>) -> Self {
        let mut inner = PoseidonHasher::new(spec().clone());
        inner.initialize_consts(ctx, gate);
        Self { inner }
    }

    /// The fixed-length hash of `inputs`.
    pub fn hash(&self, ctx: &mut Ctx, gate: &impl GateInstructions<Fr>, inputs: &[Cell]) -> Cell {
        self.inner.hash_fix_len_array(ctx, gate, inputs)
    }
}
