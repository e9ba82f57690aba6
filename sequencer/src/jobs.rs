//! Chunk proving jobs for remote provers, with leases (`docs/API.md`, "Jobs").
//!
//! Every committed batch is cut into chunk jobs as the prover cuts it
//! (`clearproof_protocol::witness::chunk_ranges`: an oracle update and its
//! continuation take two slots of one chunk).
//! A prover leases the lowest open job; the lease lasts `lease` and is then
//! offered again, so a prover that dies loses only its unfinished chunk. A
//! submitted proof is checked (its public inputs against the batch's witness and,
//! when the sequencer has the verifying key, the proof itself) and stored once,
//! durably: a proof that arrives after its lease expired is still accepted if it
//! is the first, and a second proof of the same chunk is answered as a duplicate
//! and dropped. Leases live in memory: after a restart every unproven job is open.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clearproof_api::artifact::ChunkProof;
use clearproof_circuits::circuit::{Instance, ProofError};
use clearproof_protocol::params::CHUNK_SLOTS;
use clearproof_protocol::witness::chunk_witnesses;
use clearproof_verifier::check::verify_one;
use clearproof_verifier::key::VerifierKey;

use crate::batches::{stored, Batches};
use crate::store::{Store, StoreError};
use clearproof_api::wire::{Job, JobStatus, Submitted};

/// Why a submitted proof was refused.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// No such batch or chunk.
    #[error("no job for batch {0} chunk {1}")]
    UnknownJob(u64, usize),
    /// The body is not a chunk-proof artifact.
    #[error("{0}")]
    Artifact(#[from] clearproof_verifier::Rejection),
    /// The artifact names another batch, chunk or circuit than the job.
    #[error("the artifact is for {0}, not this job")]
    WrongJob(String),
    /// The public inputs are not the chunk's.
    #[error("the proof's public inputs are not this chunk's")]
    WrongPublicInputs,
    /// The proof does not verify, or is not a proof's length for the key.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl JobError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            JobError::UnknownJob(..) => "UNKNOWN_JOB",
            JobError::Artifact(r) => r.code(),
            JobError::WrongJob(_) => "WRONG_JOB",
            JobError::WrongPublicInputs => "WRONG_PUBLIC_INPUTS",
            JobError::Proof(e) => e.code(),
            JobError::Store(_) => "STORAGE_FAILURE",
        }
    }

    /// HTTP status.
    pub fn http_status(&self) -> u16 {
        match self {
            JobError::UnknownJob(..) => 404,
            JobError::Artifact(_) | JobError::WrongJob(_) => 400,
            JobError::WrongPublicInputs | JobError::Proof(_) => 422,
            JobError::Store(_) => 503,
        }
    }
}

struct Lease {
    id: u64,
    worker: String,
    expires: Instant,
}

#[derive(Default)]
struct Board {
    leases: HashMap<(u64, usize), Lease>,
    chunks: HashMap<u64, usize>,
    /// Per batch: its tree depth and each chunk's public inputs (computed once).
    instances: HashMap<u64, (usize, Vec<Instance>)>,
    next_lease: u64,
    /// Every batch below this one is fully proven.
    first_open: u64,
}

/// The job board.
pub struct JobBoard {
    slots: usize,
    lease: Duration,
    verifier: Option<VerifierKey>,
    board: Mutex<Board>,
}

impl std::fmt::Debug for JobBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobBoard").finish_non_exhaustive()
    }
}

impl Default for JobBoard {
    /// Production chunks, 120 s leases, and no verifying key: see [`JobBoard::new`].
    fn default() -> Self {
        Self::new(CHUNK_SLOTS, Duration::from_secs(120), None)
    }
}

impl JobBoard {
    /// Jobs of `slots` slots per chunk, leased for `lease`. With a verifying key,
    /// a submitted proof must carry its digest and verify before it is stored.
    /// Without one (trusted provers only, or tests) only the public inputs are
    /// checked: any client could then store a bogus proof first and block that
    /// chunk, so `clearproof sequencer serve` serves jobs only with `--keys`.
    pub fn new(slots: usize, lease: Duration, verifier: Option<VerifierKey>) -> Self {
        assert!(
            slots >= 2,
            "a chunk has at least two slots (an oracle update and its continuation)"
        );
        Self {
            slots,
            lease,
            verifier,
            board: Mutex::new(Board { first_open: 1, ..Board::default() }),
        }
    }

