//! One proof per batch (PROTOCOL §7, v2): a batch's chunk proofs verified inside
//! one snark-verifier `AggregationCircuit` (SHPLONK, the chunk verifying key
//! fixed in the circuit, not a witness), whose proof an EVM contract checks.
//!
//! The aggregation circuit takes exactly [`AggregationParams::chunks`] chunk
//! proofs; a batch with fewer chunks is padded with proofs of empty chunks at
//! its final root ([`clearproof_protocol::witness::padding_chunk`]), so the verifier
//! never changes. Over the chunks' public inputs it adds the batch rules of
//! [`constrain_batch`], each named:
//!
//! - the first chunk starts the batch (its `prev_data_hash` is its
//!   `prev_state_root`: the chunk circuit then increments the batch number);
//! - consecutive chunks chain (state root and data hash);
//! - the final root opens to `(accounts_root, markets_hash, globals)` and the
//!   batch number is the one in those globals (64 bits).
//!
//! Its public inputs (a [`BatchHeader`]) are the KZG accumulator's 12 limbs
//! (the pairing the verifier finishes), then `prev_state_root`,
//! `next_state_root`, `data_hash` and `batch_number`. The final proof uses the
//! Keccak transcript the generated Solidity verifier reads
//! ([`AggregationVerifyingKey::solidity`]).

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fq, G1Affine};
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use halo2_base::halo2_proofs::halo2curves::CurveAffine;
use halo2_base::halo2_proofs::plonk::{self, create_proof, keygen_pk, keygen_vk, verify_proof};
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_base::halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_base::halo2_proofs::transcript::{TranscriptReadBuffer, TranscriptWriterBuffer};
use halo2_base::halo2_proofs::SerdeFormat;
use halo2_base::poseidon::hasher::PoseidonHasher;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use snark_verifier_sdk::halo2::aggregation::{
    AggregationCircuit, AggregationConfigParams, VerifierUniversality,
};
use snark_verifier_sdk::halo2::gen_dummy_snark_from_vk;
use snark_verifier_sdk::snark_verifier::loader::evm::encode_calldata;
use snark_verifier_sdk::snark_verifier::pcs::kzg::{KzgAccumulator, KzgDecidingKey};
use snark_verifier_sdk::snark_verifier::pcs::AccumulationDecider;
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use snark_verifier_sdk::snark_verifier::system::halo2::{compile, Config};
use snark_verifier_sdk::snark_verifier::util::arithmetic::fe_from_limbs;
use snark_verifier_sdk::snark_verifier::verifier::plonk::PlonkProtocol;
use snark_verifier_sdk::{NativeLoader, Snark, BITS, LIMBS, SHPLONK};

use super::arith::{assert_nonneg_if, require_zero};
use super::proof::{
    CircuitParams, Instance, Proof, ProofError, Srs, VerifyingKey, NEXT_DATA_HASH, NEXT_STATE_ROOT,
    NUM_PUBLIC_INPUTS, PREV_DATA_HASH, PREV_STATE_ROOT,
};
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::batch::{BatchHeader, BatchOutput};
use clearproof_protocol::state::{markets_hash, Globals, Market};

/// Limbs of the KZG accumulator at the head of the public inputs (two G1
/// points, two coordinates each, [`LIMBS`] limbs of [`BITS`] bits).
pub const ACCUMULATOR_LIMBS: usize = 4 * LIMBS;
/// Offset of the batch's `prev_state_root` in the public inputs.
pub const BATCH_PREV_STATE_ROOT: usize = ACCUMULATOR_LIMBS;
/// Offset of `next_state_root`.
pub const BATCH_NEXT_STATE_ROOT: usize = ACCUMULATOR_LIMBS + 1;
/// Offset of `data_hash`.
pub const BATCH_DATA_HASH: usize = ACCUMULATOR_LIMBS + 2;
/// Offset of `batch_number`.
pub const BATCH_NUMBER: usize = ACCUMULATOR_LIMBS + 3;
/// Number of public inputs of the aggregation proof.
pub const AGGREGATION_PUBLIC_INPUTS: usize = ACCUMULATOR_LIMBS + 4;

