//! The relay: posts the sequencer's proven batches to the base layer, in order.
//!
//! For the base layer's next batch number it fetches the batch's public data and
//! chunk proofs, if every chunk is proven, and posts them; it stops at the first
//! batch that is not proven yet, and at the first refusal (nothing after a
//! refused batch can be accepted). `clearproof ledger post` relays from a
//! sequencer over HTTP ([`HttpSource`]); `clearproof devnet` from the sequencer's
//! store in the same process ([`StoreSource`]).
//!
//! A base layer that verifies one proof per batch (the EVM settlement
//! contract) takes the batch with its chunk proofs aggregated:
//! [`post_next_aggregated`] asks an [`Aggregate`] (the prover's aggregation job,
//! `clearproof_prover::aggregate`) for that proof before posting.

use clearproof_verifier::base_layer::rules::{
    next_batch_number, AcceptedBatch, PostedAggregate, PostedBatch,
};
use clearproof_verifier::base_layer::{BaseLayer, LedgerError};
use clearproof_verifier::key::VerifierKey;
use clearproof_verifier::Rejection;

use crate::jobs::JobBoard;
use crate::store::{Store, StoreError};
use clearproof_api::client::{BlockingClient, ClientError};
use clearproof_api::records::BatchRecord;

/// Why relaying stopped.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The base layer refused a batch (PROTOCOL §7); nothing was recorded.
    #[error("batch {number}: {rejection}")]
    Refused {
        /// The refused batch.
        number: u64,
        /// Why.
        rejection: Rejection,
    },
    /// The base layer failed otherwise (storage, a different chain).
    #[error(transparent)]
    BaseLayer(LedgerError),
    /// The sequencer could not be asked.
    #[error(transparent)]
    Sequencer(#[from] ClientError),
    /// The sequencer's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The batch's chunk proofs could not be aggregated.
    #[error("batch {number}: aggregation failed: {message}")]
    Aggregation {
        /// The batch.
        number: u64,
        /// Why.
        message: String,
    },
}

/// What turns a proven batch's chunk proofs into the one proof a base layer
/// that verifies one proof per batch checks (the prover's aggregation job).
pub trait Aggregate {
    /// The aggregated proof of `batch` (its public data and chunk proofs).
    fn aggregate(&self, batch: &PostedBatch) -> Result<PostedAggregate, String>;
}

/// Where the relay finds proven batches.
pub trait ProvenBatches {
    /// Batch `number`'s public data and proofs, if it is committed and every
    /// chunk is proven.
    fn proven(&self, number: u64) -> Result<Option<PostedBatch>, RelayError>;
}

fn posted(record: &BatchRecord, proofs: Vec<clearproof_api::artifact::ChunkProof>) -> PostedBatch {
    PostedBatch {
        number: record.header.batch.number,
        data: record.public_data.iter().map(|p| p.tx.clone()).collect(),
        proofs,
        aggregate: None,
    }
}

/// A sequencer over HTTP (`GET /v1/batches/{n}/proofs`, `GET /v1/batches/{n}`).
pub struct HttpSource<'a>(pub &'a BlockingClient);

impl std::fmt::Debug for HttpSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSource").finish_non_exhaustive()
    }
}

impl ProvenBatches for HttpSource<'_> {
    fn proven(&self, number: u64) -> Result<Option<PostedBatch>, RelayError> {
        let proofs = match self.0.run(|c| c.batch_proofs(number)) {
            Ok(p) => p,
            Err(e) if e.code() == Some("UNKNOWN_BATCH") => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if !proofs.complete {
            return Ok(None);
        }
        let record = self.0.run(|c| c.batch(number))?;
        Ok(Some(posted(&record, proofs.proofs.into_iter().flatten().collect())))
    }
}

/// The sequencer's store in this process, with the job board that knows its
/// chunks.
pub struct StoreSource<'a> {
    /// The sequencer's store.
    pub store: &'a dyn Store,
    /// Its job board (for the chunk count and the stored proofs).
    pub jobs: &'a JobBoard,
}

impl std::fmt::Debug for StoreSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSource").finish_non_exhaustive()
    }
}

impl ProvenBatches for StoreSource<'_> {
    fn proven(&self, number: u64) -> Result<Option<PostedBatch>, RelayError> {
        let Some(proofs) = self.jobs.proofs(self.store, number)? else { return Ok(None) };
        if proofs.iter().any(Option::is_none) {
            return Ok(None);
        }
        let Some(batch) = crate::batches::stored(self.store, number)? else { return Ok(None) };
        Ok(Some(PostedBatch {
            number,
            data: batch.txs.into_iter().map(|t| t.tx.tx).collect(),
            proofs: proofs.into_iter().flatten().collect(),
            aggregate: None,
        }))
    }
}

/// What one relay step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The base layer accepted the batch.
    Accepted(Box<AcceptedBatch>),
    /// The base layer's next batch is not proven yet.
    Waiting {
        /// The batch the base layer expects next.
        next: u64,
    },
}

/// Posts the base layer's next batch if it is proven.
pub fn post_next(
    source: &impl ProvenBatches,
    base: &dyn BaseLayer,
    key: &VerifierKey,
) -> Result<Step, RelayError> {
    let next = next_batch_number(&base.state().map_err(RelayError::BaseLayer)?);
    let Some(batch) = source.proven(next)? else { return Ok(Step::Waiting { next }) };
    post(base, key, &batch)
}

/// Posts the base layer's next batch if it is proven, with its chunk proofs
/// aggregated by `aggregate` into one proof.
pub fn post_next_aggregated(
    source: &impl ProvenBatches,
    base: &dyn BaseLayer,
    key: &VerifierKey,
    aggregate: &dyn Aggregate,
) -> Result<Step, RelayError> {
    let next = next_batch_number(&base.state().map_err(RelayError::BaseLayer)?);
    let Some(mut batch) = source.proven(next)? else { return Ok(Step::Waiting { next }) };
    let proof = aggregate
        .aggregate(&batch)
        .map_err(|message| RelayError::Aggregation { number: next, message })?;
    batch.aggregate = Some(proof);
    post(base, key, &batch)
}

fn post(base: &dyn BaseLayer, key: &VerifierKey, batch: &PostedBatch) -> Result<Step, RelayError> {
    match base.post(key, batch) {
        Ok(accepted) => Ok(Step::Accepted(Box::new(accepted))),
        Err(LedgerError::Rejected(rejection)) => {
            Err(RelayError::Refused { number: batch.number, rejection })
        }
        Err(e) => Err(RelayError::BaseLayer(e)),
    }
}

/// Posts every proven batch in order, calling `accepted` for each; returns the
/// batch the base layer expects next (the first one not proven yet).
pub fn post_all(
    source: &impl ProvenBatches,
    base: &dyn BaseLayer,
    key: &VerifierKey,
    mut accepted: impl FnMut(&AcceptedBatch),
) -> Result<u64, RelayError> {
    loop {
        match post_next(source, base, key)? {
            Step::Accepted(batch) => accepted(&batch),
            Step::Waiting { next } => return Ok(next),
        }
    }
}
