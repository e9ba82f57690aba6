//! The chunk circuit's public surface, in one place (orchard's `circuit.rs`
//! style): the SRS, [`ProvingKey`], [`VerifyingKey`], [`Proof`] and
//! [`Instance`]. Provers, verifiers and the sequencer use only these types; no
//! raw halo2 key, transcript or byte-vector proof crosses a crate boundary.
//!
//! The proof system is fixed here once: KZG on BN254, the SHPLONK multi-open,
//! and the transcript [`TranscriptWrite`] / [`TranscriptRead`] (snark-verifier's
//! Poseidon transcript, which the aggregation circuit re-runs in-circuit).
//!
//! Keygen lays the circuit out once from a chunk of no-ops of the right shape
//! (depth and slots); the proving key fixes the layout ([`Layout`]) so every later
//! chunk is laid out identically. A proof's length is a function of the
//! verifying key ([`VerifyingKey::proof_len`]); verification refuses any other
//! length and any byte the transcript does not read.

use std::io::{Read, Write};

use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_base::halo2_proofs::plonk::{self, create_proof, keygen_pk, keygen_vk, verify_proof};
use halo2_base::halo2_proofs::plonk::{Circuit, Error};
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_base::halo2_proofs::poly::kzg::strategy::{AccumulatorStrategy, SingleStrategy};
use halo2_base::halo2_proofs::poly::VerificationStrategy;
use halo2_base::halo2_proofs::transcript::{TranscriptReadBuffer, TranscriptWriterBuffer};
use halo2_base::halo2_proofs::SerdeFormat;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use snark_verifier_sdk::halo2::PoseidonTranscript;
use snark_verifier_sdk::snark_verifier::loader::native::NativeLoader;

use super::chunk::{builder, prover_builder};
use super::hash::HashedCircuit;
use crate::Fr;
use clearproof_protocol::oracle::Committee;
use clearproof_protocol::params::{ACCOUNT_TREE_DEPTH, CHUNK_K, CHUNK_SLOTS, MARKETS};
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
use clearproof_protocol::types::{FundingRate, Price, Quote, Timestamp};
use clearproof_protocol::witness::{chunk_witnesses, ChunkWitness};

/// The transcript proofs are written with: snark-verifier's Poseidon transcript
/// (the spec of PROTOCOL §1's hash), so a chunk proof can be verified inside the
/// aggregation circuit ([`crate::aggregation`]).
pub type TranscriptWrite = PoseidonTranscript<NativeLoader, Vec<u8>>;
/// The transcript proofs are read with (over the remaining proof bytes).
pub type TranscriptRead<'a, 'b> = PoseidonTranscript<NativeLoader, &'a mut &'b [u8]>;

/// Bytes of one point or scalar in a proof (compressed G1, or a field element).
const WORD: usize = 32;

pub use clearproof_protocol::instance::{
    Instance, NEXT_DATA_HASH, NEXT_STATE_ROOT, NUM_PUBLIC_INPUTS, PREV_DATA_HASH, PREV_STATE_ROOT,
};

// ---- circuit shape ----

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

    /// A short name for file names and logs: `d24-s9-k16`.
    pub fn id(&self) -> String {
        format!("d{}-s{}-k{}", self.depth, self.slots, self.k)
    }

    /// A chunk of no-ops of this shape (keygen only needs the shape).
    pub fn shape(&self) -> ChunkWitness {
        let oracle = SecretKey::from_bytes([1; 32]).expect("valid seed").public_key();
        let rate = FundingRate::new(0).expect("in range");
        let market = Market {
            params: MarketParams::standard(Committee::single(oracle), rate),
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

/// What must not drift: the production circuit's shape, the digest of its
/// verifying key made with the insecure development SRS ([`Srs::insecure_dev`];
/// a ceremony SRS gives another digest), and the length of its proofs.
/// `tests/pinned.rs` checks today's code against these, and `clearproof setup`
/// refuses production keys with the development SRS whose digest differs. They
/// change only on purpose: when a change to the circuit is intended, set them to
/// the values the failing test prints and regenerate keys
/// (`clearproof setup --regenerate`); every ledger and prover must then move to
/// the new keys together.
#[derive(Debug, Clone, Copy)]
pub struct Pinned {
    /// The production circuit.
    pub params: CircuitParams,
    /// [`VerifyingKey::digest`] of its key with the development SRS.
    pub vk_digest_insecure_dev: &'static str,
    /// [`VerifyingKey::proof_len`] (any SRS).
    pub proof_bytes: usize,
}

/// The pinned production circuit.
pub const PINNED: Pinned = Pinned {
    params: CircuitParams::PRODUCTION,
    vk_digest_insecure_dev: "a8ae2da728a57b5930588a5cfec2463ab801c6713b510f0f8a9320cdca8f5751",
    proof_bytes: 3_808,
};

/// How keygen laid the circuit out: halo2-base's column counts and where its
/// virtual cells break across columns. A prover must lay every chunk out the same
/// way, and reading a key needs the column counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Layout {
    /// Column counts and lookup bits.
    pub config: BaseCircuitParams,
    /// Where the virtual cells break across columns.
    pub break_points: MultiPhaseThreadBreakPoints,
}

/// Why a key or an SRS could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not what they claim to be.
    #[error("{0}")]
    Corrupt(String),
}

