//! The escape hatch from the command line (PROTOCOL §6.4, §7): what a user runs
//! when the operator ignores them or disappears. `restore` rebuilds the state
//! from the base layer alone; `account-proof` and `verify-account` are an
//! account's receipt and its offline check; `escape` claims an account's value
//! from a frozen base layer. The queue and freeze commands are under `ledger`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use clearproof_protocol::account_proof::AccountProof;
use clearproof_protocol::serde_fr::to_hex;
use clearproof_protocol::state::State;
use clearproof_protocol::types::AccountId;
use clearproof_sequencer::restore::{restore, Restored};
use clearproof_sequencer::store::{MemoryStore, SledStore, Store};
use clearproof_verifier::base_layer::sled_store::{BaseLayer, EscapeHatch, Ledger, SledLedger};

use super::tx::account;
use super::{count, print_json};

/// Unix seconds now: the base layer's clock for requests, freezes and escapes.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An existing ledger directory.
pub(crate) fn open_ledger(dir: &Path) -> Result<SledLedger> {
    Ledger::open(dir).with_context(|| format!("opening the ledger at {}", dir.display()))
}

#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// The base-layer ledger directory to rebuild from.
    #[arg(long)]
    ledger: PathBuf,
    /// Sequencer data directory to write (new, or a rebuild in progress):
    /// `clearproof sequencer serve --data-dir` resumes the chain from it.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub(crate) struct AccountProofArgs {
    /// The base-layer ledger directory.
    #[arg(long)]
    ledger: PathBuf,
    /// The account.
    #[arg(long, value_parser = account)]
    account: AccountId,
}

#[derive(Args)]
pub(crate) struct VerifyAccountArgs {
    /// An account proof (`clearproof account-proof` output).
    file: PathBuf,
    /// Also check it is against this ledger's last accepted root.
    #[arg(long)]
    ledger: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct EscapeArgs {
    /// The frozen base-layer ledger directory.
    #[arg(long)]
    ledger: PathBuf,
    /// The account to escape with.
    #[arg(long, value_parser = account)]
    account: AccountId,
}

/// Rebuilds `base`'s state in memory (every accepted root checked).
pub(crate) fn rebuilt_state(base: &dyn BaseLayer) -> Result<State> {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let restored =
        restore(base, store, |_| {}).context("rebuilding the state from the base layer")?;
    Ok(restored.state)
}

pub(crate) fn restore_cmd(args: &RestoreArgs) -> Result<()> {
    let ledger = open_ledger(&args.ledger)?;
    let store: Arc<dyn Store> = Arc::new(
        SledStore::open(&args.out).with_context(|| format!("opening {}", args.out.display()))?,
    );
    let Restored { replayed, batch, root, .. } = restore(&ledger, store.clone(), |b| {
        println!(
            "batch {}: {}, root {} (matches the base layer)",
            b.header.number,
            count(b.transactions, "transaction"),
            to_hex(&b.header.next_state_root)
        );
    })?;
    println!(
        "restored {replayed} batch{} to batch {batch}, root {} in {}",
        if replayed == 1 { "" } else { "es" },
        to_hex(&root),
        args.out.display()
    );
    Ok(())
}

/// `account`'s proof against `base`'s last accepted root, from the rebuilt state.
fn last_accepted_proof(base: &dyn BaseLayer, account: AccountId) -> Result<AccountProof> {
    let state = rebuilt_state(base)?;
    match AccountProof::of(&state, account) {
        Some(proof) => Ok(proof),
        None => bail!("account {account} is empty in the last accepted state"),
    }
}

pub(crate) fn account_proof(args: &AccountProofArgs) -> Result<()> {
    print_json(&last_accepted_proof(&open_ledger(&args.ledger)?, args.account)?)
}

pub(crate) fn verify_account(args: &VerifyAccountArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let proof: AccountProof = serde_json::from_str(&text).context("not an account proof")?;
    if let Some(dir) = &args.ledger {
        let state = open_ledger(dir)?.state()?;
        proof.check(state.circuit.depth)?;
        if proof.state_root != state.root {
            bail!(
                "the proof is against root {}, the ledger's last accepted root is {}",
                to_hex(&proof.state_root),
                to_hex(&state.root)
            );
        }
    } else {
        proof.check(proof.path.siblings.len())?;
    }
    let settled = proof.settled()?;
    println!(
        "account {}: valid under root {}; owner {}, collateral {} after funding, positions {:?}, \
         escape value {}",
        proof.account,
        to_hex(&proof.state_root),
        settled.owner.to_hex(),
        settled.collateral.get(),
        settled.balances.map(|b| b.get()),
        proof.escape_value()?
    );
    Ok(())
}

pub(crate) fn escape(args: &EscapeArgs) -> Result<()> {
    let ledger = open_ledger(&args.ledger)?;
    let proof = last_accepted_proof(&ledger, args.account)?;
    let claim = ledger.escape(&proof, unix_now())?;
    print_json(&claim)
}
