//! One test per error code: each builds a state, submits a transaction that must
//! be rejected with that code, and checks the state did not change.

mod common;

use clearproof_protocol::state::State;
use clearproof_protocol::tx::ForcedWithdraw;
use clearproof_protocol::types::{Amount, Price};
use common::*;

/// Alice (1) long 900 lots of market 0 at 100 from Bob (2); Carol (3) rich; Dave (4) poor.
fn alice_long_900(insurance: i128) -> State {
    let mut s = funded(insurance, [10_000, 10_000, 1_000_000, 1_000]);
    apply_all(&mut s, &[trade(0, 1, 2, 900, 90_000)]);
    s
}

// ---- shared rules ----

#[test]
fn unknown_account_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(&mut s, &withdraw(99, 1, 0), "UNKNOWN_ACCOUNT");
}

#[test]
fn account_outside_the_tree_is_rejected() {
    let mut s = State::genesis_with_depth(&genesis(0), 8).unwrap();
    assert_rejected(&mut s, &deposit(256, 1, 5), "ACCOUNT_OUTSIDE_TREE");
}

#[test]
fn same_account_on_both_sides_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(&mut s, &trade(0, 1, 1, 1, 100), "SAME_ACCOUNT");
}

#[test]
fn overflowing_collateral_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(&mut s, &deposit(1, 1, (1 << 63) - 1), "RESULT_OUT_OF_RANGE");
}

#[test]
fn amount_out_of_range_is_refused_at_decoding() {
    assert_eq!(Amount::new(0).unwrap_err().code(), "AMOUNT_OUT_OF_RANGE");
    assert_eq!(Amount::new(1 << 63).unwrap_err().code(), "AMOUNT_OUT_OF_RANGE");
    assert!(Price::new(-1).is_err());
    let owner = key(1).public_key().to_hex();
    let json = |amount: &str| {
        format!(r#"{{"type":"deposit","account":"1","owner":"{owner}","amount":"{amount}"}}"#)
    };
    type Tx = clearproof_protocol::tx::Transaction;
    assert!(serde_json::from_str::<Tx>(&json("5")).is_ok(), "the template itself is valid");
    assert!(serde_json::from_str::<Tx>(&json("9223372036854775808")).is_err());
    assert!(serde_json::from_str::<Tx>(&json("0")).is_err());
    assert!(serde_json::from_str::<Tx>(&json("-5")).is_err());
}

// ---- Deposit ----

#[test]
fn deposit_to_an_account_owned_by_another_key_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(&mut s, &deposit(1, 2, 5), "DEPOSIT_OWNER_MISMATCH");
}

/// PROTOCOL §6.1: an owner key is valid only on the curve and in the
/// prime-order subgroup, checked where it enters the state. It enters through
/// a deposit, which only the base layer's queue supplies, and the queue holds
/// `Deposit`s whose `PublicKey` cannot be built from an invalid point: a key of
/// order 2, `(0, −1)`, is refused when it is decoded, with its code. (The chunk
/// circuit takes a new account's key from the deposit's encoding unchecked; a
/// batch whose deposits are not the queue's entries is refused by the base
/// layer, `tests/tests/tamper.rs`.)
#[test]
fn a_deposit_key_outside_the_subgroup_is_refused_where_it_enters() {
    use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
    let y = (-clearproof_protocol::Fr::one()).to_repr(); // little-endian; x = 0, sign bit 0
    let small_order = hex::encode(y.as_ref());
    let json =
        format!(r#"{{"type":"deposit","account":"1","owner":"{small_order}","amount":"5"}}"#);
    let err = serde_json::from_str::<clearproof_protocol::tx::Transaction>(&json).unwrap_err();
    assert!(err.to_string().contains("SIG_POINT_NOT_IN_SUBGROUP"), "{err}");
    let deposit = serde_json::from_str::<clearproof_protocol::tx::Deposit>(&format!(
        r#"{{"account":"1","owner":"{small_order}","amount":"5"}}"#
    ));
    assert!(deposit.is_err(), "a queue entry cannot hold the key either");
}

// ---- Withdraw ----

#[test]
fn withdrawal_with_a_wrong_nonce_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(&mut s, &withdraw(1, 5, 1), "WITHDRAW_BAD_NONCE");
    apply_all(&mut s, &[withdraw(1, 5, 0)]);
    assert_rejected(&mut s, &withdraw(1, 5, 0), "WITHDRAW_BAD_NONCE");
}

