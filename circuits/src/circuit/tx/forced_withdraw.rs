//! `ForcedWithdraw{account, amount, outcome}` — native rule:
//! `clearproof_protocol::tx::forced_withdraw`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Gadget, Sides, Slot};
use crate::circuit::account::AssignedAccount;
use crate::circuit::arith::require_zero;
use crate::circuit::Ctx;
use crate::Fr;
use clearproof_protocol::tx::TxKind;

/// A forced withdrawal from A: the outcome is the one the Withdraw debit gives
/// ([`super::withdraw::Debit`], no signature, no nonce): 0 (applied) when the
/// collateral stays ≥ 0 and the account healthy at `im_bp`, 1 when the
/// collateral would go negative, 2 when the account would be unhealthy, i.e.
/// `outcome = 1 + nonneg − 2·nonneg·healthy`. Applied: `collateral −= amount`,
/// nonce unchanged. Refused: the leaf is unchanged (as loaded, funding not
/// settled).
pub(crate) struct ForcedWithdraw;

impl Gadget for ForcedWithdraw {
    const KIND: TxKind = TxKind::ForcedWithdraw;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let outcome = s.field(Self::KIND, "outcome");
        let debit = s.debit(ctx, range);
        let applied = gate.mul(ctx, debit.nonneg, debit.healthy);
        let expected = gate.add(ctx, debit.nonneg, Constant(Fr::one()));
        let expected = gate.mul_add(ctx, applied, Constant(-Fr::from(2u64)), expected);
        let diff = gate.sub(ctx, outcome, expected);
        let bad = gate.mul(ctx, diff, is);
        require_zero(ctx, gate, bad, "forced withdrawal outcome is the rule's");
        let withdrawn = AssignedAccount { collateral: debit.remaining, ..s.a.clone() };
        Sides::A(withdrawn.select(ctx, gate, &s.a_before, applied))
    }
}
