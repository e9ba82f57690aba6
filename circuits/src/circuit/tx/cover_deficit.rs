//! `CoverDeficit{account}` — native rule: `clearproof_protocol::tx::cover_deficit`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Gadget, Sides, Slot};
use crate::circuit::account::AssignedAccount;
use crate::circuit::arith::{assert_nonneg_if, require_zero};
use crate::circuit::Ctx;
use crate::Fr;
use clearproof_protocol::tx::TxKind;

/// A cover of A's deficit by the insurance fund: all balances 0,
/// `collateral < 0`, `fund ≥ −collateral`. A after has `collateral = 0`; the
/// fund after is `fund + collateral` (unchanged for other types).
pub(crate) struct CoverDeficit;

impl Gadget for CoverDeficit {
    const KIND: TxKind = TxKind::CoverDeficit;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let insurance_fund = s.globals.insurance_fund;
        for balance in s.a.balances {
            let open = gate.mul(ctx, balance, is);
            require_zero(ctx, gate, open, "covered account has no open position");
        }
        let deficit = gate.neg(ctx, s.a.collateral);
        let deficit_minus_one = gate.sub(ctx, deficit, Constant(Fr::one()));
        assert_nonneg_if(
            ctx,
            range,
            deficit_minus_one,
            is,
            64,
            "the covered account has a deficit",
        );
        let fund_after = gate.add(ctx, insurance_fund, s.a.collateral);
        assert_nonneg_if(ctx, range, fund_after, is, 64, "the insurance fund covers the deficit");
        s.globals.insurance_fund = gate.select(ctx, fund_after, insurance_fund, is);
        let collateral = ctx.load_zero();
        Sides::A(AssignedAccount { collateral, ..s.a.clone() })
    }
}
