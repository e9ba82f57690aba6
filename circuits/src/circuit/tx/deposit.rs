//! `Deposit{account, owner, amount}` — native rule: `clearproof_protocol::tx::deposit`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Gadget, Sides, Slot};
use crate::circuit::account::AssignedAccount;
use crate::circuit::arith::require_zero;
use crate::circuit::num::check_amount;
use crate::circuit::Ctx;
use crate::Fr;
use clearproof_protocol::orders::OrderSlots;
use clearproof_protocol::tx::TxKind;

/// A deposit into A: an existing account must belong to `owner`;
/// `0 < amount < 2^63`; a new account gets the owner, nonce 0, snapshots at
/// the indices (funding settlement of an empty leaf already set those) and the
/// empty order-slot root; `collateral += amount`.
pub(crate) struct Deposit;

impl Gadget for Deposit {
    const KIND: TxKind = TxKind::Deposit;

    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, s: &mut Slot<'_>) -> Sides {
        let gate = range.gate();
        let is = s.is(Self::KIND);
        let field = |name| s.field(Self::KIND, name);
        let (owner_x, owner_y, amount) = (field("owner_x"), field("owner_y"), field("amount"));
        let existing = gate.mul(ctx, is, s.a_before.exists);
        for (have, want) in [(s.a_before.owner_x, owner_x), (s.a_before.owner_y, owner_y)] {
            let diff = gate.sub(ctx, have, want);
            let bad = gate.mul(ctx, diff, existing);
            require_zero(ctx, gate, bad, "deposit owner matches the account");
        }
        let checked = gate.select(ctx, amount, Constant(Fr::one()), is);
        check_amount(ctx, range, checked);
        let credited = gate.mul(ctx, amount, is);
        let collateral = gate.add(ctx, s.a.collateral, credited);
        let exists = ctx.load_constant(Fr::one());
        // A new account starts with every order slot empty.
        let empty = Constant(OrderSlots::empty_root());
        let orders_root = gate.select(ctx, s.a.orders_root, empty, s.a_before.exists);
        Sides::A(AssignedAccount {
            exists,
            owner_x,
            owner_y,
            collateral,
            orders_root,
            ..s.a.clone()
        })
    }
}
