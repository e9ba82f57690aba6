//! Proving and relaying one committed batch, as provers and the relay do: the
//! chunk proofs handed to the job board as remote provers' are, the batch
//! verified as the base layer will, and the relay posting it (with its chunk
//! proofs aggregated by the prover's aggregation job for the EVM base layer).

use std::cell::Cell;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use clearproof_api::records::BatchRecord;
use clearproof_protocol::batch::BatchOutput;
use clearproof_protocol::serde_fr::to_hex;
use clearproof_prover::aggregate::Aggregator;
use clearproof_prover::{prove_batch, ProverKeys};
use clearproof_sequencer::batches::Batches;
use clearproof_sequencer::relay::{
    post_next, post_next_aggregated, Aggregate, ProvenBatches, Step as RelayStep, StoreSource,
};
use clearproof_verifier::base_layer::rules::{PostedAggregate, PostedBatch};
use clearproof_verifier::base_layer::sled_store::BaseLayer;
use clearproof_verifier::check::verify_batch;
use clearproof_verifier::key::VerifierKey;

use super::evm::{EvmLedger, PostGas};
use super::report::{AggregateReport, BatchReport};
use super::Options;

/// The stages one committed batch goes through.
pub(super) struct Pipeline<'a> {
    pub(super) options: &'a Options,
    pub(super) keys: &'a ProverKeys,
    pub(super) verifier: &'a VerifierKey,
    pub(super) ledger: &'a dyn BaseLayer,
    /// The EVM base layer, when it is `ledger` (for the posts' gas).
    pub(super) evm: Option<&'a EvmLedger>,
    /// The aggregation job (`--aggregate`).
    pub(super) aggregator: Option<&'a Aggregator>,
    pub(super) source: StoreSource<'a>,
    pub(super) batches: &'a Batches,
}

/// The aggregation job as the relay calls it, over the witness of the batch
/// being posted (already in hand); the aggregate written for auditors
/// (`clearproof evm verify DATA_DIR/aggregates/batch-N.json`), its time kept.
struct AggregationJob<'a> {
    pipeline: &'a Pipeline<'a>,
    aggregator: &'a Aggregator,
    witness: &'a BatchOutput,
    seconds: Cell<f64>,
}

impl Aggregate for AggregationJob<'_> {
    fn aggregate(&self, batch: &PostedBatch) -> Result<PostedAggregate, String> {
        let run = || -> Result<PostedAggregate> {
            let started = Instant::now();
            ensure!(
                self.witness.batch_number == batch.number,
                "the relay posts batch {}, the witness is batch {}",
                batch.number,
                self.witness.batch_number
            );
            let keys = self.pipeline.keys;
            let aggregate = self.aggregator.prove(keys, self.witness, &batch.proofs)?;
            self.seconds.set(started.elapsed().as_secs_f64());
            let dir = self.pipeline.options.data_dir.join("aggregates");
            std::fs::create_dir_all(&dir)?;
            let file = dir.join(format!("batch-{}.json", batch.number));
            std::fs::write(&file, serde_json::to_string_pretty(&aggregate)?)?;
            Ok(aggregate)
        };
        run().map_err(|e| format!("{e:#}"))
    }
}

impl Pipeline<'_> {
    /// Proves `record`'s batch, verifies it and relays it to the base layer.
    pub(super) fn prove_and_post(
        &self,
        record: &BatchRecord,
        out: &mut dyn std::io::Write,
    ) -> Result<BatchReport> {
        let batch = &record.witness;
        let mut kinds: Vec<(&str, usize)> = Vec::new();
        for tx in batch.applied() {
            match kinds.iter_mut().find(|(k, _)| *k == tx.name()) {
                Some((_, n)) => *n += 1,
                None => kinds.push((tx.name(), 1)),
            }
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        writeln!(
            out,
            "batch {}: {} transactions committed ({}), proving…",
            batch.batch_number,
            batch.witnesses.len(),
            kinds.join(", ")
        )?;
        let started = Instant::now();
        let proven = prove_batch(self.keys, batch, self.options.threads, self.options.progress)?;
        let prove_seconds = started.elapsed().as_secs_f64();
        for c in &proven {
            let json = c.proof.to_json();
            self.source.jobs.submit(self.batches, batch.batch_number, c.proof.chunk, &json)?;
        }
        // The verification the base layer makes, timed on its own for the report.
        let posted = self.source.proven(batch.batch_number)?.context("every chunk is proven")?;
        let started = Instant::now();
        let root = self.ledger.state()?.root;
        verify_batch(self.verifier, root, &posted.data, &posted.proofs)?;
        let verify_ms = started.elapsed().as_secs_f64() * 1e3;
        let chunk_bytes: usize = posted.proofs.iter().map(|c| c.proof.len()).sum();
        let (step, aggregate) = match self.aggregator {
            None => (post_next(&self.source, self.ledger, self.verifier)?, None),
            Some(aggregator) => {
                writeln!(out, "batch {}: aggregating its chunk proofs…", batch.batch_number)?;
                let job = AggregationJob {
                    pipeline: self,
                    aggregator,
                    witness: batch,
                    seconds: Cell::new(0.0),
                };
                let step = post_next_aggregated(&self.source, self.ledger, self.verifier, &job)?;
                (step, Some(job.seconds.get()))
            }
        };
        let accepted = match step {
            RelayStep::Accepted(accepted) => *accepted,
            RelayStep::Waiting { next } => bail!("batch {next} is not proven"),
        };
        let aggregate = match aggregate {
            None => None,
            Some(prove_seconds) => {
                let gas = self.ledger_gas(accepted.header.number)?;
                Some(AggregateReport {
                    prove_seconds,
                    proof_bytes: accepted.proof_bytes,
                    gas: gas.total,
                    verification_gas: gas.verification,
                })
            }
        };
        Ok(BatchReport {
            number: accepted.header.number,
            transactions: accepted.transactions,
            roots: (
                to_hex(&accepted.header.prev_state_root),
                to_hex(&accepted.header.next_state_root),
            ),
            chunks: accepted.chunks,
            proof_bytes: chunk_bytes,
            prove_seconds,
            verify_ms,
            aggregate,
        })
    }

    fn ledger_gas(&self, number: u64) -> Result<PostGas> {
        self.evm.and_then(|l| l.gas(number)).context("the EVM base layer recorded the post's gas")
    }
}
