//! Keys, proofs and verification for the chunk circuit: KZG on BN254 with the
//! SHPLONK multi-open and a Blake2b transcript (halo2-axiom).
//!
//! Keygen lays the circuit out once from any chunk witness of the right shape
//! (depth and slots); the proving key fixes the layout ([`ChunkKeys::config`],
//! [`ChunkKeys::break_points`]) so every later chunk is laid out identically.

use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_base::halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Circuit, Error, ProvingKey, VerifyingKey,
};
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_base::halo2_proofs::transcript::{
    Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
};

use serde::{Deserialize, Serialize};

use super::chunk::{builder, chunk_witnesses, prover_builder, ChunkWitness};
use super::public::Instance;
use crate::params::{ACCOUNT_TREE_DEPTH, CHUNK_K, CHUNK_SLOTS, MARKETS};
use crate::signature::SecretKey;
use crate::state::{Genesis, Market, MarketParams, MarketState, State};
use crate::types::{FundingRate, Price, Quote, Timestamp};
use crate::Fr;

/// The KZG structured reference string.
pub type Srs = ParamsKZG<Bn256>;

/// What fixes a chunk circuit's shape, and so its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitParams {
    /// Account tree depth.
    pub depth: usize,
    /// Transaction slots per chunk.
    pub slots: usize,
    /// `log2` of the number of rows.
    pub k: u32,
}

impl CircuitParams {
    /// The production circuit: depth 24, [`CHUNK_SLOTS`] slots, `2^`[`CHUNK_K`] rows.
    pub const PRODUCTION: Self =
        Self { depth: ACCOUNT_TREE_DEPTH, slots: CHUNK_SLOTS, k: CHUNK_K as u32 };

    /// A short name for file names and logs: `d24-s14-k16`.
    pub fn id(&self) -> String {
        format!("d{}-s{}-k{}", self.depth, self.slots, self.k)
    }

    /// A chunk of no-ops of this shape (keygen only needs the shape).
    pub fn shape(&self) -> ChunkWitness {
        let oracle = SecretKey::from_bytes([1; 32]).expect("valid seed").public_key();
        let rate = FundingRate::new(0).expect("in range");
        let market = Market {
            params: MarketParams::standard(oracle, rate),
            state: MarketState::at(Price::from_units(1), Timestamp::new(0).expect("in range")),
        };
        let genesis = Genesis {
            markets: [market; MARKETS],
            insurance_fund: Quote::new(0).expect("in range"),
        };
        let mut state = State::genesis_with_depth(&genesis, self.depth).expect("valid depth");
        chunk_witnesses(&state.apply_batch(&[]), self.slots).remove(0)
    }
}

/// A chunk circuit's proving key and the layout it fixes.
pub struct ChunkKeys {
    /// Proving key (holds the verifying key).
    pub pk: ProvingKey<G1Affine>,
    /// Column counts and lookup bits chosen at keygen.
    pub config: BaseCircuitParams,
    /// Where the virtual cells break across columns.
    pub break_points: MultiPhaseThreadBreakPoints,
}

impl ChunkKeys {
    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        self.pk.get_vk()
    }
}

/// Generates the keys for chunks of `params`; `srs` must have `params.k`.
pub fn keygen(srs: &Srs, params: &CircuitParams) -> Result<ChunkKeys, Error> {
    let (circuit, _) = builder(CircuitBuilderStage::Keygen, params.k as usize, &params.shape());
    let pk = keygen_circuit(srs, &circuit)?;
    let config = circuit.base.config_params.clone();
    let break_points = circuit.base.break_points();
    Ok(ChunkKeys { pk, config, break_points })
}

/// Keys for any circuit (the chunk circuit, or the benches' baseline).
pub fn keygen_circuit<C: Circuit<Fr>>(
    srs: &Srs,
    circuit: &C,
) -> Result<ProvingKey<G1Affine>, Error> {
    let vk = keygen_vk(srs, circuit)?;
    keygen_pk(srs, vk, circuit)
}

/// The verifying key alone for chunks of `params` (cheaper than [`keygen`]; used
/// to check cached keys against today's circuit code).
pub fn verifying_key(srs: &Srs, params: &CircuitParams) -> Result<VerifyingKey<G1Affine>, Error> {
    let (circuit, _) = builder(CircuitBuilderStage::Keygen, params.k as usize, &params.shape());
    keygen_vk(srs, &circuit)
}

/// Proves one chunk; the proof's public inputs are `w.instance`. Fails if the
/// witness does not satisfy the circuit only in the sense that the proof will not
/// verify: halo2's prover does not check constraints.
pub fn prove(srs: &Srs, keys: &ChunkKeys, w: &ChunkWitness) -> Result<Vec<u8>, Error> {
    let circuit = prover_builder(keys.config.clone(), keys.break_points.clone(), w);
    prove_circuit(srs, &keys.pk, circuit, &w.instance)
}

/// Proves any circuit with one instance column holding `instance`.
pub fn prove_circuit<C: Circuit<Fr>>(
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    circuit: C,
    instance: &Instance,
) -> Result<Vec<u8>, Error> {
    let instance = instance.to_vec();
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        srs,
        pk,
        &[circuit],
        &[&[&instance]],
        rand::rngs::OsRng,
        &mut transcript,
    )?;
    Ok(transcript.finalize())
}

/// Verifies one chunk proof against its public inputs.
pub fn verify(
    srs: &Srs,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    instance: &Instance,
) -> Result<(), Error> {
    let instance = instance.to_vec();
    let mut transcript = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        srs.verifier_params(),
        vk,
        SingleStrategy::new(srs),
        &[&[&instance]],
        &mut transcript,
    )
}

/// An INSECURE development SRS for `2^k` rows from a fixed seed: anyone can
/// forge proofs against it. For tests and the devnet only.
pub fn insecure_dev_srs(k: u32) -> Srs {
    use rand::SeedableRng;
    Srs::setup(k, rand::rngs::StdRng::seed_from_u64(0x636c_6561_7270_726f))
}