/// What fixes the aggregation circuit, and so its keys and EVM verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregationParams {
    /// The chunk circuit whose proofs it verifies.
    pub chunk: CircuitParams,
    /// Chunk proofs per batch (fewer are padded with empty chunks).
    pub chunks: usize,
    /// `log2` of its number of rows.
    pub k: u32,
}

impl AggregationParams {
    /// The production aggregation: one production chunk per proof at `2^21` rows
    /// (4 advice columns: its EVM verifier fits a contract; the devnet's batches
    /// are one chunk each; the README's aggregation ladder has larger counts).
    pub const PRODUCTION: Self = Self { chunk: CircuitParams::PRODUCTION, chunks: 1, k: 21 };

    /// A short name for file names and logs: `agg-c1-k21-d24-s18-k17`.
    pub fn id(&self) -> String {
        format!("agg-c{}-k{}-{}", self.chunks, self.k, self.chunk.id())
    }
}

/// What must not drift in the aggregation: its parameters and the digest of
/// its verifying key with the development SRS. The committed EVM fixtures
/// (`verifier/evm/`) are for this key: `verifier/tests/evm_fixtures.rs` checks
/// they agree, and `tests::the_pinned_aggregation_key_is_todays` recomputes the
/// digest from today's code. Change both on purpose, with the
/// fixtures (`verifier/evm/build.sh --fixtures`).
#[derive(Debug, Clone, Copy)]
pub struct PinnedAggregation {
    /// The production aggregation.
    pub params: AggregationParams,
    /// [`AggregationVerifyingKey::digest`] with the development SRS.
    pub vk_digest_insecure_dev: &'static str,
}

/// The pinned production aggregation.
pub const PINNED_AGGREGATION: PinnedAggregation = PinnedAggregation {
    params: AggregationParams::PRODUCTION,
    vk_digest_insecure_dev: "4cb9120801afa0fe1c734556d28a937cb2332497d7b6f08cc176de1e526c7c96",
};

/// The batch's public inputs after the accumulator, at their named offsets
/// (`BATCH_PREV_STATE_ROOT` and on, less the accumulator's limbs).
fn header_inputs(header: &BatchHeader) -> Vec<Fr> {
    let mut v = vec![Fr::zero(); AGGREGATION_PUBLIC_INPUTS - ACCUMULATOR_LIMBS];
    v[BATCH_PREV_STATE_ROOT - ACCUMULATOR_LIMBS] = header.prev_state_root;
    v[BATCH_NEXT_STATE_ROOT - ACCUMULATOR_LIMBS] = header.next_state_root;
    v[BATCH_DATA_HASH - ACCUMULATOR_LIMBS] = header.data_hash;
    v[BATCH_NUMBER - ACCUMULATOR_LIMBS] = Fr::from(header.number);
    v
}

/// The preimage of a state root (PROTOCOL §3): `H(accounts_root, markets_hash,
/// H(insurance_fund, fee_pool, batch_number))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootOpening {
    /// The accounts tree's root.
    pub accounts_root: Fr,
    /// The markets' hash.
    pub markets_hash: Fr,
    /// The globals, as field elements.
    pub globals: [Fr; 3],
}

impl RootOpening {
    /// The opening of a batch's `next_state_root`.
    pub fn after(batch: &BatchOutput) -> Self {
        let markets: [Market; clearproof_protocol::params::MARKETS] = std::array::from_fn(|m| {
            Market { params: batch.market_params[m], state: batch.markets_after[m] }
        });
        Self::of(batch.accounts_root_after, markets_hash(&markets), &batch.globals_after)
    }

    /// The opening of a root with these parts.
    pub fn of(accounts_root: Fr, markets_hash: Fr, globals: &Globals) -> Self {
        Self { accounts_root, markets_hash, globals: globals.fields() }
    }

    /// The root it opens.
    pub fn root(&self) -> Fr {
        clearproof_protocol::state::state_root(
            self.accounts_root,
            self.markets_hash,
            clearproof_protocol::poseidon::hash(&self.globals),
        )
    }
}

