//! Poseidon in the circuit, behind one interface: gadgets call
//! [`CircuitHasher::hash`]; [`HashedCircuit`] proves every such call with the
//! Poseidon chip (`poseidon_chip.rs`). Signatures go the same way:
//! [`CircuitHasher::verify_signature`] records a check that the EdDSA chip
//! (`eddsa_chip.rs`, on the Poseidon chip's columns plus its own) proves.
//!
//! halo2-base lays a circuit out virtually first and assigns it afterwards, while
//! the chip assigns real rows. So, during virtual synthesis, `hash` only returns
//! a witness cell holding the native hash and records the call. When the circuit
//! is assigned, [`HashedCircuit`] lets halo2-base assign its cells, lays out each
//! recorded call with the chip, and copy-constrains every chip cell that holds a
//! sponge word to the halo2-base cell it stands for: inputs, output, and the
//! capacity and padding constants (halo2-base constant cells). The chip's gates
//! make its output the hash of its inputs; the copy constraints make those the
//! caller's cells, so the witness output cell is constrained like any other.
//!
//! [`CircuitHasher::halo2_base`] keeps halo2-base's own hasher (every hash laid
//! out in halo2-base cells, no chip): the cost baseline the benches compare with.

use std::sync::{Arc, Mutex};

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, BaseConfig};
use halo2_base::gates::GateInstructions;
use halo2_base::halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_base::halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};
use halo2_base::poseidon::hasher::PoseidonHasher;

use super::cost;
use super::eddsa_chip::{self, EddsaChip, EddsaConfig, EddsaInstructions};
use super::poseidon_chip::{
    capacity, rows_for_hash, PoseidonChip, PoseidonConfig, PoseidonInstructions, Word,
};
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::instance::NUM_PUBLIC_INPUTS;
use clearproof_protocol::poseidon::{spec, RATE, T};
use halo2_base::halo2_proofs::halo2curves::ff::Field;

/// One recorded hash: the caller's input cells and the witness output cell.
#[derive(Debug, Clone)]
pub struct HashCall {
    /// The inputs, in order.
    pub inputs: Vec<Cell>,
    /// The output (a witness the chip constrains).
    pub output: Cell,
}

/// The halo2-base constant cells the sponge's constant words are tied to.
#[derive(Debug, Clone, Copy)]
struct SpongeConstants {
    capacity: Cell,
    one: Cell,
    zero: Cell,
}

/// One recorded signature check: the EdDSA chip's rows and the halo2-base
/// cells its `A`, `R` and challenge `c` are tied to.
#[derive(Debug, Clone)]
pub struct SignatureCall {
    /// The chip's rows ([`eddsa_chip::rows`]).
    pub rows: Vec<eddsa_chip::ChipRow>,
    /// The key `A` (the caller's cells).
    pub a: [Cell; 2],
    /// `R` (witnesses).
    pub r: [Cell; 2],
    /// `c = H(R.x, R.y, A.x, A.y, msg)` (a recorded hash's output).
    pub c: Cell,
}

/// The calls recorded and not yet handed to a [`HashedCircuit`]. A hash output is
/// only constrained once the chip lays its call out (and a signature is only
/// checked then), so dropping a log that still holds calls is a bug and panics,
/// in every build profile.
#[derive(Debug, Default)]
struct HashLog(Vec<HashCall>, Vec<SignatureCall>);

impl Drop for HashLog {
    fn drop(&mut self) {
        let recorded = !self.0.is_empty() || !self.1.is_empty();
        if recorded && !std::thread::panicking() {
            panic!(
                "{} hash calls and {} signature checks were recorded but never laid out by a \
                 HashedCircuit: their outputs would be unconstrained",
                self.0.len(),
                self.1.len()
            );
        }
    }
}

#[derive(Debug, Clone)]
enum Backend {
    Chip { constants: Box<SpongeConstants> },
    Halo2Base(Box<PoseidonHasher<Fr, T, RATE>>),
}

/// `H(x_1..x_n)` in the circuit, identical to [`clearproof_protocol::poseidon::hash`], and
/// EdDSA signature checks.
#[derive(Debug, Clone)]
pub struct CircuitHasher {
    backend: Backend,
    calls: Arc<Mutex<HashLog>>,
}

