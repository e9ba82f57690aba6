//! Funding settlement (PROTOCOL §5).
//!
//! Before anything else, a transaction that touches an account settles, for every
//! market, `due = balance·(funding_index − funding_snapshot)` (fixed point) by
//! `collateral −= ceil(due / 2^32)` and moves the snapshot to the index. Rounding
//! up always favours the system; the dust (`< 1` micro-unit per market) is credited
//! to no one.
//!
//! The four markets' charges are netted first and collateral moves once: only the
//! collateral after settlement must stay within `|x| < 2^63`, whatever the order
//! of the markets. The circuit does the same (`circuit/funding.rs`), so native and
//! circuit accept exactly the same settlements.

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
/// collateral after settlement would leave its range (the transaction is then
/// rejected). The charges are netted before collateral moves.
pub fn settle(account: &Account, markets: &[Market; MARKETS]) -> Result<Account, RangeError> {
    let mut settled = *account;
    // Each charge is below 2^96 in magnitude, so four of them sum exactly in i128.
    let mut total = 0i128;
    for (m, market) in markets.iter().enumerate() {
        let index = market.state.funding_index;
        let due =
            funding_due(account.balances[m].get(), index.get(), account.funding_snapshots[m].get());
        total += charge(due);
        settled.funding_snapshots[m] = index;
    }
    settled.collateral = settled.collateral.checked_sub(total)?;
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

    /// Collateral just below the bound, credited in market 0 and charged in
    /// market 1: settled one market at a time it would pass 2^63 and come back;
    /// netted it stays in range. Netting is the one meaning (the circuit's too).
    #[test]
    fn charges_are_netted_before_the_range_check() {
        use crate::oracle::Committee;
        use crate::signature::SecretKey;
        use crate::state::{MarketParams, MarketState};
        use crate::types::{Balance, Collateral, FundingIndex, FundingRate, Price, Timestamp};
        let key = SecretKey::from_bytes([3; 32]).unwrap().public_key();
        let market = |index: i128| Market {
            params: MarketParams::standard(Committee::single(key), FundingRate::new(0).unwrap()),
            state: MarketState {
                funding_index: FundingIndex::new(index).unwrap(),
                ..MarketState::at(Price::from_units(1), Timestamp::new(0).unwrap())
            },
        };
        let mut account = Account::new(key);
        account.collateral = Collateral::new(i64::MAX as i128 - 10).unwrap();
        // Long 1 lot in market 0, whose index fell by 100 units: 100 credited.
        // Long 1 lot in market 1, whose index rose by 100 units: 100 charged.
        account.balances[0] = Balance::new(1).unwrap();
        account.balances[1] = Balance::new(1).unwrap();
        let markets = [market(-100 << 32), market(100 << 32), market(0), market(0)];
        let settled = settle(&account, &markets).expect("the net charge is zero");
        assert_eq!(settled.collateral, account.collateral);
        // A net charge that does leave the range is still refused.
        account.balances[1] = Balance::new(0).unwrap();
        assert!(settle(&account, &markets).is_err(), "2^63 - 11 + 100 overflows");
    }
}
