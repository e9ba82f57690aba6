//! Each transaction's circuit constraints, one [`Gadget`] per registered type,
//! in a file next to its native rule (`tx/trade.rs` ↔ `circuit/tx/trade.rs`).
//!
//! Every slot lays out every gadget; each is gated by the slot's type bit, so a
//! rule is enforced exactly when the slot holds its type and is a no-op
//! otherwise (an equality as `is_type·(lhs − rhs) = 0`, an inequality as a range
//! check of `is_type·value`). Inputs a type does not use are zeroed by its bit
//! first, so the arithmetic stays bounded in every slot.
//!
//! What a gadget reads and changes is a [`Slot`]: the slot's encoding and type
//! bits, the named market, the running markets and globals ([`GlobalCells`]),
//! the touched accounts, and the parts several types share ([`Shared`]).
//! `circuit/slot.rs` builds it; this module and the gadgets never import
//! `slot.rs`.
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

use std::collections::BTreeMap;

use halo2_base::gates::{GateInstructions, RangeChip};

use super::account::AssignedAccount;
use super::hash::CircuitHasher;
use super::market::AssignedMarket;
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::params::{MARKETS, TX_ENCODING_LEN};
use clearproof_protocol::tx::TxKind;
use clearproof_protocol::witness::SlotWitness;
use fill::Fill;
use order::OrderCheck;
use withdraw::Debit;

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

/// Global cells carried through a chunk.
pub(super) struct GlobalCells {
    /// `insurance_fund`.
    pub insurance_fund: Cell,
    /// `fee_pool`.
    pub fee_pool: Cell,
    /// `batch_number`.
    pub batch_number: Cell,
}

impl GlobalCells {
    /// The fields in `globals_hash` order.
    pub(super) fn fields(&self) -> [Cell; 3] {
        [self.insurance_fund, self.fee_pool, self.batch_number]
    }
}

/// What a gadget reads and changes in its slot: the encoding and type bits, the
/// named market's one-hot, the running markets and globals (updated in place,
/// gated), and the two touched accounts (A: side A as loaded, and both sides
/// after funding settlement).
pub(crate) struct Slot<'a> {
    /// The transaction's encoding cells (tag first).
    pub enc: [Cell; TX_ENCODING_LEN],
    /// One bit per registered type: "this slot holds it" (a one-hot with the
    /// no-op).
    pub kinds: Vec<(TxKind, Cell)>,
    /// One-hot of the named market (market 0 for types that name none).
    pub m_is: Vec<Cell>,
    /// The named market's id (0 for types that name none).
    pub market_id: Cell,
    /// The accounts of sides A and B (0 for a side the type does not touch).
    pub account_index: [Cell; 2],
    /// The markets as of this slot.
    pub markets: &'a mut [AssignedMarket; MARKETS],
    /// The globals as of this slot.
    pub globals: &'a mut GlobalCells,
    /// A as loaded (its leaf under the running root).
    pub a_before: AssignedAccount,
    /// A after funding settlement.
    pub a: AssignedAccount,
    /// B after funding settlement.
    pub b: AssignedAccount,
    /// The hasher every hash of the slot goes through.
    pub hasher: &'a CircuitHasher,
    /// The slot's witness (authority and order-slot updates).
    pub witness: &'a SlotWitness,
    /// What several types share, laid out on first use ([`Slot::fill`],
    /// [`Slot::orders`], [`Slot::debit`]); empty when the slot is built.
    pub shared: Shared,
}

/// The parts of a slot several types share, each laid out once, by the first
/// type that asks.
#[derive(Default)]
pub(super) struct Shared {
    /// The fill shared by the fill types.
    fill: Option<Fill>,
    /// Both sides' order checks.
    orders: Option<[OrderCheck; 2]>,
    /// Side A's debit.
    debit: Option<Debit>,
}