// ---- SRS ----

/// The KZG structured reference string.
#[derive(Debug, Clone)]
pub struct Srs(ParamsKZG<Bn256>);

/// The largest SRS this code reads (`2^MAX_SRS_K` points).
pub const MAX_SRS_K: u32 = 28;

impl Srs {
    /// An INSECURE development SRS for `2^k` rows from a fixed seed: anyone can
    /// forge proofs against it. For tests and the devnet only.
    ///
    /// Every `insecure_dev` SRS has the same secret, so a smaller one is a larger
    /// one downsized: the aggregation key's SRS and the chunk key's agree.
    pub fn insecure_dev(k: u32) -> Self {
        Self::from_seed(k, 0x636c_6561_7270_726f)
    }

    /// An SRS from a known secret (tests that need a second, different SRS).
    #[doc(hidden)]
    pub fn from_seed(k: u32, seed: u64) -> Self {
        use rand::SeedableRng;
        Self(setup(k, rand::rngs::StdRng::seed_from_u64(seed)))
    }

    /// halo2's parameters (the aggregation module's).
    pub(crate) fn params(&self) -> &ParamsKZG<Bn256> {
        &self.0
    }

    /// `log2` of its number of points.
    pub fn k(&self) -> u32 {
        self.0.k()
    }

    /// Keeps the first `2^k` points.
    pub fn downsize(&mut self, k: u32) {
        self.0.downsize(k);
    }

    /// Reads an SRS in halo2's raw format of `len` bytes. `checked`: validate every
    /// point (for a file from elsewhere); unchecked is for the cache's own copies.
    /// The header and the length are checked first, so a corrupt file is an error,
    /// not an allocation of `2^k` points from a bad header.
    pub fn read(mut reader: impl Read, len: u64, checked: bool) -> Result<Self, KeyError> {
        let mut header = [0u8; 4];
        reader.read_exact(&mut header)?;
        let k = u32::from_le_bytes(header);
        if k > MAX_SRS_K {
            return Err(KeyError::Corrupt(format!(
                "SRS header says 2^{k} points (at most 2^{MAX_SRS_K})"
            )));
        }
        // Raw format: 2 × 2^k uncompressed G1 points (64 bytes), then 2 G2 points.
        let expected = 4 + (2u64 << k) * 64 + 2 * 128;
        if len != expected {
            return Err(KeyError::Corrupt(format!(
                "{len} bytes, a raw SRS of 2^{k} points has {expected}"
            )));
        }
        let format = if checked { SerdeFormat::RawBytes } else { SerdeFormat::RawBytesUnchecked };
        ParamsKZG::read_custom(&mut header.as_slice().chain(reader), format)
            .map(Self)
            .map_err(|e| KeyError::Corrupt(e.to_string()))
    }

    /// Writes it in halo2's raw format.
    pub fn write(&self, writer: &mut impl Write) -> std::io::Result<()> {
        self.0.write_custom(writer, SerdeFormat::RawBytesUnchecked)
    }

