//! The circuit's `Withdraw` rules: each negative test forges or tampers with
//! one of batch 2's withdrawals and expects the named constraint (or the
//! owner's signature) to fail.

use clearproof_circuits::testing::*;
use clearproof_protocol::testing::*;
use clearproof_protocol::tx::*;

#[test]
fn withdrawal_leaving_negative_collateral_is_rejected() {
    // Carol (collateral 920 800) in batch 2, transaction 2.
    assert!(rules_hold(&forged(2, withdraw(3, 1_000, 0), withdraw_effect(3, 1_000))));
    assert_rejected_by(
        &forged(2, withdraw(3, 2_000_000, 0), withdraw_effect(3, 2_000_000)),
        "withdrawal leaves collateral ≥ 0",
    );
}

#[test]
fn withdrawal_below_initial_margin_is_rejected() {
    // Bob: TV 20 800 − funding, requirement 7 920 at 88: 13 000 leaves too little
    // while collateral stays positive.
    assert!(rules_hold(&forged(7, withdraw(2, 5_000, 0), withdraw_effect(2, 5_000))));
    assert_rejected_by(
        &forged(7, withdraw(2, 13_000, 0), withdraw_effect(2, 13_000)),
        "withdrawal leaves the account healthy at im",
    );
}

#[test]
fn withdrawal_with_a_wrong_nonce_is_rejected() {
    assert_rejected_by(
        &forged(7, withdraw(2, 5_000, 1), withdraw_effect(2, 5_000)),
        "withdrawal nonce matches",
    );
}

#[test]
fn withdrawal_with_a_bad_signature_is_rejected() {
    // Batch 2, transaction 2: Carol's (3) withdrawal, chunk 0 slot 2.
    assert!(rules_hold(&proven_batch()[0]));
    assert_signature_refused(&tampered_auth(0, 2, |a| {
        let Authority::Owner { signature } = a else { unreachable!() };
        let tx = withdraw(3, 1_000, 0);
        *signature = key(4).sign(tx.message());
    }));
    // Carol's signature, but over another amount.
    assert_signature_refused(&tampered_auth(0, 2, |a| {
        let Authority::Owner { signature } = a else { unreachable!() };
        *signature = key(3).sign(withdraw(3, 999, 0).message());
    }));
}
