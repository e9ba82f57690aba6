//! One transaction slot of a chunk: the type one-hot, the encoding, the two
//! touched accounts with their funding settlement and Merkle updates, and every
//! registered type's gated constraints (`circuit/tx/`).
//!
//! Every slot lays out the same cells whatever it holds: two gated Merkle
//! updates (A: the single account, buyer, liquidated or bankrupt; B: seller,
//! liquidator or counterparty, under the root A left), four leaf hashes, two
//! funding settlements, the margins, and every type's rules.
//!
//! Nothing here names a transaction type. The one-hot ranges over the
//! registry's tags, a field is "unused" by a type when its spec declares fewer
//! fields, and the market id and the two account indices are selected from the
//! fields each type's spec names ([`clearproof_protocol::tx::TxSpec`]).

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::account::AssignedAccount;
use super::arith::require_zero;
use super::cost::{metered, Part};
use super::hash::CircuitHasher;
use super::market::AssignedMarket;
use super::num::{check_bits, check_signed63};
use super::tx::oracle::OracleCarry;
use super::tx::{lay_out, select_field, GlobalCells, Shared, Sides, Slot};
use super::{funding, merkle, Cell, Ctx};
use crate::Fr;
use clearproof_protocol::params::{MARKETS, TX_ENCODING_LEN};
use clearproof_protocol::tags;
use clearproof_protocol::tx::{Transaction, TxKind, TxSpec};
use clearproof_protocol::witness::SlotWitness;

/// The bit "the slot holds a type whose spec satisfies `pred`".
fn any_kind(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    kinds: &[(TxKind, Cell)],
    pred: impl Fn(&TxSpec) -> bool,
) -> Cell {
    let bits: Vec<Cell> =
        kinds.iter().filter(|(k, _)| pred(k.spec())).map(|(_, bit)| *bit).collect();
    gate.sum(ctx, bits)
}

/// The slot's transaction encoding (all zero for a no-op).
pub(super) fn encoding(slot: &SlotWitness) -> [Fr; TX_ENCODING_LEN] {
    slot.tx.as_ref().map_or([Fr::zero(); TX_ENCODING_LEN], Transaction::encode)
}

/// The chunk's state as its slots carry it: each slot reads it and moves it on.
pub(super) struct Running {
    /// The accounts root after the previous slot.
    pub accounts_root: Cell,
    /// The markets after the previous slot.
    pub markets: [AssignedMarket; MARKETS],
    /// The globals after the previous slot.
    pub globals: GlobalCells,
    /// What the next slot continues of an oracle update
    /// ([`OracleCarry::none`] before a chunk's first slot).
    pub carry: OracleCarry,
}

/// Lays out one slot against `running` and moves `running` past it (accounts
/// root, markets and globals, oracle carry); returns the encoding cells and
/// the no-op bit (for the data-hash chain).
pub(super) fn synthesize(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    depth: usize,
    slot: &SlotWitness,
    running: &mut Running,
) -> ([Cell; TX_ENCODING_LEN], Cell) {
    let gate = range.gate();
    let (enc, noop, kinds) = type_bits(ctx, gate, slot);
    let (market_id, m_is) = named_market(ctx, gate, &enc, &kinds);
    let [a_side, b_side] = touched(ctx, range, depth, slot, &enc, &kinds, &running.markets);
    require_accounts(ctx, gate, &kinds, &a_side, &b_side);

    let mut s = Slot {
        enc,
        kinds: kinds.clone(),
        m_is,
        market_id,
        account_index: [a_side.index, b_side.index],
        markets: &mut running.markets,
        globals: &mut running.globals,
        a_before: a_side.before.clone(),
        a: a_side.settled.clone(),
        b: b_side.settled.clone(),
        hasher,
        witness: slot,
        shared: Shared::default(),
    };
    // The new accounts: by type, or unchanged when not touched.
    let (mut a_after, mut b_after) = (a_side.before.clone(), b_side.before.clone());
    for (kind, bit) in &kinds {
        match lay_out(*kind, ctx, range, &mut s) {
            Sides::None => {}
            Sides::A(a) => a_after = a.select(ctx, gate, &a_after, *bit),
            Sides::AB(a, b) => {
                a_after = a.select(ctx, gate, &a_after, *bit);
                b_after = b.select(ctx, gate, &b_after, *bit);
            }
        }
    }

    // Every signature the slot's type needs (PROTOCOL §6.1), the oracle
    // committee's included (§6.3).
    let orders = s.orders(ctx, range);
    let (oracle, next) = metered(Part::Oracle, ctx, range, |ctx| {
        super::tx::oracle::constrain(ctx, range, &s, noop, &running.carry)
    });
    metered(Part::Signatures, ctx, range, |ctx| {
        super::tx::signatures::constrain(ctx, range, &s, &orders, &oracle)
    });

    let root = gated_update(ctx, range, hasher, &a_side, &a_after, running.accounts_root);
    running.accounts_root = gated_update(ctx, range, hasher, &b_side, &b_after, root);
    running.carry = next;
    (enc, noop)
}

