//! `clearproof tx …`: builds and signs one transaction or order, printed as a
//! JSON line for `clearproof submit`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use clearproof_api::wire::Submission;
use clearproof_protocol::orders::{Order, OrderId, Side, SignedOrder};
use clearproof_protocol::signature::{PublicKey, SecretKey};
use clearproof_protocol::types::*;

use super::print_json;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SideArg {
    Buy,
    Sell,
}

pub(super) fn int(s: &str) -> Result<i128, String> {
    s.trim().parse().map_err(|_| format!("not an integer: {s:?}"))
}

macro_rules! typed {
    ($name:ident, $t:ty) => {
        pub(super) fn $name(s: &str) -> Result<$t, String> {
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

pub(super) fn price(s: &str) -> Result<Price, String> {
    Price::from_decimal(s).map_err(|e| e.to_string())
}

pub(super) fn secret(s: &str) -> Result<SecretKey, String> {
    SecretKey::from_hex(s.trim()).map_err(|e| format!("{} ({})", e, e.code()))
}

pub(super) fn public(s: &str) -> Result<PublicKey, String> {
    PublicKey::from_hex(s.trim()).map_err(|e| format!("{} ({})", e, e.code()))
}

#[derive(Subcommand)]
pub(crate) enum TxCommand {
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
        /// Last second at which the order fills, against the market's oracle
        /// timestamp (the rollup's clock, PROTOCOL §6.2).
        #[arg(long, value_parser = timestamp)]
        expiry: Timestamp,
        /// Below 2^63; lives in slot `order_id mod 256` of the account, and a
        /// larger id in the same slot replaces it for good: let ids grow.
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
}

fn read_order(path: &PathBuf) -> Result<SignedOrder> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    serde_json::from_str(&text).with_context(|| format!("{path:?} is not a signed order"))
}

/// Prints the transaction or order `command` describes.
pub(crate) fn run(command: TxCommand) -> Result<()> {
    match command {
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
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clearproof_api::wire::{BASE_LAYER_TYPES, ORACLE_UPDATE_TYPES, SUBMISSION_TYPES};

    #[test]
    fn every_submission_type_has_a_tx_command_and_every_base_layer_type_a_ledger_command() {
        let cli = crate::cli::Cli::command();
        let tx = cli.find_subcommand("tx").expect("clearproof tx");
        // Oracle updates are built by the sequencer from the committee's
        // observations, which `clearproof oracle observe` signs.
        let oracle = cli.find_subcommand("oracle").expect("clearproof oracle");
        assert!(oracle.find_subcommand("observe").is_some(), "`clearproof oracle observe`");
        for name in SUBMISSION_TYPES.iter().filter(|t| !ORACLE_UPDATE_TYPES.contains(t)) {
            let command = name.replace('_', "-");
            assert!(
                tx.find_subcommand(&command).is_some(),
                "`clearproof tx` has no `{command}` (src/cli/tx.rs)"
            );
        }
        // What only the base layer originates is queued there, never submitted.
        let ledger = cli.find_subcommand("ledger").expect("clearproof ledger");
        for name in BASE_LAYER_TYPES {
            let command = name.replace('_', "-");
            assert!(
                ledger.find_subcommand(&command).is_some(),
                "`clearproof ledger` has no `{command}` (src/cli/ledger.rs)"
            );
        }
    }
}
