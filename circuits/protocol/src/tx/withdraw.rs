//! `Withdraw{account, amount, nonce}` — signed by the account's owner.
//!
//! Authority: the owner's signature over the transaction's message
//! ([`Authority::Owner`]), under the key in the account's leaf.
//! Preconditions: `nonce == account.nonce`; after the change the account is
//! healthy at `im_bp` and `collateral ≥ 0`.
//! Effect: `collateral −= amount`, `nonce += 1`, a withdrawal for the base layer.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::{
    error_codes, settled_account, Authority, CommonError, Effect, Movement, Rule, Transaction,
    TxSpec, Withdrawal,
};
use crate::margin::{is_healthy, MarginLevel};
use crate::state::{Account, State};
use crate::types::{AccountId, Amount, Nonce};

/// A withdrawal request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// Debited account.
    pub account: AccountId,
    /// Quote micro-units.
    pub amount: Amount,
    /// Must equal the account's nonce (replay protection).
    pub nonce: Nonce,
}

/// Why a withdrawal was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawError {
    /// Shared rule.
    #[error(transparent)]
    Common(#[from] CommonError),
    /// Replayed or out-of-order request.
    #[error("nonce {got} does not match the account nonce {expected}")]
    BadNonce {
        /// The account's nonce.
        expected: u64,
        /// The request's nonce.
        got: u64,
    },
    /// Collateral would become negative.
    #[error("withdrawal would leave negative collateral")]
    NegativeCollateral,
    /// The account would be below initial margin.
    #[error("withdrawal would leave the account below initial margin")]
    Undercollateralised,
}

error_codes!(WithdrawError, common {
    BadNonce => "WITHDRAW_BAD_NONCE",
    NegativeCollateral => "WITHDRAW_NEGATIVE_COLLATERAL",
    Undercollateralised => "WITHDRAW_UNDERCOLLATERALISED",
});

impl Rule for Withdraw {
    const SPEC: TxSpec = TxSpec {
        tag: crate::tags::WITHDRAW,
        name: "withdraw",
        fields: &["account", "amount", "nonce"],
        accounts: &["account"],
        opens_account: false,
        market: None,
        order_ids: [None, None],
        codes: WithdrawError::CODES,
    };
    type Error = WithdrawError;

    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, WithdrawError> {
        let account = settled_account(state, self.account)?;
        let message = Transaction::Withdraw(self.clone()).message();
        auth.owner_signed("withdraw", &account.owner, message)?;
        if account.nonce != self.nonce {
            return Err(WithdrawError::BadNonce {
                expected: account.nonce.get(),
                got: self.nonce.get(),
            });
        }
        let mut account = debit(&account, self.amount, state)?;
        account.nonce = account.nonce.next().map_err(CommonError::from)?;
        let withdrawal =
            Withdrawal { account: self.account, owner: account.owner, amount: self.amount };
        Ok(Effect {
            accounts: vec![(self.account, account)],
            withdrawal: Some(withdrawal),
            ..Effect::default()
        })
    }

    /// `account, amount, nonce`.
    fn fields(&self) -> Vec<Fr> {
        vec![self.account.to_field(), self.amount.to_field(), self.nonce.to_field()]
    }

    fn movement(&self) -> Movement {
        Movement { consumes: None, releases: Some((self.account, self.amount)) }
    }
}

/// The Withdraw rule's debit, shared with a forced withdrawal
/// ([`super::ForcedWithdraw`]): `collateral −= amount` on a settled account;
/// refused if the collateral would become negative, then if the account would
/// be below initial margin.
pub(crate) fn debit(
    account: &Account,
    amount: Amount,
    state: &State,
) -> Result<Account, WithdrawError> {
    // The sign first: an amount far above the collateral is a negative
    // balance, not an overflow.
    if (account.collateral.get() as i128) < amount.wide() {
        return Err(WithdrawError::NegativeCollateral);
    }
    let mut out = *account;
    out.collateral = out.collateral.checked_sub(amount.wide()).map_err(CommonError::from)?;
    if !is_healthy(&out, state.markets(), MarginLevel::Initial) {
        return Err(WithdrawError::Undercollateralised);
    }
    Ok(out)
}
