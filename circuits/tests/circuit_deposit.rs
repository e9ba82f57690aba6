//! The circuit's `Deposit` rules: each negative test forges batch 2's deposit
//! and expects the named constraint to fail.

use clearproof_circuits::testing::*;
use clearproof_protocol::state::State;
use clearproof_protocol::testing::*;
use clearproof_protocol::tx::*;

#[test]
fn deposit_to_an_account_owned_by_another_key_is_rejected() {
    let effect = |s: &State| {
        let mut a = settled(s, 4);
        a.owner = key(9).public_key();
        a.collateral = a.collateral.checked_add(500).unwrap();
        Effect { accounts: vec![(id(4), a)], ..Effect::default() }
    };
    assert_rejected_by(&forged(1, deposit(4, 9, 500), effect), "deposit owner matches the account");
}