impl CircuitHasher {
    /// A hasher whose calls the Poseidon chip proves; loads the sponge's constants
    /// into `ctx`. Hand it to [`HashedCircuit::new`] once synthesis is done: until
    /// then, the outputs it returned are unconstrained witnesses.
    pub fn new(ctx: &mut Ctx, _gate: &impl GateInstructions<Fr>) -> Self {
        let constants = SpongeConstants {
            capacity: ctx.load_constant(capacity()),
            one: ctx.load_constant(Fr::ONE),
            zero: ctx.load_constant(Fr::ZERO),
        };
        Self { backend: Backend::Chip { constants: Box::new(constants) }, calls: Arc::default() }
    }

    /// halo2-base's hasher: every hash in halo2-base cells (the cost baseline).
    pub fn halo2_base(ctx: &mut Ctx, gate: &impl GateInstructions<Fr>) -> Self {
        let mut inner = PoseidonHasher::new(spec().clone());
        inner.initialize_consts(ctx, gate);
        Self { backend: Backend::Halo2Base(Box::new(inner)), calls: Arc::default() }
    }

    /// The fixed-length hash of `inputs`.
    pub fn hash(&self, ctx: &mut Ctx, gate: &impl GateInstructions<Fr>, inputs: &[Cell]) -> Cell {
        match &self.backend {
            Backend::Chip { .. } => {
                let values: Vec<Fr> = inputs.iter().map(|c| *c.value()).collect();
                let output = ctx.load_witness(clearproof_protocol::poseidon::hash(&values));
                self.record(HashCall { inputs: inputs.to_vec(), output });
                output
            }
            Backend::Halo2Base(inner) => inner.hash_fix_len_array(ctx, gate, inputs),
        }
    }

    /// Records a call for the chip to prove. `call.output` must be a witness
    /// cell: the chip constrains it to the hash of `call.inputs`.
    pub(crate) fn record(&self, call: HashCall) {
        if let Backend::Chip { .. } = &self.backend {
            cost::charge_chip_rows(rows_for_hash(call.inputs.len()));
            self.calls.lock().expect("hash log").0.push(call);
        }
    }

    /// Checks an EdDSA signature on `msg` under the key `a` (PROTOCOL §6.1):
    /// the EdDSA chip proves `s·B = R + c·A` with `c < p`, `s < l` and
    /// `R = 8·R'`, laid out from `witness`, and its `A`, `R` and `c` are tied to
    /// `a`, to `R` witnesses here, and to `c = H(R.x, R.y, A.x, A.y, msg)` hashed
    /// like any call. So the circuit holds only if native
    /// [`clearproof_protocol::signature::verify`] accepts the signature. The key must be on
    /// the curve (an owner key is checked where it enters the state).
    pub fn verify_signature(
        &self,
        ctx: &mut Ctx,
        gate: &impl GateInstructions<Fr>,
        a: [Cell; 2],
        msg: Cell,
        witness: &eddsa_chip::SignatureWitness,
    ) {
        let rows = eddsa_chip::rows(witness);
        let (_, r_values, _) = eddsa_chip::row_values(&rows);
        let r = r_values.map(|v| ctx.load_witness(v));
        let c = self.hash(ctx, gate, &[r[0], r[1], a[0], a[1], msg]);
        cost::charge_chip_rows(eddsa_chip::ROWS_PER_SIGNATURE);
        self.calls.lock().expect("hash log").1.push(SignatureCall { rows, a, r, c });
    }
}

/// A halo2-base circuit whose hashes the Poseidon chip proves.
#[derive(Debug, Clone)]
pub struct HashedCircuit {
    /// The halo2-base part: every cell but the chips'.
    pub base: BaseCircuitBuilder<Fr>,
    constants: Option<SpongeConstants>,
    calls: Vec<HashCall>,
    signatures: Vec<SignatureCall>,
    /// Test hooks: lay the chip out on other values than the recorded ones.
    #[cfg(test)]
    pub(crate) tamper: Tamper,
}

