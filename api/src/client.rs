//! The typed client of the sequencer's HTTP API, on the same wire types as the
//! server ([`crate::wire`], [`crate::records`]): the CLI's `submit`, the prover
//! worker, the relay and the tests use it. Every call returns the answer's type,
//! or a [`ClientError`] carrying the server's stable code.

use std::future::Future;
use std::time::Duration;

use crate::artifact::ChunkProof;
use clearproof_protocol::types::AccountId;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::records::{BatchRecord, CommittedView};
use crate::wire::{
    AccountView, BatchProofs, ErrorBody, ErrorDetail, Job, JobStatus, LeaseRequest,
    ObservationReceipt, ObservationRequest, ProofAnswer, Submission, Submitted, TxReceipt,
    TxStatus,
};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not complete (connection, timeout, …).
    #[error("sequencer unreachable: {0}")]
    Http(#[from] reqwest::Error),
    /// The sequencer refused it with a stable code (`docs/API.md`).
    #[error("sequencer answered {status}: {} ({})", .error.code, .error.message)]
    Refused {
        /// HTTP status.
        status: u16,
        /// The error body.
        error: ErrorDetail,
    },
    /// An answer that is not the API's (a proxy, another service, a bug).
    #[error("unexpected answer {status}: {body}")]
    Unexpected {
        /// HTTP status.
        status: u16,
        /// The body, as text.
        body: String,
    },
}

impl ClientError {
    /// The server's code of a refusal.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Refused { error, .. } => Some(&error.code),
            _ => None,
        }
    }

    /// The body a refusal carried, or one describing any other failure in the
    /// same shape (`{"error": {"code", "message"}}`).
    pub fn body(&self) -> ErrorBody {
        let error = match self {
            ClientError::Refused { error, .. } => error.clone(),
            ClientError::Unexpected { status, body } => {
                ErrorDetail { code: format!("HTTP_{status}"), message: body.clone(), id: None }
            }
            ClientError::Http(e) => {
                ErrorDetail { code: "UNREACHABLE".into(), message: e.to_string(), id: None }
            }
        };
        ErrorBody { error }
    }
}

/// An accepted submission: the receipt, and whether it is new (`false`: its
/// idempotency key was used before for it, and this is the first outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The receipt.
    pub receipt: TxReceipt,
    /// `202 Accepted` (new) or `200 OK` (already known).
    pub new: bool,
}

/// A fresh idempotency key: 128 random bits, hex.
pub fn new_idempotency_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Attempts per submission when the answer is lost (connection or timeout);
/// every attempt carries the same idempotency key, so none applies twice.
const ATTEMPTS: usize = 3;

