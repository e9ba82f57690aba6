//! `FundingTick{market, index, timestamp}` — native rule: `clearproof_protocol::tx::funding_tick`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Gadget, Sides, Slot};
use crate::circuit::arith::assert_nonneg_if;
use crate::circuit::num::check_signed63;
use crate::circuit::Ctx;
use crate::Fr;
use clearproof_protocol::tx::TxKind;

/// Bits bounding `max_funding_rate·price·Δt ± Δindex·2^32` (< 2^137).
const FUNDING_BOUND_BITS: usize = 140;

/// A funding tick: `|index| < 2^63`, `timestamp <
/// 2^40` and `timestamp > funding_ts`, and the rate bound
/// `|index − funding_index|·2^32 ≤ max_funding_rate·price·(timestamp − funding_ts)`
/// (both directions); the named market takes the new index and timestamp.
pub(crate) struct FundingTick;

impl Gadget for FundingTick {
    const KIND: TxKind = TxKind::FundingTick;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let (index, timestamp) = (s.field(Self::KIND, "index"), s.field(Self::KIND, "timestamp"));
        let price = s.pick(ctx, gate, |m| m.price);
        let old_index = s.pick(ctx, gate, |m| m.funding_index);
        let funding_ts = s.pick(ctx, gate, |m| m.funding_ts);
        let rate = s.pick(ctx, gate, |m| m.max_funding_rate);
        let ts = gate.mul(ctx, timestamp, is);
        range.range_check(ctx, ts, 40);
        let i = gate.mul(ctx, index, is);
        check_signed63(ctx, range, i);
        let elapsed = gate.sub(ctx, timestamp, funding_ts);
        let newer = gate.sub(ctx, elapsed, Constant(Fr::one()));
        assert_nonneg_if(ctx, range, newer, is, 40, "funding timestamp is newer");
        let delta = gate.sub(ctx, index, old_index);
        let scaled_delta = gate.mul(ctx, delta, Constant(Fr::from(1u64 << 32)));
        let allowance = gate.mul(ctx, rate, price);
        let allowance = gate.mul(ctx, allowance, elapsed);
        let up = gate.sub(ctx, allowance, scaled_delta);
        let down = gate.add(ctx, allowance, scaled_delta);
        assert_nonneg_if(
            ctx,
            range,
            up,
            is,
            FUNDING_BOUND_BITS,
            "funding index within the rate bound",
        );
        assert_nonneg_if(
            ctx,
            range,
            down,
            is,
            FUNDING_BOUND_BITS,
            "funding index within the rate bound",
        );
        for (m, market) in s.markets.iter_mut().enumerate() {
            let set = gate.mul(ctx, is, s.m_is[m]);
            market.funding_index = gate.select(ctx, index, market.funding_index, set);
            market.funding_ts = gate.select(ctx, timestamp, market.funding_ts, set);
        }
        Sides::None
    }
}
