//! Each v1 transaction's circuit constraints, one file per transaction next to
//! its native rule in `crate::tx` (`tx/trade.rs` ↔ `circuit/tx/trade.rs`).
//!
//! Every slot lays out every transaction's constraints; each is gated by the
//! slot's type bit, so a rule is enforced exactly when the slot holds its type
//! and is a no-op otherwise (an equality as `is_type·(lhs − rhs) = 0`, an
//! inequality as a range check of `is_type·value`). Inputs a type does not use are
//! zeroed by its bit first, so the arithmetic stays bounded in every slot.
//!
//! | transaction | native rule | constraints |
//! |---|---|---|
//! | `Deposit` | `tx/deposit.rs` | [`deposit`] |
//! | `Withdraw` | `tx/withdraw.rs` | [`withdraw`] |
//! | `CoverDeficit` | `tx/cover_deficit.rs` | [`cover_deficit`] |
//! | `Trade` | `tx/trade.rs` | [`fill`] (shared with the two below), [`trade`] |
//! | `Liquidate` | `tx/liquidate.rs` | [`fill`], [`liquidate`] |
//! | `Deleverage` | `tx/deleverage.rs` | [`fill`], [`deleverage`] |
//! | `PriceUpdate` | `tx/price_update.rs` | [`price_update`] |
//! | `FundingTick` | `tx/funding_tick.rs` | [`funding_tick`] |
//!
//! The slot around them (type one-hot, encoding, funding settlement, the two
//! Merkle updates) is `circuit/slot.rs`.

use halo2_base::gates::GateInstructions;

use super::account::AssignedAccount;
use super::market::AssignedMarket;
use super::{Cell, Ctx};
use crate::params::{MARKETS, TX_ENCODING_LEN};
use crate::Fr;

pub mod cover_deficit;
pub mod deleverage;
pub mod deposit;
pub mod fill;
pub mod funding_tick;
pub mod liquidate;
pub mod price_update;
pub mod trade;
pub mod withdraw;

/// The slot's constrained type bits (a one-hot: exactly one is set).
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    /// No-op padding.
    pub noop: Cell,
    /// `Deposit`.
    pub deposit: Cell,
    /// `Withdraw`.
    pub withdraw: Cell,
    /// `Trade`.
    pub trade: Cell,
    /// `Liquidate`.
    pub liquidate: Cell,
    /// `CoverDeficit`.
    pub cover: Cell,
    /// `Deleverage`.
    pub deleverage: Cell,
    /// `PriceUpdate`.
    pub price: Cell,
    /// `FundingTick`.
    pub funding: Cell,
}

/// What an account transaction's constraints read: the slot's encoding, type
/// bits and market one-hot, the markets, and the two touched accounts (A: the
/// single account, buyer, liquidated or bankrupt; B: seller, liquidator or
/// counterparty) as loaded and after funding settlement.
pub struct SlotCells<'a> {
    /// The transaction's 8 encoding cells (tag first).
    pub enc: &'a [Cell; TX_ENCODING_LEN],
    /// Type bits.
    pub kinds: Kinds,
    /// One-hot of the named market (market 0 for types that name none).
    pub m_is: &'a [Cell],
    /// The markets as of this slot.
    pub markets: &'a [AssignedMarket; MARKETS],
    /// Leaf index of A and of B (0 when unused).
    pub indices: (Cell, Cell),
    /// A as loaded (its leaf under the running root).
    pub a_before: &'a AssignedAccount,
    /// A after funding settlement.
    pub a: &'a AssignedAccount,
    /// B after funding settlement.
    pub b: &'a AssignedAccount,
}

/// One field of the market the slot names (`m_is` is its one-hot).
pub fn pick_market(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    markets: &[AssignedMarket; MARKETS],
    m_is: &[Cell],
    field: fn(&AssignedMarket) -> Cell,
) -> Cell {
    let values: Vec<Cell> = markets.iter().map(field).collect();
    gate.select_by_indicator(ctx, values, m_is.iter().copied())
}

/// [`pick_market`] for an account transaction's slot.
pub(crate) fn pick(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    s: &SlotCells,
    field: fn(&AssignedMarket) -> Cell,
) -> Cell {
    pick_market(ctx, gate, s.markets, s.m_is, field)
}
