//! `clearproof prove`: a committed batch proven offline from a file, its chunk
//! artifacts and public data written to a directory for `clearproof verify`.

use std::path::{Path, PathBuf};

use clearproof_protocol::batch::BatchOutput;
use serde::Deserialize;

use crate::{prove_batch, ProveError, ProvenChunk, ProverKeys};

/// Why offline proving failed.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// The batch file holds neither a batch record nor a batch witness.
    #[error("the batch file holds no batch witness: {0}")]
    NotABatch(serde_json::Error),
    /// Proving failed.
    #[error(transparent)]
    Prove(#[from] ProveError),
    /// Writing the results failed.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// A sequencer batch record (`GET /v1/batches/{n}`) or its witness alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum BatchFile {
    Record { witness: Box<BatchOutput> },
    Witness(Box<BatchOutput>),
}

/// The batch witness in a batch file's text.
pub fn read_batch(text: &str) -> Result<BatchOutput, OfflineError> {
    match serde_json::from_str(text).map_err(OfflineError::NotABatch)? {
        BatchFile::Record { witness } | BatchFile::Witness(witness) => Ok(*witness),
    }
}

/// Proves every chunk of `batch` on `threads` threads and writes, into `out`,
/// `batch-N-data.json` (the public data: its applied transactions) and one
/// `batch-N-chunk-I.json` artifact per chunk. Returns each artifact's path and
/// chunk, in chunk order.
pub fn prove_into(
    keys: &ProverKeys,
    batch: &BatchOutput,
    out: &Path,
    threads: usize,
    progress: bool,
) -> Result<Vec<(PathBuf, ProvenChunk)>, OfflineError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e| OfflineError::Io(path, e)
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let proven = prove_batch(keys, batch, threads, progress)?;
    let n = batch.batch_number;
    let data: Vec<_> = batch.applied().cloned().collect();
    let data_path = out.join(format!("batch-{n}-data.json"));
    let json = serde_json::to_vec_pretty(&data).expect("transactions serialise");
    std::fs::write(&data_path, json).map_err(io(&data_path))?;
    proven
        .into_iter()
        .map(|c| {
            let path = out.join(format!("batch-{n}-chunk-{}.json", c.proof.chunk));
            std::fs::write(&path, c.proof.to_json()).map_err(io(&path))?;
            Ok((path, c))
        })
        .collect()
}
