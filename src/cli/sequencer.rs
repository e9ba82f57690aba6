//! `clearproof sequencer serve`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use clearproof_circuits::params::ACCOUNT_TREE_DEPTH;
use clearproof_sequencer::api::{self, Node};
use clearproof_sequencer::{genesis, Config};
use clearproof_verifier::key::VerifierKey;

#[derive(Subcommand)]
pub enum SequencerCommand {
    /// Serve the HTTP API; the data directory is created from the genesis on first start.
    Serve(ServeArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Directory of the sled store.
    #[arg(long)]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// A batch closes at this many transactions…
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// … or when its first transaction is this many milliseconds old.
    #[arg(long, default_value_t = 1000)]
    batch_interval_ms: u64,
    /// Genesis JSON; default: the built-in devnet genesis (insecure oracle key).
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// Account tree depth (tests use smaller trees; the protocol uses 24).
    #[arg(long, default_value_t = ACCOUNT_TREE_DEPTH, hide = true)]
    tree_depth: usize,
    /// Key directory (from `clearproof setup`): serve chunk proving jobs for its
    /// circuit, and verify every proof provers submit before storing it.
    /// Without it the sequencer serves no jobs.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// A leased chunk job is offered again after this many milliseconds.
    #[arg(long, default_value_t = 120_000)]
    lease_ms: u64,
}

pub fn run(command: SequencerCommand) -> Result<()> {
    let SequencerCommand::Serve(args) = command;
    let genesis = genesis::load(args.genesis.as_deref())?;
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    let interval = Duration::from_millis(args.batch_interval_ms.max(1));
    let config = Config { batch_size: args.batch_size, batch_interval: interval };
    let keys = match &args.keys {
        Some(dir) => Some(
            VerifierKey::load(dir)
                .with_context(|| format!("loading keys from {}", dir.display()))?,
        ),
        None => None,
    };
    let lease = Duration::from_millis(args.lease_ms.max(1));
    let node = Node::open_serving(&args.data_dir, &genesis, args.tree_depth, config, keys, lease)
        .with_context(|| format!("opening {:?}", args.data_dir))?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        // Tests and scripts read the bound address (useful with port 0) from this line.
        println!("listening on http://{}", listener.local_addr()?);
        std::io::stdout().flush()?;
        api::serve(node, listener, interval).await?;
        Ok(())
    })
}
