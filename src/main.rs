//! The `clearproof` command line: parses arguments and calls the library crates.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use clearproof::devnet;
use clearproof_circuits::circuit::CircuitParams;
use clearproof_circuits::params::ACCOUNT_TREE_DEPTH;
use clearproof_circuits::signature::{PublicKey, SecretKey};
use clearproof_circuits::state::Genesis;
use clearproof_circuits::types::*;
use clearproof_prover::keys::{setup_with, Regenerate};
use clearproof_prover::worker::{Step as WorkerStep, Worker};
use clearproof_prover::{prove_batch, ProverKeys, SrsSource};
use clearproof_sequencer::api::{self, Node};
use clearproof_sequencer::client::Client;
use clearproof_sequencer::genesis;
use clearproof_sequencer::jobs::JobBoard;
use clearproof_sequencer::order::{Order, OrderId, Side, SignedOrder};
use clearproof_sequencer::wire::{DepositRequest, DepositTag, Submission};
use clearproof_sequencer::Config;
use clearproof_verifier::artifact::{read_public_data, ChunkProof};
use clearproof_verifier::check::verify_batch;
use clearproof_verifier::key::{VerifierKey, INSECURE_DEV_SRS};
use clearproof_verifier::ledger::{BaseLayer, Ledger, SledLedger};

/// clearproof: a zero-knowledge rollup for derivative settlement.
#[derive(Parser)]
#[command(name = "clearproof", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Key management.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Run the sequencer.
    Sequencer {
        #[command(subcommand)]
        command: SequencerCommand,
    },
    /// Build and sign a transaction or order; prints one JSON line.
    Tx {
        #[command(subcommand)]
        command: TxCommand,
    },
    /// Submit JSON lines (transactions or deposits) to a sequencer; prints each receipt.
    Submit {
        /// Sequencer base URL.
        #[arg(long)]
        sequencer: String,
        /// File of JSON lines, or `-` for standard input.
        #[arg(default_value = "-")]
        file: String,
        /// Wait until each accepted transaction is committed in a batch.
        #[arg(long)]
        wait: bool,
    },
    /// Run a prover worker.
    Prover {
        #[command(subcommand)]
        command: ProverCommand,
    },
    /// Create or load the KZG SRS and the chunk circuit's keys (cached on disk).
    Setup(SetupArgs),
    /// Prove a committed batch offline, one artifact per chunk.
    Prove {
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
    },
    /// Check a batch's chunk proofs: against the ledger, or explicit inputs.
    Verify(VerifyArgs),
    /// The base-layer ledger: deposit queue, posting proven batches, state.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Run the whole pipeline on embedded defaults: sequencer, provers, ledger, verifier.
    Devnet {
        /// Where the sequencer and ledger stores go (default: a new temporary directory).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Prover threads (0: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        #[command(flatten)]
        setup: SetupArgs,
    },
}

#[derive(Args)]
struct SetupArgs {
    /// SRS and key cache directory (default: ~/.cache/clearproof).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// A ceremony SRS file (halo2 raw format); default: an INSECURE development SRS.
    #[arg(long)]
    srs: Option<PathBuf>,
    /// Account tree depth of the circuit.
    #[arg(long, default_value_t = CircuitParams::PRODUCTION.depth, hide = true)]
    depth: usize,
    /// Slots per chunk.
    #[arg(long, default_value_t = CircuitParams::PRODUCTION.slots, hide = true)]
    slots: usize,
    /// log2 of the circuit's rows.
    #[arg(long, default_value_t = CircuitParams::PRODUCTION.k, hide = true)]
    k: u32,
    /// Replace cached keys that are not today's circuit's (made by other circuit
    /// code, or damaged) instead of refusing them.
    #[arg(long)]
    regenerate: bool,
}

impl SetupArgs {
    fn params(&self) -> CircuitParams {
        CircuitParams { depth: self.depth, slots: self.slots, k: self.k }
    }

    fn cache(&self) -> PathBuf {
        self.cache.clone().unwrap_or_else(devnet::default_key_cache)
    }

    fn source(&self) -> SrsSource {
        self.srs.clone().map_or(SrsSource::InsecureDev, SrsSource::File)
    }

