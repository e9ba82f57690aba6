//! The HTTP/JSON API (axum). Endpoints and schemas: `docs/API.md`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clearproof_protocol::state::Genesis;
use clearproof_protocol::types::AccountId;
use clearproof_verifier::key::VerifierKey;
use tokio::net::TcpListener;

use crate::batcher::{Config, Outcome, Sequencer};
use crate::batches::Batches;
use crate::conn::{self, ConnectionLimits};
use crate::error::SubmitError;
use crate::follow::DepositQueue;
use crate::jobs::JobBoard;
use crate::store::{SledStore, Store, StoreError};
use clearproof_api::wire::{
    AccountView, BatchProofs, ErrorBody, ErrorDetail, LeaseRequest, ObservationRequest,
    ProofAnswer, Submission, OBSERVATION_TYPES, SUBMISSION_TYPES,
};
use clearproof_api::wire::{Submitted, TxReceipt, TxStatus};

/// Why a node could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The keys' circuit is for another tree depth.
    #[error("the keys are for a depth-{keys} tree, the sequencer's tree has depth {tree}")]
    WrongDepth {
        /// The keys' depth.
        keys: usize,
        /// The sequencer's.
        tree: usize,
    },
    /// The keys' circuit has a single slot per chunk: an oracle update needs two
    /// (itself and its continuation), so its batches could never be proven.
    #[error("the keys' circuit has {0} slot per chunk; an oracle update needs 2")]
    TooFewSlots(usize),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A running sequencer shared by the HTTP handlers and the batch timer.
pub struct Node {
    sequencer: Mutex<Sequencer>,
    store: Arc<dyn Store>,
    /// Committed batches, with witnesses built when a prover asks.
    batches: Batches,
    /// Chunk jobs for remote provers; `None`: job endpoints answer `503 JOBS_DISABLED`.
    jobs: Option<JobBoard>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").finish_non_exhaustive()
    }
}

impl Node {
    /// Opens the sled store in `data_dir` (initialising it from `genesis` if
    /// empty) and replays pending entries.
    pub fn open(
        data_dir: &Path,
        genesis: &Genesis,
        depth: usize,
        config: Config,
    ) -> Result<Arc<Self>, StoreError> {
        Self::with_store(Arc::new(SledStore::open(data_dir)?), genesis, depth, config, None)
    }

    /// [`Node::open`] with a job board for remote provers.
    pub fn open_with_jobs(
        data_dir: &Path,
        genesis: &Genesis,
        depth: usize,
        config: Config,
        jobs: JobBoard,
    ) -> Result<Arc<Self>, StoreError> {
        Self::with_store(Arc::new(SledStore::open(data_dir)?), genesis, depth, config, Some(jobs))
    }

    /// Opens the sled store in `data_dir` as `clearproof sequencer serve` does.
    /// With a verifying key, committed batches become chunk jobs for its circuit
    /// (whose tree depth must be `depth`), leased for `lease`, and every proof a
    /// prover submits is verified before it is stored; without one the node
    /// serves no jobs.
    pub fn open_serving(
        data_dir: &Path,
        genesis: &Genesis,
        depth: usize,
        config: Config,
        keys: Option<VerifierKey>,
        lease: Duration,
    ) -> Result<Arc<Self>, OpenError> {
        let jobs = match keys {
            Some(key) => {
                let circuit = key.manifest.circuit;
                if circuit.depth != depth {
                    return Err(OpenError::WrongDepth { keys: circuit.depth, tree: depth });
                }
                if circuit.slots < 2 {
                    return Err(OpenError::TooFewSlots(circuit.slots));
                }
                Some(JobBoard::new(circuit.slots, lease, Some(key)))
            }
            None => {
                tracing::warn!("no verifying key: this sequencer serves no proving jobs");
                None
            }
        };
        let store = Arc::new(SledStore::open(data_dir)?);
        Ok(Self::with_store(store, genesis, depth, config, jobs)?)
    }