#[test]
fn withdrawal_leaving_negative_collateral_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(&mut s, &withdraw(1, 10_001, 0), "WITHDRAW_NEGATIVE_COLLATERAL");
}

#[test]
fn withdrawal_leaving_the_account_below_initial_margin_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    // Alice short 500 at 100: collateral 60 000, TV 10 000, initial requirement 5 000.
    apply_all(&mut s, &[trade(0, 2, 1, 500, 50_000)]);
    assert_rejected(&mut s, &withdraw(1, 5_001, 0), "WITHDRAW_UNDERCOLLATERALISED");
    apply_all(&mut s, &[withdraw(1, 5_000, 0)]);
}

// ---- ForcedWithdraw ----

#[test]
fn a_forced_withdrawal_must_carry_the_outcome_the_rules_give() {
    use clearproof_protocol::tx::ForcedOutcome::*;
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    apply_all(&mut s, &[trade(0, 2, 1, 500, 50_000)]);
    // Alice: collateral 60 000, TV 10 000, initial requirement 5 000.
    let cases = [
        (5_000, [RefusedNegativeCollateral, RefusedUndercollateralised], Applied),
        (5_001, [Applied, RefusedNegativeCollateral], RefusedUndercollateralised),
        (60_001, [Applied, RefusedUndercollateralised], RefusedNegativeCollateral),
    ];
    for (amount, wrong, right) in cases {
        for outcome in wrong {
            assert_rejected(&mut s, &forced(1, amount, outcome), "FORCED_WITHDRAW_WRONG_OUTCOME");
        }
        let decided = ForcedWithdraw::decide(&s, acct(1), units(amount)).unwrap();
        assert_eq!(decided.outcome, right, "{amount}");
    }
    // A refusal changes nothing; the valid request is applied, nonce unchanged.
    let before = *s.account(acct(1)).unwrap();
    apply_all(&mut s, &[forced(1, 5_001, RefusedUndercollateralised)]);
    assert_eq!(*s.account(acct(1)).unwrap(), before);
    let mut batch = s.begin_batch();
    batch.apply(&mut s, &forced(1, 5_000, Applied).into()).unwrap();
    let out = batch.close(&s);
    let after = s.account(acct(1)).unwrap();
    assert_eq!(after.nonce, before.nonce);
    assert_eq!(after.collateral.get(), before.collateral.get() - 5_000);
    assert_eq!(out.withdrawals.len(), 1, "an applied forced withdrawal is released");
}

#[test]
fn a_forced_withdrawal_of_an_unknown_account_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    let tx = forced(9, 5, clearproof_protocol::tx::ForcedOutcome::Applied);
    assert_rejected(&mut s, &tx, "UNKNOWN_ACCOUNT");
}

// ---- Trade ----

#[test]
fn trade_outside_the_price_band_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(&mut s, &trade(0, 1, 2, 10, 1_051), "TRADE_PRICE_OUTSIDE_BAND");
    assert_rejected(&mut s, &trade(0, 1, 2, 10, 949), "TRADE_PRICE_OUTSIDE_BAND");
    apply_all(&mut s, &[trade(0, 1, 2, 10, 1_050), trade(0, 1, 2, 10, 950)]);
}

#[test]
fn buyer_fee_above_cap_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(
        &mut s,
        &trade_with_fees(0, 1, 2, 10, 1_000, 6, 0),
        "TRADE_BUYER_FEE_ABOVE_CAP",
    );
}

#[test]
fn seller_fee_above_cap_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(
        &mut s,
        &trade_with_fees(0, 1, 2, 10, 1_000, 5, 6),
        "TRADE_SELLER_FEE_ABOVE_CAP",
    );
    apply_all(&mut s, &[trade_with_fees(0, 1, 2, 10, 1_000, 5, 5)]);
    assert_eq!(s.globals().fee_pool.get(), 10);
}

#[test]
fn buyer_below_initial_margin_is_rejected() {
    let mut s = funded(0, [10_000, 1_000_000, 10_000, 10_000]);
    // 1 000 lots need exactly 10 000 of initial margin; 1 001 do not fit.
    assert_rejected(&mut s, &trade(0, 1, 2, 1_001, 100_100), "TRADE_BUYER_UNDERCOLLATERALISED");
    apply_all(&mut s, &[trade(0, 1, 2, 1_000, 100_000)]);
}

