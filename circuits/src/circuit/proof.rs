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
    create_proof, keygen_pk, keygen_vk, verify_proof, Error, ProvingKey, VerifyingKey,
};
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_base::halo2_proofs::transcript::{
    Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
};

use super::chunk::{builder, prover_builder, ChunkWitness};
use super::public::Instance;

/// The KZG structured reference string.
pub type Srs = ParamsKZG<Bn256>;

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

/// Generates the keys for chunks shaped like `shape` (its tree depth and number of
/// slots) at `2^k` rows; `srs` must have at least `k`.
pub fn keygen(srs: &Srs, k: usize, shape: &ChunkWitness) -> Result<ChunkKeys, Error> {
    let (circuit, _) = builder(CircuitBuilderStage::Keygen, k, shape);
    let config = circuit.config_params.clone();
    let vk = keygen_vk(srs, &circuit)?;
    let pk = keygen_pk(srs, vk, &circuit)?;
    let break_points = circuit.break_points();
    Ok(ChunkKeys { pk, config, break_points })
}

/// Proves one chunk; the proof's public inputs are `w.instance`. Fails if the
/// witness does not satisfy the circuit only in the sense that the proof will not
/// verify: halo2's prover does not check constraints.
pub fn prove(srs: &Srs, keys: &ChunkKeys, w: &ChunkWitness) -> Result<Vec<u8>, Error> {
    let circuit = prover_builder(keys.config.clone(), keys.break_points.clone(), w);
    let instance = w.instance.to_vec();
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        srs,
        &keys.pk,
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