/// The batch rules over the chunks' public inputs (each `[prev_state_root,
/// next_state_root, prev_data_hash, next_data_hash]` as laid out by
/// [`Instance::to_vec`]) and the final root's opening: the batch's public
/// inputs, constrained. Rules are named for the negative tests.
pub fn constrain_batch(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    chunks: &[Vec<Cell>],
    opening: &RootOpening,
) -> [Cell; 4] {
    let gate = range.gate();
    assert!(!chunks.is_empty(), "a batch has at least one chunk");
    let equal = |ctx: &mut Ctx, a: Cell, b: Cell, rule: &'static str| {
        let d = gate.sub(ctx, a, b);
        require_zero(ctx, gate, d, rule);
    };
    let first = &chunks[0];
    equal(
        ctx,
        first[PREV_DATA_HASH],
        first[PREV_STATE_ROOT],
        "aggregation: the first chunk starts the batch (its data hash starts at its root)",
    );
    for pair in chunks.windows(2) {
        equal(
            ctx,
            pair[1][PREV_STATE_ROOT],
            pair[0][NEXT_STATE_ROOT],
            "aggregation: each chunk starts at the previous chunk's state root",
        );
        equal(
            ctx,
            pair[1][PREV_DATA_HASH],
            pair[0][NEXT_DATA_HASH],
            "aggregation: each chunk starts at the previous chunk's data hash",
        );
    }
    let last = chunks.last().expect("not empty");

    let mut hasher = PoseidonHasher::<Fr, 3, 2>::new(clearproof_protocol::poseidon::spec().clone());
    hasher.initialize_consts(ctx, gate);
    let [accounts_root, markets, insurance, fees, number] = [
        opening.accounts_root,
        opening.markets_hash,
        opening.globals[0],
        opening.globals[1],
        opening.globals[2],
    ]
    .map(|v| ctx.load_witness(v));
    let one = ctx.load_constant(Fr::one());
    assert_nonneg_if(ctx, range, number, one, 64, "aggregation: the batch number fits 64 bits");
    let globals = hasher.hash_fix_len_array(ctx, gate, &[insurance, fees, number]);
    let root = hasher.hash_fix_len_array(ctx, gate, &[accounts_root, markets, globals]);
    equal(
        ctx,
        root,
        last[NEXT_STATE_ROOT],
        "aggregation: the final root opens to the batch number's globals",
    );
    [first[PREV_STATE_ROOT], last[NEXT_STATE_ROOT], last[NEXT_DATA_HASH], number]
}

/// Why a batch could not be aggregated.
#[derive(Debug, thiserror::Error)]
pub enum AggregationError {
    /// Not the number of chunk proofs the key takes.
    #[error("the aggregation key takes {expected} chunk proofs, got {got}")]
    WrongChunkCount {
        /// [`AggregationParams::chunks`].
        expected: usize,
        /// Given.
        got: usize,
    },
    /// A chunk proof does not verify against its public inputs.
    #[error("chunk proof {0} does not verify")]
    BadChunk(usize),
    /// The chunks do not chain into one batch, or the opening is not the root's.
    #[error("{0}")]
    NotABatch(String),
    /// The SRSs do not fit the keys.
    #[error("{0}")]
    Srs(String),
    /// The proof system failed.
    #[error("halo2: {0}")]
    Halo2(#[from] plonk::Error),
}

/// How keygen laid the aggregation circuit out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AggregationLayout {
    /// Its parameters.
    pub params: AggregationParams,
    /// Column counts and lookup bits.
    pub config: AggregationConfigParams,
    /// Where the virtual cells break across columns.
    pub break_points: MultiPhaseThreadBreakPoints,
}

/// The aggregation circuit's proving key, and what proving needs with it.
pub struct AggregationKey {
    pk: plonk::ProvingKey<G1Affine>,
    vk: AggregationVerifyingKey,
    layout: AggregationLayout,
    chunk_vk: VerifyingKey,
    protocol: PlonkProtocol<G1Affine>,
}

impl std::fmt::Debug for AggregationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregationKey").finish_non_exhaustive()
    }
}

/// The chunk verifying key compiled for snark-verifier (`srs` at the chunk's k).
fn chunk_protocol(chunk_srs: &Srs, chunk_vk: &VerifyingKey) -> PlonkProtocol<G1Affine> {
    compile(
        chunk_srs.params(),
        chunk_vk.inner(),
        Config::kzg().with_num_instance(vec![NUM_PUBLIC_INPUTS]),
    )
}

