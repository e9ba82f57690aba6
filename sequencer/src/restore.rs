//! Rebuilding the full state from the base layer alone (PROTOCOL §7): its
//! stored genesis and every accepted batch's posted data, replayed under
//! [`clearproof_protocol::tx::SignedTx::proven`] into a sequencer store that
//! `clearproof sequencer serve` resumes from. Each batch's data hash and root
//! are checked against what the base layer accepted; the first mismatch stops
//! the rebuild with the batch number, before anything of that batch is written.
//! Each batch is one atomic commit, so a rebuild killed part-way resumes from
//! the last batch it wrote. At the end, the batches must have consumed the base
//! layer's deposit and forced queues exactly up to its heads.

use std::sync::Arc;
use std::time::Duration;

use clearproof_protocol::batch::data_hash;
use clearproof_protocol::serde_fr::to_hex;
use clearproof_protocol::state::State;
use clearproof_protocol::tx::Transaction;
use clearproof_protocol::Fr;
use clearproof_verifier::base_layer::rules::{AcceptedBatch, PostedBatch};
use clearproof_verifier::base_layer::{BaseLayer, LedgerError};

use crate::batcher::{Config, Sequencer};
use crate::error::SubmitError;
use crate::store::{Store, StoreError};

/// Why a rebuild stopped.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The base layer could not be read.
    #[error("base layer: {0}")]
    Ledger(#[from] LedgerError),
    /// The store could not be written.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The store holds another chain than the base layer's.
    #[error("the store is at batch {batch}, root {store}, the base layer accepted root {base}")]
    OtherChain {
        /// The store's batch.
        batch: u64,
        /// The store's root.
        store: String,
        /// The base layer's root after that batch.
        base: String,
    },
    /// A posted batch is missing from the base layer's records.
    #[error("batch {0}: the base layer has no posted data for it")]
    Missing(u64),
    /// The posted data does not hash to the accepted data hash.
    #[error(
        "batch {batch}: the posted data hashes to {posted}, the base layer accepted {accepted}"
    )]
    DataHash {
        /// The batch.
        batch: u64,
        /// Hash of the posted data.
        posted: String,
        /// The accepted data hash.
        accepted: String,
    },
    /// The posted data does not apply.
    #[error("batch {batch}: {message}")]
    Replay {
        /// The batch.
        batch: u64,
        /// What failed.
        message: String,
    },
    /// The batches' records do not add up to the base layer's queue heads.
    #[error(
        "the accepted batches consume deposits and forced withdrawals up to {replayed:?}, the \
         base layer's queue heads are {base:?}"
    )]
    Queues {
        /// (deposits, forced withdrawals) the batches consumed.
        replayed: (u64, u64),
        /// The base layer's.
        base: (u64, u64),
    },
}

/// Stores batch `number`'s posted proofs (a stored one is kept).
fn store_proofs(store: &dyn Store, posted: &PostedBatch) -> Result<(), RestoreError> {
    let number = posted.number;
    for (chunk, proof) in posted.proofs.iter().enumerate() {
        let bytes = serde_json::to_vec(proof).expect("a chunk proof serialises");
        store.put_proof(number, chunk as u32, &bytes)?;
    }
    Ok(())
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// Batches replayed now (earlier ones were in the store already).
    pub replayed: u64,
    /// The last accepted batch, which the store now holds.
    pub batch: u64,
    /// Its root.
    pub root: Fr,
    /// The state after it (committed: no batch open).
    pub state: State,
}

/// Rebuilds `base`'s state into `store` (new, or a rebuild in progress of the
/// same chain), calling `progress` after each batch. The store then holds
/// every accepted batch, with its proofs, and the base layer's queue heads.
pub fn restore(
    base: &dyn BaseLayer,
    store: Arc<dyn Store>,
    mut progress: impl FnMut(&AcceptedBatch),
) -> Result<Restored, RestoreError> {
    let ledger = base.state()?;
    let genesis = base.genesis()?;
    let depth = ledger.circuit.depth;
    let config =
        Config { batch_size: usize::MAX, batch_interval: Duration::from_secs(u64::MAX / 4) };
    let mut sequencer = Sequencer::open(store.clone(), &genesis, depth, config)?;
    let start = sequencer.committed().globals.batch_number;
    let expected = match start {
        0 => State::genesis_with_depth(&genesis, depth)
            .map_err(|e| RestoreError::Replay { batch: 0, message: e.to_string() })?
            .root(),
        n => base.batch(n)?.ok_or(RestoreError::Missing(n))?.header.next_state_root,
    };
    let root = sequencer.committed().state_root;
    if root != expected || sequencer.committed().pending != 0 {
        return Err(RestoreError::OtherChain {
            batch: start,
            store: to_hex(&root),
            base: to_hex(&expected),
        });
    }
    // The queue heads, from the base layer's records (not the store's, which
    // may count a refused deposit the base layer has not refunded yet).
    let (mut next_deposit, mut next_forced) = (0u64, 0u64);
    for number in 1..=start {
        let accepted = base.batch(number)?.ok_or(RestoreError::Missing(number))?;
        next_deposit += (accepted.deposits + accepted.refunds.len()) as u64;
        next_forced += accepted.forced as u64;
    }
    if start > 0 {
        // A rebuild killed between a commit and its proofs: store them again
        // (a stored proof is kept).
        let posted = base.posted(start)?.ok_or(RestoreError::Missing(start))?;
        store_proofs(store.as_ref(), &posted)?;
    }
    for number in start + 1..=ledger.batches {
        let accepted = base.batch(number)?.ok_or(RestoreError::Missing(number))?;
        let posted = base.posted(number)?.ok_or(RestoreError::Missing(number))?;
        let posted_hash = data_hash(accepted.header.prev_state_root, &posted.data);
        if posted_hash != accepted.header.data_hash {
            return Err(RestoreError::DataHash {
                batch: number,
                posted: to_hex(&posted_hash),
                accepted: to_hex(&accepted.header.data_hash),
            });
        }
        next_deposit += (accepted.deposits + accepted.refunds.len()) as u64;
        // Counted from the data, which the data hash covers.
        let forced =
            posted.data.iter().filter(|t| matches!(t, Transaction::ForcedWithdraw(_))).count();
        next_forced += forced as u64;
        sequencer
            .import_batch(&posted.data, accepted.header.next_state_root, next_deposit, next_forced)
            .map_err(|e| match e {
                SubmitError::Store(e) => RestoreError::Store(e),
                other => RestoreError::Replay { batch: number, message: other.to_string() },
            })?;
        store_proofs(store.as_ref(), &posted)?;
        progress(&accepted);
    }
    let queues = (next_deposit, next_forced);
    let consumed = (ledger.deposits_consumed, ledger.forced_consumed);
    // A freeze consumes (refunds) every queued deposit without a batch.
    if next_forced != ledger.forced_consumed
        || (ledger.frozen_at.is_none() && next_deposit != ledger.deposits_consumed)
    {
        return Err(RestoreError::Queues { replayed: queues, base: consumed });
    }
    let committed = sequencer.committed();
    // The committed state as stored (the sequencer's own has the next batch open).
    let state = store.load()?.state;
    debug_assert_eq!(state.root(), committed.state_root);
    Ok(Restored {
        replayed: ledger.batches - start,
        batch: committed.globals.batch_number,
        root: committed.state_root,
        state,
    })
}
