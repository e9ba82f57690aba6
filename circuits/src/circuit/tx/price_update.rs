//! `PriceUpdate{market, price, timestamp}` — native rule: `clearproof_protocol::tx::price_update`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Gadget, Sides, Slot};
use crate::circuit::arith::{assert_nonneg_if, require_zero};
use crate::circuit::Ctx;
use crate::Fr;
use clearproof_protocol::tx::TxKind;

/// A price update: `0 < price < 2^64`,
/// `timestamp < 2^40` and `timestamp > price_ts`; the named market takes the new
/// price and timestamp.
pub(crate) struct PriceUpdate;

impl Gadget for PriceUpdate {
    const KIND: TxKind = TxKind::PriceUpdate;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let (price, timestamp) = (s.field(Self::KIND, "price"), s.field(Self::KIND, "timestamp"));
        let price_ts = s.pick(ctx, gate, |m| m.price_ts);
        let ts = gate.mul(ctx, timestamp, is);
        range.range_check(ctx, ts, 40);
        let p = gate.mul(ctx, price, is);
        range.range_check(ctx, p, 64);
        let zero_price = gate.is_zero(ctx, price);
        let bad = gate.mul(ctx, zero_price, is);
        require_zero(ctx, gate, bad, "price is positive");
        let newer = gate.sub(ctx, timestamp, price_ts);
        let newer = gate.sub(ctx, newer, Constant(Fr::one()));
        assert_nonneg_if(ctx, range, newer, is, 40, "price timestamp is newer");
        for (m, market) in s.markets.iter_mut().enumerate() {
            let set = gate.mul(ctx, is, s.m_is[m]);
            market.price = gate.select(ctx, price, market.price, set);
            market.price_ts = gate.select(ctx, timestamp, market.price_ts, set);
        }
        Sides::None
    }
}
