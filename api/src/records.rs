//! What the sequencer serves: the committed view (`GET /v1/state`) and
//! batches with their witness ([`BatchRecord`], `GET /v1/batches/{n}`).

use clearproof_protocol::batch::{BatchHeader, BatchOutput};
use clearproof_protocol::serde_fr;
use clearproof_protocol::state::{Globals, Market};
use clearproof_protocol::tx::Transaction;
use clearproof_protocol::Fr;
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
    pub header: CommittedHeader,
    /// The applied transactions with their field encodings: the batch's public data.
    pub public_data: Vec<PublicTx>,
    /// Everything the prover needs.
    pub witness: BatchOutput,
}

/// A committed batch's header as served: the protocol's [`BatchHeader`] (its
/// fields flattened: `number`, the roots, `data_hash`) and what the sequencer
/// adds to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommittedHeader {
    /// What the batch claims.
    #[serde(flatten)]
    pub batch: BatchHeader,
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
