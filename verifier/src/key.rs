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

use clearproof_circuits::circuit::{CircuitParams, Layout, Srs, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The SRS label of the fixed-seed development SRS. Anyone can forge proofs
/// against it; every output that uses it says so.
pub const INSECURE_DEV_SRS: &str = "insecure-dev";

/// `manifest.json` of a key directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyManifest {
    /// The circuit's shape.
    pub circuit: CircuitParams,
    /// The layout fixed at keygen (`config` and `break_points`).
    #[serde(flatten)]
    pub layout: Layout,
    /// SHA-256 of `vk.bin`, hex ([`VerifyingKey::digest`]).
    pub vk_digest: String,
    /// [`Srs::digest`] of the SRS the keys were made with: what verification
    /// depends on besides the vk, so a swapped SRS file is caught.
    pub srs_digest: String,
    /// The exact length of every proof for this key ([`VerifyingKey::proof_len`]).
    pub proof_bytes: usize,
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

/// Reads an SRS file (halo2 raw format). `checked`: validate every point (for a
/// file from elsewhere); unchecked is for the cache's own copies.
pub fn read_srs(path: &Path, checked: bool) -> Result<Srs, KeyError> {
    let file = File::open(path).map_err(|e| KeyError::io(path, e))?;
    let len = file.metadata().map_err(|e| KeyError::io(path, e))?.len();
    Srs::read(BufReader::new(file), len, checked)
        .map_err(|e| KeyError::Corrupt(path.to_path_buf(), e.to_string()))
}

/// What a verifier needs: the verifying key, its digest and the SRS.
#[derive(Debug)]
pub struct VerifierKey {
    /// The key directory's manifest.
    pub manifest: KeyManifest,
    /// The verifying key.
    pub vk: VerifyingKey,
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
        let vk = VerifyingKey::read(&mut BufReader::new(file), &manifest.layout)
            .map_err(|e| KeyError::Corrupt(path.clone(), e.to_string()))?;
        if vk.digest() != manifest.vk_digest {
            return Err(KeyError::Corrupt(path, "digest differs from the manifest".into()));
        }
        if vk.proof_len() != manifest.proof_bytes {
            return Err(KeyError::Corrupt(path, "proof length differs from the manifest".into()));
        }
        if manifest.circuit.slots == 0 {
            return Err(KeyError::Corrupt(
                dir.join("manifest.json"),
                "zero slots per chunk".into(),
            ));
        }
        let srs_path = dir.join(&manifest.srs_file);
        let srs = read_srs(&srs_path, false)?;
        if srs.digest() != manifest.srs_digest {
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

    /// The SRS's digest ([`Srs::digest`]).
    pub fn srs_digest(&self) -> &str {
        &self.manifest.srs_digest
    }
}
