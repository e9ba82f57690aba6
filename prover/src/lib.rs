//! The clearproof prover, middle stage of sequencer → prover → verifier: it turns
//! a committed batch's witness into chunk proofs, and a batch's chunk proofs
//! into one aggregated proof.
//!
//! - [`keys`]: the SRS and proving-key cache (`clearproof setup`);
//! - [`prove_batch`]: cuts a batch into chunk jobs and proves them in parallel on
//!   a rayon pool of `threads` threads (each job's own halo2 work runs on the
//!   same pool), with a progress bar per chunk, and checks each proof before
//!   handing it out;
//! - [`worker`]: `clearproof prover run`, pulling chunk jobs from a sequencer
//!   over HTTP under leases;
//! - [`offline`]: `clearproof prove`, a batch file proven into a directory;
//! - [`aggregate`]: a batch's chunk proofs aggregated into one proof for an
//!   EVM base layer (the relay posts it);
//! - the result is one [`ChunkProof`] artifact per chunk (format in
//!   `clearproof_api::artifact`).

#![forbid(unsafe_code)]

pub mod aggregate;
pub mod keys;
pub mod offline;
pub mod worker;

use std::time::{Duration, Instant};

use clearproof_api::artifact::{ChunkProof, FORMAT, VERSION};
use clearproof_protocol::batch::BatchOutput;
use clearproof_protocol::witness::{chunk_witnesses, ChunkWitness};
use clearproof_verifier::check::verify_one;
use clearproof_verifier::key::VerifierKey;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

pub use keys::{setup, ProverKeys, SrsSource};

/// Why proving failed.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The batch was made for another tree depth than the keys.
    #[error("the batch's tree depth is {batch}, the keys are for {keys}")]
    WrongDepth {
        /// The batch's.
        batch: usize,
        /// The keys'.
        keys: usize,
    },
    /// halo2 failed to prove.
    #[error("chunk {chunk}: proving failed: {message}")]
    Halo2 {
        /// The chunk.
        chunk: usize,
        /// halo2's error.
        message: String,
    },
    /// The proof does not verify: the witness breaks a rule (a bug upstream).
    #[error("chunk {0}: the proof does not verify (the witness breaks a circuit rule)")]
    Unsound(usize),
    /// The thread pool could not start.
    #[error("thread pool: {0}")]
    Pool(String),
}

/// One proven chunk.
#[derive(Debug, Clone)]
pub struct ProvenChunk {
    /// The artifact.
    pub proof: ChunkProof,
    /// Wall time to prove it.
    pub time: Duration,
}

/// Chunk jobs of `batch` for the keys' circuit.
pub fn chunk_jobs(keys: &ProverKeys, batch: &BatchOutput) -> Result<Vec<ChunkWitness>, ProveError> {
    let circuit = keys.manifest.circuit;
    if batch.tree_depth != circuit.depth {
        return Err(ProveError::WrongDepth { batch: batch.tree_depth, keys: circuit.depth });
    }
    Ok(chunk_witnesses(batch, circuit.slots))
}

/// Proves chunk `index` of a batch of `chunks` chunks and checks the proof.
pub fn prove_chunk(
    keys: &ProverKeys,
    verifier: &VerifierKey,
    batch: u64,
    index: usize,
    chunks: usize,
    w: &ChunkWitness,
) -> Result<ProvenChunk, ProveError> {
    let start = Instant::now();
    let proof = keys
        .keys
        .prove(&keys.srs, w)
        .map_err(|e| ProveError::Halo2 { chunk: index, message: e.to_string() })?;
    let time = start.elapsed();
    if verify_one(verifier, &proof, &w.instance).is_err() {
        return Err(ProveError::Unsound(index));
    }
    Ok(ProvenChunk {
        proof: ChunkProof {
            format: FORMAT.to_string(),
            version: VERSION,
            circuit: keys.manifest.circuit,
            vk_digest: keys.manifest.vk_digest.clone(),
            srs: keys.manifest.srs.clone(),
            batch,
            chunk: index,
            chunks,
            public_inputs: w.instance,
            proof,
        },
        time,
    })
}

/// Proves every chunk of `batch` on `threads` threads (0: one per core), showing
/// progress bars on stderr when `progress` is set and stderr is a terminal.
pub fn prove_batch(
    keys: &ProverKeys,
    batch: &BatchOutput,
    threads: usize,
    progress: bool,
) -> Result<Vec<ProvenChunk>, ProveError> {
    let jobs = chunk_jobs(keys, batch)?;
    let verifier = keys.verifier_key();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| ProveError::Pool(e.to_string()))?;
    let bars = MultiProgress::with_draw_target(if progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let style = ProgressStyle::with_template("{prefix:>22} {spinner} {elapsed:>4} {msg}")
        .expect("valid template");
    let n = jobs.len();
    pool.install(|| {
        jobs.par_iter()
            .enumerate()
            .map(|(i, w)| {
                let bar = bars.add(ProgressBar::new_spinner().with_style(style.clone()));
                bar.set_prefix(format!("batch {} chunk {}/{}", batch.batch_number, i + 1, n));
                bar.set_message("proving");
                bar.enable_steady_tick(Duration::from_millis(200));
                let result = prove_chunk(keys, &verifier, batch.batch_number, i, n, w);
                match &result {
                    Ok(c) => bar.finish_with_message(format!(
                        "proved in {:.1} s, {} bytes",
                        c.time.as_secs_f64(),
                        c.proof.proof.len()
                    )),
                    Err(e) => bar.abandon_with_message(format!("failed: {e}")),
                }
                result
            })
            .collect()
    })
}
