//! `Withdraw{account, amount, nonce}` — native rule: `crate::tx::withdraw`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Gadget, Sides};
use crate::circuit::account::AssignedAccount;
use crate::circuit::arith::{assert_nonneg_if, require_zero};
use crate::circuit::cost::{metered, Part};
use crate::circuit::margin::Margin;
use crate::circuit::num::check_amount;
use crate::circuit::slot::Slot;
use crate::circuit::Ctx;
use crate::margin::MarginLevel;
use crate::tx::TxKind;
use crate::Fr;

/// A withdrawal from A: the nonce matches; `0 < amount < 2^63`; after the change
/// `collateral ≥ 0` and the account is healthy at `im_bp`; `nonce += 1`.
pub(crate) struct Withdraw;

impl Gadget for Withdraw {
    const KIND: TxKind = TxKind::Withdraw;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let (amount, nonce) = (s.field(Self::KIND, "amount"), s.field(Self::KIND, "nonce"));
        let nonce_diff = gate.sub(ctx, s.a_before.nonce, nonce);
        let bad = gate.mul(ctx, nonce_diff, is);
        require_zero(ctx, gate, bad, "withdrawal nonce matches");
        let checked = gate.select(ctx, amount, Constant(Fr::one()), is);
        check_amount(ctx, range, checked);
        // Zero outside withdrawals, so the margin below always sees bounded values.
        let taken = gate.mul(ctx, amount, is);
        let remaining = gate.sub(ctx, s.a.collateral, taken);
        assert_nonneg_if(ctx, range, remaining, is, 64, "withdrawal leaves collateral ≥ 0");
        let nonce = gate.add(ctx, s.a.nonce, Constant(Fr::one()));
        let after = AssignedAccount { collateral: remaining, nonce, ..s.a.clone() };
        let healthy = metered(Part::Margin, ctx, range, |ctx| {
            let margin = Margin::new(ctx, range, &after, s.markets);
            margin.healthy(ctx, range, s.markets, MarginLevel::Initial)
        });
        let unhealthy = gate.not(ctx, healthy);
        let bad = gate.mul(ctx, unhealthy, is);
        require_zero(ctx, gate, bad, "withdrawal leaves the account healthy at im");
        Sides::A(after)
    }
}
