//! `clearproof devnet`: the whole pipeline on embedded defaults, in one process.
//!
//! The built-in devnet genesis (four markets, an oracle committee of four
//! publicly known keys, quorum 3), a
//! built-in workload submitted to the real sequencer code (sled store, order and
//! signature checks, batching), every committed batch proven chunk by chunk and
//! its proofs handed to the sequencer's job board as remote provers' are, the
//! relay posting it to the base-layer ledger (its own sled store), which verifies
//! it against the last accepted root, and a table of what happened.
//!
//! The workload, in four batches:
//! 1. four deposits (queued on the ledger, whose deposit queue the sequencer
//!    reads itself) and an oracle price for every market;
//!
//! Every oracle value comes from the committee's observations: member 3 is
//! faulty and signs an outlier (+50 %), member 2 is down, members 0 and 1 are
//! honest. The sequencer builds each update once three observations are in,
//! and the median holds the honest value.
//! 2. two trades between signed orders (BTC and ETH);
//! 3. a funding tick on BTC, then a price gap (BTC 6.00 → 6.90) that leaves the
//!    short below maintenance margin, and its liquidation (it buys back at 7.20
//!    from a liquidator's sell order), which leaves it flat with a deficit;
//! 4. the insurance fund covers the deficit, and two withdrawals.
//!
//! Files: `workload` (the participants, the batches, the oracle committee),
//! `pipeline` (proving, verifying and relaying a batch), `escape` (the escape
//! scenario), `report` (the table).

mod escape;
mod evm;
mod pipeline;
mod report;
mod workload;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use clearproof_circuits::circuit::CircuitParams;
use clearproof_protocol::serde_fr::to_hex;
use clearproof_protocol::state::{Genesis, State};
use clearproof_protocol::tx::Deposit;
use clearproof_protocol::types::{AccountId, Amount};
use clearproof_prover::aggregate::Aggregator;
use clearproof_prover::keys::{setup_with, Regenerate};
use clearproof_prover::{ProverKeys, SrsSource};
use clearproof_sequencer::follow::{read_forced, read_queue};
use clearproof_sequencer::genesis;
use clearproof_sequencer::jobs::JobBoard;
use clearproof_sequencer::relay::StoreSource;
use clearproof_sequencer::store::{SledStore, Store};
use clearproof_sequencer::{Config, Sequencer};
use clearproof_verifier::base_layer::sled_store::{
    BaseLayer, EscapeHatch, Ledger, SledLedger, SledLedgerStore,
};
use clearproof_verifier::key::VerifierKey;

use evm::EvmLedger;

/// What a build without the EVM base layer (feature `evm`) answers where the
/// EVM is asked for.
pub const NO_EVM: &str = "this clearproof was built without the EVM base layer (feature `evm`, \
     on by default; the README's quick start leaves it out): build it with the default \
     features, e.g. `cargo run --locked -- devnet --aggregate`";
use pipeline::Pipeline;
pub use report::{AggregateReport, BatchReport, Report};
use workload::{batches, micro, observe, unix_now, Step, Workload};

const INSECURE: &str =
    "INSECURE development SRS (fixed seed): anyone can forge proofs; devnet only";

/// Options of `clearproof devnet`.
#[derive(Debug)]
pub struct Options {
    /// Where the sequencer and ledger stores go (created fresh).
    pub data_dir: PathBuf,
    /// The SRS and key cache.
    pub key_cache: PathBuf,
    /// Prover threads (0: one per core).
    pub threads: usize,
    /// The circuit (tests use a small tree).
    pub circuit: CircuitParams,
    /// Show progress bars.
    pub progress: bool,
    /// Replace cached keys that are not today's circuit's instead of refusing them.
    pub regenerate: bool,
    /// What to run after the workload.
    pub scenario: Scenario,
    /// One proof per batch: each batch's chunk proofs aggregated, posted to the
    /// EVM base layer (the settlement contract and the generated verifier in
    /// revm) instead of the Rust ledger.
    pub aggregate: bool,
}

/// What `clearproof devnet` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Scenario {
    /// The workload's four batches.
    #[default]
    Normal,
    /// The workload (with a forced withdrawal the sequencer serves), then the
    /// operator disappears: an unserved forced withdrawal, a freeze after the
    /// shortened grace, the state rebuilt from the base layer alone, every
    /// funded account escapes, and the payouts are settled and checked.
    Escape,
}

/// The escape scenario's grace before a freeze, in seconds (production: 7 days).
pub const DEVNET_FORCED_GRACE: u64 = 3;
/// The escape scenario's claim window, in seconds (production: 14 days).
pub const DEVNET_ESCAPE_WINDOW: u64 = 3;

impl Options {
    /// The production circuit, `threads` provers, stores under `data_dir`.
    pub fn new(data_dir: PathBuf, key_cache: PathBuf, threads: usize) -> Self {
        Self {
            data_dir,
            key_cache,
            threads,
            circuit: CircuitParams::PRODUCTION,
            progress: true,
            regenerate: false,
            scenario: Scenario::Normal,
            aggregate: false,
        }
    }
}

