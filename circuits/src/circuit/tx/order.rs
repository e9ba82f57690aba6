//! The order half of a fill (PROTOCOL §6.2), shared by `Trade` (both sides)
//! and `Liquidate` (side B, the liquidator): native rule
//! `clearproof_protocol::orders::authorise_fill`.
//!
//! Each slot lays out one order check per side, active when the slot's type
//! names an order for that side ([`clearproof_protocol::tx::TxSpec::order_ids`]). For an
//! active side, with the order's terms and the slot's previous content as
//! witnesses:
//!
//! - "order terms in range": size, limit price, fee cap and expiry as the
//!   native types bound them; the order id (public) `< 2^63`, its slot
//!   `order_id mod 2^8` (the path's directions) and quotient bound;
//! - "order slot is a member of the account's orders_root": the slot's previous
//!   leaf (`H(id, filled)`, or 0 when empty) under the settled account's root;
//! - "order not superseded in its slot": a previous occupant's id is not larger;
//! - "order filled within its size": `filled + base ≤ size`, with `filled` the
//!   occupant's when it is the same order, else 0;
//! - "fill within the order's limit price": buyer `quote·2^32 ≤ limit·base`,
//!   seller `≥` (the side follows the fill's direction);
//! - "fee within the order's max_fee_bp": `10 000·fee ≤ max_fee_bp·quote`;
//! - "order not expired at the oracle clock": `price_ts ≤ expiry`;
//!
//! and the account's new `orders_root` is the path's root over `H(id, filled +
//! base)`. The order's account, market and side are not witnesses: its signed
//! message is built from the fill's own cells, and its signature is checked in
//! [`super::signatures`].

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::utils::ScalarField;
use halo2_base::QuantumCell::Constant;

use super::fill::Fill;
use super::Slot;
use crate::circuit::arith::{assert_nonneg_if, require_zero};
use crate::circuit::cost::{metered, Part};
use crate::circuit::merkle;
use crate::circuit::num::{check_bits, check_bps};
use crate::circuit::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::orders::{Slot as OrderSlot, SlotUpdate, ORDER_TREE_DEPTH};
use clearproof_protocol::params::{BPS_DENOMINATOR, TIMESTAMP_BITS};
use clearproof_protocol::tx::{Authority, TxKind};

/// One side's order check: the account's `orders_root` after it (unchanged
/// when the side fills no order) and the cells its signed message is built from.
#[derive(Clone)]
pub(crate) struct OrderCheck {
    /// The constrained bit "this side fills an order".
    pub active: Cell,
    /// `orders_root` after the fill.
    pub root_after: Cell,
    /// 1 if the side sells.
    pub sell: Cell,
    /// `size, limit_price, max_fee_bp, expiry, order_id`.
    pub terms: [Cell; 5],
}

/// The witness of one side: the order's terms and the slot's update.
fn side_witness(s: &Slot<'_>, side: usize) -> ([Fr; 4], Option<SlotUpdate>) {
    let w = s.witness;
    let Some(kind) = w.tx.as_ref().map(|t| t.kind()) else { return ([Fr::zero(); 4], None) };
    let spec = kind.spec();
    if spec.order_ids[side].is_none() {
        return ([Fr::zero(); 4], None);
    }
    // The orders and updates list the sides that fill one, in side order.
    let index = spec.order_ids[..side].iter().filter(|o| o.is_some()).count();
    let terms = match &w.auth {
        Authority::Orders { orders } => orders.get(index).map(|o| {
            let o = &o.order;
            [
                o.size.to_field(),
                o.limit_price.to_field(),
                o.max_fee_bp.to_field(),
                o.expiry.to_field(),
            ]
        }),
        _ => None,
    };
    (terms.unwrap_or([Fr::zero(); 4]), w.order_fills.get(index).cloned())
}

