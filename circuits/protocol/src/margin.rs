//! Margin (PROTOCOL §4): exact integer comparisons, no division, no rounding.
//!
//! All functions assume the account's funding is already settled (§5); the
//! transaction code always settles first. Values reach ~2^141 (a `2^63`-lot
//! position × a `2^64` price × a 10 000 bps rate), so the arithmetic is 256-bit.

use ethnum::I256;

use crate::params::{BPS_DENOMINATOR, FIXED_POINT_BITS, MARKETS};
use crate::state::{Account, Market, MarketParams};
use crate::types::Bps;

/// Which margin rate a health check uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginLevel {
    /// `im_bp`: required to open risk or withdraw.
    Initial,
    /// `mm_bp`: below it an account is liquidatable.
    Maintenance,
}

impl MarginLevel {
    fn rate(self, params: &MarketParams) -> Bps {
        match self {
            MarginLevel::Initial => params.im_bp,
            MarginLevel::Maintenance => params.mm_bp,
        }
    }
}

/// `TV = collateral·2^32 + Σ_m balance[m]·price[m]` (fixed point, 32 fractional bits).
pub fn total_value(account: &Account, markets: &[Market; MARKETS]) -> I256 {
    let collateral = I256::from(account.collateral.get()) << FIXED_POINT_BITS;
    markets.iter().zip(&account.balances).fold(collateral, |tv, (market, balance)| {
        tv + I256::from(balance.get()) * I256::from(market.state.price.get())
    })
}

/// `R(r) = Σ_m |balance[m]|·price[m]·r[m]` (fixed point × bps).
pub fn requirement(account: &Account, markets: &[Market; MARKETS], level: MarginLevel) -> I256 {
    markets.iter().zip(&account.balances).fold(I256::ZERO, |r, (market, balance)| {
        r + I256::from(balance.get().unsigned_abs())
            * I256::from(market.state.price.get())
            * I256::from(level.rate(&market.params).get())
    })
}

/// Healthy at a level iff `10 000·TV ≥ R(r)`.
pub fn is_healthy(account: &Account, markets: &[Market; MARKETS], level: MarginLevel) -> bool {
    I256::from(BPS_DENOMINATOR) * total_value(account, markets)
        >= requirement(account, markets, level)
}

/// Liquidatable iff not healthy at maintenance margin.
pub fn is_liquidatable(account: &Account, markets: &[Market; MARKETS]) -> bool {
    !is_healthy(account, markets, MarginLevel::Maintenance)
}

/// Bankrupt iff `TV < 0`.
pub fn is_bankrupt(account: &Account, markets: &[Market; MARKETS]) -> bool {
    total_value(account, markets) < I256::ZERO
}
