//! `clearproof prover run`: a worker that pulls chunk jobs from a sequencer over
//! HTTP (`POST /v1/jobs/lease`), proves them and posts the proofs back
//! (`POST /v1/jobs/{batch}/{chunk}/proof`). The sequencer's leases make workers
//! disposable: a worker that dies mid-job loses only that chunk, which is offered
//! again when its lease expires.

use clearproof_api::client::{BlockingClient, ClientError};
use clearproof_api::wire::{LeaseRequest, Submitted};
use clearproof_protocol::batch::BatchOutput;
use clearproof_verifier::key::VerifierKey;

use crate::{chunk_jobs, prove_chunk, ProverKeys};

/// Why the worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The sequencer refused a request, or could not be reached.
    #[error(transparent)]
    Sequencer(#[from] ClientError),
    /// The leased job is not in the batch the sequencer served.
    #[error("batch {batch} has no chunk {chunk}")]
    NoSuchChunk {
        /// Batch.
        batch: u64,
        /// Chunk.
        chunk: usize,
    },
    /// Proving failed.
    #[error(transparent)]
    Prove(#[from] crate::ProveError),
    /// The thread pool or the HTTP runtime could not start.
    #[error("cannot start: {0}")]
    Start(String),
}

/// A prover worker.
pub struct Worker {
    client: BlockingClient,
    name: String,
    keys: ProverKeys,
    verifier: VerifierKey,
    pool: rayon::ThreadPool,
    batch: Option<BatchOutput>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").finish_non_exhaustive()
    }
}

/// What one [`Worker::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// No job was open.
    Idle,
    /// A chunk was proven and posted; `accepted` is false for a duplicate.
    Proved {
        /// Batch.
        batch: u64,
        /// Chunk.
        chunk: usize,
        /// Seconds proving.
        seconds: u64,
        /// False if another worker's proof was stored first.
        accepted: bool,
    },
}

impl Worker {
    /// A worker named `name` for the sequencer at `base` (`http://host:port`),
    /// proving on `threads` threads (0: one per core).
    pub fn new(
        base: &str,
        name: &str,
        keys: ProverKeys,
        threads: usize,
    ) -> Result<Self, WorkerError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| WorkerError::Start(e.to_string()))?;
        let client = BlockingClient::new(base).map_err(|e| WorkerError::Start(e.to_string()))?;
        let verifier = keys.verifier_key();
        Ok(Self { client, name: name.to_string(), keys, verifier, pool, batch: None })
    }

    /// Leases one job, proves it and posts the proof.
    pub fn step(&mut self) -> Result<Step, WorkerError> {
        let request = LeaseRequest {
            worker: self.name.clone(),
            vk_digest: Some(self.keys.manifest.vk_digest.clone()),
        };
        let Some(job) = self.client.run(|c| c.lease(&request))? else { return Ok(Step::Idle) };
        tracing::info!(batch = job.batch, chunk = job.chunk, lease = job.lease_id, "job leased");
        if self.batch.as_ref().map(|b| b.batch_number) != Some(job.batch) {
            let record = self.client.run(|c| c.batch(job.batch))?;
            self.batch = Some(record.witness);
        }
        let batch = self.batch.as_ref().expect("just fetched");
        let jobs = chunk_jobs(&self.keys, batch)?;
        let w = jobs
            .get(job.chunk)
            .ok_or(WorkerError::NoSuchChunk { batch: job.batch, chunk: job.chunk })?;
        let (keys, verifier) = (&self.keys, &self.verifier);
        let proven = self
            .pool
            .install(|| prove_chunk(keys, verifier, job.batch, job.chunk, job.chunks, w))?;
        let outcome = self.client.run(|c| c.post_proof(&proven.proof))?;
        tracing::info!(batch = job.batch, chunk = job.chunk, ?outcome, "proof posted");
        Ok(Step::Proved {
            batch: job.batch,
            chunk: job.chunk,
            seconds: proven.time.as_secs(),
            accepted: outcome == Submitted::Accepted,
        })
    }
}
