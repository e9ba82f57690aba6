//! `clearproof verify`: a batch's chunk proofs checked against the ledger's
//! record, or against an explicit previous root and public data.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use clearproof_api::artifact::{read_artifacts, read_public_data};
use clearproof_protocol::serde_fr::{from_hex, to_hex};
use clearproof_verifier::base_layer::sled_store::{BaseLayer, Ledger};
use clearproof_verifier::check::verify_batch;

use super::{count, invalid, load_verifier_key};

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// Base-layer ledger directory (with --batch).
    #[arg(long, requires = "batch")]
    ledger: Option<PathBuf>,
    /// Batch number in the ledger.
    #[arg(long)]
    batch: Option<u64>,
    /// Chunk proof artifacts, in chunk order (with --prev-root and --data).
    #[arg(long, num_args = 1.., conflicts_with = "ledger", requires_all = ["prev_root", "data"])]
    proof: Vec<PathBuf>,
    /// The root the batch must extend (hex).
    #[arg(long)]
    prev_root: Option<String>,
    /// The batch's public data (JSON array of transactions, or a batch record).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Key directory (default: the production keys with the development SRS in the cache).
    #[arg(long)]
    keys: Option<PathBuf>,
}

pub(crate) fn run(args: &VerifyArgs) -> Result<()> {
    let key = load_verifier_key(args.keys.as_ref())?;
    let (prev_root, data, proofs) = match (&args.ledger, args.batch) {
        (Some(dir), Some(n)) => {
            let ledger = Ledger::open(dir)?;
            let record =
                ledger.batch(n)?.with_context(|| format!("the ledger has no batch {n}"))?;
            let posted = ledger.posted(n)?.context("the ledger lost the posted data")?;
            (record.header.prev_state_root, posted.data, posted.proofs)
        }
        _ => {
            let prev = args.prev_root.as_deref().context("--prev-root is required")?;
            let prev = from_hex(prev).map_err(anyhow::Error::msg)?;
            let data_path = args.data.as_ref().context("--data is required")?;
            let data = read_public_data(&std::fs::read_to_string(data_path)?);
            match (data, read_artifacts(&args.proof)) {
                (Ok(data), Ok(proofs)) => (prev, data, proofs),
                (Err(e), _) | (_, Err(e)) => invalid(&e.into()),
            }
        }
    };
    let started = std::time::Instant::now();
    match verify_batch(&key, prev_root, &data, &proofs) {
        Ok(v) => {
            println!(
                "valid: batch {}, {} in {}, {} → {}, data hash {}, {} proof bytes, verified in {:.1} ms{}",
                v.header.number,
                count(data.len(), "transaction"),
                count(v.chunks, "chunk"),
                to_hex(&v.header.prev_state_root),
                to_hex(&v.header.next_state_root),
                to_hex(&v.header.data_hash),
                v.proof_bytes,
                started.elapsed().as_secs_f64() * 1e3,
                if key.manifest.insecure() { " (INSECURE development SRS)" } else { "" }
            );
            Ok(())
        }
        Err(e) => invalid(&e),
    }
}
