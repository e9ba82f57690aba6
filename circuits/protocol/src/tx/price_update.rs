//! `PriceUpdate{market, price, timestamp}` — authorised by a quorum of the
//! market's oracle committee (PROTOCOL §6.3, [`crate::oracle`]): `price` is
//! the median of their observations, `timestamp` the earliest.
//!
//! Preconditions: the quorum; `price > 0`; `timestamp > price_ts`.
//! Effect: sets `price` and `price_ts`.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::{error_codes, Authority, CommonError, Effect, Movement, Rule, TxSpec};
use crate::state::State;
use crate::types::{MarketId, Price, Timestamp};

/// A new oracle price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceUpdate {
    /// Market.
    pub market: MarketId,
    /// Fixed-point price, 32 fractional bits.
    pub price: Price,
    /// Seconds; must increase.
    pub timestamp: Timestamp,
}

/// Why a price update was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceUpdateError {
    /// Shared rule.
    #[error(transparent)]
    Common(#[from] CommonError),
    /// Price zero.
    #[error("price must be positive")]
    ZeroPrice,
    /// Not newer than the current price.
    #[error("timestamp {got} is not after the current price timestamp {current}")]
    StaleTimestamp {
        /// Current `price_ts`.
        current: u64,
        /// The update's timestamp.
        got: u64,
    },
}

error_codes!(PriceUpdateError, common {
    ZeroPrice => "PRICE_ZERO",
    StaleTimestamp => "PRICE_STALE_TIMESTAMP",
});

impl Rule for PriceUpdate {
    const SPEC: TxSpec = TxSpec {
        tag: crate::tags::PRICE_UPDATE,
        name: "price_update",
        fields: &["market", "price", "timestamp"],
        accounts: &[],
        opens_account: false,
        market: Some("market"),
        order_ids: [None, None],
        codes: PriceUpdateError::CODES,
    };
    type Error = PriceUpdateError;

    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, PriceUpdateError> {
        let current = state.market(self.market);
        let committee = &current.params.committee;
        auth.oracle_quorum("price_update", committee, self.market, self.price, self.timestamp)?;
        if self.price.get() == 0 {
            return Err(PriceUpdateError::ZeroPrice);
        }
        let mut market = current.state;
        if self.timestamp <= market.price_ts {
            return Err(PriceUpdateError::StaleTimestamp {
                current: market.price_ts.get(),
                got: self.timestamp.get(),
            });
        }
        market.price = self.price;
        market.price_ts = self.timestamp;
        Ok(Effect { market: Some((self.market, market)), ..Effect::default() })
    }

    /// `market, price, timestamp`.
    fn fields(&self) -> Vec<Fr> {
        vec![self.market.to_field(), self.price.to_field(), self.timestamp.to_field()]
    }

    fn movement(&self) -> Movement {
        Movement::default()
    }
}
