//! `CoverDeficit{account}` — native rule: `crate::tx::cover_deficit`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::SlotCells;
use crate::circuit::account::AssignedAccount;
use crate::circuit::arith::{assert_nonneg_if, require_zero};
use crate::circuit::{Cell, Ctx};
use crate::Fr;

/// Constrains a cover of A's deficit by the insurance fund (gated by its type
/// bit): all balances 0, `collateral < 0`, `fund ≥ −collateral`. Returns A after
/// (`collateral = 0`) and the fund after (`fund += collateral`; unchanged for
/// other types).
pub fn constrain(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    s: &SlotCells,
    insurance_fund: Cell,
) -> (AssignedAccount, Cell) {
    let gate = range.gate();
    let is = s.kinds.cover;
    for balance in s.a.balances {
        let open = gate.mul(ctx, balance, is);
        require_zero(ctx, gate, open, "covered account has no open position");
    }
    let deficit = gate.neg(ctx, s.a.collateral);
    let deficit_minus_one = gate.sub(ctx, deficit, Constant(Fr::one()));
    assert_nonneg_if(ctx, range, deficit_minus_one, is, 64);
    let fund_after = gate.add(ctx, insurance_fund, s.a.collateral);
    assert_nonneg_if(ctx, range, fund_after, is, 64);
    let fund = gate.select(ctx, fund_after, insurance_fund, is);
    let collateral = ctx.load_zero();
    (AssignedAccount { collateral, ..s.a.clone() }, fund)
}
