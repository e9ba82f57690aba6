//! `clearproof devnet`: the whole pipeline on embedded defaults ([`clearproof::devnet`]).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use clearproof::devnet;

use super::SetupArgs;

#[derive(Args)]
pub(crate) struct DevnetArgs {
    /// Where the sequencer and ledger stores go (default: a new temporary directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Prover threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// `escape`: after the workload the operator disappears, and users leave
    /// through the escape hatch (forced withdrawal, freeze, rebuild, escapes).
    #[arg(long, value_enum, default_value_t = devnet::Scenario::Normal)]
    scenario: devnet::Scenario,
    /// One proof per batch: aggregate each batch's chunk proofs and post them to
    /// the EVM base layer (Settlement.sol and the generated verifier in revm);
    /// the table gains the aggregation time and gas. About 4 minutes per batch
    /// on 2 cores.
    #[arg(long)]
    aggregate: bool,
    #[command(flatten)]
    setup: SetupArgs,
}

pub(crate) fn run(args: DevnetArgs) -> Result<()> {
    if args.setup.srs.is_some() {
        bail!("the devnet always uses the insecure development SRS");
    }
    let temp = tempfile::TempDir::new()?;
    let data_dir = args.data_dir.unwrap_or_else(|| temp.path().to_path_buf());
    let mut options = devnet::Options::new(data_dir, args.setup.cache(), args.threads);
    options.circuit = args.setup.params();
    options.progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    options.regenerate = args.setup.regenerate;
    options.scenario = args.scenario;
    options.aggregate = args.aggregate;
    devnet::run(&options, &mut std::io::stdout())?;
    Ok(())
}