    /// A node on any store (tests use [`crate::store::MemoryStore`]); `jobs`
    /// serves chunk jobs to remote provers.
    pub fn with_store(
        store: Arc<dyn Store>,
        genesis: &Genesis,
        depth: usize,
        config: Config,
        jobs: Option<JobBoard>,
    ) -> Result<Arc<Self>, StoreError> {
        let (sequencer, batches) =
            Sequencer::open_with_batches(store.clone(), genesis, depth, config)?;
        Ok(Arc::new(Self { sequencer: Mutex::new(sequencer), store, batches, jobs }))
    }

    /// The committed batches (stored, and with witnesses).
    pub fn batches(&self) -> &Batches {
        &self.batches
    }

    /// Takes the base layer's new deposit and forced-withdrawal queue entries (at
    /// most 1,000 of each per call),
    /// reading `queue` outside the sequencer lock. Returns how many were taken.
    pub fn follow(&self, queue: &dyn DepositQueue) -> Result<usize, SubmitError> {
        let from = self.lock().next_deposit();
        let entries = queue
            .entries(from, 1_000)
            .map_err(|e| SubmitError::BaseLayerUnreadable(e.to_string()))?;
        let mut taken = 0;
        if !entries.is_empty() {
            taken += self.lock().take_deposits(from, &entries, unix_now())?;
        }
        let from = self.lock().next_forced();
        let forced = queue
            .forced_entries(from, 1_000)
            .map_err(|e| SubmitError::BaseLayerUnreadable(e.to_string()))?;
        if !forced.is_empty() {
            taken += self.lock().take_forced(from, &forced, unix_now())?;
        }
        Ok(taken)
    }

    fn committed_batches(&self) -> u64 {
        self.lock().committed().globals.batch_number
    }

    /// Locks the sequencer (a poisoned lock means a handler panicked mid-update:
    /// the in-memory state cannot be trusted, so the process must restart).
    pub fn lock(&self) -> MutexGuard<'_, Sequencer> {
        self.sequencer.lock().expect("sequencer lock poisoned; restart the process")
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The API's own refusals (not a submission's rule): each with its stable code
/// and HTTP status (`docs/API.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiError {
    /// The server failed (a panicked worker, a store error).
    Internal,
    /// A path id that is not a canonical number.
    MalformedId,
    /// No transaction with that id.
    UnknownTransaction,
    /// No account with that id.
    UnknownAccount,
    /// No batch with that number.
    UnknownBatch,
    /// This sequencer serves no proving jobs.
    JobsDisabled,
    /// A prover with another verifying key.
    WrongVerifyingKey,
}

impl ApiError {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ApiError::Internal => "INTERNAL",
            ApiError::MalformedId => "MALFORMED_ID",
            ApiError::UnknownTransaction => "UNKNOWN_TRANSACTION",
            ApiError::UnknownAccount => "UNKNOWN_ACCOUNT",
            ApiError::UnknownBatch => "UNKNOWN_BATCH",
            ApiError::JobsDisabled => "JOBS_DISABLED",
            ApiError::WrongVerifyingKey => "WRONG_VERIFYING_KEY",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            ApiError::Internal => 500,
            ApiError::MalformedId => 400,
            ApiError::UnknownTransaction | ApiError::UnknownAccount | ApiError::UnknownBatch => 404,
            ApiError::JobsDisabled => 503,
            ApiError::WrongVerifyingKey => 409,
        }
    }

    fn respond(self, message: String) -> Response {
        error_response(self.status(), self.code(), message, None)
    }
}