fn circuit(
    stage: CircuitBuilderStage,
    config: AggregationConfigParams,
    srs: &Srs,
    snarks: Vec<Snark>,
    opening: &RootOpening,
) -> AggregationCircuit {
    let mut circuit = AggregationCircuit::new::<SHPLONK>(
        stage,
        config,
        srs.params(),
        snarks,
        VerifierUniversality::None,
    );
    let chunks = circuit.previous_instances().clone();
    let range = circuit.builder.range_chip();
    let ctx = circuit.builder.main(0);
    let public = constrain_batch(ctx, &range, &chunks, opening);
    circuit.builder.assigned_instances[0].extend(public);
    circuit
}

impl AggregationKey {
    /// Generates the keys: `srs` has `params.k` points, `chunk_srs` is the SRS
    /// the chunk key was made with; both must have the same secret (a smaller
    /// SRS is a larger one downsized).
    pub fn generate(
        srs: &Srs,
        chunk_srs: &Srs,
        chunk_vk: &VerifyingKey,
        params: AggregationParams,
    ) -> Result<Self, AggregationError> {
        same_secret(srs, chunk_srs, params)?;
        let protocol = chunk_protocol(chunk_srs, chunk_vk);
        let (keygen, config) = keygen_circuit(srs, chunk_srs, chunk_vk, params);
        let vk = keygen_vk(srs.params(), &keygen)?;
        let pk = keygen_pk(srs.params(), vk, &keygen)?;
        let layout = AggregationLayout { params, config, break_points: keygen.break_points() };
        let vk = AggregationVerifyingKey { vk: pk.get_vk().clone() };
        Ok(Self { pk, vk, layout, chunk_vk: chunk_vk.clone(), protocol })
    }

    /// The verifying key.
    pub fn vk(&self) -> &AggregationVerifyingKey {
        &self.vk
    }

    /// The layout keygen fixed.
    pub fn layout(&self) -> &AggregationLayout {
        &self.layout
    }

    /// Aggregates a batch's chunk proofs (exactly [`AggregationParams::chunks`],
    /// padding included) into one proof of the batch whose final root opens to
    /// `opening`. Every chunk proof and the chain are checked first, so a bad
    /// input is an error naming it, never a proof that fails later.
    pub fn prove(
        &self,
        srs: &Srs,
        chunk_srs: &Srs,
        chunks: &[(Proof, Instance)],
        opening: &RootOpening,
    ) -> Result<(AggregateProof, BatchHeader), AggregationError> {
        let expected = self.layout.params.chunks;
        if chunks.len() != expected {
            return Err(AggregationError::WrongChunkCount { expected, got: chunks.len() });
        }
        same_secret(srs, chunk_srs, self.layout.params)?;
        for (i, (proof, instance)) in chunks.iter().enumerate() {
            self.chunk_vk
                .verify(chunk_srs, proof, instance)
                .map_err(|_| AggregationError::BadChunk(i))?;
        }
        let instance = batch_header(chunks, opening)?;
        let snarks = chunks
            .iter()
            .map(|(proof, instance)| {
                Snark::new(
                    self.protocol.clone(),
                    vec![instance.to_vec()],
                    proof.as_bytes().to_vec(),
                )
            })
            .collect();
        let circuit =
            circuit(CircuitBuilderStage::Prover, self.layout.config, srs, snarks, opening)
                .use_break_points(self.layout.break_points.clone());
        let public: Vec<Fr> =
            circuit.builder.assigned_instances[0].iter().map(|v| *v.value()).collect();
        debug_assert_eq!(public[ACCUMULATOR_LIMBS..], header_inputs(&instance)[..]);
        let mut transcript =
            <EvmTranscript<G1Affine, NativeLoader, Vec<u8>, Vec<u8>> as TranscriptWriterBuffer<
                _,
                G1Affine,
                _,
            >>::init(Vec::new());
        create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
            srs.params(),
            &self.pk,
            &[circuit],
            &[&[&public]],
            rand::rngs::OsRng,
            &mut transcript,
        )?;
        let proof = AggregateProof {
            accumulator: public[..ACCUMULATOR_LIMBS].to_vec(),
            bytes: TranscriptWriterBuffer::<_, G1Affine, _>::finalize(transcript),
        };
        Ok((proof, instance))
    }
}

