//! Funding settlement (PROTOCOL §5).
//!
//! Before anything else, a transaction that touches an account settles, for every
//! market, `due = balance·(funding_index − funding_snapshot)` (fixed point) by
//! `collateral −= ceil(due / 2^32)` and moves the snapshot to the index. Rounding
//! up always favours the system; the dust (`< 1` micro-unit per market) is credited
//! to no one.

use crate::params::{FIXED_POINT_ONE, MARKETS};
use crate::state::{Account, Market};
use crate::types::RangeError;

/// `balance·(index − snapshot)`, exact. Fits in i128: `|balance| < 2^63`, `|Δ| < 2^64`.
pub fn funding_due(balance: i64, index: i64, snapshot: i64) -> i128 {
    balance as i128 * (index as i128 - snapshot as i128)
}

/// `ceil(due / 2^32)`: the collateral charged for `due`.
pub fn charge(due: i128) -> i128 {
    -((-due).div_euclid(FIXED_POINT_ONE))
}

/// The account with funding settled in every market, or an error if the
/// collateral would leave its range (the transaction is then rejected).
pub fn settle(account: &Account, markets: &[Market; MARKETS]) -> Result<Account, RangeError> {
    let mut settled = *account;
    for (m, market) in markets.iter().enumerate() {
        let index = market.state.funding_index;
        let due =
            funding_due(account.balances[m].get(), index.get(), account.funding_snapshots[m].get());
        settled.collateral = settled.collateral.checked_sub(charge(due))?;
        settled.funding_snapshots[m] = index;
    }
    Ok(settled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_rounds_up_in_the_systems_favour() {
        let one = FIXED_POINT_ONE;
        assert_eq!(charge(0), 0);
        assert_eq!(charge(one), 1);
        assert_eq!(charge(one + 1), 2, "a payer pays the fraction");
        assert_eq!(charge(1), 1);
        assert_eq!(charge(-one), -1);
        assert_eq!(charge(-one - 1), -1, "a receiver loses the fraction");
        assert_eq!(charge(-1), 0);
        assert_eq!(charge(-2 * one + 1), -1);
    }
}