/// Runs the devnet: the workload through the sequencer, each batch proven and
/// posted, then the scenario; writes its lines to `out`.
pub fn run(options: &Options, out: &mut dyn std::io::Write) -> Result<Report> {
    // Refused before minutes of key generation, not after.
    ensure!(!options.aggregate || cfg!(feature = "evm"), NO_EVM);
    writeln!(out, "clearproof devnet — data in {}", options.data_dir.display())?;
    writeln!(out, "keys: {} ({INSECURE})", options.key_cache.display())?;
    let started = Instant::now();
    let keys = chunk_keys(options, out)?;
    let verifier = keys.verifier_key();
    std::fs::create_dir_all(&options.data_dir)?;
    let genesis = genesis::devnet();
    let store: Arc<dyn Store> = Arc::new(
        SledStore::open(&options.data_dir.join("sequencer"))
            .context("opening the sequencer store")?,
    );
    let config = Config { batch_size: 1_000, batch_interval: Duration::from_secs(3_600) };
    // Witnesses are built from the stored batches when the provers need them.
    let (mut sequencer, committed) =
        Sequencer::open_with_batches(store.clone(), &genesis, options.circuit.depth, config)
            .context("opening the sequencer")?;
    // The job board takes the proofs as it takes remote provers' (public inputs
    // checked against the batch); the relay posts them from the store.
    let jobs = JobBoard::new(options.circuit.slots, Duration::from_secs(3_600), None);
    let aggregator = match options.aggregate {
        true => Some(aggregator(&keys, out)?),
        false => None,
    };
    let base = BaseLayers::open(options, &genesis, &verifier, out)?;
    let ledger = base.as_dyn();
    let genesis_root = State::genesis_with_depth(&genesis, options.circuit.depth)?.root();
    let fresh = ledger.state()?.deposits_queued == 0
        && sequencer.committed().state_root == genesis_root
        && sequencer.committed().pending == 0;
    ensure!(
        fresh,
        "{} already holds a devnet run; pass an empty --data-dir",
        options.data_dir.display()
    );
    let pipeline = Pipeline {
        options,
        keys: &keys,
        verifier: &verifier,
        ledger,
        evm: base.evm(),
        aggregator: aggregator.as_ref(),
        source: StoreSource { store: store.as_ref(), jobs: &jobs },
        batches: &committed,
    };
    let workload = Workload::new();
    let (mut reports, mut withdrawals) = (Vec::new(), Vec::new());
    for (i, steps) in batches(&workload).into_iter().enumerate() {
        for step in steps {
            run_step(&mut sequencer, ledger, &workload, step, i + 1, out)?;
        }
        if options.scenario == Scenario::Escape && i + 1 == 4 {
            serve_forced_withdrawal(&mut sequencer, base.hatch()?, &workload, i + 1, out)?;
        }
        let summary = sequencer.commit()?.context("the batch is not empty")?;
        let record = committed.record(summary.number)?.context("committed batch is stored")?;
        let report = pipeline.prove_and_post(&record, out)?;
        let accepted = ledger.batch(report.number)?.context("accepted batch is recorded")?;
        withdrawals.extend(accepted.withdrawals.iter().map(|w| (w.account.get(), w.amount.get())));
        reports.push(report);
    }
    let final_root = to_hex(&ledger.state()?.root);
    let so_far = if options.scenario == Scenario::Normal { "in total" } else { "so far" };
    let elapsed = format!("{:.0} s {so_far} ({INSECURE})", started.elapsed().as_secs_f64());
    report::print_summary(out, &reports, &withdrawals, &final_root, &elapsed)?;
    let payouts = match options.scenario {
        Scenario::Normal => Vec::new(),
        Scenario::Escape => {
            drop(sequencer);
            // What the operator's store holds, to compare the rebuilt state with.
            let operator = store.load()?.state;
            escape::escape_scenario(base.hatch()?, &workload, &operator, &options.data_dir, out)?
        }
    };
    Ok(Report { batches: reports, withdrawals, final_root, payouts })
}

/// The SRS and the chunk keys, from the cache or generated.
fn chunk_keys(options: &Options, out: &mut dyn std::io::Write) -> Result<ProverKeys> {
    let circuit = options.circuit;
    let regenerate = if options.regenerate { Regenerate::Stale } else { Regenerate::Never };
    let keys = setup_with(&options.key_cache, circuit, &SrsSource::InsecureDev, regenerate)
        .context("setting up the SRS and chunk keys")?;
    writeln!(
        out,
        "circuit {}: keys {} in {:.1} s (vk {})",
        circuit.id(),
        if keys.generated { "generated" } else { "loaded from the cache" },
        keys.seconds,
        &keys.manifest.vk_digest[..16]
    )?;
    Ok(keys)
}