#[test]
fn seller_below_initial_margin_is_rejected() {
    let mut s = funded(0, [1_000_000, 10_000, 10_000, 10_000]);
    assert_rejected(&mut s, &trade(0, 1, 2, 1_001, 100_100), "TRADE_SELLER_UNDERCOLLATERALISED");
}

// ---- Liquidate ----

#[test]
fn liquidation_of_a_healthy_account_is_rejected() {
    let mut s = alice_long_900(0);
    apply_all(&mut s, &[price_update(0, 95, T0 + 1)]);
    assert_rejected(&mut s, &liquidate(0, 1, 3, 100, 9_500, 0), "LIQUIDATE_ACCOUNT_HEALTHY");
}

#[test]
fn liquidation_in_a_market_without_position_is_rejected() {
    let mut s = alice_long_900(0);
    apply_all(&mut s, &[price_update(0, 93, T0 + 1)]);
    assert_rejected(&mut s, &liquidate(1, 1, 3, 100, 10_000, 0), "LIQUIDATE_NO_POSITION");
}

#[test]
fn liquidation_that_would_flip_the_position_is_rejected() {
    let mut s = alice_long_900(0);
    apply_all(&mut s, &[price_update(0, 93, T0 + 1)]);
    assert_rejected(&mut s, &liquidate(0, 1, 3, 901, 83_793, 0), "LIQUIDATE_POSITION_OVERSHOOT");
}

#[test]
fn liquidation_outside_the_price_band_is_rejected() {
    let mut s = alice_long_900(0);
    apply_all(&mut s, &[price_update(0, 93, T0 + 1)]);
    assert_rejected(&mut s, &liquidate(0, 1, 3, 100, 8_834, 0), "LIQUIDATE_PRICE_OUTSIDE_BAND");
}

#[test]
fn liquidation_penalty_above_cap_is_rejected() {
    let mut s = alice_long_900(0);
    apply_all(&mut s, &[price_update(0, 93, T0 + 1)]);
    // Notional at the oracle price 9 300; 1 % is 93.
    assert_rejected(&mut s, &liquidate(0, 1, 3, 100, 9_300, 94), "LIQUIDATE_PENALTY_ABOVE_CAP");
    apply_all(&mut s, &[liquidate(0, 1, 3, 100, 9_300, 93)]);
    assert_eq!(s.globals().insurance_fund.get(), 93);
}

#[test]
fn liquidator_below_initial_margin_is_rejected() {
    let mut s = alice_long_900(0);
    apply_all(&mut s, &[price_update(0, 93, T0 + 1)]);
    assert_rejected(
        &mut s,
        &liquidate(0, 1, 4, 900, 83_700, 0),
        "LIQUIDATE_LIQUIDATOR_UNDERCOLLATERALISED",
    );
}

// ---- CoverDeficit ----

#[test]
fn cover_of_an_account_with_open_positions_is_rejected() {
    let mut s = alice_long_900(1_000_000);
    apply_all(&mut s, &[price_update(0, 88, T0 + 1)]);
    assert_rejected(&mut s, &cover(1), "COVER_OPEN_POSITIONS");
}

#[test]
fn cover_of_an_account_without_deficit_is_rejected() {
    let mut s = funded(1_000_000, [10_000, 10_000, 10_000, 10_000]);
    assert_rejected(&mut s, &cover(1), "COVER_NO_DEFICIT");
}

#[test]
fn cover_larger_than_the_insurance_fund_is_rejected() {
    let mut s = alice_long_900(500);
    apply_all(&mut s, &[price_update(0, 88, T0 + 1), liquidate(0, 1, 3, 900, 79_200, 0)]);
    assert_eq!(s.account(acct(1)).unwrap().collateral.get(), -800);
    assert_rejected(&mut s, &cover(1), "COVER_INSURANCE_INSUFFICIENT");
}

// ---- Deleverage ----

fn alice_bankrupt(insurance: i128) -> State {
    let mut s = alice_long_900(insurance);
    apply_all(&mut s, &[price_update(0, 88, T0 + 1)]);
    s
}

#[test]
fn deleverage_of_a_solvent_account_is_rejected() {
    let mut s = alice_long_900(0);
    apply_all(&mut s, &[price_update(0, 93, T0 + 1)]);
    assert_rejected(&mut s, &deleverage(0, 1, 2, 900, 80_000), "DELEVERAGE_NOT_BANKRUPT");
}

