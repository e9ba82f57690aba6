//! One transaction slot of a chunk: the type one-hot, the encoding, the two
//! touched accounts with their funding settlement and Merkle updates, and each
//! transaction's gated constraints (`circuit/tx/`).
//!
//! Every slot lays out the same cells whatever it holds: two gated Merkle
//! updates (A: the single account, buyer, liquidated or bankrupt; B: seller,
//! liquidator or counterparty, under the root A left), four leaf hashes, two
//! funding settlements, the margins, and every type's rules.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};

use super::account::AssignedAccount;
use super::arith::require_zero;
use super::chunk::SlotWitness;
use super::cost::{metered, Part};
use super::hash::CircuitHasher;
use super::market::AssignedMarket;
use super::num::{check_bits, check_signed63};
use super::tx::{self, Kinds, SlotCells};
use super::{funding, merkle, Cell, Ctx};
use crate::params::{MARKETS, TX_ENCODING_LEN};
use crate::tx::{tag, Transaction};
use crate::Fr;

/// Number of transaction tags (0 = no-op … 8 = `FundingTick`).
const TAGS: usize = 9;

/// Global cells carried through a chunk.
pub struct GlobalCells {
    /// `insurance_fund`.
    pub insurance_fund: Cell,
    /// `fee_pool`.
    pub fee_pool: Cell,
    /// `batch_number`.
    pub batch_number: Cell,
}

impl GlobalCells {
    /// The fields in `globals_hash` order.
    pub fn fields(&self) -> [Cell; 3] {
        [self.insurance_fund, self.fee_pool, self.batch_number]
    }
}

/// The slot's transaction encoding (all zero for a no-op).
pub fn encoding(slot: &SlotWitness) -> [Fr; TX_ENCODING_LEN] {
    slot.tx.as_ref().map_or([Fr::zero(); TX_ENCODING_LEN], Transaction::encode)
}

/// Lays out one slot against the running state: `markets` and `globals` are
/// updated in place; returns the accounts root after the slot, the encoding
/// cells and the no-op bit (for the data-hash chain).
#[allow(clippy::too_many_arguments)]
pub fn synthesize(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    depth: usize,
    slot: &SlotWitness,
    markets: &mut [AssignedMarket; MARKETS],
    globals: &mut GlobalCells,
    accounts_root: Cell,
) -> (Cell, [Cell; TX_ENCODING_LEN], Cell) {
    let gate = range.gate();
    let enc: [Cell; TX_ENCODING_LEN] =
        ctx.assign_witnesses(encoding(slot)).try_into().expect("8 cells");
    // "slot type is one of the v1 tags": a one-hot indicator that sums to 1.
    let is = gate.idx_to_indicator(ctx, enc[0], TAGS);
    let total = gate.sum(ctx, is.iter().copied());
    gate.assert_is_const(ctx, &total, &Fr::one());
    let kind = |t: u64| is[t as usize];
    let kinds = Kinds {
        noop: kind(tag::NOOP),
        deposit: kind(tag::DEPOSIT),
        withdraw: kind(tag::WITHDRAW),
        trade: kind(tag::TRADE),
        liquidate: kind(tag::LIQUIDATE),
        cover: kind(tag::COVER_DEFICIT),
        deleverage: kind(tag::DELEVERAGE),
        price: kind(tag::PRICE_UPDATE),
        funding: kind(tag::FUNDING_TICK),
    };
    constrain_unused_fields(ctx, gate, &enc, kinds);
    // "market id < 4" for the types that name a market: a one-hot summing to 1
    // (other types read market 0).
    let names_market =
        gate.sum(ctx, [kinds.price, kinds.funding, kinds.trade, kinds.liquidate, kinds.deleverage]);
    let market_id = gate.mul(ctx, enc[1], names_market);
    let m_is = gate.idx_to_indicator(ctx, market_id, MARKETS);
    let m_total = gate.sum(ctx, m_is.iter().copied());
    gate.assert_is_const(ctx, &m_total, &Fr::one());

    tx::price_update::constrain(ctx, range, &enc, &m_is, markets, kinds.price);
    tx::funding_tick::constrain(ctx, range, &enc, &m_is, markets, kinds.funding);
    let root = account_transactions(
        ctx,
        range,
        hasher,
        depth,
        slot,
        &enc,
        kinds,
        &m_is,
        markets,
        globals,
        accounts_root,
    );
    (root, enc, kinds.noop)
}