/// What a test changes in the chip's layout.
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub(crate) struct Tamper {
    /// `(call, input, value)`: lay call `call` out with input `input` = `value`.
    pub input: Option<(usize, usize, Fr)>,
    /// `(row, advice column, value)`: overwrite a chip cell after layout.
    pub advice: Option<(usize, usize, Fr)>,
    /// `(row, fixed column, value)`: overwrite a round-constant cell after layout.
    pub fixed: Option<(usize, usize, Fr)>,
    /// Skip the copy constraints of every call's inputs (a deliberately broken tie).
    pub untied_inputs: bool,
}

/// The columns of a [`HashedCircuit`].
#[derive(Debug, Clone)]
pub struct HashedConfig {
    base: BaseConfig<Fr>,
    poseidon: PoseidonConfig,
    eddsa: EddsaConfig,
}

impl HashedCircuit {
    /// Wraps `base`, laid out with `hasher` (whose recorded calls it takes).
    pub fn new(base: BaseCircuitBuilder<Fr>, hasher: &CircuitHasher) -> Self {
        let constants = match &hasher.backend {
            Backend::Chip { constants } => Some(**constants),
            Backend::Halo2Base(_) => None,
        };
        let mut log = hasher.calls.lock().expect("hash log");
        let (calls, signatures) = (std::mem::take(&mut log.0), std::mem::take(&mut log.1));
        Self {
            base,
            constants,
            calls,
            signatures,
            #[cfg(test)]
            tamper: Tamper::default(),
        }
    }

    /// Rows the chips need, hashes and signatures stacked in the shared
    /// columns (they must fit in the usable rows of `2^k`).
    pub fn chip_rows(&self) -> usize {
        self.calls.iter().map(|c| rows_for_hash(c.inputs.len())).sum::<usize>()
            + self.signatures.len() * eddsa_chip::ROWS_PER_SIGNATURE
    }

    /// The signatures the EdDSA chip checks.
    pub fn signature_count(&self) -> usize {
        self.signatures.len()
    }

    /// The hashes the chip proves.
    pub fn hash_count(&self) -> usize {
        self.calls.len()
    }

    /// Lays out every recorded hash with the Poseidon chip and then every
    /// recorded signature check with the EdDSA chip below them, in one region of
    /// the shared columns (halo2-axiom starts every region at row 0, so the two
    /// chips' rows must be one region to stack), and ties every chip cell that
    /// stands for a halo2-base cell to it.
    fn lay_out_chips(
        &self,
        config: PoseidonConfig,
        eddsa: EddsaConfig,
        usable_rows: usize,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let chip = PoseidonChip::construct(config.clone());
        let eddsa = EddsaChip::construct(eddsa);
        let tie = !self.base.witness_gen_only();
        let k = self.base.config_params.k as u32;
        layouter.assign_region(
            || "chips",
            |mut region| {
                let mut offset = 0;
                let mut ties = Vec::new();
                for (i, call) in self.calls.iter().enumerate() {
                    #[allow(unused_mut)]
                    let mut values: Vec<Fr> = call.inputs.iter().map(|c| *c.value()).collect();
                    #[cfg(test)]
                    if let Some((_, j, v)) = self.tamper.input.filter(|t| t.0 == i) {
                        values[j] = v;
                    }
                    if offset + rows_for_hash(values.len()) > usable_rows {
                        return Err(Error::NotEnoughRowsAvailable { current_k: k });
                    }
                    let assigned = chip.hash(&mut region, &mut offset, &values);
                    if tie {
                        ties.extend(assigned.words.into_iter().map(|(cell, word)| (cell, i, word)));
                    }
                }
                let mut signature_ties = Vec::new();
                for call in &self.signatures {
                    if offset + eddsa_chip::ROWS_PER_SIGNATURE > usable_rows {
                        return Err(Error::NotEnoughRowsAvailable { current_k: k });
                    }
                    let assigned = eddsa.verify(&mut region, &mut offset, &call.rows);
                    if tie {
                        signature_ties.extend([
                            (assigned.a[0], call.a[0]),
                            (assigned.a[1], call.a[1]),
                            (assigned.r[0], call.r[0]),
                            (assigned.r[1], call.r[1]),
                            (assigned.c, call.c),
                        ]);
                    }
                }
                #[cfg(test)]
                self.apply_tamper(&config, &mut region);
                if ties.is_empty() && signature_ties.is_empty() {
                    return Ok(());
                }
                let manager = self.base.core().copy_manager.lock().expect("copy manager");
                let halo2_base_cell = |theirs: Cell| {
                    let theirs = theirs.cell.expect("a laid-out cell");
                    *manager.assigned_advices.get(&theirs).expect("halo2-base assigned it")
                };
                for (cell, theirs) in signature_ties {
                    region.constrain_equal(cell, halo2_base_cell(theirs));
                }
                if ties.is_empty() {
                    return Ok(());
                }
                let constants = self.constants.expect("a chip hasher has constants");
                for (cell, i, word) in ties {
                    let call = &self.calls[i];
                    let theirs = match word {
                        Word::Capacity => constants.capacity,
                        Word::One => constants.one,
                        Word::Zero => constants.zero,
                        Word::Input(j) => {
                            #[cfg(test)]
                            if self.tamper.untied_inputs {
                                continue;
                            }
                            call.inputs[j]
                        }
                        Word::Output => call.output,
                    };
                    region.constrain_equal(cell, halo2_base_cell(theirs));
                }
                Ok(())
            },
        )
    }