#[test]
fn deleverage_when_the_insurance_fund_can_cover_is_rejected() {
    let mut s = alice_bankrupt(800);
    assert_rejected(&mut s, &deleverage(0, 1, 2, 900, 80_000), "DELEVERAGE_INSURANCE_CAN_COVER");
}

#[test]
fn deleverage_in_a_market_without_position_is_rejected() {
    let mut s = alice_bankrupt(0);
    assert_rejected(&mut s, &deleverage(1, 1, 2, 900, 80_000), "DELEVERAGE_NO_POSITION");
}

#[test]
fn deleverage_against_a_counterparty_on_the_same_side_is_rejected() {
    let mut s = alice_bankrupt(0);
    assert_rejected(
        &mut s,
        &deleverage(0, 1, 3, 900, 80_000),
        "DELEVERAGE_COUNTERPARTY_NOT_OPPOSITE",
    );
}

#[test]
fn deleverage_that_would_flip_a_position_is_rejected() {
    let mut s = alice_bankrupt(0);
    assert_rejected(&mut s, &deleverage(0, 1, 2, 901, 80_000), "DELEVERAGE_POSITION_OVERSHOOT");
}

#[test]
fn deleverage_away_from_the_bankruptcy_price_is_rejected() {
    let mut s = alice_bankrupt(0);
    // Alice: collateral −80 000, 900 lots. Closing all at 80 000 leaves TV exactly 0.
    assert_rejected(&mut s, &deleverage(0, 1, 2, 900, 79_999), "DELEVERAGE_NOT_BANKRUPTCY_PRICE");
    assert_rejected(&mut s, &deleverage(0, 1, 2, 900, 80_001), "DELEVERAGE_NOT_BANKRUPTCY_PRICE");
    apply_all(&mut s, &[deleverage(0, 1, 2, 900, 80_000)]);
}

#[test]
fn deleverage_that_bankrupts_the_counterparty_is_rejected() {
    let mut s = funded(0, [10_000, 10_000, 1_000_000, 10_000]);
    // Bob: short 100 of market 1 to Dave, then short 900 of market 0 to Alice.
    apply_all(&mut s, &[trade(1, 4, 2, 100, 10_000), trade(0, 1, 2, 900, 90_000)]);
    // Market 0 falls (Alice bankrupt by 800), market 1 rises (Bob loses 30 100).
    apply_all(&mut s, &[price_update(0, 88, T0 + 1), price_update(1, 401, T0 + 1)]);
    assert_rejected(&mut s, &deleverage(0, 1, 2, 900, 80_000), "DELEVERAGE_COUNTERPARTY_BANKRUPT");
}

// ---- PriceUpdate ----

#[test]
fn zero_price_is_rejected() {
    let mut s = state(0);
    assert_rejected(&mut s, &price_update_raw(0, Price::new(0).unwrap(), T0 + 1), "PRICE_ZERO");
}

#[test]
fn price_update_with_a_stale_timestamp_is_rejected() {
    let mut s = state(0);
    assert_rejected(&mut s, &price_update(0, 101, T0), "PRICE_STALE_TIMESTAMP");
    apply_all(&mut s, &[price_update(0, 101, T0 + 5)]);
    assert_rejected(&mut s, &price_update(0, 102, T0 + 4), "PRICE_STALE_TIMESTAMP");
}

// ---- FundingTick ----

#[test]
fn funding_tick_with_a_stale_timestamp_is_rejected() {
    let mut s = state(0);
    assert_rejected(&mut s, &funding_tick(0, 1, T0), "FUNDING_STALE_TIMESTAMP");
}

#[test]
fn funding_tick_beyond_the_rate_bound_is_rejected() {
    let mut s = state(0);
    // Bound over 10 s at price 100: |Δindex| ≤ rate·100·10 = 4 294 967 000.
    let bound = MAX_FUNDING_RATE as i128 * 1_000;
    assert_rejected(&mut s, &funding_tick(0, bound + 1, T0 + 10), "FUNDING_RATE_EXCEEDED");
    assert_rejected(&mut s, &funding_tick(0, -bound - 1, T0 + 10), "FUNDING_RATE_EXCEEDED");
    apply_all(&mut s, &[funding_tick(0, -bound, T0 + 10)]);
}
