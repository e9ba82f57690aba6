//! The verifying key, as `clearproof setup` leaves it on disk.
//!
//! A key directory holds `manifest.json` ([`KeyManifest`]: the circuit's
//! parameters and layout, the verifying-key digest, and which SRS it was made
//! with), `vk.bin` (the verifying key, halo2 raw bytes) and, for provers,
//! `pk.bin`. The SRS is a separate file named in the manifest, next to the
//! directory.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use clearproof_circuits::circuit::hash::HashedCircuit;
use clearproof_circuits::circuit::proof::{CircuitParams, Srs};
use halo2_base::gates::circuit::BaseCircuitParams;
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_base::halo2_proofs::plonk::VerifyingKey;
use halo2_base::halo2_proofs::SerdeFormat;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The SRS label of the fixed-seed development SRS. Anyone can forge proofs
/// against it; every output that uses it says so.
pub const INSECURE_DEV_SRS: &str = "insecure-dev";

/// `manifest.json` of a key directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyManifest {
    /// The circuit's shape.
    pub circuit: CircuitParams,
    /// The halo2-base layout fixed at keygen.
    pub config: BaseCircuitParams,
    /// Where the virtual cells break across columns (provers need it).
    pub break_points: MultiPhaseThreadBreakPoints,
    /// SHA-256 of `vk.bin`, hex.
    pub vk_digest: String,
    /// [`srs_digest`] of the SRS the keys were made with: what verification
    /// depends on besides the vk, so a swapped SRS file is caught.
    pub srs_digest: String,
    /// The SRS label: [`INSECURE_DEV_SRS`] or `file-<first 16 hex digits of the
    /// file's SHA-256>`.
    pub srs: String,
    /// The SRS file, relative to the key directory.
    pub srs_file: String,
}

impl KeyManifest {
    /// Reads `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| KeyError::io(&path, e))?;
        serde_json::from_str(&text).map_err(|e| KeyError::Corrupt(path, e.to_string()))
    }

    /// True if the keys were made with the insecure development SRS.
    pub fn insecure(&self) -> bool {
        self.srs == INSECURE_DEV_SRS
    }
}

/// Why a key directory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file could not be read.
    #[error("cannot read {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A file is not what the manifest says.
    #[error("corrupt key file {0}: {1}")]
    Corrupt(PathBuf, String),
}

impl KeyError {
    fn io(path: &Path, e: std::io::Error) -> Self {
        Self::Io(path.to_path_buf(), e)
    }
}

/// SHA-256 of a verifying key's raw bytes, hex: the key's identity in artifacts
/// and in the ledger.
pub fn vk_digest(vk: &VerifyingKey<G1Affine>) -> String {
    hex::encode(Sha256::digest(vk.to_bytes(SerdeFormat::RawBytes)))
}

/// SHA-256 of the SRS elements a verifier uses (`k`, the first `G1` point, `G2`
/// and `s·G2`), hex. A verifier holding another SRS with the same vk would accept
/// proofs made with that SRS's secret: the ledger pins this digest with the vk's.
pub fn srs_digest(srs: &Srs) -> String {
    use halo2_base::halo2_proofs::halo2curves::group::GroupEncoding;
    use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
    let mut h = Sha256::new();
    h.update(srs.k().to_le_bytes());
    h.update(srs.get_g()[0].to_bytes());
    h.update(srs.g2().to_bytes());
    h.update(srs.s_g2().to_bytes());
    hex::encode(h.finalize())
}

/// The largest SRS this code reads (`2^MAX_SRS_K` points).
pub const MAX_SRS_K: u32 = 28;

/// Reads an SRS file (halo2 raw format). `checked`: validate every point (for a
/// file from elsewhere); unchecked is for the cache's own copies.
pub fn read_srs(path: &Path, checked: bool) -> Result<Srs, KeyError> {
    let mut file = File::open(path).map_err(|e| KeyError::io(path, e))?;
    // halo2 allocates 2^k points from the header before reading: check the header
    // and the file's length first, so a corrupt file is an error, not an abort.
    let corrupt = |m: String| KeyError::Corrupt(path.to_path_buf(), m);
    let mut header = [0u8; 4];
    std::io::Read::read_exact(&mut file, &mut header).map_err(|e| KeyError::io(path, e))?;
    let k = u32::from_le_bytes(header);
    if k > MAX_SRS_K {
        return Err(corrupt(format!("SRS header says 2^{k} points (at most 2^{MAX_SRS_K})")));
    }
    // Raw format: 2 × 2^k uncompressed G1 points (64 bytes), then 2 G2 points.
    let expected = 4 + (2u64 << k) * 64 + 2 * 128;
    let len = file.metadata().map_err(|e| KeyError::io(path, e))?.len();
    if len != expected {
        return Err(corrupt(format!("{len} bytes, a raw SRS of 2^{k} points has {expected}")));
    }
    std::io::Seek::rewind(&mut file).map_err(|e| KeyError::io(path, e))?;
    let format = if checked { SerdeFormat::RawBytes } else { SerdeFormat::RawBytesUnchecked };
    Srs::read_custom(&mut BufReader::new(file), format)
        .map_err(|e| KeyError::Corrupt(path.to_path_buf(), e.to_string()))
}

/// What a verifier needs: the verifying key, its digest and the SRS.
pub struct VerifierKey {
    /// The key directory's manifest.
    pub manifest: KeyManifest,
    /// The verifying key.
    pub vk: VerifyingKey<G1Affine>,
    /// The SRS (the verifier uses its `G2` elements and first `G1` point).
    pub srs: Srs,
}

impl VerifierKey {
    /// Loads `dir/manifest.json`, `dir/vk.bin` and the SRS, and checks the vk's
    /// digest against the manifest.
    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let manifest = KeyManifest::load(dir)?;
        let path = dir.join("vk.bin");
        let file = File::open(&path).map_err(|e| KeyError::io(&path, e))?;
        let vk = VerifyingKey::<G1Affine>::read::<_, HashedCircuit>(
            &mut BufReader::new(file),
            SerdeFormat::RawBytes,
            manifest.config.clone(),
        )
        .map_err(|e| KeyError::Corrupt(path.clone(), e.to_string()))?;
        if vk_digest(&vk) != manifest.vk_digest {
            return Err(KeyError::Corrupt(path, "digest differs from the manifest".into()));
        }
        if manifest.circuit.slots == 0 {
            return Err(KeyError::Corrupt(
                dir.join("manifest.json"),
                "zero slots per chunk".into(),
            ));
        }
        let srs_path = dir.join(&manifest.srs_file);
        let srs = read_srs(&srs_path, false)?;
        if srs_digest(&srs) != manifest.srs_digest {
            return Err(KeyError::Corrupt(
                srs_path,
                "not the SRS the keys were made with (digest differs from the manifest)".into(),
            ));
        }
        Ok(Self { manifest, vk, srs })
    }

    /// The verifying key's digest.
    pub fn digest(&self) -> &str {
        &self.manifest.vk_digest
    }

    /// The SRS's digest ([`srs_digest`]).
    pub fn srs_digest(&self) -> &str {
        &self.manifest.srs_digest
    }
}