/// Client for one sequencer base URL (`http://127.0.0.1:8080`).
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    /// A client for `base`.
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a TLS-free HTTP client builds");
        Self { base: base.trim_end_matches('/').to_string(), http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn answer<T: DeserializeOwned>(
        response: reqwest::Response,
    ) -> Result<(u16, T), ClientError> {
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        if (200..300).contains(&status) {
            if let Ok(value) = serde_json::from_slice(&bytes) {
                return Ok((status, value));
            }
        } else if let Ok(body) = serde_json::from_slice::<ErrorBody>(&bytes) {
            return Err(ClientError::Refused { status, error: body.error });
        }
        Err(ClientError::Unexpected { status, body: String::from_utf8_lossy(&bytes).into() })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Ok(Self::answer(self.http.get(self.url(path)).send().await?).await?.1)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(u16, T), ClientError> {
        let request =
            self.http.post(self.url(path)).header("content-type", "application/json").body(body);
        Self::answer(request.send().await?).await
    }

    fn json(value: &impl Serialize) -> Vec<u8> {
        serde_json::to_vec(value).expect("wire types serialise")
    }

    /// `POST /v1/transactions` under a fresh idempotency key; an answer lost to
    /// the network is asked for again with the same key.
    pub async fn submit(&self, submission: &Submission) -> Result<TxReceipt, ClientError> {
        let line = String::from_utf8(Self::json(submission)).expect("JSON is UTF-8");
        Ok(self.submit_line(&line).await?.receipt)
    }

    /// Submits one JSON line as it is (the server judges it) to
    /// `/v1/transactions` under a fresh idempotency key, retrying a lost answer
    /// with the same key. A deposit line is refused there: deposits come only
    /// from the base layer's queue.
    pub async fn submit_line(&self, line: &str) -> Result<Accepted, ClientError> {
        let key = new_idempotency_key();
        let mut attempt = 1;
        loop {
            match self.submit_keyed(line, &key).await {
                Err(ClientError::Http(e)) if attempt < ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "answer lost; asking again with the same key");
                    tokio::time::sleep(Duration::from_millis(250 * attempt as u64)).await;
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }

    /// Submits one JSON line once under idempotency key `key`: a later call with
    /// the same key and line (after a lost answer, a restart, from another
    /// process) gets the first outcome instead of applying it again.
    pub async fn submit_keyed(&self, line: &str, key: &str) -> Result<Accepted, ClientError> {
        let request = self
            .http
            .post(self.url("/v1/transactions"))
            .header("content-type", "application/json")
            .header(crate::wire::IDEMPOTENCY_KEY, key)
            .body(line.as_bytes().to_vec());
        let (status, receipt) = Self::answer(request.send().await?).await?;
        Ok(Accepted { receipt, new: status == 202 })
    }

    /// `POST /v1/observations`: one oracle committee member's observation. A
    /// resend of the same observation changes nothing, so a lost answer is
    /// simply asked for again.
    pub async fn observe(
        &self,
        observation: &ObservationRequest,
    ) -> Result<ObservationReceipt, ClientError> {
        let line = String::from_utf8(Self::json(observation)).expect("JSON is UTF-8");
        self.observe_line(&line).await
    }

    /// Posts one JSON line as it is to `/v1/observations` (the server judges it).
    pub async fn observe_line(&self, line: &str) -> Result<ObservationReceipt, ClientError> {
        let mut attempt = 1;
        loop {
            match self.post("/v1/observations", line.as_bytes().to_vec()).await {
                Err(ClientError::Http(e)) if attempt < ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "answer lost; sending the observation again");
                    tokio::time::sleep(Duration::from_millis(250 * attempt as u64)).await;
                    attempt += 1;
                }
                answer => return answer.map(|(_, receipt)| receipt),
            }
        }
    }

    /// `GET /v1/transactions/{id}`.
    pub async fn transaction(&self, id: &str) -> Result<TxReceipt, ClientError> {
        self.get(&format!("/v1/transactions/{id}")).await
    }

    /// Polls a transaction's receipt until it is no longer pending, for at most
    /// `timeout`; returns the last receipt.
    pub async fn wait_committed(
        &self,
        id: &str,
        timeout: Duration,
    ) -> Result<TxReceipt, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let receipt = self.transaction(id).await?;
            if !matches!(receipt.status, TxStatus::Pending { .. })
                || tokio::time::Instant::now() >= deadline
            {
                return Ok(receipt);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `GET /v1/state`.
    pub async fn state(&self) -> Result<CommittedView, ClientError> {
        self.get("/v1/state").await
    }

    /// `GET /v1/accounts/{id}`.
    pub async fn account(&self, id: AccountId) -> Result<AccountView, ClientError> {
        self.get(&format!("/v1/accounts/{id}")).await
    }

    /// `GET /v1/batches/{n}`.
    pub async fn batch(&self, number: u64) -> Result<BatchRecord, ClientError> {
        self.get(&format!("/v1/batches/{number}")).await
    }

    /// `GET /v1/batches/{n}/proofs`.
    pub async fn batch_proofs(&self, number: u64) -> Result<BatchProofs, ClientError> {
        self.get(&format!("/v1/batches/{number}/proofs")).await
    }

    /// `GET /v1/jobs`.
    pub async fn jobs(&self) -> Result<Vec<JobStatus>, ClientError> {
        self.get("/v1/jobs").await
    }

    /// `POST /v1/jobs/lease`: a job, or `None` when no job is open.
    pub async fn lease(&self, request: &LeaseRequest) -> Result<Option<Job>, ClientError> {
        let response = self.http.post(self.url("/v1/jobs/lease")).json(request).send().await?;
        if response.status().as_u16() == 204 {
            return Ok(None);
        }
        Ok(Some(Self::answer(response).await?.1))
    }

    /// `POST /v1/jobs/{batch}/{chunk}/proof`.
    pub async fn post_proof(&self, proof: &ChunkProof) -> Result<Submitted, ClientError> {
        let path = format!("/v1/jobs/{}/{}/proof", proof.batch, proof.chunk);
        let (_, answer): (u16, ProofAnswer) =
            self.post(&path, proof.to_json().into_bytes()).await?;
        Ok(answer.status)
    }
}

/// The client for callers without an async runtime of their own (the prover
/// worker, the CLI, the relay): each call runs on a private current-thread
/// runtime. Not for use inside another runtime.
pub struct BlockingClient {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for BlockingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingClient").finish_non_exhaustive()
    }
}

impl BlockingClient {
    /// A blocking client for `base`.
    pub fn new(base: &str) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Self { client: Client::new(base), runtime })
    }

    /// Runs one call: `client.run(|c| c.state())`.
    pub fn run<'a, F: Future + 'a>(&'a self, call: impl FnOnce(&'a Client) -> F) -> F::Output {
        self.runtime.block_on(call(&self.client))
    }
}
