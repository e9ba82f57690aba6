//! `FundingTick{market, index, timestamp}` — authorised by a quorum of the
//! market's oracle committee (PROTOCOL §6.3, [`crate::oracle`]): `index` is
//! the median of their observations, `timestamp` the earliest.
//!
//! Preconditions: the quorum; `timestamp > funding_ts`;
//! `|index − funding_index|·2^32 ≤ max_funding_rate·price·(timestamp − funding_ts)`.
//! Effect: sets `funding_index` and `funding_ts`. Accounts settle lazily (§5).

use ethnum::I256;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::{error_codes, Authority, CommonError, Effect, Movement, Rule, TxSpec};
use crate::params::FIXED_POINT_BITS;
use crate::state::State;
use crate::types::{FundingIndex, MarketId, Timestamp};

/// A new cumulative funding index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundingTick {
    /// Market.
    pub market: MarketId,
    /// New cumulative index (fixed point, 32 fractional bits).
    pub index: FundingIndex,
    /// Seconds; must increase.
    pub timestamp: Timestamp,
}

/// Why a funding tick was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FundingTickError {
    /// Shared rule.
    #[error(transparent)]
    Common(#[from] CommonError),
    /// Not newer than the current index.
    #[error("timestamp {got} is not after the current funding timestamp {current}")]
    StaleTimestamp {
        /// Current `funding_ts`.
        current: u64,
        /// The tick's timestamp.
        got: u64,
    },
    /// The index moved faster than `max_funding_rate` allows.
    #[error("funding index change exceeds the market's rate bound")]
    RateExceeded,
}

error_codes!(FundingTickError, common {
    StaleTimestamp => "FUNDING_STALE_TIMESTAMP",
    RateExceeded => "FUNDING_RATE_EXCEEDED",
});

impl Rule for FundingTick {
    const SPEC: TxSpec = TxSpec {
        tag: crate::tags::FUNDING_TICK,
        name: "funding_tick",
        fields: &["market", "index", "timestamp"],
        accounts: &[],
        opens_account: false,
        market: Some("market"),
        order_ids: [None, None],
        codes: FundingTickError::CODES,
    };
    type Error = FundingTickError;

    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, FundingTickError> {
        let market = state.market(self.market);
        let committee = &market.params.committee;
        auth.oracle_quorum("funding_tick", committee, self.market, self.index, self.timestamp)?;
        let mut next = market.state;
        if self.timestamp <= next.funding_ts {
            return Err(FundingTickError::StaleTimestamp {
                current: next.funding_ts.get(),
                got: self.timestamp.get(),
            });
        }
        let change = (I256::from(self.index.get()) - I256::from(next.funding_index.get())).abs()
            << FIXED_POINT_BITS;
        let elapsed = self.timestamp.get() - next.funding_ts.get();
        let bound = I256::from(market.params.max_funding_rate.get())
            * I256::from(next.price.get())
            * I256::from(elapsed);
        if change > bound {
            return Err(FundingTickError::RateExceeded);
        }
        next.funding_index = self.index;
        next.funding_ts = self.timestamp;
        Ok(Effect { market: Some((self.market, next)), ..Effect::default() })
    }

    /// `market, index, timestamp` (a negative index as `p − |index|`).
    fn fields(&self) -> Vec<Fr> {
        vec![self.market.to_field(), self.index.to_field(), self.timestamp.to_field()]
    }

    fn movement(&self) -> Movement {
        Movement::default()
    }
}
