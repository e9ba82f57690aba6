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

#[cfg(test)]
mod tests {
    use super::*;

    /// The header is stored (sequencer store) and served (`GET /v1/batches/{n}`)
    /// with the protocol's fields flattened: the same JSON keys as before the
    /// one `BatchHeader`, and a batch header written before v3 (or an
    /// aggregation file's `batch_number`) still reads.
    #[test]
    fn the_committed_header_keeps_its_json_keys() {
        let header = CommittedHeader {
            batch: BatchHeader {
                number: 7,
                prev_state_root: Fr::from(1u64),
                next_state_root: Fr::from(2u64),
                data_hash: Fr::from(3u64),
            },
            transactions: 4,
            committed_at_ms: 5,
        };
        let json = serde_json::to_value(&header).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let expected = [
            "committed_at_ms",
            "data_hash",
            "next_state_root",
            "number",
            "prev_state_root",
            "transactions",
        ];
        assert_eq!(keys, expected);
        let back: CommittedHeader = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back.batch, header.batch);
        let mut old = json;
        let number = old.as_object_mut().unwrap().remove("number").unwrap();
        old.as_object_mut().unwrap().insert("batch_number".into(), number);
        let back: CommittedHeader = serde_json::from_value(old).unwrap();
        assert_eq!(back.batch.number, 7);
    }
}
