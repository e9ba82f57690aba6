//! The built-in development genesis: four markets with realistic parameters and
//! an oracle committee of four publicly known keys (quorum 3, observations at
//! most 60 s apart). **Insecure by design**: anyone can sign prices for it.
//! Production deployments pass their own genesis file.

use clearproof_protocol::oracle::Committee;
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState};
use clearproof_protocol::types::{FundingRate, Price, Quorum, Quote, Seconds, Timestamp};

/// The devnet oracle committee's size.
pub const DEVNET_ORACLE_MEMBERS: usize = 4;

/// The devnet committee's quorum.
pub const DEVNET_ORACLE_QUORUM: u8 = 3;

/// The devnet committee's `max_oracle_age` (seconds).
pub const DEVNET_MAX_ORACLE_AGE: u64 = 60;

/// The secret key of devnet oracle committee member `i` (`< 4`), from the
/// public seed `"clearproof devnet oracle key 00{i + 1}"`.
pub fn devnet_oracle(i: usize) -> SecretKey {
    assert!(i < DEVNET_ORACLE_MEMBERS, "the devnet committee has four members");
    let mut seed = *b"clearproof devnet oracle key 001";
    seed[31] = b'1' + i as u8;
    SecretKey::from_bytes(seed).expect("fixed seed gives a valid key")
}

/// The devnet oracle committee: four public keys, quorum 3, 60 s.
pub fn devnet_committee() -> Committee {
    let members: Vec<_> =
        (0..DEVNET_ORACLE_MEMBERS).map(|i| devnet_oracle(i).public_key()).collect();
    let quorum = Quorum::new(DEVNET_ORACLE_QUORUM.into()).expect("3 is a quorum");
    let age = Seconds::new(DEVNET_MAX_ORACLE_AGE.into()).expect("valid seconds");
    Committee::new(&members, quorum, age).expect("four distinct members")
}

/// Devnet markets, prices in micro-units of quote per lot:
/// 0 = BTC (lot 0.0001, $6 000 000 ⇒ 6.0 USD), 1 = ETH (lot 0.001, 3.0 USD),
/// 2 = SOL (lot 0.01, 1.5 USD), 3 = DOGE (lot 10, 1.0 USD). Initial margin 10 %,
/// maintenance 5 %, liquidation fee 1 %, fee cap 0.5 %, band 5 %, funding at most
/// ~0.1 % of the price per hour. Insurance fund 1 000 000 USD.
pub fn devnet() -> Genesis {
    let prices = [6_000_000u32, 3_000_000, 1_500_000, 1_000_000];
    let t0 = Timestamp::new(1_700_000_000).expect("valid timestamp");
    // 0.1 % per hour = 2^32 · 0.001 / 3600 ≈ 1 193 units of 2^-32 per second.
    let params =
        MarketParams::standard(devnet_committee(), FundingRate::new(1_193).expect("valid rate"));
    let markets: [Market; MARKETS] = std::array::from_fn(|m| Market {
        params,
        state: MarketState::at(Price::from_units(prices[m]), t0),
    });
    Genesis { markets, insurance_fund: Quote::new(1_000_000_000_000).expect("valid amount") }
}

/// Why a genesis file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// The file could not be read.
    #[error("reading {0}: {1}")]
    Io(std::path::PathBuf, std::io::Error),
    /// The file is not a genesis.
    #[error("{0} is not a genesis file: {1}")]
    Malformed(std::path::PathBuf, serde_json::Error),
}

/// The genesis in `file` (JSON), or the built-in devnet genesis.
pub fn load(file: Option<&std::path::Path>) -> Result<Genesis, GenesisError> {
    let Some(path) = file else { return Ok(devnet()) };
    let text = std::fs::read_to_string(path).map_err(|e| GenesisError::Io(path.into(), e))?;
    serde_json::from_str(&text).map_err(|e| GenesisError::Malformed(path.into(), e))
}
