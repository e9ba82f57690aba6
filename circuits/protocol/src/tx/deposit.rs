//! `Deposit{account, owner, amount}` — from the base layer's deposit queue.
//!
//! Precondition: the account is empty or already owned by `owner`.
//! Effect: sets the owner if empty (nonce 0, no positions); funding is settled;
//! `collateral += amount`.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::{error_codes, Authority, CommonError, Effect, Movement, Queue, Rule, TxSpec};
use crate::funding;
use crate::signature::PublicKey;
use crate::state::{Account, State};
use crate::types::{AccountId, Amount};

/// A deposit from the base layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deposit {
    /// Credited account (created if empty).
    pub account: AccountId,
    /// Owner key: must match an existing account's owner.
    pub owner: PublicKey,
    /// Quote micro-units.
    pub amount: Amount,
}

/// Why a deposit was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositError {
    /// Shared rule.
    #[error(transparent)]
    Common(#[from] CommonError),
    /// The account exists and belongs to another key.
    #[error("account {0} is owned by another key")]
    OwnerMismatch(AccountId),
}

error_codes!(DepositError, common {
    OwnerMismatch => "DEPOSIT_OWNER_MISMATCH",
});

impl Rule for Deposit {
    const SPEC: TxSpec = TxSpec {
        tag: crate::tags::DEPOSIT,
        name: "deposit",
        fields: &["account", "owner_x", "owner_y", "amount"],
        accounts: &["account"],
        opens_account: true,
        market: None,
        order_ids: [None, None],
        codes: DepositError::CODES,
    };
    type Error = DepositError;

    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, DepositError> {
        auth.unsigned("deposit")?;
        if self.account.index() >= state.capacity() {
            return Err(CommonError::AccountOutsideTree(self.account).into());
        }
        let account = match state.account(self.account) {
            Some(existing) if existing.owner != self.owner => {
                return Err(DepositError::OwnerMismatch(self.account))
            }
            Some(existing) => *existing,
            None => Account::new(self.owner),
        };
        let mut account = funding::settle(&account, state.markets()).map_err(CommonError::from)?;
        account.collateral =
            account.collateral.checked_add(self.amount.wide()).map_err(CommonError::from)?;
        Ok(Effect { accounts: vec![(self.account, account)], ..Effect::default() })
    }

    /// `account, owner.x, owner.y, amount`.
    fn fields(&self) -> Vec<Fr> {
        let [x, y] = self.owner.to_fields();
        vec![self.account.to_field(), x, y, self.amount.to_field()]
    }

    fn movement(&self) -> Movement {
        Movement { consumes: Some(Queue::Deposit), releases: None }
    }
}
