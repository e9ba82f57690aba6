//! Funding settlement in the circuit (PROTOCOL §5), mirroring [`clearproof_protocol::funding`].
//!
//! Per market, `due = balance·(index − snapshot)` is exact in the field
//! (`|due| < 2^127`). The charge `q = ceil(due / 2^32)` is a witness, pinned by
//! `0 ≤ q·2^32 − due < 2^32` (a 32-bit range check; `q` itself is bounded by
//! `|q| < 2^96`, so the difference cannot wrap). The four charges are summed,
//! subtracted from collateral once, and the result must stay `|x| < 2^63`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use halo2_base::QuantumCell::Constant;

use super::account::AssignedAccount;
use super::market::AssignedMarket;
use super::num::check_signed63;
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::funding::{charge, funding_due};
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::types::{field_to_signed_i64, signed_to_field};

/// The honest charges for `account` (witness generation).
pub(super) fn charges(
    account: &AssignedAccount,
    markets: &[AssignedMarket; MARKETS],
) -> [Fr; MARKETS] {
    let signed = |c: Cell| field_to_signed_i64(*c.value()).expect("range-checked witness");
    std::array::from_fn(|m| {
        let due = funding_due(
            signed(account.balances[m]),
            signed(markets[m].funding_index),
            signed(account.snapshots[m]),
        );
        signed_to_field(charge(due))
    })
}

/// Settles funding with the honest charges.
pub(super) fn settle(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    account: &AssignedAccount,
    markets: &[AssignedMarket; MARKETS],
) -> AssignedAccount {
    let charges = charges(account, markets);
    settle_with_charges(ctx, range, account, markets, charges)
}

/// Settles funding with the given charge witnesses, constraining each to be the
/// exact ceiling (a test passes a wrong one to see it fail).
pub(super) fn settle_with_charges(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    account: &AssignedAccount,
    markets: &[AssignedMarket; MARKETS],
    charges: [Fr; MARKETS],
) -> AssignedAccount {
    let gate = range.gate();
    let mut total = ctx.load_zero();
    for m in 0..MARKETS {
        let delta = gate.sub(ctx, markets[m].funding_index, account.snapshots[m]);
        let due = gate.mul(ctx, account.balances[m], delta);
        let q = ctx.load_witness(charges[m]);
        // |q| < 2^96
        let shifted = gate.add(ctx, q, Constant(Fr::from_u128(1u128 << 96)));
        range.range_check(ctx, shifted, 97);
        // "funding charge is the ceiling": 0 ≤ q·2^32 − due < 2^32
        let scaled = gate.mul(ctx, q, Constant(Fr::from(1u64 << 32)));
        let remainder = gate.sub(ctx, scaled, due);
        range.range_check(ctx, remainder, 32);
        total = gate.add(ctx, total, q);
    }
    let collateral = gate.sub(ctx, account.collateral, total);
    check_signed63(ctx, range, collateral);
    AssignedAccount {
        collateral,
        snapshots: std::array::from_fn(|m| markets[m].funding_index),
        ..account.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::testing::satisfied;
    use clearproof_protocol::oracle::Committee;
    use clearproof_protocol::signature::SecretKey;
    use clearproof_protocol::state::{Account, Market, MarketParams, MarketState};
    use clearproof_protocol::types::*;

    fn market(index: i128) -> Market {
        let oracle = SecretKey::from_bytes([5; 32]).unwrap().public_key();
        let t = Timestamp::new(10).unwrap();
        let mut state = MarketState::at(Price::from_units(100), t);
        state.funding_index = FundingIndex::new(index).unwrap();
        Market {
            params: MarketParams::standard(
                Committee::single(oracle),
                FundingRate::new(1_000).unwrap(),
            ),
            state,
        }
    }

    fn setup() -> (Account, [Market; MARKETS]) {
        let mut a = Account::new(SecretKey::from_bytes([4; 32]).unwrap().public_key());
        a.collateral = Collateral::new(1_000_000).unwrap();
        a.balances = [10, -10, 7, 0].map(|b| Balance::new(b).unwrap());
        a.funding_snapshots = [0, 5, -3, 9].map(|s| FundingIndex::new(s).unwrap());
        let markets = [(1i128 << 31) + 1, -(1 << 33) - 7, 12_345_678, 1 << 40].map(market);
        (a, markets)
    }

    fn run(tamper: impl FnOnce(&mut [Fr; MARKETS])) -> bool {
        let (account, markets) = setup();
        let native = clearproof_protocol::funding::settle(&account, &markets).unwrap();
        satisfied(13, |ctx, range| {
            let a = AssignedAccount::load(ctx, range, Some(&account));
            let ms = markets.map(|m| AssignedMarket::load(ctx, range, &m));
            let mut q = charges(&a, &ms);
            tamper(&mut q);
            let settled = settle_with_charges(ctx, range, &a, &ms, q);
            let expected = ctx.load_witness(native.collateral.to_field());
            ctx.constrain_equal(&settled.collateral, &expected);
        })
    }

    #[test]
    fn settlement_matches_the_native_rounding() {
        assert!(run(|_| {}));
    }

    /// Collateral just below `2^63`, credited 100 in market 0 and charged 100 in
    /// market 1 (see `funding::tests`): netted, the circuit and the native rule
    /// both accept it with collateral unchanged; with the charge gone, the credit
    /// alone overflows, which the native rule refuses and a forged witness cannot
    /// prove either.
    fn near_the_bound(charged: bool) -> (Account, [Market; MARKETS]) {
        let mut a = Account::new(SecretKey::from_bytes([4; 32]).unwrap().public_key());
        a.collateral = Collateral::new(i64::MAX as i128 - 10).unwrap();
        a.balances[0] = Balance::new(1).unwrap();
        a.balances[1] = Balance::new(i128::from(charged)).unwrap();
        (a, [-100i128 << 32, 100 << 32, 0, 0].map(market))
    }

    fn settles(account: &Account, markets: &[Market; MARKETS], collateral: Fr) -> bool {
        satisfied(13, |ctx, range| {
            let a = AssignedAccount::load(ctx, range, Some(account));
            let ms = markets.map(|m| AssignedMarket::load(ctx, range, &m));
            let settled = settle(ctx, range, &a, &ms);
            let expected = ctx.load_witness(collateral);
            ctx.constrain_equal(&settled.collateral, &expected);
        })
    }

    #[test]
    fn a_settlement_that_nets_back_into_range_is_accepted_natively_and_in_circuit() {
        let (account, markets) = near_the_bound(true);
        let native =
            clearproof_protocol::funding::settle(&account, &markets).expect("netted in range");
        assert_eq!(native.collateral, account.collateral);
        assert!(settles(&account, &markets, native.collateral.to_field()));
    }

    #[test]
    fn a_settlement_that_leaves_the_range_is_rejected_natively_and_in_circuit() {
        let (account, markets) = near_the_bound(false);
        assert!(clearproof_protocol::funding::settle(&account, &markets).is_err());
        // The forged witness claims the overflowing collateral, 2^63 + 89.
        let overflow = Fr::from(i64::MAX as u64) + Fr::from(90u64);
        assert!(!settles(&account, &markets, overflow));
    }

    #[test]
    fn funding_mis_rounded_by_one_unit_is_rejected() {
        // Up by one (overcharging) and down by one (the floor instead of the ceiling).
        assert!(!run(|q| q[0] += Fr::one()));
        assert!(!run(|q| q[1] -= Fr::one()));
    }
}
