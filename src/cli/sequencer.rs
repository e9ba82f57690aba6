//! `clearproof sequencer serve`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use clearproof_protocol::params::ACCOUNT_TREE_DEPTH;
use clearproof_protocol::tx::Deposit;
use clearproof_sequencer::api::{self, Node, ServeOptions};
use clearproof_sequencer::conn::ConnectionLimits;
use clearproof_sequencer::follow::{read_forced, read_queue, DepositQueue};
use clearproof_sequencer::{genesis, Config};
use clearproof_verifier::base_layer::hatch::ForcedEntry;
use clearproof_verifier::base_layer::sled_store::{Ledger, LedgerError};
use clearproof_verifier::key::VerifierKey;

#[derive(Subcommand)]
pub(crate) enum SequencerCommand {
    /// Serve the HTTP API; the data directory is created from the genesis on first start.
    Serve(ServeArgs),
}

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Directory of the sled store.
    #[arg(long)]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// A batch closes at this many transactions… (the state is hashed once per
    /// batch, so larger batches cost less per trade)
    #[arg(long, default_value_t = 1000)]
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
    /// The base-layer ledger directory whose deposit queue this sequencer reads:
    /// deposits come only from there (never over HTTP). Without it the
    /// sequencer takes no deposits.
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// How often to read the ledger's deposit queue, in milliseconds.
    #[arg(long, default_value_t = 500)]
    ledger_poll_ms: u64,
    /// Open connections at most; beyond it the longest-idle one is closed
    /// (capped by the process's file-descriptor limit).
    #[arg(long, default_value_t = 1_024)]
    max_connections: usize,
    /// A connection must send a complete request head within this many
    /// milliseconds of the server waiting for one (connect or previous answer).
    #[arg(long, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// A request (body included) must complete within this many milliseconds.
    #[arg(long, default_value_t = 30_000)]
    request_timeout_ms: u64,
}

/// A ledger directory that other processes open too (`clearproof ledger …`):
/// opened for each read, for a moment, and closed again.
struct LedgerDir(PathBuf);

impl DepositQueue for LedgerDir {
    fn entries(&self, from: u64, max: usize) -> Result<Vec<Deposit>, LedgerError> {
        if !self.0.exists() {
            return Ok(Vec::new()); // no deposit queued yet: the ledger is created with the first
        }
        let started = std::time::Instant::now();
        let read = match Ledger::open(&self.0) {
            Ok(ledger) => read_queue(&ledger, from, max),
            Err(LedgerError::Missing) => Ok(Vec::new()),
            Err(e) => Err(e),
        };
        let ms = started.elapsed().as_secs_f64() * 1e3;
        tracing::debug!(ms, from, entries = read.as_ref().map_or(0, Vec::len), "ledger queue read");
        read
    }

    fn forced_entries(&self, from: u64, max: usize) -> Result<Vec<ForcedEntry>, LedgerError> {
        if !self.0.exists() {
            return Ok(Vec::new());
        }
        match Ledger::open(&self.0) {
            Ok(ledger) => read_forced(&ledger, from, max),
            Err(LedgerError::Missing) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}

/// Raises the soft file-descriptor limit to the hard one and returns what the
/// connection bound may use (the rest is for the stores and the process).
fn connection_budget(wanted: usize) -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1_024);
    let budget = (limit.saturating_sub(128) as usize).max(16);
    if wanted > budget {
        tracing::warn!(wanted, budget, "--max-connections capped by the file-descriptor limit");
    }
    wanted.min(budget)
}

pub(crate) fn run(command: SequencerCommand) -> Result<()> {
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
        let options = ServeOptions {
            batch_interval: interval,
            deposits: args.ledger.clone().map(|dir| {
                let queue: Arc<dyn DepositQueue> = Arc::new(LedgerDir(dir));
                (queue, Duration::from_millis(args.ledger_poll_ms.max(1)))
            }),
            connections: ConnectionLimits {
                max_connections: connection_budget(args.max_connections.max(1)),
                header_timeout: Duration::from_millis(args.header_timeout_ms.max(1)),
                request_timeout: Duration::from_millis(args.request_timeout_ms.max(1)),
            },
        };
        api::serve(node, listener, options).await?;
        Ok(())
    })
}