    /// SHA-256 of the SRS elements a verifier uses (`k`, the first `G1` point,
    /// `G2` and `s·G2`), hex. A verifier holding another SRS with the same vk
    /// would accept proofs made with that SRS's secret: keys and ledgers pin this
    /// digest with the vk's.
    pub fn digest(&self) -> String {
        use halo2_base::halo2_proofs::halo2curves::group::GroupEncoding;
        let mut h = Sha256::new();
        h.update(self.0.k().to_le_bytes());
        h.update(self.0.get_g()[0].to_bytes());
        h.update(self.0.g2().to_bytes());
        h.update(self.0.s_g2().to_bytes());
        hex::encode(h.finalize())
    }
}

/// `ParamsKZG::setup`, the same points from the same `rng`, many times faster:
/// halo2's setup multiplies `G` by each scalar (`s^i`, and the Lagrange
/// basis's `L_i(s)`) with a full double-and-add, about 20 minutes at `k = 22` on
/// 2 cores (the aggregation circuit's size). Here each product is a sum of 32
/// precomputed multiples of `G`, one per byte of the scalar, and the Lagrange
/// scalars are batch-inverted. Checked equal to `ParamsKZG::setup` byte for byte
/// in the tests.
fn setup(k: u32, mut rng: impl rand::RngCore) -> ParamsKZG<Bn256> {
    use halo2_base::halo2_proofs::halo2curves::bn256::{G2Affine, G1};
    use halo2_base::halo2_proofs::halo2curves::ff::{BatchInvert, Field, PrimeField};
    use halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
    use halo2_base::halo2_proofs::halo2curves::group::{Curve, Group};
    use rayon::prelude::*;

    let n = 1usize << k;
    let s = Fr::random(&mut rng);
    // table[j][d] = d · 256^j · G.
    let mut base = G1::generator();
    let table: Vec<Vec<G1Affine>> = (0..32)
        .map(|_| {
            let mut row = vec![G1::identity(); 256];
            for d in 1..256 {
                row[d] = row[d - 1] + base;
            }
            for _ in 0..8 {
                base = base.double();
            }
            let mut affine = vec![G1Affine::identity(); 256];
            G1::batch_normalize(&row, &mut affine);
            affine
        })
        .collect();
    let times_g = |scalar: &Fr| -> G1 {
        let repr = scalar.to_repr();
        let mut acc = G1::identity();
        for (j, byte) in repr.as_ref().iter().enumerate() {
            if *byte != 0 {
                acc += table[j][*byte as usize];
            }
        }
        acc
    };
    // Points `scalar(i) · G` for i < n, `scalars` filling a block from its start.
    let points = |scalars: &(dyn Fn(usize, &mut [Fr]) + Sync)| -> Vec<G1Affine> {
        const BLOCK: usize = 1 << 12;
        let mut out = vec![G1Affine::identity(); n];
        out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, out)| {
            let mut block = vec![Fr::ZERO; out.len()];
            scalars(b * BLOCK, &mut block);
            let projective: Vec<G1> = block.iter().map(times_g).collect();
            G1::batch_normalize(&projective, out);
        });
        out
    };
    let g = points(&|start, block| {
        let mut power = s.pow_vartime([start as u64]);
        for x in block.iter_mut() {
            *x = power;
            power *= s;
        }
    });
    // L_i(s) = (s^n − 1)/n · ω^i / (s − ω^i), as halo2's setup computes it.
    let mut omega = Fr::ROOT_OF_UNITY_INV.invert().expect("nonzero");
    for _ in k..Fr::S {
        omega = omega.square();
    }
    let n_inv = Fr::from(n as u64).invert().expect("nonzero");
    let multiplier = (s.pow_vartime([n as u64]) - Fr::ONE) * n_inv;
    let g_lagrange = points(&|start, block| {
        let mut root = omega.pow_vartime([start as u64]);
        let mut roots = Vec::with_capacity(block.len());
        for x in block.iter_mut() {
            *x = s - root;
            roots.push(root);
            root *= omega;
        }
        block.iter_mut().batch_invert();
        for (x, root) in block.iter_mut().zip(roots) {
            *x *= multiplier * root;
        }
    });
    let g2 = G2Affine::generator();
    let s_g2: G2Affine = (g2 * s).to_affine();
    // `from_parts` is a method of halo2's; the receiver is not read.
    let any = ParamsKZG::<Bn256>::setup(1, rand::rngs::mock::StepRng::new(1, 1));
    any.from_parts(k, g, Some(g_lagrange), g2, s_g2)
}

