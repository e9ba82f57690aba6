//! `clearproof prover run` (a worker leasing chunk jobs over HTTP) and
//! `clearproof prove` (a batch file proven offline).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use clearproof_prover::offline::{prove_into, read_batch};
use clearproof_prover::worker::{Step, Worker};

use super::SetupArgs;

#[derive(Subcommand)]
pub(crate) enum ProverCommand {
    /// Pull chunk jobs from a sequencer, prove them, post the proofs; runs until killed.
    Run {
        /// Sequencer base URL.
        #[arg(long)]
        sequencer: String,
        /// Proving threads (0: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Name in the sequencer's job list (default: host and process id).
        #[arg(long)]
        worker: Option<String>,
        /// Stop when no job is open instead of waiting for more.
        #[arg(long)]
        exit_when_idle: bool,
        #[command(flatten)]
        setup: SetupArgs,
    },
}

#[derive(Args)]
pub(crate) struct ProveArgs {
    /// The batch: `GET /v1/batches/{n}` JSON (or its `witness`).
    #[arg(long)]
    batch: PathBuf,
    /// Directory for the artifacts (`batch-N-chunk-I.json`) and public data.
    #[arg(long)]
    out: PathBuf,
    /// Prover threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    #[command(flatten)]
    setup: SetupArgs,
}

pub(crate) fn run(command: ProverCommand) -> Result<()> {
    let ProverCommand::Run { sequencer, threads, worker, exit_when_idle, setup } = command;
    let keys = setup.load()?;
    let name = worker.unwrap_or_else(|| format!("prover-{}", std::process::id()));
    let mut worker = Worker::new(&sequencer, &name, keys, threads)?;
    // Scripts and tests wait for this line.
    println!("prover {name} ready");
    std::io::stdout().flush()?;
    loop {
        match worker.step() {
            Ok(Step::Idle) if exit_when_idle => return Ok(()),
            Ok(Step::Idle) => std::thread::sleep(Duration::from_millis(500)),
            Ok(Step::Proved { batch, chunk, seconds, accepted }) => {
                println!(
                    "batch {batch} chunk {chunk}: proved in {seconds} s, {}",
                    if accepted { "accepted" } else { "duplicate (another prover was first)" }
                );
                std::io::stdout().flush()?;
            }
            // The sequencer may be restarting: retry rather than die.
            Err(e) => {
                eprintln!("prover {name}: {e}; retrying in 2 s");
                std::thread::sleep(Duration::from_secs(2));
            }
        }
    }
}

pub(crate) fn prove(args: &ProveArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.batch)
        .with_context(|| format!("reading {}", args.batch.display()))?;
    let batch = read_batch(&text)?;
    let keys = args.setup.load()?;
    for (path, c) in prove_into(&keys, &batch, &args.out, args.threads, true)? {
        println!(
            "{}: chunk {}/{} proved in {:.1} s, {} proof bytes",
            path.display(),
            c.proof.chunk + 1,
            c.proof.chunks,
            c.time.as_secs_f64(),
            c.proof.proof.len()
        );
    }
    Ok(())
}
