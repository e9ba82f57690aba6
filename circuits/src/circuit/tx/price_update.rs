//! `PriceUpdate{market, price, timestamp}` — native rule: `crate::tx::price_update`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::pick_market;
use crate::circuit::arith::{assert_nonneg_if, require_zero};
use crate::circuit::market::AssignedMarket;
use crate::circuit::{Cell, Ctx};
use crate::params::{MARKETS, TX_ENCODING_LEN};
use crate::Fr;

/// Constrains a price update (gated by `is`): `0 < price < 2^64`,
/// `timestamp < 2^40` and `timestamp > price_ts`; the named market takes the new
/// price and timestamp.
pub fn constrain(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    enc: &[Cell; TX_ENCODING_LEN],
    m_is: &[Cell],
    markets: &mut [AssignedMarket; MARKETS],
    is: Cell,
) {
    let gate = range.gate();
    let (price, timestamp) = (enc[2], enc[3]);
    let price_ts = pick_market(ctx, gate, markets, m_is, |m| m.price_ts);
    let ts = gate.mul(ctx, timestamp, is);
    range.range_check(ctx, ts, 40);
    let p = gate.mul(ctx, price, is);
    range.range_check(ctx, p, 64);
    let zero_price = gate.is_zero(ctx, price);
    let bad = gate.mul(ctx, zero_price, is);
    require_zero(ctx, gate, bad, "price is positive");
    let newer = gate.sub(ctx, timestamp, price_ts);
    let newer = gate.sub(ctx, newer, Constant(Fr::one()));
    assert_nonneg_if(ctx, range, newer, is, 40);
    for (m, market) in markets.iter_mut().enumerate() {
        let set = gate.mul(ctx, is, m_is[m]);
        market.price = gate.select(ctx, price, market.price, set);
        market.price_ts = gate.select(ctx, timestamp, market.price_ts, set);
    }
}
