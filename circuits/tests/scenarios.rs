//! Hand-computed examples: margin and funding on a long and a short, a price
//! move that makes one side liquidatable, a funding tick with rounding, and the
//! liquidation waterfall (insurance cover, then deleverage with an empty fund).

mod common;

use clearproof_protocol::funding;
use clearproof_protocol::margin::{self, MarginLevel};
use clearproof_protocol::params::FIXED_POINT_ONE;
use clearproof_protocol::state::State;
use common::*;
use ethnum::I256;

fn fx(units: i128) -> I256 {
    I256::from(units) * I256::from(FIXED_POINT_ONE)
}

fn tv(s: &State, id: u32) -> I256 {
    margin::total_value(s.account(acct(id)).unwrap(), s.markets())
}

fn requirement(s: &State, id: u32, level: MarginLevel) -> I256 {
    margin::requirement(s.account(acct(id)).unwrap(), s.markets(), level)
}

/// Alice (1) buys 10 lots from Bob (2) at 100; both deposited 10 000.
fn long_and_short() -> State {
    let mut s = funded(0, [10_000, 10_000, 1_000_000, 1_000]);
    apply_all(&mut s, &[trade(0, 1, 2, 10, 1_000)]);
    s
}

#[test]
fn margin_of_a_long_and_a_short_by_hand() {
    let s = long_and_short();
    let alice = s.account(acct(1)).unwrap();
    let bob = s.account(acct(2)).unwrap();
    assert_eq!(alice.collateral.get(), 9_000);
    assert_eq!(alice.balances[0].get(), 10);
    assert_eq!(bob.collateral.get(), 11_000);
    assert_eq!(bob.balances[0].get(), -10);
    // TV = collateral·2^32 + balance·price: 9 000 + 10·100 = 10 000; 11 000 − 1 000 = 10 000.
    assert_eq!(tv(&s, 1), fx(10_000));
    assert_eq!(tv(&s, 2), fx(10_000));
    // R(im) = |10|·100·1 000 bps; R(mm) = |10|·100·500 bps (fixed point).
    assert_eq!(requirement(&s, 1, MarginLevel::Initial), fx(1_000_000));
    assert_eq!(requirement(&s, 2, MarginLevel::Maintenance), fx(500_000));
    assert!(margin::is_healthy(alice, s.markets(), MarginLevel::Initial));
    assert!(!margin::is_bankrupt(bob, s.markets()));
}

#[test]
fn price_move_makes_the_long_liquidatable_by_hand() {
    let mut s = funded(0, [10_000, 10_000, 1_000_000, 1_000]);
    apply_all(&mut s, &[trade(0, 1, 2, 900, 90_000)]);
    // At 94: TV = −80 000 + 84 600 = 4 600; R(mm) = 900·94·5 % = 4 230 → healthy.
    apply_all(&mut s, &[price_update(0, 94, T0 + 1)]);
    assert_eq!(tv(&s, 1), fx(4_600));
    assert!(!margin::is_liquidatable(s.account(acct(1)).unwrap(), s.markets()));
    // At 93: TV = 3 700 < R(mm) = 4 185 → liquidatable; Bob (short) gains: TV 16 300.
    apply_all(&mut s, &[price_update(0, 93, T0 + 2)]);
    assert_eq!(tv(&s, 1), fx(3_700));
    assert_eq!(requirement(&s, 1, MarginLevel::Maintenance), fx(4_185 * 10_000));
    assert!(margin::is_liquidatable(s.account(acct(1)).unwrap(), s.markets()));
    assert_eq!(tv(&s, 2), fx(16_300));
    assert!(!margin::is_liquidatable(s.account(acct(2)).unwrap(), s.markets()));
    // Carol takes 450 lots at the oracle price with the full 1 % penalty (418 of 41 850).
    apply_all(&mut s, &[liquidate(0, 1, 3, 450, 41_850, 418)]);
    let alice = s.account(acct(1)).unwrap();
    assert_eq!(alice.balances[0].get(), 450);
    assert_eq!(alice.collateral.get(), -80_000 + 41_850 - 418);
    assert_eq!(s.globals().insurance_fund.get(), 418);
    assert_eq!(s.account(acct(3)).unwrap().balances[0].get(), 450);
}