fn error_response(status: u16, code: &str, message: String, id: Option<u64>) -> Response {
    let body = ErrorBody {
        error: ErrorDetail { code: code.into(), message, id: id.map(|i| i.to_string()) },
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

impl IntoResponse for SubmitError {
    fn into_response(self) -> Response {
        let id = match &self {
            SubmitError::Rule { id, .. } => *id,
            _ => None,
        };
        error_response(self.http_status(), self.code(), self.to_string(), id)
    }
}

fn store_error(e: StoreError) -> Response {
    SubmitError::Store(e).into_response()
}

/// Flushes before an answer that promises something durable: an acceptance, or a
/// rejection recorded under an id. A failed flush halts the sequencer.
async fn durable(node: &Node, answer: Response) -> Response {
    match node.store.flush().await {
        Ok(()) => answer,
        Err(e) => node.lock().halt(e).into_response(),
    }
}

fn parse_json(body: &[u8]) -> Result<serde_json::Value, SubmitError> {
    crate::strict::parse(body)
}

fn parse_submission(body: &[u8]) -> Result<Submission, SubmitError> {
    let value = parse_json(body)?;
    let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or_default().to_string();
    if !SUBMISSION_TYPES.contains(&kind.as_str()) {
        let hint = if kind == "deposit" {
            " (deposits come only from the base layer's queue, which the sequencer reads itself)"
        } else {
            ""
        };
        return Err(SubmitError::UnknownType(format!("{kind}{hint}")));
    }
    serde_json::from_value(value).map_err(SubmitError::from_decode)
}

/// Runs `f` under the sequencer lock and, if it succeeded and the open batch is
/// now full, commits it (the size trigger; the timer handles age).
fn run_and_commit_if_due<T>(
    node: &Node,
    f: impl FnOnce(&mut Sequencer) -> Result<T, SubmitError>,
) -> Result<Result<T, SubmitError>, StoreError> {
    let mut seq = node.lock();
    let result = f(&mut seq);
    if result.is_ok() && seq.due() {
        seq.commit()?;
    }
    Ok(result)
}

/// The `Idempotency-Key` header: absent, or 1–64 of `[A-Za-z0-9_-]`.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, SubmitError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let key =
        value.to_str().map_err(|_| SubmitError::MalformedIdempotencyKey("not ASCII".into()))?;
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if key.is_empty() || key.len() > 64 || !key.bytes().all(allowed) {
        return Err(SubmitError::MalformedIdempotencyKey(format!(
            "{key:?} (1 to 64 of A-Z, a-z, 0-9, '-', '_')"
        )));
    }
    Ok(Some(key.to_string()))
}

/// The header that marks an answer as a keyed submission's first outcome.
pub const REPLAYED: &str = "idempotent-replayed";
/// The request header carrying an idempotency key.
pub use clearproof_api::wire::IDEMPOTENCY_KEY;

fn replayed(receipt: TxReceipt) -> Response {
    let mut response = match receipt.status {
        TxStatus::Rejected { code, message } => {
            error_response(422, &code, message, receipt.id.parse().ok())
        }
        _ => (StatusCode::OK, Json(receipt)).into_response(),
    };
    response.headers_mut().insert(REPLAYED, header::HeaderValue::from_static("true"));
    response
}

async fn post_transaction(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (submission, key) =
        match parse_submission(&body).and_then(|s| Ok((s, idempotency_key(&headers)?))) {
            Ok(parsed) => parsed,
            Err(e) => return e.into_response(),
        };
    // Signatures are verified outside the sequencer's lock, on the blocking
    // pool, so requests verify in parallel and only ordering and state
    // application are serialised; under the lock they are then looked up. The
    // orders' messages are hashed first, also outside the lock (remembered for
    // the lookups under it).
    let checker = node.clone();
    let verified = tokio::task::spawn_blocking(move || {
        crate::authorise::hash_messages(&submission);
        let checks = checker.lock().signature_checks(&submission);
        checks
            .iter()
            .try_for_each(|(key, message, signature)| key.verify(*message, signature))
            .map(|()| submission)
    })
    .await;
    let submission = match verified {
        Ok(Ok(submission)) => submission,
        Ok(Err(e)) => return SubmitError::Signature(e).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "signature check task failed");
            return ApiError::Internal.respond("signature check failed".into());
        }
    };
    let result = match run_and_commit_if_due(&node, |seq| {
        seq.submit_keyed(submission, unix_now(), key.as_deref())
    }) {
        Ok(result) => result,
        Err(e) => return store_error(e),
    };
    match result {
        Ok(Outcome::New(receipt)) => {
            durable(&node, (StatusCode::ACCEPTED, Json(receipt)).into_response()).await
        }
        // The first outcome may still be waiting for its group's flush.
        Ok(Outcome::Replayed(receipt)) => durable(&node, replayed(receipt)).await,
        Err(e @ SubmitError::Rule { id: Some(_), .. }) => durable(&node, e.into_response()).await,
        Err(e) => e.into_response(),
    }
}

