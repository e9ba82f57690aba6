//! `Deleverage{market, bankrupt, counterparty, base, quote}` — native rule:
//! `clearproof_protocol::tx::deleverage`. The fill itself (amounts, closing direction,
//! shrink-and-keep-sign, effects) is [`super::fill`]; a deleverage has no band.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::fill::COMPARISON_BITS;
use super::{Gadget, Sides, Slot};
use crate::circuit::arith::{assert_nonneg_if, require_zero};
use crate::circuit::cost::{metered, Part};
use crate::circuit::Ctx;
use crate::Fr;
use clearproof_protocol::tx::TxKind;

/// A deleverage's own rules:
/// - the bankrupt account (A) is bankrupt, `TV < 0` after funding;
/// - the insurance fund cannot cover it, `fund·2^32 < −TV`;
/// - the counterparty (B) holds the opposite side and `base ≤ |its position|`;
/// - `quote` is the bankruptcy price: after the fill `0 ≤ TV(A) < 2^32`;
/// - the counterparty stays solvent, `TV(B) ≥ 0` after.
pub(crate) struct Deleverage;

impl Gadget for Deleverage {
    const KIND: TxKind = TxKind::Deleverage;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let f = s.fill(ctx, range);
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let insurance_fund = s.globals.insurance_fund;
        let solvent =
            metered(Part::Margin, ctx, range, |ctx| f.a_margin_before.solvent(ctx, range));
        let bad = gate.mul(ctx, solvent, is);
        require_zero(ctx, gate, bad, "the deleveraged account is bankrupt");
        let fund_value = gate.mul(ctx, insurance_fund, Constant(Fr::from(1u64 << 32)));
        let deficit = gate.neg(ctx, f.a_margin_before.total_value);
        let uncovered = gate.sub(ctx, deficit, fund_value);
        let uncovered = gate.sub(ctx, uncovered, Constant(Fr::one()));
        assert_nonneg_if(
            ctx,
            range,
            uncovered,
            is,
            COMPARISON_BITS,
            "the insurance fund cannot cover the deficit",
        );
        let other = gate.select_by_indicator(ctx, s.b.balances, s.m_is.iter().copied());
        let other_magnitude = gate.mul(ctx, other, f.sign);
        let other_magnitude = gate.neg(ctx, other_magnitude); // > 0 iff opposite side
        let opposite = gate.sub(ctx, other_magnitude, Constant(Fr::one()));
        assert_nonneg_if(ctx, range, opposite, is, 70, "the counterparty holds the opposite side");
        let other_room = gate.sub(ctx, other_magnitude, f.base);
        assert_nonneg_if(ctx, range, other_room, is, 70, "base ≤ |counterparty position|");
        let a_value = f.a_margin.total_value;
        assert_nonneg_if(ctx, range, a_value, is, COMPARISON_BITS, "quote is the bankruptcy price");
        let below_one = gate.sub(ctx, Constant(Fr::from((1u64 << 32) - 1)), a_value);
        assert_nonneg_if(
            ctx,
            range,
            below_one,
            is,
            COMPARISON_BITS,
            "quote is the bankruptcy price",
        );
        assert_nonneg_if(
            ctx,
            range,
            f.b_margin.total_value,
            is,
            COMPARISON_BITS,
            "the counterparty stays solvent",
        );
        Sides::AB(f.a_filled, f.b_filled)
    }
}
