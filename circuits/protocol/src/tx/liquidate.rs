//! `Liquidate{market, liquidated, liquidator, base, quote, penalty,
//! liquidator_order_id}` — authorised by the liquidator's signed order
//! ([`Authority::Orders`], one order, PROTOCOL §6.2 with no fee; its side is the
//! opposite of the liquidated position).
//!
//! Preconditions: the liquidated account is liquidatable (below `mm_bp`); its
//! position in `market` shrinks toward zero by `base` and keeps its sign (the
//! direction of the fill is the opposite of the position, so it can never grow);
//! the fill price is within `band_bp`; `penalty ≤ liq_fee_bp` of the notional at
//! the oracle price, i.e. `10 000·penalty·2^32 ≤ liq_fee_bp·base·price`; the
//! liquidator is healthy at `im_bp` after.
//! Effect: position and `quote` move as in a trade; `penalty` moves from the
//! liquidated account's collateral to the insurance fund.

use ethnum::I256;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::fill::authorise_fill;
use super::{
    error_codes, moved, settled_pair, within_band, Authority, CommonError, Effect, Movement, Rule,
    TxSpec,
};
use crate::margin::{is_healthy, is_liquidatable, MarginLevel};
use crate::orders::{FillTerms, OrderId, Side};
use crate::params::{BPS_DENOMINATOR, FIXED_POINT_BITS};
use crate::state::State;
use crate::types::{AccountId, Amount, MarketId, Quote};

/// A liquidation fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Liquidate {
    /// Market of the position being reduced.
    pub market: MarketId,
    /// The account below maintenance margin.
    pub liquidated: AccountId,
    /// The account taking over the position.
    pub liquidator: AccountId,
    /// Lots taken over.
    pub base: Amount,
    /// Quote micro-units paid for them.
    pub quote: Amount,
    /// Penalty paid by the liquidated account to the insurance fund.
    pub penalty: Quote,
    /// The liquidator's order (its slot moves by `base`).
    pub liquidator_order_id: OrderId,
}

/// Why a liquidation was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiquidateError {
    /// Shared rule.
    #[error(transparent)]
    Common(#[from] CommonError),
    /// The account is healthy at maintenance margin.
    #[error("account is not liquidatable")]
    AccountHealthy,
    /// No position in the market.
    #[error("account has no position in this market")]
    NoPosition,
    /// `base` exceeds the position: the fill would flip it.
    #[error("liquidation would flip the position")]
    PositionOvershoot,
    /// Fill price outside the band.
    #[error("fill price outside the band around the oracle price")]
    PriceOutsideBand,
    /// Penalty above `liq_fee_bp` of the notional.
    #[error("penalty above the market's cap")]
    PenaltyAboveCap,
    /// Liquidator below initial margin after the fill.
    #[error("liquidator would be undercollateralised")]
    LiquidatorUndercollateralised,
}

error_codes!(LiquidateError, common {
    AccountHealthy => "LIQUIDATE_ACCOUNT_HEALTHY",
    NoPosition => "LIQUIDATE_NO_POSITION",
    PositionOvershoot => "LIQUIDATE_POSITION_OVERSHOOT",
    PriceOutsideBand => "LIQUIDATE_PRICE_OUTSIDE_BAND",
    PenaltyAboveCap => "LIQUIDATE_PENALTY_ABOVE_CAP",
    LiquidatorUndercollateralised => "LIQUIDATE_LIQUIDATOR_UNDERCOLLATERALISED",
});

impl Liquidate {
    /// What the fill asks of the liquidator's order, taking `side` (the
    /// opposite of the liquidated position); a liquidator pays no fee.
    pub fn fill_terms(&self, side: Side) -> FillTerms {
        FillTerms {
            account: self.liquidator,
            market: self.market,
            side,
            base: self.base,
            quote: self.quote,
            fee: 0,
            order_id: self.liquidator_order_id,
        }
    }
}

impl Rule for Liquidate {
    const SPEC: TxSpec = TxSpec {
        tag: crate::tags::LIQUIDATE,
        name: "liquidate",
        fields: &[
            "market",
            "liquidated",
            "liquidator",
            "base",
            "quote",
            "penalty",
            "liquidator_order_id",
        ],
        accounts: &["liquidated", "liquidator"],
        opens_account: false,
        market: Some("market"),
        order_ids: [None, Some("liquidator_order_id")],
        codes: LiquidateError::CODES,
    };
    type Error = LiquidateError;

    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, LiquidateError> {
        let (liquidated, liquidator) = settled_pair(state, self.liquidated, self.liquidator)?;
        let order = auth.orders::<1>("liquidate")?;
        let markets = state.markets();
        if !is_liquidatable(&liquidated, markets) {
            return Err(LiquidateError::AccountHealthy);
        }
        let position = liquidated.balances[self.market.index()].get();
        if position == 0 {
            return Err(LiquidateError::NoPosition);
        }
        if self.base.get() > position.unsigned_abs() {
            return Err(LiquidateError::PositionOvershoot);
        }
        let terms = self.fill_terms(if position > 0 { Side::Buy } else { Side::Sell });
        let slot = authorise_fill(state, order.map(|o| o[0]), &terms).map_err(CommonError::from)?;
        let market = state.market(self.market);
        if !within_band(self.base, self.quote, market.state.price, market.params.band_bp) {
            return Err(LiquidateError::PriceOutsideBand);
        }
        // penalty ≤ liq_fee_bp·(base·price/2^32), cross-multiplied so nothing is rounded.
        let penalty_ok = I256::from(BPS_DENOMINATOR)
            * (I256::from(self.penalty.get()) << FIXED_POINT_BITS)
            <= I256::from(market.params.liq_fee_bp.get())
                * I256::from(self.base.get())
                * I256::from(market.state.price.get());
        if !penalty_ok {
            return Err(LiquidateError::PenaltyAboveCap);
        }
        // The liquidated side sells a long (or buys back a short); the liquidator takes the other side.
        let sign: i128 = if position > 0 { 1 } else { -1 };
        let (base, quote, penalty) =
            (self.base.wide(), self.quote.wide(), self.penalty.get() as i128);
        let new_liquidated = moved(&liquidated, self.market, -sign * base, sign * quote - penalty)?;
        let new_liquidator = moved(&liquidator, self.market, sign * base, -sign * quote)?;
        if !is_healthy(&new_liquidator, markets, MarginLevel::Initial) {
            return Err(LiquidateError::LiquidatorUndercollateralised);
        }
        let mut globals = *state.globals();
        globals.insurance_fund =
            globals.insurance_fund.checked_add(penalty).map_err(CommonError::from)?;
        Ok(Effect {
            accounts: vec![(self.liquidated, new_liquidated), (self.liquidator, new_liquidator)],
            globals: Some(globals),
            order_fills: vec![(self.liquidator, slot)],
            ..Effect::default()
        })
    }

    /// `market, liquidated, liquidator, base, quote, penalty, liquidator_order_id`.
    fn fields(&self) -> Vec<Fr> {
        vec![
            self.market.to_field(),
            self.liquidated.to_field(),
            self.liquidator.to_field(),
            self.base.to_field(),
            self.quote.to_field(),
            self.penalty.to_field(),
            self.liquidator_order_id.to_field(),
        ]
    }

    fn movement(&self) -> Movement {
        Movement::default()
    }
}