/// "unused encoding fields are zero": field `i` is used by the types listed.
fn constrain_unused_fields(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    enc: &[Cell; TX_ENCODING_LEN],
    k: Kinds,
) {
    for (i, field) in enc.iter().enumerate().skip(1) {
        let users: Vec<Cell> = match i {
            1 => vec![
                k.deposit,
                k.withdraw,
                k.cover,
                k.price,
                k.funding,
                k.trade,
                k.liquidate,
                k.deleverage,
            ],
            2 | 3 => {
                vec![k.deposit, k.withdraw, k.price, k.funding, k.trade, k.liquidate, k.deleverage]
            }
            4 => vec![k.deposit, k.trade, k.liquidate, k.deleverage],
            5 => vec![k.trade, k.liquidate, k.deleverage],
            6 => vec![k.trade, k.liquidate],
            _ => vec![k.trade],
        };
        let used = gate.sum(ctx, users);
        let unused = gate.not(ctx, used);
        let masked = gate.mul(ctx, *field, unused);
        require_zero(ctx, gate, masked, "unused encoding field is zero");
    }
}

/// The account-touching transactions over the slot's two gated Merkle updates.
/// Returns the accounts root after the slot.
#[allow(clippy::too_many_arguments)]
fn account_transactions(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    depth: usize,
    slot: &SlotWitness,
    enc: &[Cell; TX_ENCODING_LEN],
    kinds: Kinds,
    m_is: &[Cell],
    markets: &[AssignedMarket; MARKETS],
    globals: &mut GlobalCells,
    accounts_root: Cell,
) -> Cell {
    let gate = range.gate();
    let single = gate.sum(ctx, [kinds.deposit, kinds.withdraw, kinds.cover]);
    let forced_close = gate.add(ctx, kinds.liquidate, kinds.deleverage);
    let fill = gate.add(ctx, kinds.trade, forced_close);
    let a_active = gate.add(ctx, single, fill);
    // "account id < 2^depth" (the index bits are the Merkle path's directions).
    let a_single = gate.mul(ctx, enc[1], single);
    let a_index = gate.mul_add(ctx, enc[2], fill, a_single);
    let b_index = gate.mul(ctx, enc[3], fill);
    let (a_bits, b_bits) = metered(Part::MerklePaths, ctx, range, |ctx| {
        let a = merkle::index_bits(ctx, range, a_index, depth);
        (a, merkle::index_bits(ctx, range, b_index, depth))
    });
    let ((a_siblings, a_before), (b_siblings, b_before)) =
        metered(Part::AccountFields, ctx, range, |ctx| {
            let a = load_update(ctx, range, depth, slot, 0);
            (a, load_update(ctx, range, depth, slot, 1))
        });
    // §5: funding first (an empty account settles to snapshots = indices).
    let (a, b) = metered(Part::Funding, ctx, range, |ctx| {
        let a = funding::settle(ctx, range, &a_before, markets);
        (a, funding::settle(ctx, range, &b_before, markets))
    });
    // "named accounts exist" (all but a deposit's).
    let a_missing = gate.not(ctx, a_before.exists);
    let needs_a = gate.sum(ctx, [kinds.withdraw, kinds.cover, fill]);
    let bad = gate.mul(ctx, a_missing, needs_a);
    require_zero(ctx, gate, bad, "named account exists");
    let b_missing = gate.not(ctx, b_before.exists);
    let bad = gate.mul(ctx, b_missing, fill);
    require_zero(ctx, gate, bad, "second account exists");

    let s = SlotCells {
        enc,
        kinds,
        m_is,
        markets,
        indices: (a_index, b_index),
        a_before: &a_before,
        a: &a,
        b: &b,
    };
    let after_deposit = tx::deposit::constrain(ctx, range, &s);
    let after_withdraw = tx::withdraw::constrain(ctx, range, &s);
    let (after_cover, fund) = tx::cover_deficit::constrain(ctx, range, &s, globals.insurance_fund);
    globals.insurance_fund = fund;
    let f = tx::fill::constrain(ctx, range, &s);
    globals.fee_pool = tx::trade::constrain(ctx, range, &s, &f, globals.fee_pool);
    tx::deleverage::constrain(ctx, range, &s, &f, globals.insurance_fund);
    globals.insurance_fund = tx::liquidate::constrain(ctx, range, &s, &f, globals.insurance_fund);

    // The new accounts: by type, or unchanged when not touched.
    let a_after = select_account(ctx, gate, &after_deposit, &a_before, kinds.deposit);
    let a_after = select_account(ctx, gate, &after_withdraw, &a_after, kinds.withdraw);
    let a_after = select_account(ctx, gate, &after_cover, &a_after, kinds.cover);
    let a_after = select_account(ctx, gate, &f.a_filled, &a_after, fill);
    let b_after = select_account(ctx, gate, &f.b_filled, &b_before, fill);

    let root = gated_update(
        ctx,
        range,
        hasher,
        &a_bits,
        &a_siblings,
        &a_before,
        &a_after,
        accounts_root,
        a_active,
    );
    gated_update(ctx, range, hasher, &b_bits, &b_siblings, &b_before, &b_after, root, fill)
}

