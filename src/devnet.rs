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

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clearproof_circuits::account_proof::AccountProof;
use clearproof_circuits::batch::BatchOutput;
use clearproof_circuits::circuit::aggregation::{AggregationKey, RootOpening, PINNED_AGGREGATION};
use clearproof_circuits::circuit::chunk::chunk_witnesses_padded;
use clearproof_circuits::circuit::{CircuitParams, Instance, Proof, Srs};
use clearproof_circuits::serde_fr::to_hex;
use clearproof_circuits::signature::SecretKey;
use clearproof_circuits::state::State;
use clearproof_circuits::tx::Deposit;
use clearproof_circuits::types::*;
use clearproof_circuits::{funding, margin};
use clearproof_prover::keys::{setup_with, Regenerate};
use clearproof_prover::{prove_batch, ProverKeys, SrsSource};
use clearproof_sequencer::batches::Batches;
use clearproof_sequencer::follow::{read_forced, read_queue};
use clearproof_sequencer::genesis;
use clearproof_sequencer::jobs::JobBoard;
use clearproof_sequencer::order::{Order, OrderId, Side, SignedOrder};
use clearproof_sequencer::relay::{post_next, ProvenBatches, Step as RelayStep, StoreSource};
use clearproof_sequencer::restore::restore;
use clearproof_sequencer::store::{SledStore, Store};
use clearproof_sequencer::wire::{ObservationRequest, Submission};
use clearproof_sequencer::{BatchRecord, Config, Sequencer};
use clearproof_verifier::check::verify_batch;
use clearproof_verifier::evm::ledger::{EvmLedger, PostGas};
use clearproof_verifier::hatch::ForcedRequest;
use clearproof_verifier::key::VerifierKey;
use clearproof_verifier::ledger::{BaseLayer, Ledger, SledLedgerStore};
use clearproof_verifier::rules::{PostedAggregate, PostedBatch};

/// Options of `clearproof devnet`.
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