/// The circuit keygen lays out (dummy chunk snarks of the right shape) and the
/// columns it needs.
fn keygen_circuit(
    srs: &Srs,
    chunk_srs: &Srs,
    chunk_vk: &VerifyingKey,
    params: AggregationParams,
) -> (AggregationCircuit, AggregationConfigParams) {
    let dummy = gen_dummy_snark_from_vk::<SHPLONK>(
        chunk_srs.params(),
        chunk_vk.inner(),
        vec![NUM_PUBLIC_INPUTS],
        None,
    );
    let start = AggregationConfigParams {
        degree: params.k,
        lookup_bits: params.k as usize - 1,
        ..Default::default()
    };
    let opening = RootOpening {
        accounts_root: Fr::zero(),
        markets_hash: Fr::zero(),
        globals: [Fr::zero(); 3],
    };
    let mut keygen =
        circuit(CircuitBuilderStage::Keygen, start, srs, vec![dummy; params.chunks], &opening);
    // halo2-base's `calculate_params` arithmetic, without its stdout chatter.
    let config = AggregationConfigParams::try_from(&super::fit_columns(&mut keygen.builder))
        .expect("one phase, lookup bits set");
    (keygen, config)
}

/// `srs` has the aggregation's size, `chunk_srs` the chunk's, and they share
/// their secret (the accumulator's pairing is checked with `srs`).
fn same_secret(
    srs: &Srs,
    chunk_srs: &Srs,
    params: AggregationParams,
) -> Result<(), AggregationError> {
    let (a, b) = (srs.params(), chunk_srs.params());
    if srs.k() != params.k || chunk_srs.k() != params.chunk.k {
        return Err(AggregationError::Srs(format!(
            "need SRSs of 2^{} and 2^{} points, got 2^{} and 2^{}",
            params.k,
            params.chunk.k,
            srs.k(),
            chunk_srs.k()
        )));
    }
    if a.get_g()[1] != b.get_g()[1] || a.s_g2() != b.s_g2() {
        return Err(AggregationError::Srs(
            "the chunk SRS and the aggregation SRS have different secrets".into(),
        ));
    }
    Ok(())
}

/// The batch the chunks prove, checked natively as [`constrain_batch`] does.
fn batch_header(
    chunks: &[(Proof, Instance)],
    opening: &RootOpening,
) -> Result<BatchHeader, AggregationError> {
    let first = chunks[0].1;
    if first.prev_data_hash != first.prev_state_root {
        return Err(AggregationError::NotABatch(
            "the first chunk does not start a batch (its data hash does not start at its root)"
                .into(),
        ));
    }
    for (i, pair) in chunks.windows(2).enumerate() {
        let (a, b) = (pair[0].1, pair[1].1);
        if b.prev_state_root != a.next_state_root || b.prev_data_hash != a.next_data_hash {
            return Err(AggregationError::NotABatch(format!(
                "chunk {} does not start where chunk {i} ends",
                i + 1
            )));
        }
    }
    let last = chunks[chunks.len() - 1].1;
    if opening.root() != last.next_state_root {
        return Err(AggregationError::NotABatch(
            "the root opening is not the final chunk's root".into(),
        ));
    }
    let number = opening.globals[2];
    let batch_number = u64::try_from(ethnum::U256::from_le_bytes(number.to_repr()))
        .map_err(|_| AggregationError::NotABatch("the batch number exceeds 64 bits".into()))?;
    Ok(BatchHeader {
        number: batch_number,
        prev_state_root: first.prev_state_root,
        next_state_root: last.next_state_root,
        data_hash: last.next_data_hash,
    })
}

/// The aggregation circuit's verifying key.
#[derive(Debug, Clone)]
pub struct AggregationVerifyingKey {
    vk: plonk::VerifyingKey<G1Affine>,
}

impl AggregationVerifyingKey {
    /// The verifying key alone (no proving key: half of a keygen), as
    /// [`AggregationKey::generate`] would make it.
    pub fn generate(
        srs: &Srs,
        chunk_srs: &Srs,
        chunk_vk: &VerifyingKey,
        params: AggregationParams,
    ) -> Result<Self, AggregationError> {
        same_secret(srs, chunk_srs, params)?;
        let (keygen, _) = keygen_circuit(srs, chunk_srs, chunk_vk, params);
        Ok(Self { vk: keygen_vk(srs.params(), &keygen)? })
    }