/// The encoding cells, the no-op bit and one bit per registered type, under
/// "slot type is a registered tag or the no-op" and "unused encoding fields
/// are zero".
fn type_bits(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    slot: &SlotWitness,
) -> ([Cell; TX_ENCODING_LEN], Cell, Vec<(TxKind, Cell)>) {
    let enc: [Cell; TX_ENCODING_LEN] =
        ctx.assign_witnesses(encoding(slot)).try_into().expect("8 cells");
    // "slot type is a registered tag or the no-op": one bit per tag (distinct,
    // checked when the registry compiles), exactly one of them set.
    let noop = gate.is_equal(ctx, enc[0], Constant(Fr::from(tags::NOOP)));
    let kinds: Vec<(TxKind, Cell)> = TxKind::ALL
        .iter()
        .map(|k| (*k, gate.is_equal(ctx, enc[0], Constant(Fr::from(k.tag())))))
        .collect();
    let total = gate.sum(ctx, kinds.iter().map(|(_, bit)| *bit).chain([noop]));
    gate.assert_is_const(ctx, &total, &Fr::one());
    constrain_unused_fields(ctx, gate, &enc, &kinds);
    (enc, noop, kinds)
}

/// The id of the market the slot's type names and its one-hot, under "market
/// id < 4" for the types that name a market (other types read market 0).
fn named_market(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    enc: &[Cell; TX_ENCODING_LEN],
    kinds: &[(TxKind, Cell)],
) -> (Cell, Vec<Cell>) {
    let market = kinds.iter().map(|(k, _)| (*k, k.spec().market.map(|f| k.spec().position(f))));
    let market_id = select_field(ctx, gate, enc, kinds, market);
    let m_is = gate.idx_to_indicator(ctx, market_id, MARKETS);
    let m_total = gate.sum(ctx, m_is.iter().copied());
    gate.assert_is_const(ctx, &m_total, &Fr::one());
    (market_id, m_is)
}

/// One account a slot touches (side A or B): where it is, whether the type
/// touches it, and its leaf as loaded and after funding settlement.
struct Touched {
    /// The account index.
    index: Cell,
    /// The slot's type touches this side.
    active: Cell,
    /// The index bits (the Merkle path's directions).
    bits: Vec<Cell>,
    /// The Merkle path's siblings.
    siblings: Vec<Cell>,
    /// The leaf as loaded.
    before: AssignedAccount,
    /// After funding settlement (§5).
    settled: AssignedAccount,
}

/// Sides A and B: the accounts each type names (A then B), loaded and settled
/// against `markets`, under "account id < 2^depth".
fn touched(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    depth: usize,
    slot: &SlotWitness,
    enc: &[Cell; TX_ENCODING_LEN],
    kinds: &[(TxKind, Cell)],
    markets: &[AssignedMarket; MARKETS],
) -> [Touched; 2] {
    let gate = range.gate();
    let side = |i: usize| {
        kinds.iter().map(move |(k, _)| (*k, k.spec().accounts.get(i).map(|f| k.spec().position(f))))
    };
    let a_index = select_field(ctx, gate, enc, kinds, side(0));
    let b_index = select_field(ctx, gate, enc, kinds, side(1));
    let a_active = any_kind(ctx, gate, kinds, |s| !s.accounts.is_empty());
    let b_active = any_kind(ctx, gate, kinds, |s| s.accounts.len() == 2);
    // "account id < 2^depth" (the index bits are the Merkle path's directions).
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
    [
        Touched {
            index: a_index,
            active: a_active,
            bits: a_bits,
            siblings: a_siblings,
            before: a_before,
            settled: a,
        },
        Touched {
            index: b_index,
            active: b_active,
            bits: b_bits,
            siblings: b_siblings,
            before: b_before,
            settled: b,
        },
    ]
}

/// "named account exists" (all but an account a type may open), "second
/// account exists" and "the two accounts differ".
fn require_accounts(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    kinds: &[(TxKind, Cell)],
    a: &Touched,
    b: &Touched,
) {
    let a_missing = gate.not(ctx, a.before.exists);
    let needs_a = any_kind(ctx, gate, kinds, |s| !s.accounts.is_empty() && !s.opens_account);
    let bad = gate.mul(ctx, a_missing, needs_a);
    require_zero(ctx, gate, bad, "named account exists");
    let b_missing = gate.not(ctx, b.before.exists);
    let bad = gate.mul(ctx, b_missing, b.active);
    require_zero(ctx, gate, bad, "second account exists");
    let same = gate.is_equal(ctx, a.index, b.index);
    let bad = gate.mul(ctx, same, b.active);
    require_zero(ctx, gate, bad, "the two accounts differ");
}

/// "unused encoding fields are zero": a type uses the positions its spec declares.
fn constrain_unused_fields(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    enc: &[Cell; TX_ENCODING_LEN],
    kinds: &[(TxKind, Cell)],
) {
    for (i, field) in enc.iter().enumerate().skip(1) {
        let used = any_kind(ctx, gate, kinds, |s| s.uses_position(i));
        let unused = gate.not(ctx, used);
        let masked = gate.mul(ctx, *field, unused);
        require_zero(ctx, gate, masked, "unused encoding field is zero");
    }
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

/// A gated Merkle update of `side`: when it is active, its leaf before must be
/// at its index under `root` and the result is the root with `after` there;
/// otherwise `root` unchanged.
fn gated_update(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    side: &Touched,
    after: &AssignedAccount,
    root: Cell,
) -> Cell {
    let gate = range.gate();
    let (bits, siblings, before, active) = (&side.bits, &side.siblings, &side.before, side.active);
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
