//! `clearproof oracle …`: what an oracle committee member runs.

use anyhow::{bail, Result};
use clap::Subcommand;
use clearproof_api::wire::ObservationRequest;
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::types::{FundingIndex, MarketId, Price, Timestamp};

use super::print_json;
use super::tx::{funding_index, market, price, secret, timestamp};

#[derive(Subcommand)]
pub(crate) enum OracleCommand {
    /// Sign one observation of a market's price or funding index; prints one
    /// JSON line for `POST /v1/observations` (`clearproof submit` sends it
    /// there). The sequencer builds the update once a quorum of the market's
    /// committee has observed.
    Observe {
        /// The member's secret key (hex).
        #[arg(long, value_parser = secret)]
        key: SecretKey,
        #[arg(long, value_parser = market)]
        market: MarketId,
        /// The price observed, decimal micro-units of quote per lot.
        #[arg(long, value_parser = price, conflicts_with = "funding_index")]
        price: Option<Price>,
        /// The funding index observed (raw fixed point, 32 fractional bits).
        #[arg(long, value_parser = funding_index, allow_hyphen_values = true)]
        funding_index: Option<FundingIndex>,
        /// When it was observed (unix seconds); default: now.
        #[arg(long, value_parser = timestamp)]
        timestamp: Option<Timestamp>,
    },
}

fn now() -> Result<Timestamp> {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    Ok(Timestamp::new(secs.into())?)
}

pub(crate) fn run(command: OracleCommand) -> Result<()> {
    match command {
        OracleCommand::Observe { key, market, price, funding_index, timestamp } => {
            let timestamp = match timestamp {
                Some(t) => t,
                None => now()?,
            };
            let observation = match (price, funding_index) {
                (Some(price), None) => ObservationRequest::price(&key, market, price, timestamp),
                (None, Some(index)) => ObservationRequest::funding(&key, market, index, timestamp),
                _ => bail!("give exactly one of --price and --funding-index"),
            };
            print_json(&observation)
        }
    }
}