/// Loads the `i`-th account update of a slot (or an unused, empty one).
fn load_update(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    depth: usize,
    slot: &SlotWitness,
    i: usize,
) -> (Vec<Cell>, AssignedAccount) {
    let update = slot.accounts.get(i);
    let siblings =
        ctx.assign_witnesses(update.map_or(vec![Fr::zero(); depth], |u| u.path.siblings.clone()));
    let before = AssignedAccount::load(ctx, range, update.and_then(|u| u.before.as_ref()));
    (siblings, before)
}

/// Selects field by field: `if bit { a } else { b }`.
fn select_account(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    a: &AssignedAccount,
    b: &AssignedAccount,
    bit: Cell,
) -> AssignedAccount {
    let mut pick = |x: Cell, y: Cell| gate.select(ctx, x, y, bit);
    AssignedAccount {
        exists: pick(a.exists, b.exists),
        owner_x: pick(a.owner_x, b.owner_x),
        owner_y: pick(a.owner_y, b.owner_y),
        nonce: pick(a.nonce, b.nonce),
        collateral: pick(a.collateral, b.collateral),
        balances: std::array::from_fn(|m| pick(a.balances[m], b.balances[m])),
        snapshots: std::array::from_fn(|m| pick(a.snapshots[m], b.snapshots[m])),
    }
}

/// A gated Merkle update: when `active`, `before` must be at `bits` under `root`
/// and the result is the root with `after` there; otherwise `root` unchanged.
#[allow(clippy::too_many_arguments)]
fn gated_update(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    bits: &[Cell],
    siblings: &[Cell],
    before: &AssignedAccount,
    after: &AssignedAccount,
    root: Cell,
    active: Cell,
) -> Cell {
    let gate = range.gate();
    // "results stay in range": collateral and positions |x| < 2^63, nonce < 2^40.
    metered(Part::AccountFields, ctx, range, |ctx| {
        check_signed63(ctx, range, after.collateral);
        for b in after.balances {
            check_signed63(ctx, range, b);
        }
        check_bits(ctx, range, after.nonce, 40);
    });
    let (old_leaf, new_leaf) = metered(Part::LeafHashes, ctx, range, |ctx| {
        (before.leaf(ctx, range, hasher), after.leaf(ctx, range, hasher))
    });
    let (computed_old, computed_new) = metered(Part::MerklePaths, ctx, range, |ctx| {
        let old = merkle::root_of(ctx, range, hasher, bits, siblings, old_leaf);
        (old, merkle::root_of(ctx, range, hasher, bits, siblings, new_leaf))
    });
    let mismatch = gate.sub(ctx, computed_old, root);
    let bad = gate.mul(ctx, mismatch, active);
    require_zero(ctx, gate, bad, "account is a member of the running root");
    gate.select(ctx, computed_new, root, active)
}
