//! Helpers for the circuit's negative tests (feature `test-utils`): they build
//! witnesses that break exactly one rule, so the circuit test can assert that
//! rule's name. Never for production code: nothing here checks a rule.

use crate::batch::OpenBatch;
use crate::state::{Account, State};
use crate::tx::{CommonError, Effect, SignedTx};
use crate::types::MarketId;

/// `account` with `delta` lots added in `market` and `collateral_delta`
/// micro-units (the rules' own helper).
pub fn moved(
    account: &Account,
    market: MarketId,
    delta: i128,
    collateral_delta: i128,
) -> Result<Account, CommonError> {
    crate::tx::moved(account, market, delta, collateral_delta)
}

/// Writes `effect` for `tx` into `batch` and `state` without checking any
/// rule: a forged witness, consistent everywhere except in the rule under test.
pub fn force(batch: &mut OpenBatch, state: &mut State, tx: &SignedTx, effect: Effect) {
    batch.force(state, tx, effect);
}
