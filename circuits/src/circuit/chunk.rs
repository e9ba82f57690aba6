//! The chunk circuit: `S` transaction slots moving the state from
//! `prev_state_root` to `next_state_root` (PROTOCOL §7).
//!
//! The chunk opens the accounts root, the markets and the globals against
//! `prev_state_root`, carries them as cells through its slots (`slot.rs`, each
//! transaction's rules in `tx/`), and hashes them again into `next_state_root`.
//! The data-hash chain absorbs each non-padding slot's encoding. A batch's first
//! chunk (its chain starts at its own `prev_state_root`) increments
//! `batch_number`. Public inputs: `public.rs`. Design and costs:
//! `docs/CIRCUIT-DESIGN.md`.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};

use super::arith::require_zero;
use super::cost::{metered, Part};
use super::hash::{CircuitHasher, HashedCircuit};
use super::market::{markets_hash, AssignedMarket};
use super::public::data_hash_step_in_circuit;
use super::slot::{self, Running};
use super::tx::oracle::OracleCarry;
use super::tx::GlobalCells;
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::instance::{
    NEXT_DATA_HASH, NEXT_STATE_ROOT, NUM_PUBLIC_INPUTS, PREV_DATA_HASH, PREV_STATE_ROOT,
};
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::witness::ChunkWitness;

/// Lays out the chunk, hashing with `hasher`; returns the public-input cells,
/// each at its named offset of [`clearproof_protocol::instance`].
pub fn synthesize(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    w: &ChunkWitness,
) -> [Cell; NUM_PUBLIC_INPUTS] {
    let gate = range.gate();
    let accounts_root = ctx.load_witness(w.accounts_root);
    let (markets, g) = metered(Part::StateHashes, ctx, range, |ctx| {
        let markets = w.markets.map(|m| AssignedMarket::load(ctx, range, &m));
        let g = ctx.assign_witnesses(w.globals.fields());
        range.range_check(ctx, g[0], 63);
        range.range_check(ctx, g[1], 63);
        range.range_check(ctx, g[2], 64);
        (markets, g)
    });
    let mut globals = GlobalCells { insurance_fund: g[0], fee_pool: g[1], batch_number: g[2] };
    let root =
        |ctx: &mut Ctx, accounts: Cell, markets: &[AssignedMarket; MARKETS], g: &GlobalCells| {
            metered(Part::StateHashes, ctx, range, |ctx| {
                let m = markets_hash(ctx, range, hasher, markets);
                let gh = hasher.hash(ctx, gate, &g.fields());
                hasher.hash(ctx, gate, &[accounts, m, gh])
            })
        };
    let prev_root = root(ctx, accounts_root, &markets, &globals);
    let prev_data_hash = ctx.load_witness(w.prev_data_hash);
    // "a batch's first chunk increments batch_number": the first chunk is the one
    // whose data-hash chain starts at its own prev_state_root (see `public.rs`).
    let is_first = gate.is_equal(ctx, prev_data_hash, prev_root);
    globals.batch_number = gate.add(ctx, globals.batch_number, is_first);
    range.range_check(ctx, globals.batch_number, 64);

    let mut data_hash = prev_data_hash;
    let mut running = Running { accounts_root, markets, globals, carry: OracleCarry::none(ctx) };
    for slot in &w.slots {
        let (enc, is_noop) = slot::synthesize(ctx, range, hasher, w.depth, slot, &mut running);
        data_hash = metered(Part::DataHash, ctx, range, |ctx| {
            data_hash_step_in_circuit(ctx, gate, hasher, data_hash, &enc, is_noop)
        });
    }

    // "an oracle update's continuation is in its chunk".
    let unfinished = running.carry.is_oracle;
    require_zero(ctx, gate, unfinished, "an oracle update is not a chunk's last slot");
    let next_root = root(ctx, running.accounts_root, &running.markets, &running.globals);
    std::array::from_fn(|offset| match offset {
        PREV_STATE_ROOT => prev_root,
        NEXT_STATE_ROOT => next_root,
        PREV_DATA_HASH => prev_data_hash,
        NEXT_DATA_HASH => data_hash,
        _ => unreachable!("public input {offset} has no name"),
    })
}

/// How the chunk circuit proves its hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hashing {
    /// With the Poseidon chip (the production circuit).
    Chip,
    /// With halo2-base's hasher, in halo2-base cells: the circuit before the
    /// chip, kept as the benches' baseline.
    Halo2Base,
}

fn hasher(ctx: &mut Ctx, range: &RangeChip<Fr>, hashing: Hashing) -> CircuitHasher {
    match hashing {
        Hashing::Chip => CircuitHasher::new(ctx, range.gate()),
        Hashing::Halo2Base => CircuitHasher::halo2_base(ctx, range.gate()),
    }
}

/// The chunk circuit laid out for `w`, and the public values it computed. `stage`
/// must not be a prover-only stage for MockProver or keygen.
pub fn builder(stage: CircuitBuilderStage, k: usize, w: &ChunkWitness) -> (HashedCircuit, Vec<Fr>) {
    builder_with(stage, k, w, Hashing::Chip)
}

/// [`builder`] with a choice of [`Hashing`].
pub fn builder_with(
    stage: CircuitBuilderStage,
    k: usize,
    w: &ChunkWitness,
    hashing: Hashing,
) -> (HashedCircuit, Vec<Fr>) {
    let mut builder = BaseCircuitBuilder::from_stage(stage)
        .use_k(k)
        .use_lookup_bits(k - 1)
        .use_instance_columns(1);
    let range = builder.range_chip();
    let ctx = builder.main(0);
    let hasher = hasher(ctx, &range, hashing);
    let public = synthesize(ctx, &range, &hasher, w);
    let values = public.iter().map(|c| *c.value()).collect();
    builder.assigned_instances[0].extend(public);
    super::fit_columns(&mut builder);
    (HashedCircuit::new(builder, &hasher), values)
}

/// A witness-generation-only circuit pinned to a proving key's configuration
/// (`config` and `break_points` from the keygen builder).
pub fn prover_builder(
    config: halo2_base::gates::circuit::BaseCircuitParams,
    break_points: halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints,
    w: &ChunkWitness,
) -> HashedCircuit {
    prover_builder_with(config, break_points, w, Hashing::Chip)
}

/// [`prover_builder`] with a choice of [`Hashing`].
pub fn prover_builder_with(
    config: halo2_base::gates::circuit::BaseCircuitParams,
    break_points: halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints,
    w: &ChunkWitness,
    hashing: Hashing,
) -> HashedCircuit {
    let mut builder = BaseCircuitBuilder::prover(config, break_points);
    if builder.assigned_instances.is_empty() {
        builder.assigned_instances.push(Vec::new());
    }
    let range = builder.range_chip();
    let ctx = builder.main(0);
    let hasher = hasher(ctx, &range, hashing);
    let public = synthesize(ctx, &range, &hasher, w);
    builder.assigned_instances[0].extend(public);
    HashedCircuit::new(builder, &hasher)
}
