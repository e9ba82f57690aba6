//! The circuit's `Deleverage` rules: each negative test forges batch 2's
//! deleverage and expects the named constraint to fail.

use clearproof_circuits::testing::*;
use clearproof_protocol::testing::*;

#[test]
fn deleverage_of_a_solvent_account_is_rejected() {
    // Bob (short 900 of market 0) is solvent; Carol holds the other side.
    assert_rejected_by(
        &forged_deleverage(deleverage(0, 2, 3, 100, 8_800)),
        "the deleveraged account is bankrupt",
    );
}

#[test]
fn deleverage_when_the_insurance_fund_can_cover_is_rejected() {
    // Alice's deficit (800) fits in the fund (5 000): she must be liquidated and
    // covered instead. Everything else about this deleverage is valid.
    let alice = deleverage(0, 1, 2, 900, 80_000);
    assert_rejected_by(
        &forged(3, alice.clone(), deleverage_effect(alice)),
        "the insurance fund cannot cover the deficit",
    );
}

#[test]
fn deleverage_away_from_the_bankruptcy_price_is_rejected() {
    // Frank: collateral −80 000 with 900 lots; closing all at 80 000 leaves 0.
    assert!(rules_hold(&forged_deleverage(deleverage(3, 6, 7, 900, 80_000))));
    assert_rejected_by(
        &forged_deleverage(deleverage(3, 6, 7, 900, 80_001)),
        "quote is the bankruptcy price",
    );
    assert_rejected_by(
        &forged_deleverage(deleverage(3, 6, 7, 900, 79_999)),
        "quote is the bankruptcy price",
    );
}

#[test]
fn deleverage_against_a_counterparty_not_on_the_other_side_is_rejected() {
    // Dave holds no position in market 3.
    assert_rejected_by(
        &forged_deleverage(deleverage(3, 6, 4, 900, 80_000)),
        "the counterparty holds the opposite side",
    );
}

#[test]
fn deleverage_that_flips_a_position_is_rejected() {
    assert_rejected_by(
        &forged_deleverage(deleverage(3, 6, 7, 901, 80_050)),
        "the close does not flip the position",
    );
}