// ---- keys ----

/// A chunk circuit's proving key and the layout it fixes.
pub struct ProvingKey {
    pk: plonk::ProvingKey<G1Affine>,
    vk: VerifyingKey,
    layout: Layout,
}

impl std::fmt::Debug for ProvingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvingKey").finish_non_exhaustive()
    }
}

impl ProvingKey {
    /// Generates the keys for chunks of `params`; `srs` must have `params.k`.
    pub fn generate(srs: &Srs, params: &CircuitParams) -> Result<Self, Error> {
        let (circuit, _) = builder(CircuitBuilderStage::Keygen, params.k as usize, &params.shape());
        let pk = keygen_circuit(srs, &circuit)?;
        let layout = Layout {
            config: circuit.base.config_params.clone(),
            break_points: circuit.base.break_points(),
        };
        let vk = VerifyingKey(pk.get_vk().clone());
        Ok(Self { pk, vk, layout })
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey {
        &self.vk
    }

    /// The layout keygen fixed.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Writes the proving key (halo2's unchecked raw format: the cache's own file).
    pub fn write(&self, writer: &mut impl Write) -> std::io::Result<()> {
        self.pk.write(writer, SerdeFormat::RawBytesUnchecked)
    }

    /// Reads a proving key written by [`ProvingKey::write`] for `layout`.
    pub fn read(reader: &mut impl Read, layout: Layout) -> Result<Self, KeyError> {
        let pk = plonk::ProvingKey::<G1Affine>::read::<_, HashedCircuit>(
            reader,
            SerdeFormat::RawBytesUnchecked,
            layout.config.clone(),
        )?;
        let vk = VerifyingKey(pk.get_vk().clone());
        Ok(Self { pk, vk, layout })
    }

    /// Proves one chunk; the proof's public inputs are `w.instance`. halo2's prover
    /// does not check constraints: a witness that breaks a rule yields a proof that
    /// does not verify.
    pub fn prove(&self, srs: &Srs, w: &ChunkWitness) -> Result<Proof, Error> {
        let circuit =
            prover_builder(self.layout.config.clone(), self.layout.break_points.clone(), w);
        prove_circuit(srs, &self.pk, circuit, &w.instance).map(Proof)
    }
}

/// A chunk circuit's verifying key.
#[derive(Debug, Clone)]
pub struct VerifyingKey(plonk::VerifyingKey<G1Affine>);

impl VerifyingKey {
    /// halo2's key (the aggregation module's).
    pub(crate) fn inner(&self) -> &plonk::VerifyingKey<G1Affine> {
        &self.0
    }

    /// The verifying key alone for chunks of `params` (cheaper than a full keygen;
    /// used to check cached keys against today's circuit code).
    pub fn generate(srs: &Srs, params: &CircuitParams) -> Result<Self, Error> {
        let (circuit, _) = builder(CircuitBuilderStage::Keygen, params.k as usize, &params.shape());
        keygen_vk(&srs.0, &circuit).map(Self)
    }

    /// Its bytes (halo2's raw format).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes(SerdeFormat::RawBytes)
    }

    /// Reads a verifying key written by [`VerifyingKey::to_bytes`] for `layout`.
    pub fn read(reader: &mut impl Read, layout: &Layout) -> Result<Self, KeyError> {
        plonk::VerifyingKey::<G1Affine>::read::<_, HashedCircuit>(
            reader,
            SerdeFormat::RawBytes,
            layout.config.clone(),
        )
        .map(Self)
        .map_err(|e| KeyError::Corrupt(e.to_string()))
    }

