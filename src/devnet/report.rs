//! What a devnet run reports: a line per batch and the table they make.

use anyhow::Result;

/// One batch's line of the report.
#[derive(Debug, Clone)]
pub struct BatchReport {
    /// Batch number.
    pub number: u64,
    /// Transactions.
    pub transactions: usize,
    /// Root before and after (hex).
    pub roots: (String, String),
    /// Chunk proofs.
    pub chunks: usize,
    /// Proof bytes.
    pub proof_bytes: usize,
    /// Wall seconds to prove all chunks.
    pub prove_seconds: f64,
    /// Milliseconds to verify the batch (all chunk proofs, batched).
    pub verify_ms: f64,
    /// The aggregated proof and its posting (`--aggregate`).
    pub aggregate: Option<AggregateReport>,
}

/// One batch's aggregation and its post to the EVM base layer.
#[derive(Debug, Clone, Copy)]
pub struct AggregateReport {
    /// Wall seconds to aggregate the chunk proofs (padding chunks included).
    pub prove_seconds: f64,
    /// The aggregated proof's bytes.
    pub proof_bytes: usize,
    /// Gas of the whole `postBatch` transaction.
    pub gas: u64,
    /// Gas of the verifier alone.
    pub verification_gas: u64,
}

/// What a devnet run produced.
#[derive(Debug, Clone)]
pub struct Report {
    /// One line per batch, all accepted.
    pub batches: Vec<BatchReport>,
    /// Withdrawals released by the ledger: (account, amount in micro-units).
    pub withdrawals: Vec<(u32, u64)>,
    /// The ledger's final root.
    pub final_root: String,
    /// Escape payouts (escape scenario): (account, micro-units paid).
    pub payouts: Vec<(u32, u64)>,
}

pub(super) fn short(root: &str) -> &str {
    &root[..10]
}

fn print_table(out: &mut dyn std::io::Write, reports: &[BatchReport]) -> Result<()> {
    let aggregated = reports.iter().any(|r| r.aggregate.is_some());
    write!(
        out,
        "\n{:>5} {:>4} {:>12} {:>12} {:>6} {:>11} {:>9} {:>10}",
        "batch", "txs", "prev root", "next root", "chunks", "proof bytes", "prove s", "verify ms"
    )?;
    if aggregated {
        write!(out, " {:>7} {:>9} {:>9} {:>9}", "agg s", "agg bytes", "gas", "verify gas")?;
    }
    writeln!(out)?;
    for r in reports {
        write!(
            out,
            "{:>5} {:>4} {:>12} {:>12} {:>6} {:>11} {:>9.1} {:>10.1}",
            r.number,
            r.transactions,
            short(&r.roots.0),
            short(&r.roots.1),
            r.chunks,
            r.proof_bytes,
            r.prove_seconds,
            r.verify_ms
        )?;
        if let Some(a) = &r.aggregate {
            write!(
                out,
                " {:>7.1} {:>9} {:>9} {:>9}",
                a.prove_seconds, a.proof_bytes, a.gas, a.verification_gas
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The table, the withdrawals released and the closing line.
pub(super) fn print_summary(
    out: &mut dyn std::io::Write,
    reports: &[BatchReport],
    withdrawals: &[(u32, u64)],
    final_root: &str,
    elapsed: &str,
) -> Result<()> {
    print_table(out, reports)?;
    writeln!(out, "\nwithdrawals released by the ledger:")?;
    for (account, amount) in withdrawals {
        writeln!(out, "  account {account}: {:.6} USD", *amount as f64 / 1e6)?;
    }
    writeln!(out, "\nall {} batches accepted; final root {final_root}; {elapsed}", reports.len())?;
    Ok(())
}
