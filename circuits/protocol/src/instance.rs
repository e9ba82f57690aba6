//! A chunk proof's public inputs (PROTOCOL §7), at the named offsets the
//! circuit fills and every verifier reads.

use serde::{Deserialize, Serialize};

use crate::Fr;

/// Offset of the root before the chunk.
pub const PREV_STATE_ROOT: usize = 0;
/// Offset of the root after the chunk.
pub const NEXT_STATE_ROOT: usize = 1;
/// Offset of the data hash before the chunk.
pub const PREV_DATA_HASH: usize = 2;
/// Offset of the data hash after the chunk.
pub const NEXT_DATA_HASH: usize = 3;
/// Number of public inputs.
pub const NUM_PUBLIC_INPUTS: usize = 4;

/// A chunk's public inputs (PROTOCOL §7; the data-hash chain is in `public.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// State root before the chunk.
    #[serde(with = "crate::serde_fr")]
    pub prev_state_root: Fr,
    /// State root after the chunk.
    #[serde(with = "crate::serde_fr")]
    pub next_state_root: Fr,
    /// Data hash before the chunk.
    #[serde(with = "crate::serde_fr")]
    pub prev_data_hash: Fr,
    /// Data hash after the chunk.
    #[serde(with = "crate::serde_fr")]
    pub next_data_hash: Fr,
}

impl Instance {
    /// The public inputs in column order: the one place that lays them out.
    pub fn to_vec(&self) -> Vec<Fr> {
        let mut v = vec![Fr::zero(); NUM_PUBLIC_INPUTS];
        v[PREV_STATE_ROOT] = self.prev_state_root;
        v[NEXT_STATE_ROOT] = self.next_state_root;
        v[PREV_DATA_HASH] = self.prev_data_hash;
        v[NEXT_DATA_HASH] = self.next_data_hash;
        v
    }
}