    /// SHA-256 of its bytes, hex: the key's identity in artifacts, manifests and
    /// the ledger.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.to_bytes()))
    }

    /// The exact length of every proof for this key: the points and scalars the
    /// verifier reads, in the order halo2's `verify_proof` and the SHPLONK opening
    /// read them (checked against real proofs in the tests).
    pub fn proof_len(&self) -> usize {
        let cs = self.0.cs();
        let lookups = cs.lookups().len();
        let permuted = cs.permutation().get_columns().len();
        let chunk = cs.degree() - 2;
        let permutation_sets = permuted.div_ceil(chunk);
        let quotient_pieces = self.0.get_domain().get_quotient_poly_degree();
        let points = cs.num_advice_columns()
            + 2 * lookups                // permuted input and table
            + permutation_sets          // permutation products
            + lookups                   // lookup products
            + 1                         // vanishing: random polynomial
            + quotient_pieces           // vanishing: h pieces
            + 2; // SHPLONK: h1, h2
        let scalars = cs.advice_queries().len()
            + cs.fixed_queries().len()
            + 1                                         // random polynomial's eval
            + permuted                                  // permutation common evals
            + (3 * permutation_sets).saturating_sub(1)  // product evals (+ last, but the last set)
            + 5 * lookups;
        (points + scalars) * WORD
    }

    /// Checks one proof against its public inputs.
    pub fn verify(&self, srs: &Srs, proof: &Proof, instance: &Instance) -> Result<(), ProofError> {
        self.check_len(proof)?;
        let instance = instance.to_vec();
        let mut rest = proof.as_bytes();
        let mut transcript = TranscriptRead::init(&mut rest);
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
            srs.0.verifier_params(),
            &self.0,
            SingleStrategy::new(&srs.0),
            &[&[&instance]],
            &mut transcript,
        )
        .map_err(|_| ProofError::Invalid)?;
        if !rest.is_empty() {
            return Err(ProofError::TrailingBytes(rest.len()));
        }
        Ok(())
    }

    /// Checks several proofs in one pairing: each proof's final pairing inputs are
    /// folded into one accumulator with random scalars. `false` if any proof fails
    /// (check them one by one to find which).
    pub fn verify_all<'a>(
        &self,
        srs: &Srs,
        proofs: impl IntoIterator<Item = (&'a Proof, &'a Instance)>,
    ) -> bool {
        let mut strategy = AccumulatorStrategy::new(&srs.0);
        for (proof, instance) in proofs {
            if self.check_len(proof).is_err() {
                return false;
            }
            let instance = instance.to_vec();
            let mut rest = proof.as_bytes();
            let mut transcript = TranscriptRead::init(&mut rest);
            strategy =
                match verify_proof::<
                    KZGCommitmentScheme<Bn256>,
                    VerifierSHPLONK<'_, Bn256>,
                    _,
                    _,
                    AccumulatorStrategy<'_, Bn256>,
                >(
                    srs.0.verifier_params(), &self.0, strategy, &[&[&instance]], &mut transcript
                ) {
                    Ok(s) => s,
                    Err(_) => return false,
                };
            if !rest.is_empty() {
                return false;
            }
        }
        VerificationStrategy::<_, VerifierSHPLONK<'_, Bn256>>::finalize(strategy)
    }

    fn check_len(&self, proof: &Proof) -> Result<(), ProofError> {
        let expected = self.proof_len();
        if proof.len() != expected {
            return Err(ProofError::WrongLength { expected, got: proof.len() });
        }
        Ok(())
    }
}

// ---- proofs ----

/// A chunk proof: the transcript's bytes, hex in JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof(Vec<u8>);

impl Proof {
    /// A proof from its bytes (checked only when verified).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Its bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Proof {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Proof {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text).map(Self).map_err(serde::de::Error::custom)
    }
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Not the length every proof for this verifying key has (bytes appended or
    /// cut).
    #[error("a proof for this verifying key has {expected} bytes, this one has {got}")]
    WrongLength {
        /// [`VerifyingKey::proof_len`].
        expected: usize,
        /// The proof's.
        got: usize,
    },
    /// Bytes the verifier never read.
    #[error("{0} bytes after the proof")]
    TrailingBytes(usize),
    /// The proof does not verify against the public inputs.
    #[error("the proof does not verify")]
    Invalid,
}

impl ProofError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::WrongLength { .. } | ProofError::TrailingBytes(_) => "WRONG_PROOF_LENGTH",
            ProofError::Invalid => "BAD_PROOF",
        }
    }
}

// ---- any circuit (the cost benches' baseline) ----

