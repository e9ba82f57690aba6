//! The circuit's `Liquidate` rules: each negative test forges or tampers with
//! batch 2's liquidation and expects the named constraint (or the
//! liquidator's signature) to fail.

use clearproof_circuits::testing::*;
use clearproof_protocol::state::State;
use clearproof_protocol::testing::*;
use clearproof_protocol::tx::*;

#[test]
fn liquidation_of_a_healthy_account_is_rejected() {
    // Bob is short 900 and healthy; Carol would take the other side.
    assert_rejected_by(
        &forged_liquidation(liquidate(0, 2, 3, 100, 8_800, 0)),
        "the liquidated account is below maintenance margin",
    );
}

#[test]
fn liquidation_that_flips_the_position_is_rejected() {
    // The direction comes from the position's sign, so a liquidation cannot
    // grow it; one lot more than the position would flip it.
    assert!(rules_hold(&forged_liquidation(liquidate(0, 1, 3, 900, 79_200, 0))));
    assert_rejected_by(
        &forged_liquidation(liquidate(0, 1, 3, 901, 79_288, 0)),
        "the close does not flip the position",
    );
}

#[test]
fn liquidation_that_grows_the_position_is_rejected() {
    // A witness in which the liquidated long buys 10 more lots instead of
    // selling: the circuit derives the direction from the position's sign, so
    // its account after differs from the witness's and the liquidator's leaf is
    // no longer under the root the liquidated update left.
    let grows = |s: &State| {
        let t = liquidate(0, 1, 3, 10, 880, 0);
        let mut effect = liquidation_effect(t)(s);
        let grown = |a: &clearproof_protocol::state::Account, lots: i128, paid: i128| {
            clearproof_protocol::testing::moved(a, mkt(0), lots, paid).unwrap()
        };
        effect.accounts[0].1 = grown(&settled(s, 1), 10, 880);
        effect.accounts[1].1 = grown(&settled(s, 3), -10, -880);
        effect
    };
    let tx = liquidate(0, 1, 3, 10, 880, 0);
    assert!(rules_hold(&forged(3, tx.clone(), liquidation_effect(tx.clone()))));
    assert_rejected_by(&forged(3, tx, grows), "account is a member of the running root");
}

#[test]
fn penalty_above_cap_is_rejected() {
    // 1 % of 900 lots at 88 is 792.
    assert!(rules_hold(&forged_liquidation(liquidate(0, 1, 3, 900, 79_200, 792))));
    assert_rejected_by(
        &forged_liquidation(liquidate(0, 1, 3, 900, 79_200, 793)),
        "penalty within liq_fee_bp of the notional",
    );
}

#[test]
fn liquidation_fill_outside_the_price_band_is_rejected() {
    assert_rejected_by(
        &forged_liquidation(liquidate(0, 1, 3, 900, 75_239, 0)),
        "fill price within the band",
    );
}

#[test]
fn liquidator_below_initial_margin_is_rejected() {
    // Dave (about 1 500) cannot carry 900 lots at 88.
    assert_rejected_by(
        &forged_liquidation(liquidate(0, 1, 4, 900, 79_200, 0)),
        "the liquidator is healthy at im after",
    );
}

#[test]
fn liquidation_without_the_liquidators_signature_is_rejected() {
    // Batch 2, transaction 3: Carol (3) liquidates Alice, chunk 0 slot 3.
    assert_signature_refused(&tampered_auth(0, 3, |a| {
        let Authority::Orders { orders } = a else { unreachable!() };
        orders[0] = signed_by(&orders[0].order, 1);
    }));
}
