//! `clearproof ledger …`: the base layer from the command line — its deposit
//! queue, relaying proven batches from a sequencer, its state.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use clearproof_api::client::BlockingClient;
use clearproof_protocol::serde_fr::to_hex;
use clearproof_protocol::signature::{PublicKey, SecretKey};
use clearproof_protocol::tx::Deposit;
use clearproof_protocol::types::{AccountId, Amount};
use clearproof_sequencer::genesis;
use clearproof_sequencer::relay::{post_all, HttpSource, RelayError};
use clearproof_verifier::base_layer::hatch::ForcedRequest;
use clearproof_verifier::base_layer::sled_store::{BaseLayer, EscapeHatch, Ledger, SledLedger};
use clearproof_verifier::key::VerifierKey;
use serde::Serialize;

use super::hatch::{open_ledger, unix_now};
use super::tx::{account, amount, public, secret};
use super::{count, invalid, load_verifier_key, print_json};

/// What `ledger deposit` prints.
#[derive(Serialize)]
struct QueuedDeposit {
    /// Position in the base layer's deposit queue.
    #[serde(with = "index_string")]
    queue_index: u64,
    #[serde(flatten)]
    deposit: Deposit,
}

mod index_string {
    pub(super) fn serialize<S: serde::Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(n)
    }
}

#[derive(Args)]
pub(crate) struct LedgerArgs {
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
pub(crate) enum LedgerCommand {
    /// Queue a deposit on the base layer; prints its queue entry. A sequencer
    /// started with `--ledger` on this directory takes it by itself.
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
    /// Print the ledger's state (root, batches, queues, freeze).
    Show {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Queue a forced withdrawal on the base layer, signed by the account's
    /// owner: the operator must serve it (applied, or refused with a proven
    /// reason) within the grace, or anyone may freeze the base layer.
    #[command(alias = "forced-withdraw")]
    ForceWithdraw {
        /// An existing ledger directory.
        #[arg(long)]
        ledger: PathBuf,
        /// The account owner's secret key (hex).
        #[arg(long, value_parser = secret)]
        key: SecretKey,
        #[arg(long, value_parser = account)]
        account: AccountId,
        /// Quote micro-units.
        #[arg(long, value_parser = amount)]
        amount: Amount,
    },
    /// Freeze the base layer: allowed to anyone once a forced withdrawal has
    /// waited longer than the grace. No batch is accepted again; queued
    /// deposits are refunded; accounts may then escape.
    Freeze {
        /// An existing ledger directory.
        #[arg(long)]
        ledger: PathBuf,
    },
    /// Settle the escapes once the claim window has closed (anyone, once):
    /// prints each payout.
    SettleEscapes {
        /// An existing ledger directory.
        #[arg(long)]
        ledger: PathBuf,
    },
}

impl LedgerArgs {
    fn open(&self) -> Result<(SledLedger, VerifierKey)> {
        let key = load_verifier_key(self.keys.as_ref())?;
        let genesis = genesis::load(self.genesis.as_deref())?;
        let ledger = Ledger::open_or_create(&self.ledger, &genesis, &key)
            .with_context(|| format!("opening the ledger at {}", self.ledger.display()))?;
        Ok((ledger, key))
    }
}

pub(crate) fn run(command: LedgerCommand) -> Result<()> {
    match command {
        LedgerCommand::Deposit { ledger, account, owner, amount } => {
            let (ledger, _) = ledger.open()?;
            let queue_index = ledger.deposit(Deposit { account, owner, amount })?;
            print_json(&QueuedDeposit { queue_index, deposit: Deposit { account, owner, amount } })
        }
        LedgerCommand::Show { ledger } => print_json(&ledger.open()?.0.state()?),
        LedgerCommand::ForceWithdraw { ledger, key, account, amount } => {
            let ledger = open_ledger(&ledger)?;
            let request = ledger.forced_account(account)?.requests;
            let chain = ledger.state()?.genesis_root;
            let forced = ForcedRequest::sign(&key, chain, account, amount, request);
            let index = ledger.force_withdraw(&forced, unix_now())?;
            let entry = ledger.forced(index)?.expect("just queued");
            let state = ledger.state()?;
            println!(
                "forced withdrawal queued at index {index}: account {account}, amount {}; the \
                 operator must serve it by {} (unix seconds) or anyone may freeze",
                amount.get(),
                entry.requested_at + state.forced_grace
            );
            Ok(())
        }
        LedgerCommand::Freeze { ledger } => {
            let ledger = open_ledger(&ledger)?;
            let refunds = ledger.freeze(unix_now())?;
            let state = ledger.state()?;
            println!(
                "frozen at batch {} (root {}); {} refunded; escapes open until {} (unix seconds)",
                state.batches,
                to_hex(&state.root),
                count(refunds.len(), "queued deposit"),
                state.frozen_at.unwrap_or(0) + state.escape_window
            );
            Ok(())
        }
        LedgerCommand::SettleEscapes { ledger } => {
            let ledger = open_ledger(&ledger)?;
            for p in ledger.settle_escapes(unix_now())? {
                print_json(&p)?;
            }
            Ok(())
        }
        LedgerCommand::Post { ledger, sequencer } => {
            let (ledger, key) = ledger.open()?;
            let client = BlockingClient::new(&sequencer)?;
            let relayed = post_all(&HttpSource(&client), &ledger, &key, |a| {
                println!(
                    "batch {}: accepted, {}, {}, root {}, {} released, {} refunded",
                    a.header.number,
                    count(a.transactions, "transaction"),
                    count(a.chunks, "chunk"),
                    to_hex(&a.header.next_state_root),
                    count(a.withdrawals.len(), "withdrawal"),
                    count(a.refunds.len(), "deposit")
                );
            });
            match relayed {
                Ok(next) => {
                    println!("batch {next}: not proven yet; the ledger is at batch {}", next - 1);
                    Ok(())
                }
                Err(RelayError::Refused { rejection, .. }) => invalid(&rejection),
                Err(e) => Err(e.into()),
            }
        }
    }
}
