//! Each transaction's circuit constraints, one [`Gadget`] per registered type,
//! in a file next to its native rule (`tx/trade.rs` ↔ `circuit/tx/trade.rs`).
//!
//! Every slot lays out every gadget; each is gated by the slot's type bit, so a
//! rule is enforced exactly when the slot holds its type and is a no-op
//! otherwise (an equality as `is_type·(lhs − rhs) = 0`, an inequality as a range
//! check of `is_type·value`). Inputs a type does not use are zeroed by its bit
//! first, so the arithmetic stays bounded in every slot.
//!
//! A gadget declares nothing the native rule already declares: the fields it
//! reads, the accounts it fills (side A, then B) and the market it names come
//! from the type's [`TxSpec`](clearproof_protocol::tx::TxSpec), and `circuit/slot.rs` derives
//! the type one-hot, the unused-field masks and the market and account
//! selection from those specs. [`lay_out`] matches on [`TxKind`] exhaustively,
//! so a registered type without a gadget does not compile, and it checks that
//! each gadget fills exactly the sides its spec names.
//!
//! | transaction | native rule | constraints |
//! |---|---|---|
//! | `Deposit` | `tx/deposit.rs` | [`deposit`] |
//! | `Withdraw` | `tx/withdraw.rs` | [`withdraw`] (its debit shared with the next), [`signatures`] (the owner's) |
//! | `ForcedWithdraw` | `tx/forced_withdraw.rs` | [`forced_withdraw`] (the outcome of [`withdraw`]'s debit) |
//! | `CoverDeficit` | `tx/cover_deficit.rs` | [`cover_deficit`] |
//! | `Trade` | `tx/trade.rs` | [`fill`] (shared with the two below), [`order`] and [`signatures`] (both sides), [`trade`] |
//! | `Liquidate` | `tx/liquidate.rs` | [`fill`], [`order`] and [`signatures`] (the liquidator), [`liquidate`] |
//! | `Deleverage` | `tx/deleverage.rs` | [`fill`], [`deleverage`] |
//! | `PriceUpdate` | `tx/price_update.rs`, `oracle.rs` | [`price_update`], [`oracle`] and [`signatures`] (the committee's observations, over this slot and its continuation) |
//! | `FundingTick` | `tx/funding_tick.rs`, `oracle.rs` | [`funding_tick`], [`oracle`] and [`signatures`] (as for a price update) |

use halo2_base::gates::RangeChip;

use super::account::AssignedAccount;
use super::slot::Slot;
use super::Ctx;
use crate::Fr;
use clearproof_protocol::tx::TxKind;

pub(crate) mod cover_deficit;
pub(crate) mod deleverage;
pub(crate) mod deposit;
pub(crate) mod fill;
pub(crate) mod forced_withdraw;
pub(crate) mod funding_tick;
pub(crate) mod liquidate;
pub(crate) mod oracle;
pub(crate) mod order;
pub(crate) mod price_update;
pub(crate) mod signatures;
pub(crate) mod trade;
pub(crate) mod withdraw;

/// The accounts a gadget computed after its transaction, for the slot's two
/// Merkle updates (side A first).
// One per gadget per slot, moved once: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Sides {
    /// It touches no account (oracle transactions).
    None,
    /// Side A only.
    A(AssignedAccount),
    /// Sides A and B.
    AB(AssignedAccount, AssignedAccount),
}

impl Sides {
    fn count(&self) -> usize {
        match self {
            Sides::None => 0,
            Sides::A(_) => 1,
            Sides::AB(..) => 2,
        }
    }
}

/// A transaction type's constraints.
pub(crate) trait Gadget {
    /// The registered type it proves.
    const KIND: TxKind;

    /// Constrains the rule, gated by `slot.is(Self::KIND)`: reads the slot's
    /// encoding, markets, globals and settled accounts, updates the markets and
    /// globals it changes (gated), and returns the accounts after it.
    fn constrain(ctx: &mut Ctx, range: &RangeChip<Fr>, slot: &mut Slot<'_>) -> Sides;
}

/// Lays out `kind`'s gadget in `slot`.
pub(crate) fn lay_out(
    kind: TxKind,
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    slot: &mut Slot<'_>,
) -> Sides {
    match kind {
        TxKind::Deposit => run::<deposit::Deposit>(kind, ctx, range, slot),
        TxKind::Withdraw => run::<withdraw::Withdraw>(kind, ctx, range, slot),
        TxKind::Trade => run::<trade::Trade>(kind, ctx, range, slot),
        TxKind::Liquidate => run::<liquidate::Liquidate>(kind, ctx, range, slot),
        TxKind::CoverDeficit => run::<cover_deficit::CoverDeficit>(kind, ctx, range, slot),
        TxKind::Deleverage => run::<deleverage::Deleverage>(kind, ctx, range, slot),
        TxKind::PriceUpdate => run::<price_update::PriceUpdate>(kind, ctx, range, slot),
        TxKind::FundingTick => run::<funding_tick::FundingTick>(kind, ctx, range, slot),
        TxKind::ForcedWithdraw => run::<forced_withdraw::ForcedWithdraw>(kind, ctx, range, slot),
    }
}

fn run<G: Gadget>(
    kind: TxKind,
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    slot: &mut Slot<'_>,
) -> Sides {
    assert_eq!(G::KIND, kind, "the gadget laid out for {kind} proves {}", G::KIND);
    let sides = G::constrain(ctx, range, slot);
    let declared = kind.spec().accounts.len();
    assert_eq!(
        sides.count(),
        declared,
        "the {kind} gadget fills {} sides, its spec names {declared} accounts",
        sides.count()
    );
    sides
}