/// Lays out both sides' order checks (see the module documentation).
pub(crate) fn constrain(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    s: &Slot<'_>,
    f: &Fill,
) -> [OrderCheck; 2] {
    let gate = range.gate();
    let price_ts = s.pick(ctx, gate, |m| m.price_ts);
    let fees = [f.buyer_fee, f.seller_fee];
    std::array::from_fn(|side| {
        let kinds: Vec<TxKind> =
            TxKind::ALL.iter().copied().filter(|k| k.spec().order_ids[side].is_some()).collect();
        let active = s.is_any(ctx, gate, &kinds);
        let order_id = s.order_id(ctx, gate, side);
        let account = if side == 0 { &s.a } else { &s.b };
        let (terms, update) = side_witness(s, side);
        let [size, limit, max_fee, expiry] = terms.map(|t| ctx.load_witness(t));
        let before: Option<OrderSlot> = update.as_ref().and_then(|u| u.before);
        let occupied = ctx.load_witness(Fr::from(u64::from(before.is_some())));
        let old_id = ctx.load_witness(Fr::from(before.map_or(0, |b| b.order_id)));
        let old_filled = ctx.load_witness(Fr::from(before.map_or(0, |b| b.filled)));
        let siblings = ctx.assign_witnesses(
            update.as_ref().map_or(vec![Fr::zero(); ORDER_TREE_DEPTH], |u| u.path.siblings.clone()),
        );
        let id_value = order_id.value().get_lower_64();
        let quotient = ctx.load_witness(Fr::from(id_value >> ORDER_TREE_DEPTH));
        let low = ctx.load_witness(Fr::from(id_value % (1 << ORDER_TREE_DEPTH)));

        // "order terms in range".
        check_bits(ctx, range, size, 63);
        check_bits(ctx, range, limit, 64);
        check_bps(ctx, range, max_fee);
        check_bits(ctx, range, expiry, TIMESTAMP_BITS as usize);
        check_bits(ctx, range, order_id, 63);
        check_bits(ctx, range, old_id, 63);
        check_bits(ctx, range, old_filled, 63);
        gate.assert_bit(ctx, occupied);
        check_bits(ctx, range, quotient, 63 - ORDER_TREE_DEPTH);
        let bits = merkle::index_bits(ctx, range, low, ORDER_TREE_DEPTH);
        let recomposed =
            gate.mul_add(ctx, quotient, Constant(Fr::from(1u64 << ORDER_TREE_DEPTH)), low);
        let off = gate.sub(ctx, recomposed, order_id);
        require_zero(ctx, gate, off, "order terms in range");

        // The slot before: membership, supersession, what is already filled.
        let (root_before, root_after) = metered(Part::OrderSlots, ctx, range, |ctx| {
            let hashed = s.hasher.hash(ctx, gate, &[old_id, old_filled]);
            let old_leaf = gate.mul(ctx, hashed, occupied);
            let same_id = gate.is_equal(ctx, old_id, order_id);
            let same = gate.and(ctx, same_id, occupied);
            let prior = gate.mul(ctx, same, old_filled);
            let filled = gate.add(ctx, prior, f.base);
            let room = gate.sub(ctx, size, filled);
            assert_nonneg_if(ctx, range, room, active, 64, "order filled within its size");
            let newer = gate.sub(ctx, order_id, old_id);
            let replaces = gate.and(ctx, active, occupied);
            assert_nonneg_if(ctx, range, newer, replaces, 64, "order not superseded in its slot");
            let new_leaf = s.hasher.hash(ctx, gate, &[order_id, filled]);
            let before = merkle::root_of(ctx, range, s.hasher, &bits, &siblings, old_leaf);
            let after = merkle::root_of(ctx, range, s.hasher, &bits, &siblings, new_leaf);
            (before, after)
        });
        let mismatch = gate.sub(ctx, root_before, account.orders_root);
        let bad = gate.mul(ctx, mismatch, active);
        require_zero(ctx, gate, bad, "order slot is a member of the account's orders_root");
        let root_after = gate.select(ctx, root_after, account.orders_root, active);

        // The order's terms against the fill. A fill's direction `dir` is +1 when
        // A buys: side A sells when it is −1, side B when it is +1.
        let sell =
            gate.is_equal(ctx, f.dir, Constant(if side == 0 { -Fr::one() } else { Fr::one() }));
        let bound = gate.mul(ctx, limit, f.base);
        let paid = gate.mul(ctx, f.quote, Constant(Fr::from(1u64 << 32)));
        let slack = gate.sub(ctx, bound, paid); // ≥ 0 for a buyer
        let twice = gate.mul(ctx, slack, Constant(Fr::from(2u64)));
        let flip = gate.mul(ctx, twice, sell);
        let signed = gate.sub(ctx, slack, flip); // ≥ 0 for a seller: paid − bound
        assert_nonneg_if(ctx, range, signed, active, 130, "fill within the order's limit price");
        let fee_room = gate.mul(ctx, max_fee, f.quote);
        let scaled_fee = gate.mul(ctx, fees[side], Constant(Fr::from(BPS_DENOMINATOR)));
        let fee_slack = gate.sub(ctx, fee_room, scaled_fee);
        assert_nonneg_if(ctx, range, fee_slack, active, 80, "fee within the order's max_fee_bp");
        let left = gate.sub(ctx, expiry, price_ts);
        assert_nonneg_if(ctx, range, left, active, 41, "order not expired at the oracle clock");

        OrderCheck { active, root_after, sell, terms: [size, limit, max_fee, expiry, order_id] }
    })
}
