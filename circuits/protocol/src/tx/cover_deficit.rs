//! `CoverDeficit{account}` — anyone may submit it.
//!
//! Preconditions: all positions are 0 and `collateral < 0`; the insurance fund
//! holds at least `−collateral`.
//! Effect: `insurance_fund += collateral` (it shrinks by the deficit); `collateral = 0`.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::{error_codes, settled_account, Authority, CommonError, Effect, Movement, Rule, TxSpec};
use crate::state::State;
use crate::types::{AccountId, Collateral};

/// Cover a flat account's deficit from the insurance fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverDeficit {
    /// The flat account with negative collateral.
    pub account: AccountId,
}

/// Why a cover was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoverDeficitError {
    /// Shared rule.
    #[error(transparent)]
    Common(#[from] CommonError),
    /// The account still has open positions (liquidate or deleverage first).
    #[error("account has open positions")]
    OpenPositions,
    /// Collateral is not negative.
    #[error("account has no deficit")]
    NoDeficit,
    /// The fund is smaller than the deficit (deleverage instead).
    #[error("insurance fund cannot cover the deficit")]
    InsuranceInsufficient,
}

error_codes!(CoverDeficitError, common {
    OpenPositions => "COVER_OPEN_POSITIONS",
    NoDeficit => "COVER_NO_DEFICIT",
    InsuranceInsufficient => "COVER_INSURANCE_INSUFFICIENT",
});

impl Rule for CoverDeficit {
    const SPEC: TxSpec = TxSpec {
        tag: crate::tags::COVER_DEFICIT,
        name: "cover_deficit",
        fields: &["account"],
        accounts: &["account"],
        opens_account: false,
        market: None,
        order_ids: [None, None],
        codes: CoverDeficitError::CODES,
    };
    type Error = CoverDeficitError;

    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, CoverDeficitError> {
        auth.unsigned("cover_deficit")?;
        let mut account = settled_account(state, self.account)?;
        if !account.is_flat() {
            return Err(CoverDeficitError::OpenPositions);
        }
        let deficit = account.collateral.get();
        if deficit >= 0 {
            return Err(CoverDeficitError::NoDeficit);
        }
        let mut globals = *state.globals();
        if (globals.insurance_fund.get() as i128) < -(deficit as i128) {
            return Err(CoverDeficitError::InsuranceInsufficient);
        }
        globals.insurance_fund =
            globals.insurance_fund.checked_add(deficit as i128).map_err(CommonError::from)?;
        account.collateral = Collateral::ZERO;
        Ok(Effect {
            accounts: vec![(self.account, account)],
            globals: Some(globals),
            ..Effect::default()
        })
    }

    /// `account`.
    fn fields(&self) -> Vec<Fr> {
        vec![self.account.to_field()]
    }

    fn movement(&self) -> Movement {
        Movement::default()
    }
}
