//! `Withdraw{account, amount, nonce}` — native rule: `clearproof_protocol::tx::withdraw`.
//! Also the debit it shares with `ForcedWithdraw` ([`Debit`]).

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Gadget, Sides, Slot};
use crate::circuit::account::AssignedAccount;
use crate::circuit::arith::{nonneg_flag, require_zero};
use crate::circuit::cost::{metered, Part};
use crate::circuit::margin::Margin;
use crate::circuit::num::check_amount;
use crate::circuit::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::margin::MarginLevel;
use clearproof_protocol::tx::TxKind;

/// The types that debit side A's collateral by their `amount`.
const DEBITS: [TxKind; 2] = [TxKind::Withdraw, TxKind::ForcedWithdraw];

/// The Withdraw rule's debit of side A (`clearproof_protocol::tx::withdraw::debit`), laid out
/// once per slot for both types that use it: `0 < amount < 2^63`,
/// `remaining = collateral − amount`, and two constrained bits, `[remaining ≥ 0]`
/// and "healthy at `im_bp` after". A rule asserts them (Withdraw) or proves its
/// outcome from them (ForcedWithdraw).
#[derive(Clone)]
pub(crate) struct Debit {
    /// `collateral − amount` (the amount is 0 outside the debit types).
    pub remaining: Cell,
    /// `[remaining ≥ 0]`.
    pub nonneg: Cell,
    /// Healthy at `im_bp` after the debit (meaningful when `nonneg`).
    pub healthy: Cell,
}

/// Lays out the slot's [`Debit`] ([`Slot::debit`] calls this once).
pub(crate) fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &Slot<'_>) -> Debit {
    let gate = range.gate();
    let is = s.is_any(ctx, gate, &DEBITS);
    // Zero outside the debit types, so the margin below always sees bounded values.
    let amount = s.input(ctx, gate, "amount", &DEBITS);
    let checked = gate.select(ctx, amount, Constant(Fr::one()), is);
    check_amount(ctx, range, checked);
    // collateral ∈ (−2^63, 2^63), amount ∈ [0, 2^63): |remaining| < 2^64.
    let remaining = gate.sub(ctx, s.a.collateral, amount);
    let nonneg = nonneg_flag(ctx, range, remaining, 64);
    // The margin sees a value in its range either way; when the debit would go
    // negative its health is not used.
    let collateral = gate.select(ctx, remaining, s.a.collateral, nonneg);
    let after = AssignedAccount { collateral, ..s.a.clone() };
    let healthy = metered(Part::Margin, ctx, range, |ctx| {
        let margin = Margin::new(ctx, range, &after, s.markets);
        margin.healthy(ctx, range, s.markets, MarginLevel::Initial)
    });
    Debit { remaining, nonneg, healthy }
}

/// A withdrawal from A: the nonce matches; the [`Debit`]: `0 < amount < 2^63`,
/// after the change `collateral ≥ 0` and the account is healthy at `im_bp`;
/// `nonce += 1`.
pub(crate) struct Withdraw;

impl Gadget for Withdraw {
    const KIND: TxKind = TxKind::Withdraw;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let nonce = s.field(Self::KIND, "nonce");
        let nonce_diff = gate.sub(ctx, s.a_before.nonce, nonce);
        let bad = gate.mul(ctx, nonce_diff, is);
        require_zero(ctx, gate, bad, "withdrawal nonce matches");
        let debit = s.debit(ctx, range);
        let negative = gate.not(ctx, debit.nonneg);
        let bad = gate.mul(ctx, negative, is);
        require_zero(ctx, gate, bad, "withdrawal leaves collateral ≥ 0");
        let unhealthy = gate.not(ctx, debit.healthy);
        let bad = gate.mul(ctx, unhealthy, is);
        require_zero(ctx, gate, bad, "withdrawal leaves the account healthy at im");
        let nonce = gate.add(ctx, s.a.nonce, Constant(Fr::one()));
        Sides::A(AssignedAccount { collateral: debit.remaining, nonce, ..s.a.clone() })
    }
}