    fn load(&self) -> Result<ProverKeys> {
        let regenerate = if self.regenerate { Regenerate::Stale } else { Regenerate::Never };
        let keys = setup_with(&self.cache(), self.params(), &self.source(), regenerate)?;
        eprintln!(
            "circuit {}: keys {} in {:.1} s from {}{}",
            self.params().id(),
            if keys.generated { "generated" } else { "loaded" },
            keys.seconds,
            keys.dir.display(),
            if keys.manifest.insecure() {
                " — INSECURE development SRS: anyone can forge proofs"
            } else {
                ""
            }
        );
        Ok(keys)
    }
}

#[derive(Args)]
struct VerifyArgs {
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

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate a Baby Jubjub key pair; prints `{"secret", "public"}` (hex).
    New,
    /// Print the built-in devnet oracle key (public knowledge: insecure).
    DevnetOracle,
}

#[derive(Args)]
struct LedgerArgs {
    /// Ledger directory (created on first use).
    #[arg(long)]
    ledger: PathBuf,
    /// Key directory whose verifying key and SRS the ledger accepts (default:
    /// the production keys with the development SRS in the cache).
    #[arg(long)]
    keys: Option<PathBuf>,
    /// Genesis JSON the chain starts from (default: the built-in devnet genesis).
    #[arg(long)]
    genesis: Option<PathBuf>,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Queue a deposit; prints the `/v1/deposits` JSON line to give the sequencer.
    Deposit {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Credited account.
        #[arg(long, value_parser = account)]
        account: AccountId,
        /// Owner public key (hex).
        #[arg(long, value_parser = public)]
        owner: PublicKey,
        /// Quote micro-units.
        #[arg(long, value_parser = amount)]
        amount: Amount,
    },
    /// Post every fully proven batch the sequencer has, in order; prints one line each.
    Post {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Sequencer base URL.
        #[arg(long)]
        sequencer: String,
    },
    /// Print the ledger's state (root, batches, deposit queue).
    Show {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
}

impl LedgerArgs {
    fn open(&self) -> Result<(SledLedger, VerifierKey)> {
        let key = load_verifier_key(self.keys.as_ref())?;
        let genesis: Genesis = match &self.genesis {
            Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)
                .with_context(|| format!("{path:?} is not a genesis file"))?,
            None => genesis::devnet(),
        };
        let depth = key.manifest.circuit.depth;
        let root = clearproof_circuits::state::State::genesis_with_depth(&genesis, depth)?.root();
        let ledger = Ledger::open_or_create(&self.ledger, root, &key)
            .with_context(|| format!("opening the ledger at {}", self.ledger.display()))?;
        Ok((ledger, key))
    }
}

fn load_verifier_key(dir: Option<&PathBuf>) -> Result<VerifierKey> {
    let dir = dir.cloned().unwrap_or_else(|| {
        devnet::default_key_cache()
            .join(format!("{}-{INSECURE_DEV_SRS}", CircuitParams::PRODUCTION.id()))
    });
    VerifierKey::load(&dir)
        .with_context(|| format!("loading the verifying key from {}", dir.display()))
}