fn parse_observation(body: &[u8]) -> Result<ObservationRequest, SubmitError> {
    let value = parse_json(body)?;
    let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or_default();
    if !OBSERVATION_TYPES.contains(&kind) {
        return Err(SubmitError::UnknownType(format!(
            "{kind} (an observation's type is one of {OBSERVATION_TYPES:?})"
        )));
    }
    serde_json::from_value(value).map_err(SubmitError::from_decode)
}

/// `POST /v1/observations`: an oracle committee member's signed observation
/// ([`crate::oracle`]). `202` with what the pool holds, and the update if this
/// observation completed a quorum (durable before the answer, like any
/// accepted transaction).
async fn post_observation(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    let request = match parse_observation(&body) {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    match run_and_commit_if_due(&node, |seq| seq.observe(request, unix_now())) {
        Err(e) => store_error(e),
        Ok(Ok(receipt)) => {
            let answer = (StatusCode::ACCEPTED, Json(&receipt)).into_response();
            if receipt.update.is_some() {
                durable(&node, answer).await
            } else {
                answer
            }
        }
        Ok(Err(e @ SubmitError::Rule { id: Some(_), .. })) => {
            durable(&node, e.into_response()).await
        }
        Ok(Err(e)) => e.into_response(),
    }
}

/// `POST /v1/deposits` is refused: deposits come only from the base layer's
/// queue, which the sequencer reads itself ([`crate::follow`]).
async fn post_deposit() -> Response {
    SubmitError::DepositsFromBaseLayer.into_response()
}

async fn get_transaction(State(node): State<Arc<Node>>, UrlPath(id): UrlPath<String>) -> Response {
    let Ok(seq) = id.parse::<u64>() else {
        return ApiError::MalformedId.respond(format!("not a transaction id: {id:?}"));
    };
    match node.lock().receipt(seq) {
        Ok(Some(r)) => Json(r).into_response(),
        Ok(None) => ApiError::UnknownTransaction.respond(format!("no transaction {seq}")),
        Err(e) => store_error(e),
    }
}

async fn get_state(State(node): State<Arc<Node>>) -> Response {
    Json(node.lock().committed()).into_response()
}

async fn get_account(State(node): State<Arc<Node>>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(account_id) = id.parse::<i128>().ok().and_then(|i| AccountId::new(i).ok()) else {
        return ApiError::MalformedId.respond(format!("not an account id: {id:?}"));
    };
    match node.store.account(account_id) {
        Ok(Some(account)) => Json(AccountView { id: account_id, account }).into_response(),
        Ok(None) => ApiError::UnknownAccount.respond(format!("account {id} does not exist")),
        Err(e) => store_error(e),
    }
}

async fn get_batch(State(node): State<Arc<Node>>, UrlPath(n): UrlPath<String>) -> Response {
    let Ok(number) = n.parse::<u64>() else {
        return ApiError::MalformedId.respond(format!("not a batch number: {n:?}"));
    };
    // Building a witness is seconds of hashing: off the async runtime.
    let built = tokio::task::spawn_blocking(move || {
        node.batches.record(number).map(|r| r.map(|r| serde_json::to_vec(&*r)))
    })
    .await;
    match built {
        Ok(Ok(Some(Ok(bytes)))) => {
            ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
        }
        Ok(Ok(Some(Err(e)))) => store_error(StoreError::Corrupt(e.to_string())),
        Ok(Ok(None)) => ApiError::UnknownBatch.respond(format!("no batch {number}")),
        Ok(Err(e)) => store_error(e),
        Err(e) => store_error(StoreError::Corrupt(format!("witness builder failed: {e}"))),
    }
}

fn jobs_disabled() -> Response {
    ApiError::JobsDisabled
        .respond("this sequencer serves no proving jobs (start it with --keys)".into())
}

/// Runs job-board work (sled reads, witness decoding, proof checks) off the async
/// runtime, so provers cannot stall the API and the batch timer.
async fn with_jobs(
    node: Arc<Node>,
    f: impl FnOnce(&Node, &JobBoard) -> Response + Send + 'static,
) -> Response {
    if node.jobs.is_none() {
        return jobs_disabled();
    }
    tokio::task::spawn_blocking(move || f(&node, node.jobs.as_ref().expect("checked")))
        .await
        .unwrap_or_else(|e| ApiError::Internal.respond(e.to_string()))
}

async fn post_lease(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    let request = match parse_json(&body)
        .and_then(|v| serde_json::from_value::<LeaseRequest>(v).map_err(SubmitError::from_decode))
    {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    with_jobs(node, move |node, jobs| lease_job(node, jobs, request)).await
}

fn lease_job(node: &Node, jobs: &JobBoard, request: LeaseRequest) -> Response {
    let LeaseRequest { worker, vk_digest } = request;
    if let (Some(mine), Some(theirs)) = (jobs.vk_digest(), vk_digest.as_deref()) {
        if mine != theirs {
            let message = format!("this sequencer takes proofs for verifying key {mine}");
            return ApiError::WrongVerifyingKey.respond(message);
        }
    }
    let committed = node.committed_batches();
    match jobs.lease(node.store.as_ref(), committed, &worker) {
        Ok(Some(job)) => {
            tracing::info!(batch = job.batch, chunk = job.chunk, %worker, lease = job.lease_id, "job leased");
            Json(job).into_response()
        }
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => store_error(e),
    }
}

async fn post_proof(
    State(node): State<Arc<Node>>,
    UrlPath((batch, chunk)): UrlPath<(String, String)>,
    body: Bytes,
) -> Response {
    let (Ok(batch), Ok(chunk)) = (batch.parse::<u64>(), chunk.parse::<usize>()) else {
        return ApiError::MalformedId.respond("not a batch and chunk number".into());
    };
    if let Err(e) = parse_json(&body) {
        return e.into_response();
    }
    with_jobs(node, move |node, jobs| {
        let text = String::from_utf8_lossy(&body);
        submit_proof(node, jobs, batch, chunk, &text)
    })
    .await
}

fn submit_proof(node: &Node, jobs: &JobBoard, batch: u64, chunk: usize, text: &str) -> Response {
    match jobs.submit(&node.batches, batch, chunk, text) {
        Ok(outcome) => {
            tracing::info!(batch, chunk, ?outcome, "proof received");
            let status =
                if outcome == Submitted::Accepted { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(ProofAnswer { status: outcome })).into_response()
        }
        Err(e) => {
            tracing::warn!(batch, chunk, error = %e, "proof refused");
            error_response(e.http_status(), e.code(), e.to_string(), None)
        }
    }
}

async fn get_jobs(State(node): State<Arc<Node>>) -> Response {
    with_jobs(node, |node, jobs| match jobs.status(node.store.as_ref(), node.committed_batches()) {
        Ok(jobs) => Json(jobs).into_response(),
        Err(e) => store_error(e),
    })
    .await
}

async fn get_batch_proofs(State(node): State<Arc<Node>>, UrlPath(n): UrlPath<String>) -> Response {
    let Ok(number) = n.parse::<u64>() else {
        return ApiError::MalformedId.respond(format!("not a batch number: {n:?}"));
    };
    with_jobs(node, move |node, jobs| batch_proofs(node, jobs, number)).await
}

fn batch_proofs(node: &Node, jobs: &JobBoard, number: u64) -> Response {
    match jobs.proofs(node.store.as_ref(), number) {
        Ok(Some(proofs)) => Json(BatchProofs {
            batch: number,
            chunks: proofs.len(),
            complete: proofs.iter().all(Option::is_some),
            proofs,
        })
        .into_response(),
        Ok(None) => ApiError::UnknownBatch.respond(format!("no batch {number}")),
        Err(e) => store_error(e),
    }
}

/// The router.
pub fn router(node: Arc<Node>) -> Router {
    Router::new()
        .route("/v1/transactions", post(post_transaction))
        .route("/v1/transactions/{id}", get(get_transaction))
        .route("/v1/deposits", post(post_deposit))
        .route("/v1/observations", post(post_observation))
        .route("/v1/state", get(get_state))
        .route("/v1/accounts/{id}", get(get_account))
        .route("/v1/batches/{n}", get(get_batch))
        .route("/v1/batches/{n}/proofs", get(get_batch_proofs))
        .route("/v1/jobs", get(get_jobs))
        .route("/v1/jobs/lease", post(post_lease))
        .route("/v1/jobs/{batch}/{chunk}/proof", post(post_proof))
        .with_state(node)
}

/// Commits the open batch whenever it is due (size or age); returns only on a
/// storage failure.
pub async fn run_batch_timer(node: Arc<Node>, interval: Duration) -> StoreError {
    let tick = (interval / 4).clamp(Duration::from_millis(2), Duration::from_millis(250));
    loop {
        tokio::time::sleep(tick).await;
        let mut seq = node.lock();
        if seq.due() {
            if let Err(e) = seq.commit() {
                tracing::error!(error = %e, "batch commit failed; stopping");
                return e;
            }
        }
    }
}

/// Reads the base layer's deposit queue every `every` and takes new entries;
/// returns only when the sequencer can no longer take any (a storage failure).
/// An unreadable base layer (say, its directory locked by a CLI command for a
/// moment) is retried at the next tick.
pub async fn run_follower(
    node: Arc<Node>,
    queue: Arc<dyn DepositQueue>,
    every: Duration,
) -> SubmitError {
    let mut unreadable_since: Option<std::time::Instant> = None;
    loop {
        tokio::time::sleep(every).await;
        let (n, q) = (node.clone(), queue.clone());
        let followed =
            tokio::task::spawn_blocking(move || n.follow(q.as_ref())).await.unwrap_or_else(|e| {
                Err(SubmitError::BaseLayerUnreadable(format!("reader panicked: {e}")))
            });
        match followed {
            Ok(taken) => {
                if taken > 0 {
                    tracing::info!(taken, "entries taken from the base layer's queues");
                }
                unreadable_since = None;
            }
            Err(
                e @ (SubmitError::BaseLayerUnreadable(_) | SubmitError::ForcedUnservable { .. }),
            ) => {
                // Warn once it has lasted a while; a brief lock is normal.
                let since = *unreadable_since.get_or_insert_with(std::time::Instant::now);
                if since.elapsed() > Duration::from_secs(10) {
                    tracing::warn!(error = %e, "the base layer's queues cannot be taken; retrying");
                    unreadable_since = Some(std::time::Instant::now());
                } else {
                    tracing::debug!(error = %e, "the base layer's queues cannot be taken; retrying");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "taking deposits failed; stopping");
                return e;
            }
        }
    }
}

/// How [`serve`] runs.
#[derive(Clone)]
pub struct ServeOptions {
    /// A batch commits when its first transaction is this old (or it is full).
    pub batch_interval: Duration,
    /// The base layer's deposit queue and how often to read it. `None`: the
    /// sequencer takes no deposits.
    pub deposits: Option<(Arc<dyn DepositQueue>, Duration)>,
    /// Bounds on connections.
    pub connections: ConnectionLimits,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("batch_interval", &self.batch_interval)
            .field("deposits_every", &self.deposits.as_ref().map(|(_, every)| every))
            .field("connections", &self.connections)
            .finish()
    }
}

impl ServeOptions {
    /// Default connection limits, no deposit queue.
    pub fn new(batch_interval: Duration) -> Self {
        Self { batch_interval, deposits: None, connections: ConnectionLimits::default() }
    }
}

/// Serves the API on `listener` with the batch timer and the deposit-queue
/// reader, until the process ends.
pub async fn serve(
    node: Arc<Node>,
    listener: TcpListener,
    options: ServeOptions,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "sequencer listening");
    let follower = async {
        match options.deposits {
            Some((queue, every)) => run_follower(node.clone(), queue, every).await,
            None => {
                tracing::warn!("no base layer to read deposits from: this sequencer takes none");
                std::future::pending().await
            }
        }
    };
    // One future for all, so stopping the server also stops its timer and reader.
    tokio::select! {
        served = conn::serve(listener, router(node.clone()), options.connections) => served,
        e = run_batch_timer(node.clone(), options.batch_interval) => Err(std::io::Error::other(e)),
        e = follower => Err(std::io::Error::other(e)),
    }
}
