//! The circuit's `ForcedWithdraw` rules: the outcome a forced withdrawal
//! carries must be the one the rules give.

use clearproof_circuits::testing::*;
use clearproof_protocol::testing::*;
use clearproof_protocol::tx::*;

#[test]
fn refusing_a_valid_forced_withdrawal_is_rejected() {
    use ForcedOutcome::*;
    // Honest outcomes hold; Carol's valid request cannot be refused either way.
    assert!(rules_hold(&forged(11, forced(3, 1_000, Applied), forced_effect(3, 1_000))));
    for refusal in [RefusedNegativeCollateral, RefusedUndercollateralised] {
        assert_rejected_by(
            &forged(11, forced(3, 1_000, refusal), unchanged(3)),
            "forced withdrawal outcome is the rule's",
        );
    }
}

#[test]
fn applying_an_invalid_forced_withdrawal_or_the_wrong_refusal_is_rejected() {
    use ForcedOutcome::*;
    assert!(rules_hold(&forged(12, forced(2, 13_000, RefusedUndercollateralised), unchanged(2))));
    let cases = [
        (12, forced(2, 13_000, Applied), forced_effect(2, 13_000)),
        (13, forced(4, 10_000_000, Applied), forced_effect(4, 10_000_000)),
    ];
    for (at, tx, effect) in cases {
        assert_rejected_by(&forged(at, tx, effect), "forced withdrawal outcome is the rule's");
    }
    // The refusal must be the first failing precondition.
    assert_rejected_by(
        &forged(13, forced(4, 10_000_000, RefusedUndercollateralised), unchanged(4)),
        "forced withdrawal outcome is the rule's",
    );
    assert_rejected_by(
        &forged(12, forced(2, 13_000, RefusedNegativeCollateral), unchanged(2)),
        "forced withdrawal outcome is the rule's",
    );
}
