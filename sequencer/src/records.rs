//! What the sequencer records: batches as stored ([`StoredBatch`]: header,
//! transactions with their authority, undo record; served with their witness
//! as `clearproof_api::records::BatchRecord`, derived by [`crate::batches`]),
//! and commit summaries.

use std::time::Duration;

use clearproof_api::records::{CommittedHeader, PublicTx};
use clearproof_protocol::batch::BatchUndo;
use clearproof_protocol::tx::SignedTx;
use clearproof_protocol::Fr;
use serde::{Deserialize, Serialize};

/// A batch as the sequencer stores it: what a restart, the job board and the
/// witness builder need, and nothing derivable (no Merkle paths, no encodings).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredBatch {
    /// Header.
    pub header: CommittedHeader,
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