    /// Its bytes (halo2's raw format).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.vk.to_bytes(SerdeFormat::RawBytes)
    }

    /// SHA-256 of its bytes, hex.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.to_bytes()))
    }

    /// Checks an aggregation proof natively, as the EVM verifier does: the
    /// outer proof against the public inputs, then the accumulator's pairing.
    pub fn verify(
        &self,
        srs: &Srs,
        proof: &AggregateProof,
        instance: &BatchHeader,
    ) -> Result<(), ProofError> {
        if proof.accumulator.len() != ACCUMULATOR_LIMBS {
            return Err(ProofError::Invalid);
        }
        let public = proof.public_inputs(instance);
        let mut transcript =
            <EvmTranscript<G1Affine, NativeLoader, &[u8], Vec<u8>> as TranscriptReadBuffer<
                _,
                G1Affine,
                _,
            >>::init(proof.bytes.as_slice());
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
            srs.params().verifier_params(),
            &self.vk,
            SingleStrategy::new(srs.params()),
            &[&[&public]],
            &mut transcript,
        )
        .map_err(|_| ProofError::Invalid)?;
        let point = |limbs: &[Fr]| -> Result<G1Affine, ProofError> {
            let x = fe_from_limbs::<Fr, Fq, LIMBS, BITS>(limbs[..LIMBS].try_into().expect("3"));
            let y = fe_from_limbs::<Fr, Fq, LIMBS, BITS>(limbs[LIMBS..].try_into().expect("3"));
            Option::from(G1Affine::from_xy(x, y)).ok_or(ProofError::Invalid)
        };
        let lhs = point(&proof.accumulator[..2 * LIMBS])?;
        let rhs = point(&proof.accumulator[2 * LIMBS..])?;
        let dk: KzgDecidingKey<Bn256> =
            (srs.params().get_g()[0], srs.params().g2(), srs.params().s_g2()).into();
        <SHPLONK as AccumulationDecider<G1Affine, NativeLoader>>::decide(
            &dk,
            KzgAccumulator::new(lhs, rhs),
        )
        .map_err(|_| ProofError::Invalid)
    }

    /// The Solidity verifier snark-verifier generates for this key (pragma
    /// 0.8.19; compile it with `verifier/evm/build.sh`). It takes raw calldata
    /// ([`AggregateProof::calldata`]) and reverts unless the proof verifies.
    pub fn solidity(&self, srs: &Srs) -> String {
        snark_verifier_sdk::evm::gen_evm_verifier_sol_code::<AggregationCircuit, SHPLONK>(
            srs.params(),
            &self.vk,
            vec![AGGREGATION_PUBLIC_INPUTS],
        )
    }
}

/// An aggregation proof: the accumulator's limbs (public inputs the prover
/// computes) and the proof's bytes (Keccak transcript).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregateProof {
    /// The KZG accumulator's [`ACCUMULATOR_LIMBS`] limbs.
    #[serde(with = "clearproof_protocol::serde_fr::vec")]
    pub accumulator: Vec<Fr>,
    /// The proof, hex in JSON.
    #[serde(with = "hex_bytes")]
    pub bytes: Vec<u8>,
}

