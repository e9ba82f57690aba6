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

/// The Poseidon chip as the hasher lays it out: MockProver tests that tamper
/// one cell of the chip's layout (through [`Tamper`]) and expect the named
/// constraint to fail.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::poseidon_chip::{rows_for_hash, ROWS_PER_PERMUTATION};
    use crate::circuit::testing::hashed;
    use halo2_base::gates::RangeInstructions;
    use halo2_base::halo2_proofs::dev::MockProver;
    use halo2_base::poseidon::hasher::PoseidonHasher;
    use rand::{Rng, SeedableRng};

    const K: u32 = 12;

    fn ok(circuit: &HashedCircuit) -> bool {
        MockProver::run(K, circuit, vec![]).expect("fits").verify().is_ok()
    }

    /// One hash of `inputs` through the chip, its output tied to `claimed`.
    fn one_hash(inputs: Vec<Fr>, claimed: Fr) -> HashedCircuit {
        hashed(K, |ctx, range, hasher| {
            let cells = ctx.assign_witnesses(inputs);
            let out = hasher.hash(ctx, range.gate(), &cells);
            let claimed = ctx.load_witness(claimed);
            ctx.constrain_equal(&out, &claimed);
        })
    }

    #[test]
    fn layout_sizes() {
        assert_eq!(ROWS_PER_PERMUTATION, 19);
        // A 2-to-1 hash: two permutations (the second on the padding block) and
        // the output row.
        assert_eq!(rows_for_hash(2), 39);
        // 3 inputs: [a, b], absorb [c, 1].
        assert_eq!(rows_for_hash(3), 2 * 19 + 1 + 1);
    }

    #[test]
    fn chip_equals_native_and_halo2_base_hashes_on_random_inputs() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0xC41F);
        let lengths = [0usize, 1, 2, 3, 4, 5, 8, 9, 12, 13];
        let payloads: Vec<Vec<Fr>> =
            lengths.iter().map(|&n| (0..n).map(|_| Fr::random(&mut rng)).collect()).collect();
        let circuit = hashed(K + 4, |ctx, range, hasher| {
            let mut reference = PoseidonHasher::new(clearproof_protocol::poseidon::spec().clone());
            reference.initialize_consts(ctx, range.gate());
            for payload in &payloads {
                let cells = ctx.assign_witnesses(payload.iter().copied());
                let chip = hasher.hash(ctx, range.gate(), &cells);
                let theirs = reference.hash_fix_len_array(ctx, range.gate(), &cells);
                assert_eq!(
                    *chip.value(),
                    clearproof_protocol::poseidon::hash(payload),
                    "length {}",
                    payload.len()
                );
                ctx.constrain_equal(&chip, &theirs);
            }
        });
        assert_eq!(circuit.hash_count(), lengths.len());
        let prover = MockProver::run(K + 4, &circuit, vec![]).expect("fits");
        assert_eq!(prover.verify(), Ok(()));
        // A random 2-to-1 hash, claimed right and wrong.
        let (a, b) = (Fr::random(&mut rng), Fr::random(&mut rng));
        assert!(ok(&one_hash(vec![a, b], clearproof_protocol::poseidon::hash2(a, b))));
        assert!(!ok(&one_hash(vec![a, b], clearproof_protocol::poseidon::hash2(b, a))));
    }

    #[test]
    fn the_chip_computes_the_textbook_sponge_natively() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for n in [0usize, 1, 2, 3, 12, 48] {
            let inputs: Vec<Fr> = (0..n).map(|_| Fr::from(rng.gen::<u64>())).collect();
            let circuit = one_hash(inputs.clone(), clearproof_protocol::poseidon::hash(&inputs));
            assert!(ok(&circuit), "length {n}");
        }
    }

    /// What MockProver reports: each failed constraint as `Constraint i ('name')
    /// in gate j ('gate name')`, and "copy constraint" for a failed equality.
    fn failures(circuit: &HashedCircuit) -> Vec<String> {
        crate::circuit::testing::failure_names(
            MockProver::run(K, circuit, vec![]).expect("fits").verify(),
        )
    }

    /// Whether `failures` names constraint `constraint` of gate `gate`.
    fn names(failures: &[String], gate: &str, constraint: &str) -> bool {
        let (gate, constraint) = (format!("('poseidon: {gate}')"), format!("('{constraint}')"));
        failures.iter().any(|f| f.contains(&gate) && f.contains(&constraint))
    }

    /// A 3-input hash (rows: permutation 0..=18, absorb 19, permutation 20..=38,
    /// output 39), tampered after layout; what fails.
    fn tampered(tamper: impl FnOnce(&mut HashedCircuit)) -> Vec<String> {
        let inputs = vec![Fr::from(3u64), Fr::from(4u64), Fr::from(5u64)];
        let mut circuit = one_hash(inputs.clone(), clearproof_protocol::poseidon::hash(&inputs));
        tamper(&mut circuit);
        failures(&circuit)
    }

    #[test]
    fn untampered_layout_is_accepted() {
        assert_eq!(tampered(|_| {}), Vec::<String>::new());
    }

    #[test]
    fn tampering_any_intermediate_round_value_is_rejected() {
        // Each named constraint of each gate, seen failing when one of its cells
        // is changed (rows: 0-1 full pairs, 2-15 partial quads, 16 the single
        // partial round, 17-18 full pairs, 19 absorb, then permutation 2).
        let cases = [
            (0, 3, "two full rounds", "round 1: b = x^4"),
            (38, 5, "two full rounds", "round 1: b = x^4"),
            (1, 8, "two full rounds", "round 2: a = x^2"),
            (18, 6, "two full rounds", "round 2: a = x^2"),
            (2, 1, "two full rounds", "next state"),
            (22, 2, "two full rounds", "next state"),
            (2, 3, "four partial rounds", "round 1: x^4"),
            (5, 4, "four partial rounds", "round 2: x^2"),
            (5, 5, "four partial rounds", "round 2: x^5"),
            (9, 6, "four partial rounds", "round 3: x^2"),
            (9, 7, "four partial rounds", "round 3: x^5"),
            (15, 8, "four partial rounds", "round 4: x^2"),
            (10, 0, "four partial rounds", "next state"),
            (16, 3, "one partial round", "x^4"),
            (17, 2, "one partial round", "next state"),
            (19, 3, "absorb", "word 1 absorbed"),
            (19, 4, "absorb", "word 2 absorbed"),
            (20, 0, "absorb", "capacity kept"),
        ];
        for (row, col, gate, constraint) in cases {
            let failed = tampered(|c| c.tamper.advice = Some((row, col, Fr::from(12_345u64))));
            assert!(names(&failed, gate, constraint), "row {row} column {col}: {failed:?}");
        }
    }

    #[test]
    fn tampering_a_round_constant_is_rejected() {
        let cases = [
            (0, 0, "two full rounds"),
            (1, 4, "two full rounds"),
            (37, 3, "two full rounds"),
            (20, 1, "two full rounds"),
            (3, 1, "four partial rounds"),
            (7, 5, "four partial rounds"),
            (16, 2, "one partial round"),
        ];
        for (row, col, gate) in cases {
            let failed = tampered(|c| c.tamper.fixed = Some((row, col, Fr::from(9u64))));
            let gate = format!("('poseidon: {gate}')");
            assert!(failed.iter().any(|f| f.contains(&gate)), "row {row} column {col}: {failed:?}");
        }
    }

    #[test]
    fn tampering_the_output_is_rejected() {
        let failed = tampered(|c| c.tamper.advice = Some((39, 1, Fr::from(1u64))));
        assert!(names(&failed, "two full rounds", "next state"), "{failed:?}");
        assert!(failed.iter().any(|f| f == "copy constraint"), "tied to the caller's output");
    }

    /// The chip laid out with input `i` changed (a consistent layout, its output
    /// claimed by the caller) while the caller's input cell keeps the old value.
    fn input_swapped(i: usize, untied: bool) -> Vec<String> {
        let inputs = [Fr::from(10u64), Fr::from(20u64), Fr::from(30u64)];
        let mut forged = inputs;
        forged[i] += Fr::ONE;
        let mut circuit = hashed(K, |ctx, _, hasher| {
            let inputs = ctx.assign_witnesses(inputs);
            let output = ctx.load_witness(clearproof_protocol::poseidon::hash(&forged));
            hasher.record(HashCall { inputs, output });
        });
        circuit.tamper.input = Some((0, i, forged[i]));
        circuit.tamper.untied_inputs = untied;
        failures(&circuit)
    }

    #[test]
    fn an_input_that_differs_from_the_callers_cell_is_rejected() {
        // Input 0 sits in the first row, input 2 in the absorb row.
        for i in [0, 1, 2] {
            let failed = input_swapped(i, false);
            assert!(!failed.is_empty(), "input {i}");
            assert!(failed.iter().all(|f| f == "copy constraint"), "input {i}: {failed:?}");
            // Control: without the input copy constraints the forgery passes, so
            // the rejection above is the copy constraint's doing.
            assert_eq!(input_swapped(i, true), Vec::<String>::new(), "input {i}");
        }
    }

    #[test]
    fn a_chip_that_does_not_fit_is_an_error_not_a_panic() {
        // 30 2-to-1 hashes need 1 170 rows; 2^10 has 1 014 usable.
        let circuit = hashed(10, |ctx, range, hasher| {
            let x = ctx.load_witness(Fr::ONE);
            (0..30).fold(x, |acc, _| hasher.hash(ctx, range.gate(), &[acc, x]));
        });
        assert_eq!(circuit.chip_rows(), 30 * 39);
        assert!(MockProver::run(10, &circuit, vec![]).is_err());
    }

    #[test]
    #[should_panic(expected = "never laid out")]
    fn hashes_never_laid_out_by_the_chip_are_caught() {
        let mut builder = halo2_base::gates::circuit::builder::RangeCircuitBuilder::<Fr>::default()
            .use_k(K as usize)
            .use_lookup_bits(8);
        let range = builder.range_chip();
        let ctx = builder.main(0);
        let hasher = CircuitHasher::new(ctx, range.gate());
        let x = ctx.load_witness(Fr::ONE);
        hasher.hash(ctx, range.gate(), &[x, x]);
        // Dropped without HashedCircuit::new: the output would be unconstrained.
    }
}
