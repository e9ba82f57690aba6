//! `Deleverage{market, bankrupt, counterparty, base, quote}` — chosen by the
//! sequencer when the insurance fund cannot absorb a bankrupt account's deficit.
//! Which counterparty is picked is a ranking policy of the sequencer
//! (documented there), not part of what is proven.
//!
//! Preconditions: the bankrupt account has `TV < 0` and the insurance fund cannot
//! cover it (`insurance_fund·2^32 < −TV`); the counterparty holds the opposite side
//! in `market`; both positions shrink toward zero by `base` and keep their sign;
//! `quote` is the bankruptcy price: after the fill `0 ≤ TV(bankrupt) < 2^32`
//! (zero to within one micro-unit); the counterparty's `TV ≥ 0` after.
//! Effect: positions and `quote` move as in a trade; the counterparty bears the deficit.

use ethnum::I256;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::{
    error_codes, moved, settled_pair, Authority, CommonError, Effect, Movement, Rule, TxSpec,
};
use crate::margin::total_value;
use crate::params::FIXED_POINT_BITS;
use crate::state::{Account, State};
use crate::types::{AccountId, Amount, MarketId};

/// An auto-deleverage fill at the bankruptcy price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deleverage {
    /// Market of the closed positions.
    pub market: MarketId,
    /// The account with `TV < 0`.
    pub bankrupt: AccountId,
    /// The account on the opposite side that absorbs the deficit.
    pub counterparty: AccountId,
    /// Lots closed on both sides.
    pub base: Amount,
    /// Quote micro-units at the bankruptcy price.
    pub quote: Amount,
}

/// Why a deleverage was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleverageError {
    /// Shared rule.
    #[error(transparent)]
    Common(#[from] CommonError),
    /// `TV ≥ 0`.
    #[error("account is not bankrupt")]
    NotBankrupt,
    /// The insurance fund could cover the deficit (liquidate and cover instead).
    #[error("insurance fund can cover the deficit")]
    InsuranceCanCover,
    /// No position in the market.
    #[error("bankrupt account has no position in this market")]
    NoPosition,
    /// The counterparty is flat or on the same side.
    #[error("counterparty does not hold the opposite side")]
    CounterpartyNotOpposite,
    /// `base` exceeds one of the positions.
    #[error("deleverage would flip a position")]
    PositionOvershoot,
    /// `quote` is not the bankruptcy price.
    #[error("quote is not the bankruptcy price: bankrupt TV after must be in [0, 2^32)")]
    NotBankruptcyPrice,
    /// The counterparty would be bankrupt itself.
    #[error("counterparty would be bankrupt")]
    CounterpartyBankrupt,
}

error_codes!(DeleverageError, common {
    NotBankrupt => "DELEVERAGE_NOT_BANKRUPT",
    InsuranceCanCover => "DELEVERAGE_INSURANCE_CAN_COVER",
    NoPosition => "DELEVERAGE_NO_POSITION",
    CounterpartyNotOpposite => "DELEVERAGE_COUNTERPARTY_NOT_OPPOSITE",
    PositionOvershoot => "DELEVERAGE_POSITION_OVERSHOOT",
    NotBankruptcyPrice => "DELEVERAGE_NOT_BANKRUPTCY_PRICE",
    CounterpartyBankrupt => "DELEVERAGE_COUNTERPARTY_BANKRUPT",
});

impl Rule for Deleverage {
    const SPEC: TxSpec = TxSpec {
        tag: crate::tags::DELEVERAGE,
        name: "deleverage",
        fields: &["market", "bankrupt", "counterparty", "base", "quote"],
        accounts: &["bankrupt", "counterparty"],
        opens_account: false,
        market: Some("market"),
        order_ids: [None, None],
        codes: DeleverageError::CODES,
    };
    type Error = DeleverageError;

    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, DeleverageError> {
        auth.unsigned("deleverage")?;
        let (bankrupt, counterparty) = settled_pair(state, self.bankrupt, self.counterparty)?;
        let markets = state.markets();
        let position = check_bankrupt(state, self.market, &bankrupt)?;
        let m = self.market.index();
        let other = counterparty.balances[m].get();
        if other == 0 || (other > 0) == (position > 0) {
            return Err(DeleverageError::CounterpartyNotOpposite);
        }
        if self.base.get() > position.unsigned_abs() || self.base.get() > other.unsigned_abs() {
            return Err(DeleverageError::PositionOvershoot);
        }
        let sign: i128 = if position > 0 { 1 } else { -1 };
        let (base, quote) = (self.base.wide(), self.quote.wide());
        let new_bankrupt = moved(&bankrupt, self.market, -sign * base, sign * quote)?;
        let new_counterparty = moved(&counterparty, self.market, sign * base, -sign * quote)?;
        let tv_after = total_value(&new_bankrupt, markets);
        if tv_after < I256::ZERO || tv_after >= I256::ONE << FIXED_POINT_BITS {
            return Err(DeleverageError::NotBankruptcyPrice);
        }
        if total_value(&new_counterparty, markets) < I256::ZERO {
            return Err(DeleverageError::CounterpartyBankrupt);
        }
        Ok(Effect {
            accounts: vec![(self.bankrupt, new_bankrupt), (self.counterparty, new_counterparty)],
            ..Effect::default()
        })
    }

    /// `market, bankrupt, counterparty, base, quote`.
    fn fields(&self) -> Vec<Fr> {
        vec![
            self.market.to_field(),
            self.bankrupt.to_field(),
            self.counterparty.to_field(),
            self.base.to_field(),
            self.quote.to_field(),
        ]
    }

    fn movement(&self) -> Movement {
        Movement::default()
    }
}

/// The bankrupt side's preconditions, on a funding-settled account: `TV < 0`, the
/// insurance fund cannot cover the deficit, and a position in `market`, which is
/// returned. (The sequencer uses this before it ranks counterparties.)
pub fn check_bankrupt(
    state: &State,
    market: MarketId,
    bankrupt: &Account,
) -> Result<i64, DeleverageError> {
    let tv = total_value(bankrupt, state.markets());
    if tv >= I256::ZERO {
        return Err(DeleverageError::NotBankrupt);
    }
    let fund = I256::from(state.globals().insurance_fund.get()) << FIXED_POINT_BITS;
    if fund >= -tv {
        return Err(DeleverageError::InsuranceCanCover);
    }
    let position = bankrupt.balances[market.index()].get();
    if position == 0 {
        return Err(DeleverageError::NoPosition);
    }
    Ok(position)
}