impl AggregateProof {
    /// Every public input, in order.
    pub fn public_inputs(&self, instance: &BatchHeader) -> Vec<Fr> {
        let mut v = self.accumulator.clone();
        v.extend(header_inputs(instance));
        v
    }
    /// The EVM verifier's calldata: each public input as a 32-byte big-endian
    /// word, then the proof's bytes.
    pub fn calldata(&self, instance: &BatchHeader) -> Vec<u8> {
        encode_calldata(&[self.public_inputs(instance)], &self.bytes)
    }
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        hex::decode(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::arith::violations_of;
    use crate::circuit::testing::satisfied;

    /// Two chunks of a batch and the opening of its final root.
    fn batch() -> (Vec<[Fr; 4]>, RootOpening) {
        let opening = RootOpening {
            accounts_root: Fr::from(11u64),
            markets_hash: Fr::from(12u64),
            globals: [Fr::from(13u64), Fr::from(14u64), Fr::from(7u64)],
        };
        let start = Fr::from(100u64);
        let mid = Fr::from(101u64);
        let first = [start, mid, start, Fr::from(200u64)];
        let second = [mid, opening.root(), Fr::from(200u64), Fr::from(201u64)];
        (vec![first, second], opening)
    }

    /// Whether [`constrain_batch`] is satisfied, and the rules it names as broken.
    fn check(chunks: &[[Fr; 4]], opening: &RootOpening) -> (bool, Vec<&'static str>) {
        let mut ok = false;
        let violated = violations_of(|| {
            ok = satisfied(12, |ctx, range| {
                let cells: Vec<Vec<Cell>> =
                    chunks.iter().map(|c| ctx.assign_witnesses(c.to_vec())).collect();
                let public = constrain_batch(ctx, range, &cells, opening);
                assert_eq!(*public[3].value(), opening.globals[2]);
            })
        });
        (ok, violated)
    }

    fn assert_rejected_by(chunks: &[[Fr; 4]], opening: &RootOpening, rule: &str) {
        let (ok, violated) = check(chunks, opening);
        assert!(!ok, "the aggregation accepts a batch that breaks {rule:?}");
        assert!(violated.contains(&rule), "expected {rule:?}; broken: {violated:?}");
    }

    #[test]
    fn public_inputs_use_the_named_offsets() {
        let proof = AggregateProof {
            accumulator: (0..ACCUMULATOR_LIMBS as u64).map(Fr::from).collect(),
            bytes: vec![],
        };
        let instance = BatchHeader {
            number: 104,
            prev_state_root: Fr::from(101u64),
            next_state_root: Fr::from(102u64),
            data_hash: Fr::from(103u64),
        };
        let v = proof.public_inputs(&instance);
        assert_eq!(v.len(), AGGREGATION_PUBLIC_INPUTS);
        assert_eq!(v[ACCUMULATOR_LIMBS - 1], Fr::from(ACCUMULATOR_LIMBS as u64 - 1));
        assert_eq!(v[BATCH_PREV_STATE_ROOT], Fr::from(101u64));
        assert_eq!(v[BATCH_NEXT_STATE_ROOT], Fr::from(102u64));
        assert_eq!(v[BATCH_DATA_HASH], Fr::from(103u64));
        assert_eq!(v[BATCH_NUMBER], Fr::from(104u64));
    }

    #[test]
    fn a_chained_batch_is_accepted() {
        let (chunks, opening) = batch();
        assert_eq!(check(&chunks, &opening), (true, vec![]));
        let native: Vec<(Proof, Instance)> = chunks
            .iter()
            .map(|c| {
                let instance = Instance {
                    prev_state_root: c[0],
                    next_state_root: c[1],
                    prev_data_hash: c[2],
                    next_data_hash: c[3],
                };
                (Proof::from_bytes(vec![]), instance)
            })
            .collect();
        let instance = batch_header(&native, &opening).unwrap();
        assert_eq!(instance.number, 7);
        assert_eq!(instance.data_hash, Fr::from(201u64));
    }

    #[test]
    fn a_batch_that_does_not_start_a_batch_is_rejected() {
        let (mut chunks, opening) = batch();
        chunks[0][PREV_DATA_HASH] = Fr::from(5u64);
        assert_rejected_by(
            &chunks,
            &opening,
            "aggregation: the first chunk starts the batch (its data hash starts at its root)",
        );
    }

    #[test]
    fn chunks_that_do_not_chain_are_rejected() {
        let (mut chunks, opening) = batch();
        chunks[1][PREV_STATE_ROOT] = Fr::from(5u64);
        assert_rejected_by(
            &chunks,
            &opening,
            "aggregation: each chunk starts at the previous chunk's state root",
        );
        let (mut chunks, opening) = batch();
        chunks[1][PREV_DATA_HASH] = Fr::from(5u64);
        assert_rejected_by(
            &chunks,
            &opening,
            "aggregation: each chunk starts at the previous chunk's data hash",
        );
    }

    #[test]
    fn a_wrong_root_opening_is_rejected() {
        let (chunks, mut opening) = batch();
        opening.globals[2] = Fr::from(8u64);
        assert_rejected_by(
            &chunks,
            &opening,
            "aggregation: the final root opens to the batch number's globals",
        );
    }

    /// Today's aggregation key is the pinned one the committed EVM fixtures were
    /// made for (the verifying key alone: about 2 minutes and 5 GB here).
    #[test]
    fn the_pinned_aggregation_key_is_todays() {
        let params = PINNED_AGGREGATION.params;
        let srs = Srs::insecure_dev(params.k);
        let chunk_srs = Srs::insecure_dev(params.chunk.k);
        let chunk_vk = VerifyingKey::generate(&chunk_srs, &params.chunk).unwrap();
        let vk = AggregationVerifyingKey::generate(&srs, &chunk_srs, &chunk_vk, params).unwrap();
        assert_eq!(
            vk.digest(),
            PINNED_AGGREGATION.vk_digest_insecure_dev,
            "the aggregation verifying key changed: if on purpose, pin this digest and \
             regenerate the EVM fixtures (verifier/evm/build.sh --fixtures)"
        );
    }

    /// The full aggregation: a real batch's chunk proof aggregated and verified
    /// natively, and a proof with a tampered byte or public input refused.
    /// Ignored: keygen and proving at `2^21` take about 6 minutes and 8 GB here;
    /// the aggregation bench (`cargo bench -p clearproof-circuits --bench
    /// aggregation`) runs the same at every rung.
    #[test]
    #[ignore]
    fn a_real_batch_aggregates() {
        use crate::circuit::ProvingKey;
        use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
        use clearproof_protocol::types::{FundingRate, Price, Quote, Timestamp};
        use clearproof_protocol::witness::chunk_witnesses_padded;

        let params = AggregationParams::PRODUCTION;
        let srs = Srs::insecure_dev(params.k);
        let chunk_srs = Srs::insecure_dev(params.chunk.k);
        let chunk_pk = ProvingKey::generate(&chunk_srs, &params.chunk).unwrap();
        let key = AggregationKey::generate(&srs, &chunk_srs, chunk_pk.vk(), params).unwrap();
        assert_eq!(key.vk().digest(), PINNED_AGGREGATION.vk_digest_insecure_dev);
        let oracle =
            clearproof_protocol::signature::SecretKey::from_bytes([9; 32]).unwrap().public_key();
        let rate = FundingRate::new(0).unwrap();
        let market = Market {
            params: MarketParams::standard(
                clearproof_protocol::oracle::Committee::single(oracle),
                rate,
            ),
            state: MarketState::at(Price::from_units(1), Timestamp::new(0).unwrap()),
        };
        let genesis = Genesis {
            markets: [market; clearproof_protocol::params::MARKETS],
            insurance_fund: Quote::new(0).unwrap(),
        };
        let mut state = State::genesis_with_depth(&genesis, params.chunk.depth).unwrap();
        let batch = state.apply_batch(&[]);
        let chunks = chunk_witnesses_padded(&batch, params.chunk.slots, params.chunks).unwrap();
        let proofs: Vec<_> =
            chunks.iter().map(|w| (chunk_pk.prove(&chunk_srs, w).unwrap(), w.instance)).collect();
        let (proof, instance) =
            key.prove(&srs, &chunk_srs, &proofs, &RootOpening::after(&batch)).unwrap();
        assert_eq!(instance, batch.header());
        key.vk().verify(&srs, &proof, &instance).expect("verifies");
        let mut tampered = proof.clone();
        tampered.bytes[64] ^= 1;
        assert!(key.vk().verify(&srs, &tampered, &instance).is_err());
        let wrong = BatchHeader { number: 2, ..instance };
        assert!(key.vk().verify(&srs, &proof, &wrong).is_err());
        let mut accumulator = proof.clone();
        accumulator.accumulator.swap(0, 1);
        assert!(key.vk().verify(&srs, &accumulator, &instance).is_err());
        // A chunk chain that does not start a batch is refused before proving.
        let mut moved = proofs.clone();
        moved[0].1.prev_data_hash = Fr::from(5u64);
        assert!(key.prove(&srs, &chunk_srs, &moved, &RootOpening::after(&batch)).is_err());
    }

    #[test]
    fn a_batch_number_beyond_64_bits_is_rejected() {
        let (mut chunks, mut opening) = batch();
        opening.globals[2] = Fr::from(u64::MAX) + Fr::one();
        let last = chunks.len() - 1;
        chunks[last][NEXT_STATE_ROOT] = opening.root();
        assert_rejected_by(&chunks, &opening, "aggregation: the batch number fits 64 bits");
    }
}
