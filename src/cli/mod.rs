//! The `clearproof` command line: one module per command group. Each parses its
//! arguments and calls the library crates, where the workflows live.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use clearproof::devnet::default_key_cache;
use clearproof_circuits::circuit::CircuitParams;
use clearproof_prover::keys::{setup_with, Regenerate};
use clearproof_prover::{ProverKeys, SrsSource};
use clearproof_verifier::key::{VerifierKey, INSECURE_DEV_SRS};

pub(crate) mod devnet;
pub(crate) mod evm;
pub(crate) mod hatch;
pub(crate) mod keys;
pub(crate) mod ledger;
pub(crate) mod oracle;
pub(crate) mod prover;
pub(crate) mod sequencer;
pub(crate) mod submit;
pub(crate) mod tx;
pub(crate) mod verify;

/// clearproof: a zero-knowledge rollup for derivative settlement.
#[derive(Parser)]
#[command(name = "clearproof", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Key management.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Run the sequencer.
    Sequencer {
        #[command(subcommand)]
        command: sequencer::SequencerCommand,
    },
    /// Build and sign a transaction or order; prints one JSON line.
    Tx {
        #[command(subcommand)]
        command: tx::TxCommand,
    },
    /// What an oracle committee member runs: signed observations.
    Oracle {
        #[command(subcommand)]
        command: oracle::OracleCommand,
    },
    /// Submit JSON lines (transactions, oracle observations) to a sequencer;
    /// prints each receipt.
    Submit(submit::SubmitArgs),
    /// Run a prover worker.
    Prover {
        #[command(subcommand)]
        command: prover::ProverCommand,
    },
    /// Create or load the KZG SRS and the chunk circuit's keys (cached on disk).
    Setup(SetupArgs),
    /// Prove a committed batch offline, one artifact per chunk.
    Prove(prover::ProveArgs),
    /// Check a batch's chunk proofs: against the ledger, or explicit inputs.
    Verify(verify::VerifyArgs),
    /// The base-layer ledger: deposit queue, posting proven batches, state.
    Ledger {
        #[command(subcommand)]
        command: ledger::LedgerCommand,
    },
    /// Run the whole pipeline on embedded defaults: sequencer, provers, ledger, verifier.
    Devnet(devnet::DevnetArgs),
    /// The EVM base layer: check aggregated batch proofs with the generated
    /// Solidity verifier.
    Evm {
        #[command(subcommand)]
        command: evm::EvmCommand,
    },
    /// Rebuild the full state from the base layer's genesis and posted data
    /// alone (every accepted root checked) into a store the sequencer resumes from.
    Restore(hatch::RestoreArgs),
    /// Print an account's receipt: its leaf and Merkle path, with the markets
    /// and globals, against the last accepted root (rebuilt from the base layer).
    AccountProof(hatch::AccountProofArgs),
    /// Check an account receipt offline; prints what the rollup holds for it.
    VerifyAccount(hatch::VerifyAccountArgs),
    /// Escape a frozen base layer with an account: builds its proof from the
    /// rebuilt state and claims `max(0, TV)` for its owner on record.
    Escape(hatch::EscapeArgs),
}

/// Runs a parsed command.
pub(crate) fn run(command: Command) -> Result<()> {
    match command {
        Command::Keys { command } => keys::run(command),
        Command::Sequencer { command } => sequencer::run(command),
        Command::Tx { command } => tx::run(command),
        Command::Oracle { command } => oracle::run(command),
        Command::Submit(args) => submit::run(&args),
        Command::Prover { command } => prover::run(command),
        Command::Setup(args) => print_json(&args.load()?.manifest),
        Command::Prove(args) => prover::prove(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Ledger { command } => ledger::run(command),
        Command::Devnet(args) => devnet::run(args),
        Command::Evm { command } => evm::run(command),
        Command::Restore(args) => hatch::restore_cmd(&args),
        Command::AccountProof(args) => hatch::account_proof(&args),
        Command::VerifyAccount(args) => hatch::verify_account(&args),
        Command::Escape(args) => hatch::escape(&args),
    }
}

/// Where the keys come from: the cache, the SRS, the circuit.
#[derive(Args)]
pub(crate) struct SetupArgs {
    /// SRS and key cache directory (default: ~/.cache/clearproof).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// A ceremony SRS file (halo2 raw format); default: an INSECURE development SRS.
    #[arg(long)]
    pub srs: Option<PathBuf>,
    /// Account tree depth of the circuit.
    #[arg(long, default_value_t = CircuitParams::PRODUCTION.depth, hide = true)]
    pub depth: usize,
    /// Slots per chunk.
    #[arg(long, default_value_t = CircuitParams::PRODUCTION.slots, hide = true)]
    pub slots: usize,
    /// log2 of the circuit's rows.
    #[arg(long, default_value_t = CircuitParams::PRODUCTION.k, hide = true)]
    pub k: u32,
    /// Replace cached keys that are not today's circuit's (made by other circuit
    /// code, or damaged) instead of refusing them.
    #[arg(long)]
    pub regenerate: bool,
}

impl SetupArgs {
    pub(crate) fn params(&self) -> CircuitParams {
        CircuitParams { depth: self.depth, slots: self.slots, k: self.k }
    }

    pub(crate) fn cache(&self) -> PathBuf {
        self.cache.clone().unwrap_or_else(default_key_cache)
    }

    pub(crate) fn regenerate(&self) -> Regenerate {
        if self.regenerate {
            Regenerate::Stale
        } else {
            Regenerate::Never
        }
    }

    fn source(&self) -> SrsSource {
        self.srs.clone().map_or(SrsSource::InsecureDev, SrsSource::File)
    }

    /// Loads (or makes) the keys, saying so on stderr.
    pub(crate) fn load(&self) -> Result<ProverKeys> {
        let keys = setup_with(&self.cache(), self.params(), &self.source(), self.regenerate())?;
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

/// The verifying key in `dir`, or the production keys with the development SRS
/// in the default cache.
pub(crate) fn load_verifier_key(dir: Option<&PathBuf>) -> Result<VerifierKey> {
    use anyhow::Context;
    let dir = dir.cloned().unwrap_or_else(|| {
        default_key_cache().join(format!("{}-{INSECURE_DEV_SRS}", CircuitParams::PRODUCTION.id()))
    });
    VerifierKey::load(&dir)
        .with_context(|| format!("loading the verifying key from {}", dir.display()))
}

/// Prints `value` as one JSON line.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// `n` and `noun`, plural unless `n` is 1: "1 chunk", "2 chunks".
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Prints why a batch is invalid and exits with status 1.
pub(crate) fn invalid(e: &clearproof_verifier::Rejection) -> ! {
    eprintln!("invalid: {}: {e}", e.code());
    std::process::exit(1)
}
