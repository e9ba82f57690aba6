//! What the sequencer records and serves: the committed view (`GET /v1/state`),
//! batches as stored ([`StoredBatch`]: header, transactions with their
//! authority, undo record) and as served with their witness
//! ([`BatchRecord`], `GET /v1/batches/{n}`, derived by [`crate::batches`]), and
//! commit summaries.

use std::time::Duration;

use clearproof_circuits::batch::{BatchOutput, BatchUndo};
use clearproof_circuits::serde_fr;
use clearproof_circuits::state::{Globals, Market};
use clearproof_circuits::tx::{SignedTx, Transaction};
use clearproof_circuits::Fr;
use serde::{Deserialize, Serialize};

/// What `GET /v1/state` shows: the last committed batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommittedView {
    /// State root.
    #[serde(with = "serde_fr")]
    pub state_root: Fr,
    /// Accounts root.
    #[serde(with = "serde_fr")]
    pub accounts_root: Fr,
    /// Insurance fund, fee pool, and the number of the last committed batch.
    #[serde(flatten)]
    pub globals: Globals,
    /// Markets.
    pub markets: [Market; 4],
    /// Accepted transactions waiting in the open batch.
    pub pending: usize,
    /// The next base-layer deposit queue index the sequencer will take (every
    /// entry before it is taken: applied, or refused and refunded).
    pub next_deposit: u64,
    /// The next base-layer forced-withdrawal queue index the sequencer will take
    /// (every entry before it is in a batch, applied or refused).
    #[serde(default)]
    pub next_forced: u64,
}

/// A batch as stored and served by `GET /v1/batches/{n}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Header.
    pub header: BatchHeader,
    /// The applied transactions with their field encodings: the batch's public data.
    pub public_data: Vec<PublicTx>,
    /// Everything the prover needs.
    pub witness: BatchOutput,
}

/// A batch as the sequencer stores it: what a restart, the job board and the
/// witness builder need, and nothing derivable (no Merkle paths, no encodings).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredBatch {
    /// Header.
    pub header: BatchHeader,
    /// The applied transactions with what authorised them, in order.
    pub txs: Vec<StoredTx>,
    /// The values before the batch of everything it changed (to rebuild the
    /// state before it from a later one).
    pub undo: BatchUndo,
}

/// One applied transaction of a stored batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredTx {
    /// Transaction id.
    pub id: u64,
    /// The transaction and its authority.
    pub tx: SignedTx,
}

impl StoredBatch {
    /// The batch's public data, with transaction ids and encodings.
    pub fn public_data(&self) -> Vec<PublicTx> {
        self.txs
            .iter()
            .map(|t| PublicTx {
                id: t.id,
                tx: t.tx.tx.clone(),
                encoding: t.tx.tx.encode().to_vec(),
            })
            .collect()
    }
}

/// A batch header.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchHeader {
    /// Batch number.
    pub number: u64,
    /// Root before.
    #[serde(with = "serde_fr")]
    pub prev_state_root: Fr,
    /// Root after.
    #[serde(with = "serde_fr")]
    pub next_state_root: Fr,
    /// Data hash of the public data (chain from `prev_state_root`, PROTOCOL §7).
    #[serde(with = "serde_fr")]
    pub data_hash: Fr,
    /// Number of transactions.
    pub transactions: usize,
    /// Unix milliseconds of the commit.
    pub committed_at_ms: u64,
}

/// One transaction of the public data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicTx {
    /// Transaction id.
    pub id: u64,
    /// The protocol transaction.
    pub tx: Transaction,
    /// Its field encoding (what signatures sign and the circuit hashes).
    #[serde(with = "serde_fr::vec")]
    pub encoding: Vec<Fr>,
}

/// A committed batch, for logs and benchmarks.
#[derive(Debug, Clone)]
pub struct BatchSummary {
    /// Batch number.
    pub number: u64,
    /// Transactions.
    pub transactions: usize,
    /// New root.
    pub root: Fr,
    /// Time spent committing.
    pub elapsed: Duration,
    /// Of which hashing the state (and the data hash, in parallel).
    pub hashing: Duration,
}