fn key(name: &str) -> SecretKey {
    let mut seed = [0u8; 32];
    let bytes = format!("clearproof devnet {name}");
    seed[..bytes.len()].copy_from_slice(bytes.as_bytes());
    SecretKey::from_bytes(seed).expect("fixed seed")
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn micro(usd: f64) -> i128 {
    (usd * 1e6).round() as i128
}

/// The devnet's participants and workload.
struct Workload {
    users: Vec<(u32, SecretKey)>,
    t0: u64,
    expiry: u64,
}

impl Workload {
    fn new() -> Self {
        let users = ["alice", "bob", "carol", "dave"]
            .iter()
            .enumerate()
            .map(|(i, name)| (i as u32 + 1, key(name)))
            .collect();
        Self { users, t0: 1_700_000_000, expiry: unix_now() + 86_400 }
    }

    fn user(&self, id: u32) -> &SecretKey {
        &self.users[id as usize - 1].1
    }

    /// An order signed by its account's owner (fees up to 0.1 %).
    fn order(
        &self,
        account: u32,
        market: u8,
        side: Side,
        size: i128,
        limit: u32,
        id: u64,
    ) -> SignedOrder {
        let order = Order {
            account: AccountId::new(account.into()).expect("id"),
            market: MarketId::new(market.into()).expect("market"),
            side,
            size: Amount::new(size).expect("size"),
            limit_price: Price::from_units(limit),
            max_fee_bp: Bps::new(10).expect("bps"),
            expiry: Timestamp::new(self.expiry.into()).expect("expiry"),
            order_id: OrderId::new(id).expect("order id"),
        };
        order.sign(self.user(account))
    }
}

/// A trade at `price_usd` per lot between two signed orders; fees 0.1 % of quote.
fn trade(
    market: u8,
    lots: i128,
    price_usd: f64,
    buyer: SignedOrder,
    seller: SignedOrder,
) -> Submission {
    let quote = micro(price_usd) * lots;
    let fee = Quote::new(quote / 1_000).expect("fee");
    Submission::Trade {
        market: MarketId::new(market.into()).expect("market"),
        base: Amount::new(lots).expect("lots"),
        quote: Amount::new(quote).expect("quote"),
        buyer_fee: fee,
        seller_fee: fee,
        buyer_order: buyer,
        seller_order: seller,
    }
}

/// The workload's batches: deposits go to the ledger's queue first.
fn batches(w: &Workload) -> Vec<Vec<Step>> {
    let btc = 0u8;
    let eth = 1u8;
    let price = |m: u8, units: u32, ts: u64| Step::Oracle {
        market: m,
        value: OracleValue::Price(Price::from_units(units)),
        timestamp: ts,
    };
    let deposit =
        |account: u32, usd: f64| Step::Deposit { account, owner: account, amount: micro(usd) };
    let t = w.t0;
    vec![
        vec![
            deposit(1, 100.0),
            deposit(2, 10.0),
            deposit(3, 1_000.0),
            deposit(4, 100.0),
            price(0, 6_000_000, t + 60),
            price(1, 3_000_000, t + 60),
            price(2, 1_500_000, t + 60),
            price(3, 1_000_000, t + 60),
        ],
        vec![
            submit(trade(
                btc,
                10,
                6.0,
                w.order(1, btc, Side::Buy, 10, 6_100_000, 1),
                w.order(2, btc, Side::Sell, 10, 5_900_000, 1),
            )),
            submit(trade(
                eth,
                20,
                3.0,
                w.order(3, eth, Side::Buy, 20, 3_100_000, 1),
                w.order(4, eth, Side::Sell, 20, 2_900_000, 1),
            )),
        ],
        vec![
            // +5 000 micro-units of index per lot: the long pays 0.05 USD.
            Step::Oracle {
                market: btc,
                value: OracleValue::Funding(FundingIndex::new(5_000 << 32).expect("index")),
                timestamp: t + 3_600,
            },
            price(btc, 6_900_000, t + 3_660),
            submit(Submission::Liquidate {
                market: MarketId::new(btc.into()).expect("market"),
                liquidated: AccountId::new(2).expect("id"),
                base: Amount::new(10).expect("lots"),
                quote: Amount::new(micro(72.0)).expect("quote"),
                penalty: Quote::new(micro(0.69)).expect("penalty"),
                liquidator_order: w.order(3, btc, Side::Sell, 10, 7_000_000, 2),
            }),
        ],
        vec![
            submit(Submission::CoverDeficit { account: AccountId::new(2).expect("id") }),
            submit(Submission::withdraw(
                w.user(1),
                AccountId::new(1).expect("id"),
                Amount::new(micro(20.0)).expect("amount"),
                Nonce::new(0).expect("nonce"),
            )),
            submit(Submission::withdraw(
                w.user(4),
                AccountId::new(4).expect("id"),
                Amount::new(micro(10.0)).expect("amount"),
                Nonce::new(0).expect("nonce"),
            )),
        ],
    ]
}

fn submit(s: Submission) -> Step {
    Step::Submit(Box::new(s))
}

enum Step {
    Deposit {
        account: u32,
        owner: u32,
        amount: i128,
    },
    Submit(Box<Submission>),
    /// The committee observes `value` in `market` at `timestamp`.
    Oracle {
        market: u8,
        value: OracleValue,
        timestamp: u64,
    },
}

#[derive(Clone, Copy, PartialEq)]
enum OracleValue {
    Price(Price),
    Funding(FundingIndex),
}

/// The devnet committee's faulty member: it signs an outlier.
const FAULTY_MEMBER: usize = 3;
/// The member that is down: it never reports.
const DOWN_MEMBER: usize = 2;

impl OracleValue {
    /// What the faulty member signs instead: 50 % more (an index: 50 % more,
    /// plus one unit so that a zero index moves too).
    fn outlier(self) -> Self {
        match self {
            OracleValue::Price(p) => {
                OracleValue::Price(Price::new(p.get() as i128 * 3 / 2).expect("within range"))
            }
            OracleValue::Funding(i) => OracleValue::Funding(
                FundingIndex::new(i.get() as i128 * 3 / 2 + 1).expect("within range"),
            ),
        }
    }

    fn observe(self, key: &SecretKey, market: MarketId, at: Timestamp) -> ObservationRequest {
        match self {
            OracleValue::Price(p) => ObservationRequest::price(key, market, p, at),
            OracleValue::Funding(i) => ObservationRequest::funding(key, market, i, at),
        }
    }

    fn show(self) -> String {
        match self {
            OracleValue::Price(p) => format!("price {:.6}", p.get() as f64 / 2f64.powi(32) / 1e6),
            OracleValue::Funding(i) => format!("funding index {}", i.get() >> 32),
        }
    }
}

/// The committee's observations of `value`: the faulty member first (its
/// outlier), then the honest members 0 and 1, whose observation completes the
/// quorum of 3; member 2 is down. Returns the line the devnet prints.
fn observe(
    sequencer: &mut Sequencer,
    market: u8,
    value: OracleValue,
    timestamp: u64,
) -> Result<String> {
    let m = MarketId::new(market.into())?;
    let at = Timestamp::new(timestamp.into())?;
    let outlier = value.outlier();
    let mut update = None;
    for (member, observed) in [(FAULTY_MEMBER, outlier), (0, value), (1, value)] {
        let request = observed.observe(&genesis::devnet_oracle(member), m, at);
        let receipt = sequencer
            .observe(request, unix_now())
            .with_context(|| format!("member {member}'s observation refused"))?;
        update = receipt.update;
    }
    let update = update.context("three observations did not complete the quorum")?;
    let applied = match sequencer.market(m).state {
        s if matches!(value, OracleValue::Price(_)) => OracleValue::Price(s.price),
        s => OracleValue::Funding(s.funding_index),
    };
    ensure!(applied == value, "the median did not hold the honest value");
    Ok(format!(
        "oracle: market {market} {} from members 0, 1, {FAULTY_MEMBER} (tx {}); member \
         {FAULTY_MEMBER} signed {}, ignored by the median; member {DOWN_MEMBER} down",
        value.show(),
        update.id,
        outlier.show(),
    ))
}

/// Runs the devnet; `out` receives the human-readable log and table.
pub fn run(options: &Options, out: &mut dyn std::io::Write) -> Result<Report> {
    let insecure = "INSECURE development SRS (fixed seed): anyone can forge proofs; devnet only";
    writeln!(out, "clearproof devnet — data in {}", options.data_dir.display())?;
    writeln!(out, "keys: {} ({insecure})", options.key_cache.display())?;
    let circuit = options.circuit;
    let started = Instant::now();
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
        Sequencer::open_with_batches(store.clone(), &genesis, circuit.depth, config)
            .context("opening the sequencer")?;
    // The job board takes the proofs as it takes remote provers' (public inputs
    // checked against the batch); the relay posts them from the store.
    let jobs = JobBoard::new(circuit.slots, Duration::from_secs(3_600), None);
    let genesis_root = State::genesis_with_depth(&genesis, circuit.depth)?.root();
    let aggregation = match options.aggregate {
        true => Some(Aggregation::setup(&keys, out)?),
        false => None,
    };
    let evm_ledger = match &aggregation {
        Some(_) => {
            ensure!(
                options.scenario == Scenario::Normal,
                "--aggregate runs the normal scenario only: the settlement contract has no \
                 escape hatch yet"
            );
            let ledger = EvmLedger::deploy_production(&genesis, &verifier)
                .context("deploying the settlement contract")?;
            writeln!(
                out,
                "base layer: Settlement.sol and the generated aggregation verifier in revm \
                 (an in-memory EVM)"
            )?;
            Some(ledger)
        }
        None => None,
    };
    let sled_ledger = match &evm_ledger {
        Some(_) => None,
        None => {
            let ledger_store = SledLedgerStore::open(&options.data_dir.join("ledger"))?;
            let ledger = Ledger::create_with(ledger_store, &genesis, &verifier, |state| {
                if options.scenario == Scenario::Escape {
                    state.forced_grace = DEVNET_FORCED_GRACE;
                    state.escape_window = DEVNET_ESCAPE_WINDOW;
                }
            })
            .context("opening the ledger")?;
            Some(ledger)
        }
    };
    let ledger: &dyn BaseLayer = match (&evm_ledger, &sled_ledger) {
        (Some(l), _) => l,
        (None, Some(l)) => l,
        (None, None) => unreachable!("one base layer is open"),
    };
    let fresh = ledger.state()?.deposits_queued == 0
        && sequencer.committed().state_root == genesis_root
        && sequencer.committed().pending == 0;
    if !fresh {
        bail!(
            "{} already holds a devnet run; pass an empty --data-dir",
            options.data_dir.display()
        );
    }

    let pipeline = Pipeline {
        options,
        keys: &keys,
        verifier: &verifier,
        ledger,
        evm: evm_ledger.as_ref(),
        aggregation: aggregation.as_ref(),
        source: StoreSource { store: store.as_ref(), jobs: &jobs },
        batches: &committed,
    };

    let workload = Workload::new();
    let mut reports = Vec::new();
    let mut withdrawals = Vec::new();
    for (i, steps) in batches(&workload).into_iter().enumerate() {
        for step in steps {
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
                    writeln!(out, "{}", observe(&mut sequencer, market, value, timestamp)?)?;
                }
                Step::Submit(submission) => {
                    let kind = submission.kind();
                    sequencer
                        .submit(*submission, unix_now())
                        .with_context(|| format!("batch {}: {kind} refused", i + 1))?;
                }
            }
        }
        if options.scenario == Scenario::Escape && i + 1 == 4 {
            // Carol asks the base layer directly; the sequencer serves the queue itself.
            let carol = AccountId::new(3)?;
            let amount = Amount::new(micro(5.0))?;
            let index = force_withdraw(ledger, workload.user(3), carol, amount)?;
            let from = sequencer.next_forced();
            let entries = read_forced(ledger, from, usize::MAX)?;
            ensure!(sequencer.take_forced(from, &entries, unix_now())? == 1, "forced not taken");
            writeln!(
                out,
                "forced withdrawal: account 3 asked the base layer for 5.000000 USD (queue \
                 entry {index}); the sequencer serves it in batch {}",
                i + 1
            )?;
        }
        let summary = sequencer.commit()?.context("the batch is not empty")?;
        let record = committed.record(summary.number)?.context("committed batch is stored")?;
        let report = pipeline.prove_and_post(&record, out)?;
        let accepted = ledger.batch(report.number)?.context("accepted batch is recorded")?;
        withdrawals.extend(accepted.withdrawals.iter().map(|w| (w.account.get(), w.amount.get())));
        reports.push(report);
    }
    print_table(out, &reports)?;
    writeln!(out, "\nwithdrawals released by the ledger:")?;
    for (account, amount) in &withdrawals {
        writeln!(out, "  account {account}: {:.6} USD", *amount as f64 / 1e6)?;
    }
    let final_root = to_hex(&ledger.state()?.root);
    writeln!(
        out,
        "\nall {} batches accepted; final root {final_root}; {:.0} s {} ({insecure})",
        reports.len(),
        started.elapsed().as_secs_f64(),
        if options.scenario == Scenario::Normal { "in total" } else { "so far" }
    )?;
    let payouts = match options.scenario {
        Scenario::Normal => Vec::new(),
        Scenario::Escape => {
            drop(sequencer);
            // What the operator's store holds, to compare the rebuilt state with.
            let operator = store.load()?.state;
            escape_scenario(ledger, &workload, &operator, &options.data_dir, out)?
        }
    };
    Ok(Report { batches: reports, withdrawals, final_root, payouts })
}