/// Keys for any circuit with one instance column (the chunk circuit, or the
/// benches' halo2-base-hasher baseline).
pub fn keygen_circuit<C: Circuit<Fr>>(
    srs: &Srs,
    circuit: &C,
) -> Result<plonk::ProvingKey<G1Affine>, Error> {
    let vk = keygen_vk(&srs.0, circuit)?;
    keygen_pk(&srs.0, vk, circuit)
}

/// Proves any circuit with one instance column holding `instance`, with the
/// transcript of this module.
pub fn prove_circuit<C: Circuit<Fr>>(
    srs: &Srs,
    pk: &plonk::ProvingKey<G1Affine>,
    circuit: C,
    instance: &Instance,
) -> Result<Vec<u8>, Error> {
    let instance = instance.to_vec();
    let mut transcript = TranscriptWrite::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        &srs.0,
        pk,
        &[circuit],
        &[&[&instance]],
        rand::rngs::OsRng,
        &mut transcript,
    )?;
    Ok(transcript.finalize())
}

/// Verifies a proof of any circuit made by [`prove_circuit`].
pub fn verify_circuit(
    srs: &Srs,
    vk: &plonk::VerifyingKey<G1Affine>,
    proof: &[u8],
    instance: &Instance,
) -> Result<(), Error> {
    let instance = instance.to_vec();
    let mut rest = proof;
    let mut transcript = TranscriptRead::init(&mut rest);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        srs.0.verifier_params(),
        vk,
        SingleStrategy::new(&srs.0),
        &[&[&instance]],
        &mut transcript,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_layout_uses_the_named_offsets() {
        let i = Instance {
            prev_state_root: Fr::from(1u64),
            next_state_root: Fr::from(2u64),
            prev_data_hash: Fr::from(3u64),
            next_data_hash: Fr::from(4u64),
        };
        let v = i.to_vec();
        assert_eq!(v.len(), NUM_PUBLIC_INPUTS);
        assert_eq!(v[PREV_STATE_ROOT], Fr::from(1u64));
        assert_eq!(v[NEXT_STATE_ROOT], Fr::from(2u64));
        assert_eq!(v[PREV_DATA_HASH], Fr::from(3u64));
        assert_eq!(v[NEXT_DATA_HASH], Fr::from(4u64));
    }

    #[test]
    fn a_proof_is_hex_in_json() {
        let proof = Proof::from_bytes(vec![0xab, 0x01]);
        let json = serde_json::to_string(&proof).unwrap();
        assert_eq!(json, "\"ab01\"");
        assert_eq!(serde_json::from_str::<Proof>(&json).unwrap(), proof);
        assert!(serde_json::from_str::<Proof>("\"xyz\"").is_err());
    }

    #[test]
    fn the_fast_setup_is_halo2s_setup() {
        use rand::SeedableRng;
        for k in [1, 5, 13] {
            let ours = Srs::from_seed(k, 7);
            let halo2 = Srs(ParamsKZG::setup(k, rand::rngs::StdRng::seed_from_u64(7)));
            let (mut a, mut b) = (Vec::new(), Vec::new());
            ours.write(&mut a).unwrap();
            halo2.write(&mut b).unwrap();
            assert!(a == b, "k = {k}: the fast setup differs from ParamsKZG::setup");
        }
        // A smaller SRS is a larger one downsized (the aggregation relies on it).
        let mut big = Srs::from_seed(12, 7);
        big.downsize(10);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        big.write(&mut a).unwrap();
        Srs::from_seed(10, 7).write(&mut b).unwrap();
        assert!(a == b, "downsized SRS differs");
    }

    #[test]
    fn a_corrupt_srs_header_or_length_is_an_error() {
        let mut bytes = Vec::new();
        Srs::insecure_dev(4).write(&mut bytes).unwrap();
        let len = bytes.len() as u64;
        assert_eq!(Srs::read(&bytes[..], len, true).unwrap().k(), 4);
        assert!(matches!(Srs::read(&bytes[..], len - 1, true), Err(KeyError::Corrupt(_))));
        let mut huge = bytes.clone();
        huge[..4].copy_from_slice(&40u32.to_le_bytes());
        assert!(matches!(Srs::read(&huge[..], len, true), Err(KeyError::Corrupt(_))));
    }
}
