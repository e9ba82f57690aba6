//! The chunk-proof artifact: a versioned, self-describing JSON document that
//! carries one chunk proof and everything needed to check it against a batch.
//!
//! ```json
//! { "format": "clearproof-chunk-proof", "version": 1,
//!   "circuit": {"depth": 24, "slots": 4, "k": 17},
//!   "vk_digest": "<sha-256 of the verifying key, hex>",
//!   "srs": "insecure-dev",
//!   "batch": 7, "chunk": 0, "chunks": 3,
//!   "public_inputs": {"prev_state_root": "0x…", "next_state_root": "0x…",
//!                     "prev_data_hash": "0x…", "next_data_hash": "0x…"},
//!   "proof": "<hex>" }
//! ```

use clearproof_circuits::circuit::{CircuitParams, Instance, Proof};
use serde::{Deserialize, Serialize};

/// Why an artifact or a public-data file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    /// Not JSON, or not the expected shape.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The `format` field names no format this code reads.
    #[error("unknown format {0:?}")]
    UnknownFormat(String),
    /// The `version` field names a version this code does not read.
    #[error("unsupported version {0}")]
    UnknownVersion(u32),
}

/// The `format` field of every chunk-proof artifact.
pub const FORMAT: &str = "clearproof-chunk-proof";
/// The artifact version this code writes and reads.
pub const VERSION: u32 = 1;

/// One chunk proof with its context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkProof {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] when written by this code.
    pub version: u32,
    /// The circuit's shape.
    pub circuit: CircuitParams,
    /// SHA-256 of the verifying key (hex), as the verifier computes it (`clearproof_verifier::key::vk_digest`).
    pub vk_digest: String,
    /// Which SRS the keys were made with (`insecure-dev` for the development SRS).
    pub srs: String,
    /// The batch number.
    pub batch: u64,
    /// This chunk's index in the batch.
    pub chunk: usize,
    /// The batch's number of chunks.
    pub chunks: usize,
    /// The proof's public inputs.
    pub public_inputs: Instance,
    /// The proof bytes, hex.
    pub proof: Proof,
}

impl ChunkProof {
    /// Parses an artifact, rejecting unknown formats and versions with their own
    /// reasons (before any other field is interpreted).
    pub fn from_json(text: &str) -> Result<Self, ArtifactError> {
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
        }
        let header: Header =
            serde_json::from_str(text).map_err(|e| ArtifactError::Malformed(e.to_string()))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(ArtifactError::UnknownFormat(header.format.unwrap_or_default()));
        }
        match header.version {
            Some(VERSION) => {}
            other => return Err(ArtifactError::UnknownVersion(other.unwrap_or(0))),
        }
        serde_json::from_str(text).map_err(|e| ArtifactError::Malformed(e.to_string()))
    }

    /// The artifact as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serializable")
    }
}

/// Reads a batch's public data: a JSON array of transactions, or an object with
/// `data` (a posted batch) or `public_data` (a sequencer batch record, whose
/// entries carry the transaction under `tx`).
pub fn read_public_data(
    text: &str,
) -> Result<Vec<clearproof_protocol::tx::Transaction>, ArtifactError> {
    use clearproof_protocol::tx::Transaction;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ArtifactError::Malformed(e.to_string()))?;
    let list = match &value {
        serde_json::Value::Array(items) => items.clone(),
        serde_json::Value::Object(o) => match (o.get("data"), o.get("public_data")) {
            (Some(serde_json::Value::Array(items)), _) => items.clone(),
            (_, Some(serde_json::Value::Array(items))) => {
                items.iter().map(|e| e.get("tx").cloned().unwrap_or_default()).collect()
            }
            _ => return Err(ArtifactError::Malformed("no `data` or `public_data` array".into())),
        },
        _ => return Err(ArtifactError::Malformed("expected an array of transactions".into())),
    };
    list.into_iter()
        .map(|v| {
            serde_json::from_value::<Transaction>(v)
                .map_err(|e| ArtifactError::Malformed(e.to_string()))
        })
        .collect()
}

/// Reads chunk-proof artifact files, in the given order.
pub fn read_artifacts(paths: &[std::path::PathBuf]) -> Result<Vec<ChunkProof>, ArtifactError> {
    paths
        .iter()
        .map(|path| {
            std::fs::read_to_string(path)
                .map_err(|e| ArtifactError::Malformed(format!("{}: {e}", path.display())))
                .and_then(|text| ChunkProof::from_json(&text))
        })
        .collect()
}