#[test]
fn funding_tick_with_rounding_by_hand() {
    let mut s = long_and_short();
    // Index +0.5 micro-unit per lot plus one 2^-32 unit, over 100 s (bound allows far more).
    let delta = (FIXED_POINT_ONE / 2) + 1;
    apply_all(&mut s, &[funding_tick(0, delta, T0 + 100)]);
    // Due for Alice (long 10): 10·(2^31 + 1) = 5·2^32 + 10 → she pays ceil = 6.
    // Due for Bob (short 10): −(5·2^32 + 10) → he receives floor = 5. One unit of dust minus 20·2^-32.
    assert_eq!(funding::funding_due(10, delta as i64, 0), 5 * FIXED_POINT_ONE + 10);
    assert_eq!(funding::charge(5 * FIXED_POINT_ONE + 10), 6);
    assert_eq!(funding::charge(-(5 * FIXED_POINT_ONE + 10)), -5);
    // Settlement happens when an account is touched: a 1-unit deposit to each.
    apply_all(&mut s, &[deposit(1, 1, 1), deposit(2, 2, 1)]);
    let alice = s.account(acct(1)).unwrap();
    let bob = s.account(acct(2)).unwrap();
    assert_eq!(alice.collateral.get(), 9_000 - 6 + 1);
    assert_eq!(bob.collateral.get(), 11_000 + 5 + 1);
    assert_eq!(alice.funding_snapshots[0].get(), delta as i64);
    assert_eq!(bob.funding_snapshots[0].get(), delta as i64);
    // Touching again settles nothing more.
    apply_all(&mut s, &[deposit(1, 1, 1)]);
    assert_eq!(s.account(acct(1)).unwrap().collateral.get(), 9_000 - 6 + 2);
}

#[test]
fn new_accounts_start_at_the_current_funding_index() {
    let mut s = state(0);
    apply_all(&mut s, &[funding_tick(2, 12_345, T0 + 1), deposit(7, 7, 100)]);
    let a = s.account(acct(7)).unwrap();
    assert_eq!(a.funding_snapshots[2].get(), 12_345);
    assert_eq!(a.collateral.get(), 100, "no funding is due for a new account");
}

#[test]
fn waterfall_bankrupt_account_is_liquidated_then_covered_by_the_insurance_fund() {
    let mut s = funded(5_000, [10_000, 10_000, 1_000_000, 1_000]);
    apply_all(&mut s, &[trade(0, 1, 2, 900, 90_000)]);
    // A gap from 100 to 88: Alice's TV = −80 000 + 79 200 = −800 → bankrupt.
    apply_all(&mut s, &[price_update(0, 88, T0 + 1)]);
    assert_eq!(tv(&s, 1), fx(-800));
    assert!(margin::is_bankrupt(s.account(acct(1)).unwrap(), s.markets()));
    // Carol liquidates the whole position at the oracle price; no penalty can be paid.
    apply_all(&mut s, &[liquidate(0, 1, 3, 900, 79_200, 0)]);
    assert_eq!(s.account(acct(1)).unwrap().collateral.get(), -800);
    assert!(s.account(acct(1)).unwrap().is_flat());
    // The fund absorbs the deficit.
    apply_all(&mut s, &[cover(1)]);
    assert_eq!(s.account(acct(1)).unwrap().collateral.get(), 0);
    assert_eq!(s.globals().insurance_fund.get(), 4_200);
    assert_eq!(s.root(), s.recompute_root());
}

#[test]
fn waterfall_with_an_empty_fund_deleverages_the_counterparty() {
    let mut s = funded(0, [10_000, 10_000, 1_000_000, 1_000]);
    apply_all(&mut s, &[trade(0, 1, 2, 900, 90_000), price_update(0, 88, T0 + 1)]);
    assert_eq!(tv(&s, 1), fx(-800));
    // Bob (short 900) gained: collateral 100 000, TV 100 000 − 79 200 = 20 800.
    assert_eq!(tv(&s, 2), fx(20_800));
    // The fund (0) cannot cover 800, so the sequencer deleverages Alice against Bob
    // at the bankruptcy price: closing 900 lots at 80 000 leaves Alice at exactly 0.
    apply_all(&mut s, &[deleverage(0, 1, 2, 900, 80_000)]);
    let alice = s.account(acct(1)).unwrap();
    assert!(alice.is_flat());
    assert_eq!(alice.collateral.get(), 0);
    let bob = s.account(acct(2)).unwrap();
    assert!(bob.is_flat());
    // Bob bears the 800 deficit: 20 800 → 20 000.
    assert_eq!(bob.collateral.get(), 20_000);
    assert_eq!(s.globals().insurance_fund.get(), 0);
    assert_eq!(s.root(), s.recompute_root());
    // Nothing is left to cover.
    assert_rejected(&mut s, &cover(1), "COVER_NO_DEFICIT");
}