/// Queues an owner-signed forced withdrawal on `ledger` now.
fn force_withdraw(
    ledger: &dyn BaseLayer,
    owner: &SecretKey,
    account: AccountId,
    amount: Amount,
) -> Result<u64> {
    let request = ledger.forced_account(account)?.requests;
    let chain = ledger.state()?.genesis_root;
    let forced = ForcedRequest::sign(owner, chain, account, amount, request);
    Ok(ledger.force_withdraw(&forced, unix_now())?)
}

/// The operator has stopped: Dave's forced withdrawal goes unserved, anyone
/// freezes after the grace, the state is rebuilt from the base layer alone,
/// every funded account escapes, and the settled payouts must equal
/// `Σ max(0, ⌊TV / 2^32⌋)` of the rebuilt state.
fn escape_scenario(
    ledger: &dyn BaseLayer,
    workload: &Workload,
    operator: &State,
    data_dir: &Path,
    out: &mut dyn std::io::Write,
) -> Result<Vec<(u32, u64)>> {
    writeln!(out, "\nthe operator stops serving (escape scenario)")?;
    let dave = AccountId::new(4)?;
    let index = force_withdraw(ledger, workload.user(4), dave, Amount::new(micro(50.0))?)?;
    writeln!(
        out,
        "forced withdrawal: account 4 asks for 50.000000 USD (queue entry {index}); nobody serves it"
    )?;
    match ledger.freeze(unix_now()) {
        Err(e) => writeln!(out, "freeze at once: refused ({e})")?,
        Ok(_) => bail!("a freeze before the grace was accepted"),
    }
    let grace = ledger.state()?.forced_grace;
    std::thread::sleep(Duration::from_secs(grace + 1));
    let refunds = ledger.freeze(unix_now()).context("freezing after the grace")?;
    let state = ledger.state()?;
    writeln!(
        out,
        "freeze after {grace} s: frozen at batch {} (root {}), {} refunded",
        state.batches,
        short(&to_hex(&state.root)),
        refunds.len()
    )?;
    // Anyone rebuilds the state from what the base layer holds.
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&data_dir.join("restored"))?);
    let restored = restore(ledger, store, |_| {}).context("rebuilding the state")?;
    ensure!(restored.root == state.root, "the rebuilt state is not the last accepted one");
    let accounts = |s: &State| s.accounts().map(|(i, a)| (*i, *a)).collect::<Vec<_>>();
    ensure!(
        accounts(&restored.state) == accounts(operator)
            && restored.state.globals() == operator.globals()
            && restored.state.markets() == operator.markets(),
        "the rebuilt state differs from the operator's"
    );
    writeln!(
        out,
        "state rebuilt from the base layer's posted data: {} batches, root {} (matches the \
         last accepted root and the operator's store, account by account)",
        restored.batch,
        short(&to_hex(&restored.root))
    )?;
    let mut expected = 0u128;
    for (id, _) in restored.state.accounts() {
        let proof = AccountProof::of(&restored.state, *id).context("an existing account")?;
        // Σ max(0, ⌊TV / 2^32⌋) of the rebuilt state, computed here on its own.
        let settled = funding::settle(&proof.value, restored.state.markets())?;
        let tv = margin::total_value(&settled, restored.state.markets());
        if tv > 0 {
            expected += (tv >> 32u32).as_u128();
        }
        let claim = ledger.escape(&proof, unix_now())?;
        writeln!(
            out,
            "escape: account {id} claims {:.6} USD for its owner on record",
            claim.claim as f64 / 1e6
        )?;
        if let Ok(again) = ledger.escape(&proof, unix_now()) {
            bail!("a second escape of account {id} was accepted: {again:?}");
        }
    }
    let frozen_at = state.frozen_at.context("frozen")?;
    let window_end = frozen_at + state.escape_window;
    let wait = window_end.saturating_sub(unix_now()) + 1;
    std::thread::sleep(Duration::from_secs(wait));
    let payouts = ledger.settle_escapes(unix_now()).context("settling the escapes")?;
    writeln!(
        out,
        "\nescape payouts (claim window closed; a second escape of any account was refused):"
    )?;
    let mut paid = 0u128;
    for p in &payouts {
        writeln!(out, "  account {}: {:.6} USD", p.account, p.paid as f64 / 1e6)?;
        ensure!(p.paid == p.claim, "account {} was paid pro rata", p.account);
        paid += u128::from(p.paid);
    }
    ensure!(
        paid == expected,
        "payouts total {paid} micro-units, Σ max(0, TV) of the rebuilt state is {expected}"
    );
    writeln!(
        out,
        "payouts total {:.6} USD = Σ max(0, TV) over {} accounts; the base layer keeps {:.6} USD \
         (insurance fund, fees, rounding)",
        paid as f64 / 1e6,
        payouts.len(),
        ledger.state()?.held as f64 / 1e6
    )?;
    Ok(payouts.iter().map(|p| (p.account.get(), p.paid)).collect())
}