    /// The digest of the verifying key proofs are checked against, if any.
    pub fn vk_digest(&self) -> Option<&str> {
        self.verifier.as_ref().map(VerifierKey::digest)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn chunks(
        &self,
        board: &mut Board,
        store: &dyn Store,
        batch: u64,
    ) -> Result<Option<usize>, StoreError> {
        if let Some(n) = board.chunks.get(&batch) {
            return Ok(Some(*n));
        }
        let Some(stored) = stored(store, batch)? else { return Ok(None) };
        let kinds: Vec<_> = stored.txs.iter().map(|t| t.tx.tx.kind()).collect();
        let n = clearproof_protocol::witness::chunk_ranges(&kinds, self.slots).len();
        board.chunks.insert(batch, n);
        Ok(Some(n))
    }

    /// Leases the lowest open job of batches `1..=committed` to `worker`.
    pub fn lease(
        &self,
        store: &dyn Store,
        committed: u64,
        worker: &str,
    ) -> Result<Option<Job>, StoreError> {
        let now = Instant::now();
        let mut board = self.lock();
        let mut batch = board.first_open;
        let mut all_proven_so_far = true;
        while batch <= committed {
            let Some(chunks) = self.chunks(&mut board, store, batch)? else { break };
            let mut batch_proven = true;
            for chunk in 0..chunks {
                if store.proof(batch, chunk as u32)?.is_some() {
                    continue;
                }
                batch_proven = false;
                let live = board.leases.get(&(batch, chunk)).is_some_and(|l| l.expires > now);
                if !live {
                    board.next_lease += 1;
                    let id = board.next_lease;
                    let lease = Lease { id, worker: worker.to_string(), expires: now + self.lease };
                    board.leases.insert((batch, chunk), lease);
                    return Ok(Some(Job {
                        batch,
                        chunk,
                        chunks,
                        slots: self.slots,
                        lease_id: id,
                        lease_ms: self.lease.as_millis() as u64,
                    }));
                }
            }
            if batch_proven && all_proven_so_far {
                board.first_open = batch + 1;
                board.leases.retain(|(b, _), _| *b > batch);
                board.instances.remove(&batch);
            } else {
                all_proven_so_far = false;
            }
            batch += 1;
        }
        Ok(None)
    }

    /// Checks and stores a proof of chunk `chunk` of batch `batch` (its public
    /// inputs against the batch's witness, built by `batches` if needed).
    pub fn submit(
        &self,
        batches: &Batches,
        batch: u64,
        chunk: usize,
        body: &str,
    ) -> Result<Submitted, JobError> {
        let artifact = ChunkProof::from_json(body).map_err(clearproof_verifier::Rejection::from)?;
        if artifact.batch != batch
            || artifact.chunk != chunk
            || artifact.circuit.slots != self.slots
        {
            return Err(JobError::WrongJob(format!(
                "batch {} chunk {} ({} slots)",
                artifact.batch, artifact.chunk, artifact.circuit.slots
            )));
        }
        let (depth, instances) = self.instances(batches, batch)?;
        let expected = instances.get(chunk).ok_or(JobError::UnknownJob(batch, chunk))?;
        if artifact.chunks != instances.len() || artifact.circuit.depth != depth {
            return Err(JobError::WrongJob(format!("a batch of {} chunks", artifact.chunks)));
        }
        if artifact.public_inputs != *expected {
            return Err(JobError::WrongPublicInputs);
        }
        if let Some(key) = &self.verifier {
            if artifact.vk_digest != key.digest() {
                return Err(clearproof_verifier::Rejection::WrongVerifyingKey { chunk }.into());
            }
            verify_one(key, &artifact.proof, &artifact.public_inputs)?;
        }
        let stored = batches.store().put_proof(batch, chunk as u32, body.as_bytes())?;
        self.lock().leases.remove(&(batch, chunk));
        Ok(if stored { Submitted::Accepted } else { Submitted::Duplicate })
    }

    /// Batch `batch`'s tree depth and its chunks' public inputs, from the cache or
    /// (once per batch) from its witness.
    fn instances(&self, batches: &Batches, batch: u64) -> Result<(usize, Vec<Instance>), JobError> {
        if let Some(cached) = self.lock().instances.get(&batch) {
            return Ok(cached.clone());
        }
        let record = batches.record(batch)?.ok_or(JobError::UnknownJob(batch, 0))?;
        let instances =
            chunk_witnesses(&record.witness, self.slots).into_iter().map(|w| w.instance).collect();
        let entry = (record.witness.tree_depth, instances);
        self.lock().instances.insert(batch, entry.clone());
        Ok(entry)
    }

    /// Every job of batches `1..=committed` and where it stands.
    pub fn status(&self, store: &dyn Store, committed: u64) -> Result<Vec<JobStatus>, StoreError> {
        let now = Instant::now();
        let mut board = self.lock();
        let mut out = Vec::new();
        for batch in 1..=committed {
            let Some(chunks) = self.chunks(&mut board, store, batch)? else { break };
            for chunk in 0..chunks {
                let (state, worker) = if store.proof(batch, chunk as u32)?.is_some() {
                    ("proven", None)
                } else {
                    match board.leases.get(&(batch, chunk)) {
                        Some(l) if l.expires > now => ("leased", Some(l.worker.clone())),
                        _ => ("open", None),
                    }
                };
                out.push(JobStatus { batch, chunk, state: state.into(), worker });
            }
        }
        Ok(out)
    }

    /// The stored proofs of `batch` in chunk order (`None` where missing), or
    /// `None` if the batch is not committed.
    pub fn proofs(
        &self,
        store: &dyn Store,
        batch: u64,
    ) -> Result<Option<Vec<Option<ChunkProof>>>, StoreError> {
        let mut board = self.lock();
        let Some(chunks) = self.chunks(&mut board, store, batch)? else { return Ok(None) };
        (0..chunks)
            .map(|chunk| {
                store
                    .proof(batch, chunk as u32)?
                    .map(|bytes| {
                        ChunkProof::from_json(&String::from_utf8_lossy(&bytes))
                            .map_err(|e| StoreError::Corrupt(e.to_string()))
                    })
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The lease id of a live lease (for logs and tests).
    pub fn lease_of(&self, batch: u64, chunk: usize) -> Option<u64> {
        let board = self.lock();
        board.leases.get(&(batch, chunk)).filter(|l| l.expires > Instant::now()).map(|l| l.id)
    }
}
