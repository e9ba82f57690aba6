//! The fill shared by `Trade`, `Liquidate` and `Deleverage` (PROTOCOL §6): A
//! (buyer, liquidated or bankrupt) and B (seller, liquidator or counterparty)
//! exchange `base` lots of the named market for `quote`. The rules common to the
//! three live here; each type's own rules are in its file.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::Slot;
use crate::circuit::account::AssignedAccount;
use crate::circuit::arith::{assert_nonneg_if, nonneg_flag, require_zero};
use crate::circuit::cost::{metered, Part};
use crate::circuit::margin::Margin;
use crate::circuit::num::{check_amount, check_bits};
use crate::circuit::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::margin::MarginLevel;
use clearproof_protocol::tx::TxKind;

/// The fill types: `base` lots of the named market for `quote`, between A and B.
pub(crate) const FILLS: [TxKind; 3] = [TxKind::Trade, TxKind::Liquidate, TxKind::Deleverage];
/// Fills whose price must lie in the band around the oracle price.
const BANDED: [TxKind; 2] = [TxKind::Trade, TxKind::Liquidate];
/// Fills that close A's position (their direction is the position's opposite).
const CLOSES: [TxKind; 2] = [TxKind::Liquidate, TxKind::Deleverage];

/// Bits bounding the band and cap comparisons (products of a 63-bit amount, a
/// 64-bit price and ≤ 2^46 factors).
pub(crate) const COMPARISON_BITS: usize = 150;

/// The fill's inputs and results, zero outside fills.
#[derive(Clone)]
pub(crate) struct Fill {
    /// Lots moved (`0 < base < 2^63` in a fill).
    pub base: Cell,
    /// Quote micro-units paid for them (`0 < quote < 2^63` in a fill).
    pub quote: Cell,
    /// Trade fees (zero outside trades).
    pub buyer_fee: Cell,
    /// Seller's trade fee.
    pub seller_fee: Cell,
    /// Liquidation penalty (zero outside liquidations).
    pub penalty: Cell,
    /// `base · price` at the oracle price of the market.
    pub oracle_value: Cell,
    /// `+1` if A's position in the market is long, `−1` if short (meaningful for
    /// liquidations and deleverages, which close it).
    pub sign: Cell,
    /// The fill's direction: `+1` when A buys, `−1` when A sells, 0 outside fills.
    pub dir: Cell,
    /// A's margin after funding, before the fill.
    pub a_margin_before: Margin,
    /// A after the fill.
    pub a_filled: AssignedAccount,
    /// B after the fill.
    pub b_filled: AssignedAccount,
    /// A's margin after the fill.
    pub a_margin: Margin,
    /// B's margin after the fill.
    pub b_margin: Margin,
    /// A is healthy at `im_bp` after the fill.
    pub a_im: Cell,
    /// B is healthy at `im_bp` after the fill.
    pub b_im: Cell,
}