/// Proving and relaying one committed batch, as provers and the relay do.
struct Pipeline<'a> {
    options: &'a Options,
    keys: &'a ProverKeys,
    verifier: &'a VerifierKey,
    ledger: &'a dyn BaseLayer,
    /// The EVM base layer, when it is `ledger` (for the posts' gas).
    evm: Option<&'a EvmLedger>,
    aggregation: Option<&'a Aggregation>,
    source: StoreSource<'a>,
    batches: &'a Batches,
}

/// The aggregation key and its SRS (`--aggregate`).
struct Aggregation {
    key: AggregationKey,
    srs: Srs,
}

impl Aggregation {
    /// The production aggregation key over `keys`' chunk key, checked against
    /// the pinned one the committed EVM verifier was generated for.
    fn setup(keys: &ProverKeys, out: &mut dyn std::io::Write) -> Result<Self> {
        let params = PINNED_AGGREGATION.params;
        ensure!(
            keys.manifest.circuit == params.chunk,
            "--aggregate needs the production circuit {} (the EVM verifier is generated for it)",
            params.chunk.id()
        );
        let started = Instant::now();
        let srs = Srs::insecure_dev(params.k);
        let key = AggregationKey::generate(&srs, &keys.srs, keys.keys.vk(), params)
            .context("generating the aggregation key")?;
        ensure!(
            key.vk().digest() == PINNED_AGGREGATION.vk_digest_insecure_dev,
            "the aggregation key is not the one the committed EVM verifier was generated for: \
             regenerate the EVM fixtures (verifier/evm/build.sh --fixtures)"
        );
        writeln!(
            out,
            "aggregation {}: key generated in {:.0} s ({} advice columns, vk {})",
            params.id(),
            started.elapsed().as_secs_f64(),
            key.layout().config.num_advice,
            &key.vk().digest()[..16]
        )?;
        Ok(Self { key, srs })
    }

