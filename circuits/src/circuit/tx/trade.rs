//! `Trade{market, buyer, seller, base, quote, buyer_fee, seller_fee}` — native
//! rule: `clearproof_protocol::tx::trade`. The fill itself (amounts, band, effects) is
//! [`super::fill`].

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Gadget, Sides, Slot};
use crate::circuit::account::AssignedAccount;
use crate::circuit::arith::{assert_nonneg_if, nonneg_flag, require_zero};
use crate::circuit::cost::{metered, Part};
use crate::circuit::margin::Margin;
use crate::circuit::market::AssignedMarket;
use crate::circuit::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::margin::MarginLevel;
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::tx::TxKind;

/// A trade's own rules: each fee `≤ max_fee_bp` of `quote`
/// (`max_fee_bp·quote − 10 000·fee ≥ 0`), and each side may hold its position
/// after the fill; the fees go to the fee pool (they are zero outside trades).
/// Both sides fill a signed order ([`super::order`]): their `orders_root` moves.
pub(crate) struct Trade;

impl Gadget for Trade {
    const KIND: TxKind = TxKind::Trade;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let f = s.fill(ctx, range);
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let max_fee = s.pick(ctx, gate, |m| m.max_fee_bp);
        let fee_room = gate.mul(ctx, max_fee, f.quote);
        for fee in [f.buyer_fee, f.seller_fee] {
            let scaled_fee = gate.mul(ctx, fee, Constant(Fr::from(10_000u64)));
            let slack = gate.sub(ctx, fee_room, scaled_fee);
            assert_nonneg_if(ctx, range, slack, is, 80, "each fee within max_fee_bp of quote");
        }
        for (before, after, margin) in
            [(&s.a, &f.a_filled, (&f.a_margin, f.a_im)), (&s.b, &f.b_filled, (&f.b_margin, f.b_im))]
        {
            let old = gate.select_by_indicator(ctx, before.balances, s.m_is.iter().copied());
            let new = gate.select_by_indicator(ctx, after.balances, s.m_is.iter().copied());
            let ok = metered(Part::Margin, ctx, range, |ctx| {
                may_hold(ctx, range, s.markets, margin, old, new)
            });
            let not_ok = gate.not(ctx, ok);
            let bad = gate.mul(ctx, not_ok, is);
            require_zero(ctx, gate, bad, "each side may hold its position after the fill");
        }
        let fees = gate.add(ctx, f.buyer_fee, f.seller_fee);
        let pool = gate.add(ctx, s.globals.fee_pool, fees);
        range.range_check(ctx, pool, 63);
        s.globals.fee_pool = pool;
        let [buyer_order, seller_order] = s.orders(ctx, range);
        Sides::AB(
            AssignedAccount { orders_root: buyer_order.root_after, ..f.a_filled },
            AssignedAccount { orders_root: seller_order.root_after, ..f.b_filled },
        )
    }
}

/// A constrained bit: the position moved toward zero without crossing it.
fn shrank(ctx: &mut Ctx, range: &RangeChip<Fr>, old: Cell, new: Cell) -> Cell {
    let gate = range.gate();
    // long: old > 0 and 0 ≤ new < old; short: old < 0 and old < new ≤ 0.
    let old_minus_one = gate.sub(ctx, old, Constant(Fr::one()));
    let long = nonneg_flag(ctx, range, old_minus_one, 70);
    let neg_old = gate.neg(ctx, old);
    let neg_old_minus_one = gate.sub(ctx, neg_old, Constant(Fr::one()));
    let short = nonneg_flag(ctx, range, neg_old_minus_one, 70);
    let new_nonneg = nonneg_flag(ctx, range, new, 70);
    let neg_new = gate.neg(ctx, new);
    let new_nonpos = nonneg_flag(ctx, range, neg_new, 70);
    let toward = gate.sub(ctx, old, new); // > 0 for a long that shrank
    let toward_minus_one = gate.sub(ctx, toward, Constant(Fr::one()));
    let long_down = nonneg_flag(ctx, range, toward_minus_one, 70);
    let away = gate.neg(ctx, toward); // > 0 for a short that shrank
    let away_minus_one = gate.sub(ctx, away, Constant(Fr::one()));
    let short_up = nonneg_flag(ctx, range, away_minus_one, 70);
    let long_ok = gate.and(ctx, long, new_nonneg);
    let long_ok = gate.and(ctx, long_ok, long_down);
    let short_ok = gate.and(ctx, short, new_nonpos);
    let short_ok = gate.and(ctx, short_ok, short_up);
    gate.or(ctx, long_ok, short_ok)
}

/// "may hold the position after a fill": healthy at im, or the position only
/// shrank and healthy at mm.
fn may_hold(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    markets: &[AssignedMarket; MARKETS],
    (margin, im): (&Margin, Cell),
    old_position: Cell,
    new_position: Cell,
) -> Cell {
    let gate = range.gate();
    let mm = margin.healthy(ctx, range, markets, MarginLevel::Maintenance);
    let reduced = shrank(ctx, range, old_position, new_position);
    let reduced_ok = gate.and(ctx, reduced, mm);
    gate.or(ctx, im, reduced_ok)
}