/// The production aggregation over `keys` (`--aggregate`).
fn aggregator(keys: &ProverKeys, out: &mut dyn std::io::Write) -> Result<Aggregator> {
    let aggregator = Aggregator::production(keys).context("generating the aggregation key")?;
    let key = aggregator.key();
    writeln!(
        out,
        "aggregation {}: key generated in {:.0} s ({} advice columns, vk {})",
        aggregator.params().id(),
        aggregator.seconds,
        key.layout().config.num_advice,
        &key.vk().digest()[..16]
    )?;
    Ok(aggregator)
}

/// The base layer the devnet posts to: the settlement contract in revm
/// (`--aggregate`) or the Rust ledger over sled.
enum BaseLayers {
    #[cfg(feature = "evm")]
    Evm(Box<EvmLedger>),
    Sled(SledLedger),
}

impl BaseLayers {
    fn open(
        options: &Options,
        genesis: &Genesis,
        verifier: &VerifierKey,
        out: &mut dyn std::io::Write,
    ) -> Result<Self> {
        if options.aggregate {
            ensure!(
                options.scenario == Scenario::Normal,
                "--aggregate runs the normal scenario only: the settlement contract has no \
                 escape hatch yet"
            );
            let ledger = evm::deploy(genesis, verifier, out)?;
            #[cfg(feature = "evm")]
            return Ok(Self::Evm(Box::new(ledger)));
            #[cfg(not(feature = "evm"))]
            match ledger {}
        }
        let ledger_store = SledLedgerStore::open(&options.data_dir.join("ledger"))?;
        let ledger = Ledger::create_with(ledger_store, genesis, verifier, |state| {
            if options.scenario == Scenario::Escape {
                state.forced_grace = DEVNET_FORCED_GRACE;
                state.escape_window = DEVNET_ESCAPE_WINDOW;
            }
        })
        .context("opening the ledger")?;
        Ok(Self::Sled(ledger))
    }

    fn as_dyn(&self) -> &dyn BaseLayer {
        match self {
            #[cfg(feature = "evm")]
            Self::Evm(l) => l.as_ref(),
            Self::Sled(l) => l,
        }
    }

    fn hatch(&self) -> Result<&dyn EscapeHatch> {
        match self {
            #[cfg(feature = "evm")]
            Self::Evm(_) => anyhow::bail!("the EVM settlement contract has no escape hatch yet"),
            Self::Sled(l) => Ok(l),
        }
    }

    fn evm(&self) -> Option<&EvmLedger> {
        match self {
            #[cfg(feature = "evm")]
            Self::Evm(l) => Some(l.as_ref()),
            Self::Sled(_) => None,
        }
    }
}

/// One step of the workload: a deposit queued on the base layer (the sequencer
/// reads the queue itself), a committee observation, or a submission.
fn run_step(
    sequencer: &mut Sequencer,
    ledger: &dyn BaseLayer,
    workload: &Workload,
    step: Step,
    batch: usize,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    match step {
        Step::Deposit { account, owner, amount } => {
            let deposit = Deposit {
                account: AccountId::new(account.into())?,
                owner: workload.user(owner).public_key(),
                amount: Amount::new(amount)?,
            };
            ledger.deposit(deposit)?;
            // The sequencer reads the ledger's queue itself (PROTOCOL §7):
            // nobody hands it a deposit.
            let from = sequencer.next_deposit();
            let queued = read_queue(ledger, from, usize::MAX)?;
            let taken = sequencer.take_deposits(from, &queued, unix_now())?;
            ensure!(taken == queued.len(), "the sequencer did not take every deposit");
        }
        Step::Oracle { market, value, timestamp } => {
            writeln!(out, "{}", observe(sequencer, market, value, timestamp)?)?;
        }
        Step::Submit(submission) => {
            let kind = submission.kind();
            sequencer
                .submit(*submission, unix_now())
                .with_context(|| format!("batch {batch}: {kind} refused"))?;
        }
    }
    Ok(())
}

/// Carol asks the base layer directly for a forced withdrawal; the sequencer
/// serves the queue itself, in `batch`.
fn serve_forced_withdrawal(
    sequencer: &mut Sequencer,
    ledger: &dyn EscapeHatch,
    workload: &Workload,
    batch: usize,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let carol = AccountId::new(3)?;
    let amount = Amount::new(micro(5.0))?;
    let index = escape::force_withdraw(ledger, workload.user(3), carol, amount)?;
    let from = sequencer.next_forced();
    let entries = read_forced(ledger, from, usize::MAX)?;
    ensure!(sequencer.take_forced(from, &entries, unix_now())? == 1, "forced not taken");
    writeln!(
        out,
        "forced withdrawal: account 3 asked the base layer for 5.000000 USD (queue \
         entry {index}); the sequencer serves it in batch {batch}"
    )?;
    Ok(())
}

/// The default key cache: `$XDG_CACHE_HOME/clearproof` or `~/.cache/clearproof`.
pub fn default_key_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("clearproof")
}

/// Number of transactions in the built-in workload.
pub fn workload_size() -> usize {
    batches(&Workload::new()).iter().map(Vec::len).sum()
}
