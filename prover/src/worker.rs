//! `clearproof prover run`: a worker that pulls chunk jobs from a sequencer over
//! HTTP (`POST /v1/jobs/lease`), proves them and posts the proofs back
//! (`POST /v1/jobs/{batch}/{chunk}/proof`). The sequencer's leases make workers
//! disposable: a worker that dies mid-job loses only that chunk, which is offered
//! again when its lease expires.

use std::time::Duration;

use clearproof_circuits::batch::BatchOutput;
use clearproof_verifier::key::VerifierKey;
use serde::Deserialize;

use crate::{chunk_jobs, prove_chunk, ProverKeys};

/// A leased job, as the sequencer sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    /// Batch number.
    pub batch: u64,
    /// Chunk index.
    pub chunk: usize,
    /// The batch's number of chunks.
    pub chunks: usize,
    /// Lease id.
    pub lease_id: u64,
}

/// Why the worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// HTTP failed.
    #[error("sequencer: {0}")]
    Http(#[from] reqwest::Error),
    /// The sequencer answered something unexpected.
    #[error("sequencer answered {status}: {body}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Body.
        body: String,
    },
    /// Proving failed.
    #[error(transparent)]
    Prove(#[from] crate::ProveError),
    /// The thread pool could not start.
    #[error("thread pool: {0}")]
    Pool(String),
}

/// A prover worker.
pub struct Worker {
    base: String,
    name: String,
    keys: ProverKeys,
    verifier: VerifierKey,
    pool: rayon::ThreadPool,
    http: reqwest::blocking::Client,
    batch: Option<BatchOutput>,
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
            .map_err(|e| WorkerError::Pool(e.to_string()))?;
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let verifier = keys.verifier_key();
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            name: name.to_string(),
            keys,
            verifier,
            pool,
            http,
            batch: None,
        })
    }

    fn refused(response: reqwest::blocking::Response) -> WorkerError {
        let status = response.status().as_u16();
        WorkerError::Refused { status, body: response.text().unwrap_or_default() }
    }

    /// Leases one job, proves it and posts the proof.
    pub fn step(&mut self) -> Result<Step, WorkerError> {
        let response = self
            .http
            .post(format!("{}/v1/jobs/lease", self.base))
            .json(&serde_json::json!({
                "worker": self.name,
                "vk_digest": self.keys.manifest.vk_digest,
            }))
            .send()?;
        if response.status().as_u16() == 204 {
            return Ok(Step::Idle);
        }
        if !response.status().is_success() {
            return Err(Self::refused(response));
        }
        let job: Job = response.json()?;
        tracing::info!(batch = job.batch, chunk = job.chunk, lease = job.lease_id, "job leased");
        if self.batch.as_ref().map(|b| b.batch_number) != Some(job.batch) {
            let response =
                self.http.get(format!("{}/v1/batches/{}", self.base, job.batch)).send()?;
            if !response.status().is_success() {
                return Err(Self::refused(response));
            }
            let mut record: serde_json::Value = response.json()?;
            let witness =
                record.get_mut("witness").map(serde_json::Value::take).unwrap_or_default();
            let batch: BatchOutput =
                serde_json::from_value(witness).map_err(|e| WorkerError::Refused {
                    status: 200,
                    body: format!("batch {} has no witness: {e}", job.batch),
                })?;
            self.batch = Some(batch);
        }
        let batch = self.batch.as_ref().expect("just fetched");
        let jobs = chunk_jobs(&self.keys, batch)?;
        let w = jobs.get(job.chunk).ok_or_else(|| WorkerError::Refused {
            status: 200,
            body: format!("batch {} has no chunk {}", job.batch, job.chunk),
        })?;
        let (keys, verifier) = (&self.keys, &self.verifier);
        let proven = self
            .pool
            .install(|| prove_chunk(keys, verifier, job.batch, job.chunk, job.chunks, w))?;
        let response = self
            .http
            .post(format!("{}/v1/jobs/{}/{}/proof", self.base, job.batch, job.chunk))
            .header("content-type", "application/json")
            .body(proven.proof.to_json())
            .send()?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(Self::refused(response));
        }
        tracing::info!(batch = job.batch, chunk = job.chunk, status, "proof posted");
        Ok(Step::Proved {
            batch: job.batch,
            chunk: job.chunk,
            seconds: proven.time.as_secs(),
            accepted: status == 201,
        })
    }
}