impl Slot<'_> {
    /// The constrained bit "this slot holds a `kind`".
    pub(super) fn is(&self, kind: TxKind) -> Cell {
        self.kinds.iter().find(|(k, _)| *k == kind).expect("every kind has a bit").1
    }

    /// The bit "this slot holds one of `kinds`" (the bits are a one-hot).
    pub(super) fn is_any(
        &self,
        ctx: &mut Ctx,
        gate: &impl GateInstructions<Fr>,
        kinds: &[TxKind],
    ) -> Cell {
        let bits: Vec<Cell> = kinds.iter().map(|k| self.is(*k)).collect();
        gate.sum(ctx, bits)
    }

    /// `kind`'s field `name` as it stands in the encoding (not gated).
    pub(super) fn field(&self, kind: TxKind, name: &str) -> Cell {
        self.enc[kind.spec().position(name)]
    }

    /// The field `name` of whichever of `kinds` the slot holds, and 0 for any
    /// other type: the way a gadget takes an input, so its arithmetic stays
    /// bounded in every slot.
    pub(super) fn input(
        &self,
        ctx: &mut Ctx,
        gate: &impl GateInstructions<Fr>,
        name: &str,
        kinds: &[TxKind],
    ) -> Cell {
        let named = kinds.iter().map(|k| (*k, Some(k.spec().position(name))));
        select_field(ctx, gate, &self.enc, &self.kinds, named)
    }

    /// The order id side `side` fills (the field [`clearproof_protocol::tx::TxSpec::order_ids`]
    /// names for the slot's type), 0 for types that fill none there.
    pub(super) fn order_id(
        &self,
        ctx: &mut Ctx,
        gate: &impl GateInstructions<Fr>,
        side: usize,
    ) -> Cell {
        let named = self
            .kinds
            .iter()
            .map(|(k, _)| (*k, k.spec().order_ids[side].map(|f| k.spec().position(f))));
        select_field(ctx, gate, &self.enc, &self.kinds, named)
    }

    /// One field of the market the slot names.
    pub(super) fn pick(
        &self,
        ctx: &mut Ctx,
        gate: &impl GateInstructions<Fr>,
        field: impl Fn(&AssignedMarket) -> Cell,
    ) -> Cell {
        let values: Vec<Cell> = self.markets.iter().map(field).collect();
        gate.select_by_indicator(ctx, values, self.m_is.iter().copied())
    }

    /// The fill shared by `Trade`, `Liquidate` and `Deleverage`
    /// ([`fill`]), laid out on first use.
    pub(super) fn fill(&mut self, ctx: &mut Ctx, range: &RangeChip<Fr>) -> Fill {
        if self.shared.fill.is_none() {
            self.shared.fill = Some(fill::constrain(ctx, range, self));
        }
        self.shared.fill.clone().expect("just laid out")
    }

    /// Side A's debit by the slot's `amount` (`Withdraw`, `ForcedWithdraw`;
    /// [`withdraw::Debit`]), laid out on first use.
    pub(super) fn debit(&mut self, ctx: &mut Ctx, range: &RangeChip<Fr>) -> Debit {
        if self.shared.debit.is_none() {
            self.shared.debit = Some(withdraw::constrain(ctx, range, self));
        }
        self.shared.debit.clone().expect("just laid out")
    }

    /// Both sides' order checks (`Trade`, `Liquidate`; [`order`]), laid out on
    /// first use.
    pub(super) fn orders(&mut self, ctx: &mut Ctx, range: &RangeChip<Fr>) -> [OrderCheck; 2] {
        if self.shared.orders.is_none() {
            let fill = self.fill(ctx, range);
            self.shared.orders = Some(order::constrain(ctx, range, self, &fill));
        }
        self.shared.orders.clone().expect("just laid out")
    }
}

/// `Σ_t is_t · enc[position_t]` over the types that have a position: the value
/// of the field each type names, 0 for the others. Types are grouped by
/// position, so each distinct position costs one multiplication.
pub(super) fn select_field(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    enc: &[Cell; TX_ENCODING_LEN],
    kinds: &[(TxKind, Cell)],
    positions: impl Iterator<Item = (TxKind, Option<usize>)>,
) -> Cell {
    let mut by_position: BTreeMap<usize, Vec<Cell>> = BTreeMap::new();
    for (kind, position) in positions {
        if let Some(p) = position {
            let bit = kinds.iter().find(|(k, _)| *k == kind).expect("every kind has a bit").1;
            by_position.entry(p).or_default().push(bit);
        }
    }
    let mut value = ctx.load_zero();
    for (position, bits) in by_position {
        let selected = gate.sum(ctx, bits);
        value = gate.mul_add(ctx, enc[position], selected, value);
    }
    value
}

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