/// Constrains what the three fills share and computes both accounts after it:
/// - amounts: `0 < base, quote < 2^63`, fees and penalty `< 2^63`;
/// - trades and liquidations: "fill price within the band",
///   `10 000·|quote·2^32 − base·price| ≤ band_bp·base·price`;
/// - liquidations and deleverages close A's position: it is non-zero, its sign
///   fixes the direction (A sells a long, buys back a short), and
///   `base ≤ |position|`, so the position shrinks toward zero and keeps its sign;
/// - effects: A gets `dir·base` and pays `dir·quote` plus its fee or penalty, B
///   the opposite and its fee (`dir = +1` for a buyer, `−sign` for a close).
pub(crate) fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &Slot<'_>) -> Fill {
    let gate = range.gate();
    let forced_close = s.is_any(ctx, gate, &CLOSES);
    let fill = s.is_any(ctx, gate, &FILLS);
    let banded = s.is_any(ctx, gate, &BANDED);
    // Every input is zeroed outside its types so the arithmetic stays bounded.
    let base = s.input(ctx, gate, "base", &FILLS);
    let quote = s.input(ctx, gate, "quote", &FILLS);
    let buyer_fee = s.input(ctx, gate, "buyer_fee", &[TxKind::Trade]);
    let seller_fee = s.input(ctx, gate, "seller_fee", &[TxKind::Trade]);
    let penalty = s.input(ctx, gate, "penalty", &[TxKind::Liquidate]);
    let checked_base = gate.select(ctx, base, Constant(Fr::one()), fill);
    check_amount(ctx, range, checked_base);
    let checked_quote = gate.select(ctx, quote, Constant(Fr::one()), fill);
    check_amount(ctx, range, checked_quote);
    for x in [buyer_fee, seller_fee, penalty] {
        check_bits(ctx, range, x, 63);
    }

    // "fill price within the band" (trades and liquidations).
    let price = s.pick(ctx, gate, |m| m.price);
    let band = s.pick(ctx, gate, |m| m.band_bp);
    let oracle_value = gate.mul(ctx, base, price);
    let fill_value = gate.mul(ctx, quote, Constant(Fr::from(1u64 << 32)));
    let gap = gate.sub(ctx, fill_value, oracle_value);
    let scaled_gap = gate.mul(ctx, gap, Constant(Fr::from(10_000u64)));
    let allowance = gate.mul(ctx, band, oracle_value);
    let over = gate.sub(ctx, allowance, scaled_gap);
    let under = gate.add(ctx, allowance, scaled_gap);
    assert_nonneg_if(ctx, range, over, banded, COMPARISON_BITS, "fill price within the band");
    assert_nonneg_if(ctx, range, under, banded, COMPARISON_BITS, "fill price within the band");

    // A forced close: "A has a position in the market", its sign fixes the
    // direction, and "base ≤ |position|" keeps the sign.
    let position = gate.select_by_indicator(ctx, s.a.balances, s.m_is.iter().copied());
    let position_minus_one = gate.sub(ctx, position, Constant(Fr::one()));
    let long = nonneg_flag(ctx, range, position_minus_one, 70);
    let flat = gate.is_zero(ctx, position);
    let bad = gate.mul(ctx, flat, forced_close);
    require_zero(ctx, gate, bad, "the closed account has a position in the market");
    let two_long = gate.mul(ctx, long, Constant(Fr::from(2u64)));
    let sign = gate.sub(ctx, two_long, Constant(Fr::one())); // +1 long, −1 short
    let magnitude = gate.mul(ctx, position, sign);
    let room = gate.sub(ctx, magnitude, base);
    assert_nonneg_if(ctx, range, room, forced_close, 70, "the close does not flip the position");
    let a_margin_before =
        metered(Part::Margin, ctx, range, |ctx| Margin::new(ctx, range, &s.a, s.markets));

    // Effects.
    let close_dir = gate.mul(ctx, sign, forced_close);
    let dir = gate.sub(ctx, s.is(TxKind::Trade), close_dir);
    let a_fee = gate.add(ctx, buyer_fee, penalty);
    let moved = |ctx: &mut Ctx, acc: &AssignedAccount, side: Fr, fee: Cell| {
        let signed_dir = gate.mul(ctx, dir, Constant(side));
        let delta_base = gate.mul(ctx, base, signed_dir);
        let balances =
            std::array::from_fn(|m| gate.mul_add(ctx, delta_base, s.m_is[m], acc.balances[m]));
        let paid = gate.mul(ctx, quote, signed_dir);
        let paid = gate.add(ctx, paid, fee);
        let collateral = gate.sub(ctx, acc.collateral, paid);
        AssignedAccount { balances, collateral, ..acc.clone() }
    };
    let a_filled = moved(ctx, &s.a, Fr::one(), a_fee);
    let b_filled = moved(ctx, &s.b, -Fr::one(), seller_fee);
    // Each filled side's margin, computed once for every rule that needs it.
    let (a_margin, b_margin, a_im, b_im) = metered(Part::Margin, ctx, range, |ctx| {
        let a_margin = Margin::new(ctx, range, &a_filled, s.markets);
        let b_margin = Margin::new(ctx, range, &b_filled, s.markets);
        let a_im = a_margin.healthy(ctx, range, s.markets, MarginLevel::Initial);
        let b_im = b_margin.healthy(ctx, range, s.markets, MarginLevel::Initial);
        (a_margin, b_margin, a_im, b_im)
    });
    Fill {
        base,
        quote,
        buyer_fee,
        seller_fee,
        penalty,
        oracle_value,
        sign,
        dir,
        a_margin_before,
        a_filled,
        b_filled,
        a_margin,
        b_margin,
        a_im,
        b_im,
    }
}
