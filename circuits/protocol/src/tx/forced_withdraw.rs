//! `ForcedWithdraw{account, amount, outcome}` — from the base layer's
//! priority queue (PROTOCOL §6.4).
//!
//! A user whose requests the sequencer ignores asks the base layer directly; the
//! base layer checks the owner's signature over the request
//! ([`forced_request_message`]) and queues it. Batches must consume the queue in
//! order, and each entry's outcome is part of the transaction, so it is in the
//! public data and proven:
//!
//! - [`ForcedOutcome::Applied`]: the Withdraw rules without the signature and the
//!   nonce (after it `collateral ≥ 0` and the account is healthy at `im_bp`);
//!   effect as Withdraw, nonce unchanged, a withdrawal for the base layer;
//! - `Refused…`: the first Withdraw precondition that fails; the account is
//!   left exactly as it was (funding is not settled either).
//!
//! The rule refuses a transaction whose `outcome` is not the one the rules give
//! (`FORCED_WITHDRAW_WRONG_OUTCOME`): the operator can neither refuse a valid
//! request nor apply an invalid one.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::withdraw::{debit, WithdrawError};
use super::{
    error_codes, settled_account, Authority, CommonError, Effect, Movement, Queue, Rule, TxSpec,
    Withdrawal,
};
use crate::poseidon;
use crate::state::State;
use crate::types::{AccountId, Amount};

/// The message an account's owner signs to queue a forced withdrawal on the
/// chain that started at `genesis_root` (PROTOCOL §6.4): its `request`-th
/// (0, 1, …) forced request, `H(tags::FORCED_REQUEST, genesis_root, account,
/// amount, request)`, so a signed request can be queued neither twice nor on
/// another chain.
pub fn forced_request_message(
    genesis_root: Fr,
    account: AccountId,
    amount: Amount,
    request: u64,
) -> Fr {
    poseidon::hash(&[
        Fr::from(crate::tags::FORCED_REQUEST),
        genesis_root,
        account.to_field(),
        amount.to_field(),
        Fr::from(request),
    ])
}

/// What a batch did with a forced withdrawal: proven, in the public data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForcedOutcome {
    /// Withdrawn: the base layer releases `amount` to the owner.
    Applied,
    /// Refused: the collateral would become negative (`WITHDRAW_NEGATIVE_COLLATERAL`).
    RefusedNegativeCollateral,
    /// Refused: the account would be below initial margin
    /// (`WITHDRAW_UNDERCOLLATERALISED`).
    RefusedUndercollateralised,
}

impl ForcedOutcome {
    /// Its encoding: 0 applied, 1 and 2 the refusals, in rule order.
    pub fn to_field(self) -> Fr {
        Fr::from(self as u64)
    }

    /// The Withdraw code of a refusal (`None` when applied).
    pub fn code(self) -> Option<&'static str> {
        match self {
            ForcedOutcome::Applied => None,
            ForcedOutcome::RefusedNegativeCollateral => Some("WITHDRAW_NEGATIVE_COLLATERAL"),
            ForcedOutcome::RefusedUndercollateralised => Some("WITHDRAW_UNDERCOLLATERALISED"),
        }
    }
}

/// A forced withdrawal taken from the base layer's priority queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForcedWithdraw {
    /// Debited account.
    pub account: AccountId,
    /// Quote micro-units.
    pub amount: Amount,
    /// What the rules give.
    pub outcome: ForcedOutcome,
}

/// Why a forced withdrawal cannot be in a batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForcedWithdrawError {
    /// Shared rule.
    #[error(transparent)]
    Common(#[from] CommonError),
    /// The outcome is not the one the rules give.
    #[error("the outcome is {claimed:?}, the rules give {actual:?}")]
    WrongOutcome {
        /// The transaction's outcome.
        claimed: ForcedOutcome,
        /// The rules'.
        actual: ForcedOutcome,
    },
}

error_codes!(ForcedWithdrawError, common {
    WrongOutcome => "FORCED_WITHDRAW_WRONG_OUTCOME",
});

impl ForcedWithdraw {
    /// The queue entry `(account, amount)` with the outcome the rules give
    /// against `state`: how the sequencer serves the queue. An error only for an
    /// account that does not exist (the base layer queues requests only for
    /// accounts a deposit created).
    pub fn decide(state: &State, account: AccountId, amount: Amount) -> Result<Self, CommonError> {
        let settled = settled_account(state, account)?;
        let outcome = match debit(&settled, amount, state) {
            Ok(_) => ForcedOutcome::Applied,
            Err(WithdrawError::NegativeCollateral) => ForcedOutcome::RefusedNegativeCollateral,
            Err(WithdrawError::Undercollateralised) => ForcedOutcome::RefusedUndercollateralised,
            Err(WithdrawError::Common(e)) => return Err(e),
            Err(e @ WithdrawError::BadNonce { .. }) => unreachable!("debit checks no nonce: {e}"),
        };
        Ok(Self { account, amount, outcome })
    }
}

impl Rule for ForcedWithdraw {
    const SPEC: TxSpec = TxSpec {
        tag: crate::tags::FORCED_WITHDRAW,
        name: "forced_withdraw",
        fields: &["account", "amount", "outcome"],
        accounts: &["account"],
        opens_account: false,
        market: None,
        order_ids: [None, None],
        codes: ForcedWithdrawError::CODES,
    };
    type Error = ForcedWithdrawError;

    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, ForcedWithdrawError> {
        auth.unsigned("forced_withdraw")?;
        let actual = Self::decide(state, self.account, self.amount)?.outcome;
        if actual != self.outcome {
            return Err(ForcedWithdrawError::WrongOutcome { claimed: self.outcome, actual });
        }
        if actual != ForcedOutcome::Applied {
            // Refused: the leaf stays as it is (one no-op Merkle update).
            let unchanged = *state.account(self.account).expect("decide found it");
            return Ok(Effect { accounts: vec![(self.account, unchanged)], ..Effect::default() });
        }
        let settled = settled_account(state, self.account)?;
        let account = debit(&settled, self.amount, state).map_err(|e| match e {
            WithdrawError::Common(e) => ForcedWithdrawError::Common(e),
            other => unreachable!("decide said applied: {other}"),
        })?;
        let withdrawal =
            Withdrawal { account: self.account, owner: account.owner, amount: self.amount };
        Ok(Effect {
            accounts: vec![(self.account, account)],
            withdrawal: Some(withdrawal),
            ..Effect::default()
        })
    }

    /// `account, amount, outcome`.
    fn fields(&self) -> Vec<Fr> {
        vec![self.account.to_field(), self.amount.to_field(), self.outcome.to_field()]
    }

    fn movement(&self) -> Movement {
        Movement {
            consumes: Some(Queue::Forced),
            releases: (self.outcome == ForcedOutcome::Applied)
                .then_some((self.account, self.amount)),
        }
    }
}