    #[cfg(test)]
    fn apply_tamper(
        &self,
        config: &PoseidonConfig,
        region: &mut halo2_base::halo2_proofs::circuit::Region<'_, Fr>,
    ) {
        use halo2_base::halo2_proofs::circuit::Value;
        if let Some((row, col, v)) = self.tamper.advice {
            region.assign_advice(config.advice()[col], row, Value::known(v));
        }
        if let Some((row, col, v)) = self.tamper.fixed {
            region.assign_fixed(config.fixed()[col], row, v);
        }
    }
}

impl Circuit<Fr> for HashedCircuit {
    type Config = HashedConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = BaseCircuitParams;

    fn params(&self) -> Self::Params {
        self.base.config_params.clone()
    }

    fn without_witnesses(&self) -> Self {
        unimplemented!("as halo2-base's builder: circuits are built per stage")
    }

    /// halo2-base's columns first, then the chip's.
    fn configure_with_params(
        meta: &mut ConstraintSystem<Fr>,
        params: Self::Params,
    ) -> Self::Config {
        let base = BaseConfig::configure(meta, params);
        let poseidon = PoseidonChip::configure(meta);
        // The EdDSA chip on the Poseidon chip's columns and a few of its own:
        // signature rows stack below the hashes instead of widening the circuit.
        let p_advice = *poseidon.advice();
        let p_fixed = *poseidon.fixed();
        let w = std::array::from_fn(|i| {
            p_advice.get(i).copied().unwrap_or_else(|| meta.advice_column())
        });
        let k =
            std::array::from_fn(|i| p_fixed.get(i).copied().unwrap_or_else(|| meta.fixed_column()));
        let eddsa = EddsaChip::configure_with(meta, w, k);
        HashedConfig { base, poseidon, eddsa }
    }

    fn configure(_: &mut ConstraintSystem<Fr>) -> Self::Config {
        unreachable!("configured with BaseCircuitParams")
    }

    fn synthesize(
        &self,
        config: Self::Config,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let usable_rows = config.base.gate().max_rows;
        if self.chip_rows() > usable_rows {
            return Err(Error::NotEnoughRowsAvailable {
                current_k: self.base.config_params.k as u32,
            });
        }
        self.base.synthesize(config.base, layouter.namespace(|| "halo2-base"))?;
        self.lay_out_chips(
            config.poseidon,
            config.eddsa,
            usable_rows,
            layouter.namespace(|| "chips"),
        )
    }
}

/// The SDK's view of the chunk circuit (snark-verifier-sdk's `CircuitExt`): one
/// instance column of [`NUM_PUBLIC_INPUTS`] values, no accumulator. It is
/// what lets a chunk proof be compiled into a snark-verifier protocol and
/// verified inside [`crate::aggregation`].
impl snark_verifier_sdk::CircuitExt<Fr> for HashedCircuit {
    fn num_instance(&self) -> Vec<usize> {
        vec![NUM_PUBLIC_INPUTS]
    }

    fn instances(&self) -> Vec<Vec<Fr>> {
        self.base
            .assigned_instances
            .iter()
            .map(|column| column.iter().map(|v| *v.value()).collect())
            .collect()
    }
}
