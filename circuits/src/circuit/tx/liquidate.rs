//! `Liquidate{market, liquidated, liquidator, base, quote, penalty}` — native
//! rule: `clearproof_protocol::tx::liquidate`. The fill itself (amounts, band, closing
//! direction, shrink-and-keep-sign, effects) is [`super::fill`].

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::fill::COMPARISON_BITS;
use super::{Gadget, Sides, Slot};
use crate::circuit::account::AssignedAccount;
use crate::circuit::arith::{assert_nonneg_if, require_zero};
use crate::circuit::cost::{metered, Part};
use crate::circuit::Ctx;
use crate::Fr;
use clearproof_protocol::margin::MarginLevel;
use clearproof_protocol::tx::TxKind;

/// A liquidation's own rules: the liquidated account (A) is below maintenance
/// margin after funding; `penalty ≤ liq_fee_bp` of the notional at the oracle
/// price (`liq_fee_bp·base·price − 10 000·penalty·2^32 ≥ 0`); the liquidator (B)
/// is healthy at `im_bp` after. The penalty goes to the insurance fund (it is
/// zero outside liquidations).
pub(crate) struct Liquidate;

impl Gadget for Liquidate {
    const KIND: TxKind = TxKind::Liquidate;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let f = s.fill(ctx, range);
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let healthy_mm = metered(Part::Margin, ctx, range, |ctx| {
            f.a_margin_before.healthy(ctx, range, s.markets, MarginLevel::Maintenance)
        });
        let bad = gate.mul(ctx, healthy_mm, is);
        require_zero(ctx, gate, bad, "the liquidated account is below maintenance margin");
        let liq_fee = s.pick(ctx, gate, |m| m.liq_fee_bp);
        let penalty_room = gate.mul(ctx, liq_fee, f.oracle_value);
        let scaled_penalty = gate.mul(ctx, f.penalty, Constant(Fr::from(10_000u64 << 32)));
        let slack = gate.sub(ctx, penalty_room, scaled_penalty);
        assert_nonneg_if(
            ctx,
            range,
            slack,
            is,
            COMPARISON_BITS,
            "penalty within liq_fee_bp of the notional",
        );
        let not_ok = gate.not(ctx, f.b_im);
        let bad = gate.mul(ctx, not_ok, is);
        require_zero(ctx, gate, bad, "the liquidator is healthy at im after");
        let fund = gate.add(ctx, s.globals.insurance_fund, f.penalty);
        range.range_check(ctx, fund, 63);
        s.globals.insurance_fund = fund;
        let [_, liquidator_order] = s.orders(ctx, range);
        Sides::AB(
            f.a_filled,
            AssignedAccount { orders_root: liquidator_order.root_after, ..f.b_filled },
        )
    }
}