fn ledger_command(command: LedgerCommand) -> Result<()> {
    match command {
        LedgerCommand::Deposit { ledger, account, owner, amount } => {
            let (ledger, _) = ledger.open()?;
            let deposit = clearproof_circuits::tx::Deposit { account, owner, amount };
            let queue_index = ledger.deposit(deposit)?;
            print_json(&DepositRequest {
                kind: DepositTag::Deposit,
                queue_index,
                account,
                owner,
                amount,
            })
        }
        LedgerCommand::Show { ledger } => print_json(&ledger.open()?.0.state()?),
        LedgerCommand::Post { ledger, sequencer } => {
            let (ledger, key) = ledger.open()?;
            let runtime = tokio::runtime::Runtime::new()?;
            let client = Client::new(&sequencer);
            loop {
                let next = ledger.state()?.batches + 1;
                let proofs = runtime.block_on(client.get(&format!("/v1/batches/{next}/proofs")))?;
                if proofs.status == 404 || proofs.body["complete"] != true {
                    println!("batch {next}: not proven yet; the ledger is at batch {}", next - 1);
                    return Ok(());
                }
                if proofs.status != 200 {
                    bail!("sequencer answered {}: {}", proofs.status, proofs.body);
                }
                let record = runtime.block_on(client.get(&format!("/v1/batches/{next}")))?;
                let data =
                    read_public_data(&record.body.to_string()).map_err(anyhow::Error::msg)?;
                let proofs: Vec<ChunkProof> =
                    serde_json::from_value(proofs.body["proofs"].clone())?;
                let posted =
                    clearproof_verifier::ledger::PostedBatch { number: next, data, proofs };
                match ledger.post(&key, &posted) {
                    Ok(a) => println!(
                        "batch {}: accepted, {}, {}, root {}, {} released, {} refunded",
                        a.number,
                        count(a.transactions, "transaction"),
                        count(a.chunks, "chunk"),
                        clearproof_circuits::serde_fr::to_hex(&a.next_state_root),
                        count(a.withdrawals.len(), "withdrawal"),
                        count(a.refunds.len(), "deposit")
                    ),
                    Err(clearproof_verifier::ledger::LedgerError::Rejected(e)) => invalid(&e),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
}

#[derive(Subcommand)]
enum ProverCommand {
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

#[derive(Subcommand)]
enum SequencerCommand {
    /// Serve the HTTP API; the data directory is created from the genesis on first start.
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
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

#[derive(Clone, Copy, ValueEnum)]
enum SideArg {
    Buy,
    Sell,
}

fn int(s: &str) -> Result<i128, String> {
    s.trim().parse().map_err(|_| format!("not an integer: {s:?}"))
}

macro_rules! typed {
    ($name:ident, $t:ty) => {
        fn $name(s: &str) -> Result<$t, String> {
            <$t>::new(int(s)?).map_err(|e| e.to_string())
        }
    };
}
typed!(amount, Amount);
typed!(quote, Quote);
typed!(account, AccountId);
typed!(market, MarketId);
typed!(nonce, Nonce);
typed!(bps, Bps);
typed!(timestamp, Timestamp);
typed!(funding_index, FundingIndex);

fn price(s: &str) -> Result<Price, String> {
    Price::from_decimal(s).map_err(|e| e.to_string())
}

fn secret(s: &str) -> Result<SecretKey, String> {
    SecretKey::from_hex(s.trim()).map_err(|e| format!("{} ({})", e, e.code()))
}

fn public(s: &str) -> Result<PublicKey, String> {
    PublicKey::from_hex(s.trim()).map_err(|e| format!("{} ({})", e, e.code()))
}

#[derive(Subcommand)]
enum TxCommand {
    /// A deposit queue entry (what the base layer posts to `/v1/deposits`).
    Deposit {
        #[arg(long)]
        queue_index: u64,
        #[arg(long, value_parser = account)]
        account: AccountId,
        /// Owner public key (hex).
        #[arg(long, value_parser = public)]
        owner: PublicKey,
        #[arg(long, value_parser = amount)]
        amount: Amount,
    },
    /// A signed order (its JSON goes into `tx trade` / `tx liquidate`).
    Order {
        /// The account owner's secret key (hex).
        #[arg(long, value_parser = secret)]
        key: SecretKey,
        #[arg(long, value_parser = account)]
        account: AccountId,
        #[arg(long, value_parser = market)]
        market: MarketId,
        #[arg(long, value_enum)]
        side: SideArg,
        /// Largest number of lots to fill in total.
        #[arg(long, value_parser = amount)]
        size: Amount,
        /// Worst price, in micro-units of quote per lot (decimal).
        #[arg(long, value_parser = price)]
        limit_price: Price,
        #[arg(long, value_parser = bps, default_value = "50")]
        max_fee_bp: Bps,
        /// Unix seconds after which the order no longer fills.
        #[arg(long, value_parser = timestamp)]
        expiry: Timestamp,
        #[arg(long)]
        order_id: u64,
    },
    /// A fill between two signed orders.
    Trade {
        #[arg(long, value_parser = market)]
        market: MarketId,
        #[arg(long, value_parser = amount)]
        base: Amount,
        #[arg(long, value_parser = amount)]
        quote: Amount,
        #[arg(long, value_parser = quote, default_value = "0")]
        buyer_fee: Quote,
        #[arg(long, value_parser = quote, default_value = "0")]
        seller_fee: Quote,
        /// File holding the buyer's signed order JSON.
        #[arg(long)]
        buyer_order: PathBuf,
        /// File holding the seller's signed order JSON.
        #[arg(long)]
        seller_order: PathBuf,
    },
    /// A liquidation fill against the liquidator's signed order.
    Liquidate {
        #[arg(long, value_parser = market)]
        market: MarketId,
        #[arg(long, value_parser = account)]
        liquidated: AccountId,
        #[arg(long, value_parser = amount)]
        base: Amount,
        #[arg(long, value_parser = amount)]
        quote: Amount,
        #[arg(long, value_parser = quote, default_value = "0")]
        penalty: Quote,
        #[arg(long)]
        liquidator_order: PathBuf,
    },
    /// An owner-signed withdrawal.
    Withdraw {
        #[arg(long, value_parser = secret)]
        key: SecretKey,
        #[arg(long, value_parser = account)]
        account: AccountId,
        #[arg(long, value_parser = amount)]
        amount: Amount,
        #[arg(long, value_parser = nonce)]
        nonce: Nonce,
    },
    /// Ask the insurance fund to cover a flat account's deficit.
    CoverDeficit {
        #[arg(long, value_parser = account)]
        account: AccountId,
    },
    /// Ask the sequencer to deleverage a bankrupt account.
    Deleverage {
        #[arg(long, value_parser = market)]
        market: MarketId,
        #[arg(long, value_parser = account)]
        bankrupt: AccountId,
    },
    /// An oracle-signed price (decimal micro-units of quote per lot).
    PriceUpdate {
        #[arg(long, value_parser = secret)]
        key: SecretKey,
        #[arg(long, value_parser = market)]
        market: MarketId,
        #[arg(long, value_parser = price)]
        price: Price,
        #[arg(long, value_parser = timestamp)]
        timestamp: Timestamp,
    },
    /// An oracle-signed funding index (raw fixed point, 32 fractional bits).
    FundingTick {
        #[arg(long, value_parser = secret)]
        key: SecretKey,
        #[arg(long, value_parser = market)]
        market: MarketId,
        #[arg(long, value_parser = funding_index, allow_hyphen_values = true)]
        index: FundingIndex,
        #[arg(long, value_parser = timestamp)]
        timestamp: Timestamp,
    },
}

fn read_order(path: &PathBuf) -> Result<SignedOrder> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    serde_json::from_str(&text).with_context(|| format!("{path:?} is not a signed order"))
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

fn build(command: TxCommand) -> Result<()> {
    match command {
        TxCommand::Deposit { queue_index, account, owner, amount } => print_json(&DepositRequest {
            kind: DepositTag::Deposit,
            queue_index,
            account,
            owner,
            amount,
        }),
        TxCommand::Order {
            key,
            account,
            market,
            side,
            size,
            limit_price,
            max_fee_bp,
            expiry,
            order_id,
        } => {
            let side = match side {
                SideArg::Buy => Side::Buy,
                SideArg::Sell => Side::Sell,
            };
            let order_id = OrderId::new(order_id)?;
            let order =
                Order { account, market, side, size, limit_price, max_fee_bp, expiry, order_id };
            print_json(&order.sign(&key))
        }
        TxCommand::Trade {
            market,
            base,
            quote,
            buyer_fee,
            seller_fee,
            buyer_order,
            seller_order,
        } => print_json(&Submission::Trade {
            market,
            base,
            quote,
            buyer_fee,
            seller_fee,
            buyer_order: read_order(&buyer_order)?,
            seller_order: read_order(&seller_order)?,
        }),
        TxCommand::Liquidate { market, liquidated, base, quote, penalty, liquidator_order } => {
            print_json(&Submission::Liquidate {
                market,
                liquidated,
                base,
                quote,
                penalty,
                liquidator_order: read_order(&liquidator_order)?,
            })
        }
        TxCommand::Withdraw { key, account, amount, nonce } => {
            print_json(&Submission::withdraw(&key, account, amount, nonce))
        }
        TxCommand::CoverDeficit { account } => print_json(&Submission::CoverDeficit { account }),
        TxCommand::Deleverage { market, bankrupt } => {
            print_json(&Submission::Deleverage { market, bankrupt })
        }
        TxCommand::PriceUpdate { key, market, price, timestamp } => {
            print_json(&Submission::price_update(&key, market, price, timestamp))
        }
        TxCommand::FundingTick { key, market, index, timestamp } => {
            print_json(&Submission::funding_tick(&key, market, index, timestamp))
        }
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    let genesis: Genesis = match &args.genesis {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)
            .with_context(|| format!("{path:?} is not a genesis file"))?,
        None => genesis::devnet(),
    };
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    let interval = Duration::from_millis(args.batch_interval_ms.max(1));
    let config = Config { batch_size: args.batch_size, batch_interval: interval };
    let verifier = match &args.keys {
        Some(dir) => Some(
            VerifierKey::load(dir)
                .with_context(|| format!("loading keys from {}", dir.display()))?,
        ),
        None => None,
    };
    let node = match verifier {
        Some(key) => {
            if key.manifest.circuit.depth != args.tree_depth {
                bail!(
                    "the keys are for a depth-{} tree, the sequencer's tree has depth {}",
                    key.manifest.circuit.depth,
                    args.tree_depth
                );
            }
            let slots = key.manifest.circuit.slots;
            let jobs = JobBoard::new(slots, Duration::from_millis(args.lease_ms.max(1)), Some(key));
            Node::open_with_jobs(&args.data_dir, &genesis, args.tree_depth, config, jobs)
        }
        None => {
            tracing::warn!("no --keys: this sequencer serves no proving jobs");
            Node::open(&args.data_dir, &genesis, args.tree_depth, config)
        }
    }
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

fn submit(sequencer: &str, file: &str, wait: bool) -> Result<()> {
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("opening {file}"))?,
        ))
    };
    let client = Client::new(sequencer);
    let runtime = tokio::runtime::Runtime::new()?;
    let mut rejected = 0;
    for line in reader.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let mut answer = runtime.block_on(client.submit_line(&line))?;
        if answer.status >= 300 {
            rejected += 1;
        } else if wait {
            let id = answer.body["id"].as_str().unwrap_or_default().to_string();
            for _ in 0..600 {
                if answer.body["status"] != "pending" {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
                answer = runtime.block_on(client.get(&format!("/v1/transactions/{id}")))?;
            }
        }
        println!("{}", serde_json::to_string(&answer.body)?);
    }
    if rejected > 0 {
        bail!("{rejected} submission(s) rejected");
    }
    Ok(())
}

fn prove(batch: &PathBuf, out: &PathBuf, threads: usize, setup: &SetupArgs) -> Result<()> {
    let text =
        std::fs::read_to_string(batch).with_context(|| format!("reading {}", batch.display()))?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).context("batch file is not JSON")?;
    if let Some(witness) = value.get_mut("witness") {
        value = witness.take();
    }
    let batch: clearproof_circuits::batch::BatchOutput =
        serde_json::from_value(value).context("batch file holds no batch witness")?;
    let keys = setup.load()?;
    std::fs::create_dir_all(out)?;
    let proven = prove_batch(&keys, &batch, threads, true)?;
    let n = batch.batch_number;
    let data: Vec<_> = batch.applied().cloned().collect();
    std::fs::write(out.join(format!("batch-{n}-data.json")), serde_json::to_vec_pretty(&data)?)?;
    for c in &proven {
        let path = out.join(format!("batch-{n}-chunk-{}.json", c.proof.chunk));
        std::fs::write(&path, c.proof.to_json())?;
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

fn verify(args: &VerifyArgs) -> Result<()> {
    let key = load_verifier_key(args.keys.as_ref())?;
    let (prev_root, data, proofs) = match (&args.ledger, args.batch) {
        (Some(dir), Some(n)) => {
            let ledger = Ledger::open(dir)?;
            let record =
                ledger.batch(n)?.with_context(|| format!("the ledger has no batch {n}"))?;
            let posted = ledger.posted(n)?.context("the ledger lost the posted data")?;
            (record.prev_state_root, posted.data, posted.proofs)
        }
        _ => {
            let prev = args.prev_root.as_deref().context("--prev-root is required")?;
            let prev = clearproof_circuits::serde_fr::from_hex(prev).map_err(anyhow::Error::msg)?;
            let data_path = args.data.as_ref().context("--data is required")?;
            let data = read_public_data(&std::fs::read_to_string(data_path)?);
            let proofs: Result<Vec<ChunkProof>, _> = args
                .proof
                .iter()
                .map(|p| {
                    std::fs::read_to_string(p)
                        .map_err(|e| {
                            clearproof_verifier::Rejection::Malformed(format!(
                                "{}: {e}",
                                p.display()
                            ))
                        })
                        .and_then(|text| ChunkProof::from_json(&text))
                })
                .collect();
            match (data, proofs) {
                (Ok(data), Ok(proofs)) => (prev, data, proofs),
                (Err(e), _) | (_, Err(e)) => invalid(&e),
            }
        }
    };
    let started = std::time::Instant::now();
    match verify_batch(&key, prev_root, &data, &proofs) {
        Ok(v) => {
            println!(
                "valid: batch {}, {} in {}, {} → {}, data hash {}, {} proof bytes, verified in {:.1} ms{}",
                v.batch,
                count(data.len(), "transaction"),
                count(v.chunks, "chunk"),
                clearproof_circuits::serde_fr::to_hex(&v.prev_state_root),
                clearproof_circuits::serde_fr::to_hex(&v.next_state_root),
                clearproof_circuits::serde_fr::to_hex(&v.data_hash),
                v.proof_bytes,
                started.elapsed().as_secs_f64() * 1e3,
                if key.manifest.insecure() { " (INSECURE development SRS)" } else { "" }
            );
            Ok(())
        }
        Err(e) => invalid(&e),
    }
}

/// `n` and `noun`, plural unless `n` is 1: "1 chunk", "2 chunks".
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Prints why a batch is invalid and exits with status 1.
fn invalid(e: &clearproof_verifier::Rejection) -> ! {
    eprintln!("invalid: {}: {e}", e.code());
    std::process::exit(1)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // The devnet prints its own report; its services log warnings only unless asked.
    let default_level = if matches!(cli.command, Command::Devnet { .. }) { "warn" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_level.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match cli.command {
        Command::Keys { command } => {
            let secret = match command {
                KeysCommand::New => SecretKey::generate(&mut rand::rngs::OsRng),
                KeysCommand::DevnetOracle => genesis::devnet_oracle(),
            };
            print_json(&serde_json::json!({
                "secret": secret.to_hex(),
                "public": secret.public_key().to_hex(),
            }))
        }
        Command::Sequencer { command: SequencerCommand::Serve(args) } => serve(args),
        Command::Tx { command } => build(command),
        Command::Submit { sequencer, file, wait } => submit(&sequencer, &file, wait),
        Command::Prover {
            command: ProverCommand::Run { sequencer, threads, worker, exit_when_idle, setup },
        } => {
            let keys = setup.load()?;
            let name = worker.unwrap_or_else(|| format!("prover-{}", std::process::id()));
            let mut worker = Worker::new(&sequencer, &name, keys, threads)?;
            // Scripts and tests wait for this line.
            println!("prover {name} ready");
            std::io::stdout().flush()?;
            loop {
                match worker.step() {
                    Ok(WorkerStep::Idle) if exit_when_idle => return Ok(()),
                    Ok(WorkerStep::Idle) => std::thread::sleep(Duration::from_millis(500)),
                    Ok(WorkerStep::Proved { batch, chunk, seconds, accepted }) => {
                        println!(
                            "batch {batch} chunk {chunk}: proved in {seconds} s, {}",
                            if accepted {
                                "accepted"
                            } else {
                                "duplicate (another prover was first)"
                            }
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
        Command::Setup(args) => {
            let keys = args.load()?;
            print_json(&keys.manifest)
        }
        Command::Prove { batch, out, threads, setup } => prove(&batch, &out, threads, &setup),
        Command::Verify(args) => verify(&args),
        Command::Ledger { command } => ledger_command(command),
        Command::Devnet { data_dir, threads, setup } => {
            if setup.srs.is_some() {
                bail!("the devnet always uses the insecure development SRS");
            }
            let temp = tempfile::TempDir::new()?;
            let data_dir = data_dir.unwrap_or_else(|| temp.path().to_path_buf());
            let mut options = devnet::Options::new(data_dir, setup.cache(), threads);
            options.circuit = setup.params();
            options.progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            options.regenerate = setup.regenerate;
            devnet::run(&options, &mut std::io::stdout())?;
            Ok(())
        }
    }
}
