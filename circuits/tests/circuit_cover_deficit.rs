//! The circuit's `CoverDeficit` rules.

use clearproof_circuits::testing::*;
use clearproof_protocol::state::State;
use clearproof_protocol::testing::*;
use clearproof_protocol::tx::*;
use clearproof_protocol::types::*;

#[test]
fn cover_deficit_on_an_account_with_open_positions_is_rejected() {
    // Bob is short 900 (and, as it happens, not in deficit either).
    let effect = |s: &State| {
        let mut bob = settled(s, 2);
        let mut globals = *s.globals();
        globals.insurance_fund =
            globals.insurance_fund.checked_add(bob.collateral.get() as i128).unwrap();
        bob.collateral = Collateral::ZERO;
        Effect { accounts: vec![(id(2), bob)], globals: Some(globals), ..Effect::default() }
    };
    let cover_bob = Transaction::CoverDeficit(CoverDeficit { account: id(2) });
    assert_rejected_by(&forged(7, cover_bob, effect), "covered account has no open position");
}
