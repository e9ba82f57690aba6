//! The aggregation job: a batch's chunk proofs, padded with proofs of empty
//! chunks up to the aggregation circuit's fixed count, verified inside the
//! aggregation circuit and turned into one proof with the EVM transcript
//! (PROTOCOL §7). The relay posts it to a base layer that verifies one proof
//! per batch (`clearproof_sequencer::relay::post_next_aggregated`).

use std::time::Instant;

use clearproof_api::artifact::ChunkProof;
use clearproof_circuits::circuit::aggregation::{
    AggregationError, AggregationKey, AggregationParams, RootOpening, PINNED_AGGREGATION,
};
use clearproof_circuits::circuit::{Instance, Proof, Srs};
use clearproof_protocol::batch::BatchOutput;
use clearproof_protocol::witness::chunk_witnesses_padded;
use clearproof_verifier::base_layer::rules::PostedAggregate;

use crate::ProverKeys;

/// Why an aggregation key could not be made or a batch not be aggregated.
#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    /// The chunk keys are not the circuit the pinned aggregation verifies.
    #[error("aggregation needs the chunk circuit {expected} (the EVM verifier is generated for it), the keys are for {found}")]
    WrongChunkCircuit {
        /// The pinned aggregation's chunk circuit.
        expected: String,
        /// The keys'.
        found: String,
    },
    /// The generated key is not the pinned one.
    #[error("the aggregation key is not the one the committed EVM verifier was generated for: regenerate the EVM fixtures (verifier/evm/build.sh --fixtures)")]
    NotPinned,
    /// The batch has more chunks than the aggregation circuit takes.
    #[error("batch {batch} needs more than {chunks} chunks")]
    TooManyChunks {
        /// The batch.
        batch: u64,
        /// The circuit's chunk count.
        chunks: usize,
    },
    /// A padding chunk could not be proven.
    #[error("padding chunk: proving failed: {0}")]
    Padding(String),
    /// The aggregation circuit refused the chunks or failed to prove.
    #[error(transparent)]
    Aggregation(#[from] AggregationError),
}

/// The production aggregation key with its SRS, over a chunk key.
pub struct Aggregator {
    key: AggregationKey,
    srs: Srs,
    /// Seconds spent generating the key.
    pub seconds: f64,
}

impl std::fmt::Debug for Aggregator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aggregator").field("params", &self.params()).finish_non_exhaustive()
    }
}

impl Aggregator {
    /// The pinned production aggregation over `chunk`'s key (development SRS),
    /// checked against the pinned verifying key the committed EVM verifier was
    /// generated for.
    pub fn production(chunk: &ProverKeys) -> Result<Self, AggregateError> {
        let params = PINNED_AGGREGATION.params;
        if chunk.manifest.circuit != params.chunk {
            return Err(AggregateError::WrongChunkCircuit {
                expected: params.chunk.id(),
                found: chunk.manifest.circuit.id(),
            });
        }
        let started = Instant::now();
        let srs = Srs::insecure_dev(params.k);
        let key = AggregationKey::generate(&srs, &chunk.srs, chunk.keys.vk(), params)?;
        if key.vk().digest() != PINNED_AGGREGATION.vk_digest_insecure_dev {
            return Err(AggregateError::NotPinned);
        }
        Ok(Self { key, srs, seconds: started.elapsed().as_secs_f64() })
    }

    /// The aggregation's shape.
    pub fn params(&self) -> AggregationParams {
        self.key.layout().params
    }

    /// The key (its layout and verifying key).
    pub fn key(&self) -> &AggregationKey {
        &self.key
    }

    /// `batch`'s chunk `proofs` (in chunk order), padded with proofs of empty
    /// chunks at the batch's final root, aggregated into one proof.
    pub fn prove(
        &self,
        chunk: &ProverKeys,
        batch: &BatchOutput,
        proofs: &[ChunkProof],
    ) -> Result<PostedAggregate, AggregateError> {
        let params = self.params();
        let witnesses = chunk_witnesses_padded(batch, params.chunk.slots, params.chunks).ok_or(
            AggregateError::TooManyChunks { batch: batch.batch_number, chunks: params.chunks },
        )?;
        let mut chunks: Vec<(Proof, Instance)> =
            proofs.iter().map(|c| (c.proof.clone(), c.public_inputs)).collect();
        for w in witnesses.iter().skip(chunks.len()) {
            let proof = chunk
                .keys
                .prove(&chunk.srs, w)
                .map_err(|e| AggregateError::Padding(e.to_string()))?;
            chunks.push((proof, w.instance));
        }
        let (proof, instance) =
            self.key.prove(&self.srs, &chunk.srs, &chunks, &RootOpening::after(batch))?;
        Ok(PostedAggregate { instance, proof })
    }
}