    /// `batch`'s chunk proofs (padded with proofs of empty chunks) aggregated.
    fn prove(
        &self,
        keys: &ProverKeys,
        batch: &BatchOutput,
        posted: &PostedBatch,
    ) -> Result<PostedAggregate> {
        let params = self.key.layout().params;
        let witnesses = chunk_witnesses_padded(batch, params.chunk.slots, params.chunks)
            .with_context(|| {
                format!("batch {} needs more than {} chunks", batch.batch_number, params.chunks)
            })?;
        let mut chunks: Vec<(Proof, Instance)> =
            posted.proofs.iter().map(|c| (c.proof.clone(), c.public_inputs)).collect();
        for w in &witnesses[chunks.len()..] {
            chunks.push((keys.keys.prove(&keys.srs, w)?, w.instance));
        }
        let (proof, instance) =
            self.key.prove(&self.srs, &keys.srs, &chunks, &RootOpening::after(batch))?;
        Ok(PostedAggregate { instance, proof })
    }
}

impl Pipeline<'_> {
    fn prove_and_post(
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
        let (accepted, aggregate) = match self.aggregation {
            None => match post_next(&self.source, self.ledger, self.verifier)? {
                RelayStep::Accepted(accepted) => (*accepted, None),
                RelayStep::Waiting { next } => bail!("batch {next} is not proven"),
            },
            Some(aggregation) => {
                writeln!(out, "batch {}: aggregating its chunk proofs…", batch.batch_number)?;
                let started = Instant::now();
                let mut posted = posted;
                let aggregate = aggregation.prove(self.keys, batch, &posted)?;
                let prove_seconds = started.elapsed().as_secs_f64();
                // For auditors: `clearproof evm verify DATA_DIR/aggregates/batch-N.json`.
                let dir = self.options.data_dir.join("aggregates");
                std::fs::create_dir_all(&dir)?;
                let file = dir.join(format!("batch-{}.json", batch.batch_number));
                std::fs::write(&file, serde_json::to_string_pretty(&aggregate)?)?;
                posted.aggregate = Some(aggregate);
                let accepted = self
                    .ledger
                    .post(self.verifier, &posted)
                    .with_context(|| format!("batch {}: refused", posted.number))?;
                let gas = self.ledger_gas(accepted.number)?;
                let report = AggregateReport {
                    prove_seconds,
                    proof_bytes: accepted.proof_bytes,
                    gas: gas.total,
                    verification_gas: gas.verification,
                };
                (accepted, Some(report))
            }
        };
        Ok(BatchReport {
            number: accepted.number,
            transactions: accepted.transactions,
            roots: (to_hex(&accepted.prev_state_root), to_hex(&accepted.next_state_root)),
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

fn short(root: &str) -> &str {
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
