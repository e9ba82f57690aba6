//! The rollup state (PROTOCOL §3) and its commitment.
//!
//! Field order of every hash below is part of the protocol (documented in
//! `docs/PROTOCOL-ENCODING.md`); changing it changes every root.
//!
//! - account leaf = `H(owner.x, owner.y, nonce, collateral, balance[0..4], funding_snapshot[0..4])`,
//!   or `0` for an account that never received a deposit;
//! - `markets_hash = H(for m in 0..4: im_bp, mm_bp, liq_fee_bp, max_fee_bp, band_bp,
//!   max_funding_rate, committee (member 0..4 key x, y — (0, 0) unused —, quorum,
//!   max_oracle_age), price, price_ts, funding_index, funding_ts)`;
//! - `globals_hash = H(insurance_fund, fee_pool, batch_number)`;
//! - `state_root = H(accounts_root, markets_hash, globals_hash)`.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use serde::{Deserialize, Serialize};

use crate::oracle::{Committee, COMMITTEE_FIELDS};
use crate::orders::{OrderSlots, Slot, SlotUpdate};
use crate::params::{ACCOUNT_TREE_DEPTH, MARKETS};
use crate::poseidon::hash;
use crate::signature::PublicKey;
use crate::tree::SparseMerkleTree;
use crate::types::{
    AccountId, Balance, Bps, Collateral, FundingIndex, FundingRate, MarketId, Nonce, Price, Quote,
    Timestamp,
};

/// Risk parameters of a market, fixed at genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketParams {
    /// Initial margin rate.
    pub im_bp: Bps,
    /// Maintenance margin rate (`≤ im_bp`).
    pub mm_bp: Bps,
    /// Largest liquidation penalty, as a share of the notional at the oracle price.
    pub liq_fee_bp: Bps,
    /// Largest trading fee, as a share of the quote amount.
    pub max_fee_bp: Bps,
    /// Largest distance of a fill price from the oracle price.
    pub band_bp: Bps,
    /// Largest funding-index change per second, in units of 2^-32 of the price.
    pub max_funding_rate: FundingRate,
    /// The oracle committee whose quorum signs this market's prices and
    /// funding ticks (PROTOCOL §6.3).
    pub committee: Committee,
}

impl MarketParams {
    /// The standard risk parameters: initial margin 10 %, maintenance 5 %,
    /// liquidation fee cap 1 %, trading fee cap 0.5 %, price band 5 %.
    pub fn standard(committee: Committee, max_funding_rate: FundingRate) -> Self {
        let bps = |x| Bps::new(x).expect("constant within 10 000");
        Self {
            im_bp: bps(1_000),
            mm_bp: bps(500),
            liq_fee_bp: bps(100),
            max_fee_bp: bps(50),
            band_bp: bps(500),
            max_funding_rate,
            committee,
        }
    }
}

/// The changing part of a market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketState {
    /// Oracle price (fixed point, 32 fractional bits).
    pub price: Price,
    /// Timestamp of the price.
    pub price_ts: Timestamp,
    /// Cumulative funding index (fixed point, 32 fractional bits).
    pub funding_index: FundingIndex,
    /// Timestamp of the funding index.
    pub funding_ts: Timestamp,
}

impl MarketState {
    /// A market at `price`, funding index 0, both timestamps `t0`.
    pub fn at(price: Price, t0: Timestamp) -> Self {
        Self { price, price_ts: t0, funding_index: FundingIndex::ZERO, funding_ts: t0 }
    }
}

/// A market: parameters and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// Fixed at genesis.
    pub params: MarketParams,
    /// Changed by `PriceUpdate` and `FundingTick`.
    pub state: MarketState,
}

impl Market {
    /// The [`MARKET_FIELDS`] field elements this market contributes to
    /// `markets_hash`, in order.
    pub fn fields(&self) -> [Fr; MARKET_FIELDS] {
        let p = &self.params;
        let s = &self.state;
        let mut out = [Fr::ZERO; MARKET_FIELDS];
        out[..6].copy_from_slice(&[
            p.im_bp.to_field(),
            p.mm_bp.to_field(),
            p.liq_fee_bp.to_field(),
            p.max_fee_bp.to_field(),
            p.band_bp.to_field(),
            p.max_funding_rate.to_field(),
        ]);
        out[6..6 + COMMITTEE_FIELDS].copy_from_slice(&p.committee.fields());
        out[6 + COMMITTEE_FIELDS..].copy_from_slice(&[
            s.price.to_field(),
            s.price_ts.to_field(),
            s.funding_index.to_field(),
            s.funding_ts.to_field(),
        ]);
        out
    }
}

/// Field elements a market contributes to `markets_hash`: six risk
/// parameters, the committee, four state values.
pub const MARKET_FIELDS: usize = 6 + COMMITTEE_FIELDS + 4;

/// Global values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Globals {
    /// Insurance fund, quote micro-units, `≥ 0`.
    pub insurance_fund: Quote,
    /// Collected trading fees, quote micro-units, `≥ 0`.
    pub fee_pool: Quote,
    /// Number of the last batch applied (genesis is 0).
    pub batch_number: u64,
}

impl Globals {
    /// The field elements of `globals_hash`, in order.
    pub fn fields(&self) -> [Fr; 3] {
        [self.insurance_fund.to_field(), self.fee_pool.to_field(), Fr::from(self.batch_number)]
    }
}

/// Field elements in an account leaf's hash: owner (2), nonce, collateral,
/// balances and funding snapshots (4 each), `orders_root`.
pub const LEAF_FIELDS: usize = 4 + 2 * MARKETS + 1;

/// A margin account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The owner's key; set by the first deposit.
    pub owner: PublicKey,
    /// Withdrawal nonce.
    pub nonce: Nonce,
    /// Quote balance (micro-units), may be negative after losses.
    pub collateral: Collateral,
    /// Position per market (lots; positive = long).
    pub balances: [Balance; MARKETS],
    /// Funding index at the last settlement, per market.
    pub funding_snapshots: [FundingIndex; MARKETS],
    /// Root of the account's order slots (PROTOCOL v2 §3; [`crate::orders`]).
    #[serde(with = "crate::serde_fr")]
    pub orders_root: Fr,
}

impl Account {
    /// A fresh account: no collateral, no positions, snapshots zero (set by the
    /// first funding settlement).
    pub fn new(owner: PublicKey) -> Self {
        Self {
            owner,
            nonce: Nonce::default(),
            collateral: Collateral::ZERO,
            balances: [Balance::ZERO; MARKETS],
            funding_snapshots: [FundingIndex::ZERO; MARKETS],
            orders_root: OrderSlots::empty_root(),
        }
    }

    /// The 13 field elements of the leaf hash, in order.
    pub fn fields(&self) -> [Fr; LEAF_FIELDS] {
        let [x, y] = self.owner.to_fields();
        let mut f = [Fr::ZERO; LEAF_FIELDS];
        f[0] = x;
        f[1] = y;
        f[2] = self.nonce.to_field();
        f[3] = self.collateral.to_field();
        for m in 0..MARKETS {
            f[4 + m] = self.balances[m].to_field();
            f[4 + MARKETS + m] = self.funding_snapshots[m].to_field();
        }
        f[4 + 2 * MARKETS] = self.orders_root;
        f
    }

    /// The leaf hash.
    pub fn leaf(&self) -> Fr {
        hash(&self.fields())
    }

    /// True if every position is zero.
    pub fn is_flat(&self) -> bool {
        self.balances.iter().all(|b| b.is_zero())
    }
}

/// The leaf of an optional account: `0` when absent.
pub fn leaf_of(account: Option<&Account>) -> Fr {
    account.map_or(Fr::ZERO, Account::leaf)
}

/// `markets_hash`.
pub fn markets_hash(markets: &[Market; MARKETS]) -> Fr {
    let fields: Vec<Fr> = markets.iter().flat_map(Market::fields).collect();
    hash(&fields)
}

/// `globals_hash`.
pub fn globals_hash(globals: &Globals) -> Fr {
    hash(&globals.fields())
}

/// `state_root = H(accounts_root, markets_hash, globals_hash)`.
pub fn state_root(accounts_root: Fr, markets_hash: Fr, globals_hash: Fr) -> Fr {
    hash(&[accounts_root, markets_hash, globals_hash])
}

/// Why a genesis configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// Maintenance margin above initial margin.
    #[error("market {0}: mm_bp must not exceed im_bp")]
    MaintenanceAboveInitial(usize),
    /// Zero price.
    #[error("market {0}: genesis price must be positive")]
    ZeroPrice(usize),
    /// Depth outside 1..=24.
    #[error("tree depth must be 1..=24, got {0}")]
    BadDepth(usize),
}

/// Stored order slots that do not hash to the `orders_root` in their account's
/// leaf (or belong to no account).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the order slots of account {0} do not match its leaf's orders_root")]
pub struct OrderSlotsMismatch(pub AccountId);

/// Everything fixed at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The four markets with their first prices.
    pub markets: [Market; MARKETS],
    /// Initial insurance fund.
    pub insurance_fund: Quote,
}

/// The full state. Mutated only through [`crate::batch`], one transaction at a time.
///
/// Writes do not hash: an account written is marked dirty, and [`State::sync`]
/// brings its order slots' root, its leaf, the account tree and the market and
/// global hashes up to date at once (the sequencer syncs once per batch, the
/// witness builder after every write). Roots are only readable in sync.
#[derive(Debug, Clone)]
pub struct State {
    pub(crate) accounts: BTreeMap<AccountId, Account>,
    /// Each account's order slots (absent: none used); `orders_root` in its leaf
    /// is their root.
    pub(crate) orders: BTreeMap<AccountId, OrderSlots>,
    pub(crate) tree: SparseMerkleTree,
    pub(crate) markets: [Market; MARKETS],
    pub(crate) globals: Globals,
    markets_hash: Fr,
    globals_hash: Fr,
    /// Accounts written since the last sync.
    dirty: BTreeSet<AccountId>,
    markets_dirty: bool,
    globals_dirty: bool,
}

/// At least this many accounts to rehash are rehashed in parallel.
const PARALLEL_ACCOUNTS: usize = 8;

impl State {
    /// The genesis state with the production tree depth.
    pub fn genesis(genesis: &Genesis) -> Result<Self, GenesisError> {
        Self::genesis_with_depth(genesis, ACCOUNT_TREE_DEPTH)
    }

    /// The genesis state with a smaller tree (tests), same code path.
    pub fn genesis_with_depth(genesis: &Genesis, depth: usize) -> Result<Self, GenesisError> {
        if !(1..=ACCOUNT_TREE_DEPTH).contains(&depth) {
            return Err(GenesisError::BadDepth(depth));
        }
        for (m, market) in genesis.markets.iter().enumerate() {
            if market.params.mm_bp > market.params.im_bp {
                return Err(GenesisError::MaintenanceAboveInitial(m));
            }
            if market.state.price.get() == 0 {
                return Err(GenesisError::ZeroPrice(m));
            }
        }
        let globals = Globals { insurance_fund: genesis.insurance_fund, ..Globals::default() };
        Ok(Self {
            accounts: BTreeMap::new(),
            orders: BTreeMap::new(),
            tree: SparseMerkleTree::new(depth),
            markets: genesis.markets,
            globals,
            markets_hash: markets_hash(&genesis.markets),
            globals_hash: globals_hash(&globals),
            dirty: BTreeSet::new(),
            markets_dirty: false,
            globals_dirty: false,
        })
    }

    /// Reassembles a state from stored parts (a sequencer restart). The caller
    /// checks [`State::root`] against the root it stored; each account's order
    /// slots must have the `orders_root` of its leaf (checked here).
    pub fn from_parts(
        accounts: BTreeMap<AccountId, Account>,
        orders: BTreeMap<AccountId, OrderSlots>,
        tree: SparseMerkleTree,
        markets: [Market; MARKETS],
        globals: Globals,
    ) -> Result<Self, OrderSlotsMismatch> {
        for (id, account) in &accounts {
            let root = orders.get(id).map_or_else(OrderSlots::empty_root, OrderSlots::root);
            if root != account.orders_root {
                return Err(OrderSlotsMismatch(*id));
            }
        }
        if let Some(id) = orders.keys().find(|id| !accounts.contains_key(id)) {
            return Err(OrderSlotsMismatch(*id));
        }
        Ok(Self {
            accounts,
            orders,
            tree,
            markets,
            globals,
            markets_hash: markets_hash(&markets),
            globals_hash: globals_hash(&globals),
            dirty: BTreeSet::new(),
            markets_dirty: false,
            globals_dirty: false,
        })
    }

    /// The account, if it exists.
    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.accounts.get(&id)
    }

    /// An account's order slots (empty for an account that never filled an order).
    pub fn order_slots(&self, id: AccountId) -> &OrderSlots {
        static EMPTY: std::sync::OnceLock<OrderSlots> = std::sync::OnceLock::new();
        self.orders.get(&id).unwrap_or_else(|| EMPTY.get_or_init(OrderSlots::default))
    }

    /// All existing accounts, by id.
    pub fn accounts(&self) -> impl Iterator<Item = (&AccountId, &Account)> {
        self.accounts.iter()
    }

    /// The markets.
    pub fn markets(&self) -> &[Market; MARKETS] {
        &self.markets
    }

    /// One market.
    pub fn market(&self, id: MarketId) -> &Market {
        &self.markets[id.index()]
    }

    /// The globals.
    pub fn globals(&self) -> &Globals {
        &self.globals
    }

    /// The account tree (the state must be in sync).
    pub fn tree(&self) -> &SparseMerkleTree {
        self.assert_synced();
        &self.tree
    }

    /// The account tree's depth.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// Number of accounts the tree can hold.
    pub fn capacity(&self) -> u64 {
        self.tree.capacity()
    }

    /// The accounts root (the state must be in sync).
    pub fn accounts_root(&self) -> Fr {
        self.tree().root()
    }

    /// The cached `markets_hash` (the state must be in sync).
    pub fn markets_hash(&self) -> Fr {
        self.assert_synced();
        self.markets_hash
    }

    /// The cached `globals_hash` (the state must be in sync).
    pub fn globals_hash(&self) -> Fr {
        self.assert_synced();
        self.globals_hash
    }

    /// The state root (the state must be in sync).
    pub fn root(&self) -> Fr {
        state_root(self.accounts_root(), self.markets_hash(), self.globals_hash())
    }

    /// True when nothing written waits for [`State::sync`].
    pub fn is_synced(&self) -> bool {
        self.dirty.is_empty() && !self.markets_dirty && !self.globals_dirty
    }

    fn assert_synced(&self) {
        assert!(self.is_synced(), "the state has writes not yet hashed (State::sync)");
    }

    /// Hashes everything written since the last sync: each dirty account's order
    /// slots and leaf (in parallel across accounts), the account tree above
    /// them (each node once), and the market and global hashes if they moved.
    pub fn sync(&mut self) {
        if !self.dirty.is_empty() {
            let ids: Vec<AccountId> = std::mem::take(&mut self.dirty).into_iter().collect();
            let parallel = ids.len() >= PARALLEL_ACCOUNTS;
            let mut slots: Vec<(AccountId, OrderSlots)> =
                ids.iter().filter_map(|id| self.orders.remove(id).map(|s| (*id, s))).collect();
            if parallel {
                slots.par_iter_mut().for_each(|(_, s)| s.sync());
            } else {
                slots.iter_mut().for_each(|(_, s)| s.sync());
            }
            for (id, s) in slots {
                if s.slots().next().is_some() {
                    self.orders.insert(id, s);
                }
            }
            for id in &ids {
                let root =
                    self.orders.get(id).map_or_else(OrderSlots::empty_root, OrderSlots::root);
                if let Some(account) = self.accounts.get_mut(id) {
                    account.orders_root = root;
                }
            }
            let accounts = &self.accounts;
            let leaf = |id: &AccountId| (id.index(), leaf_of(accounts.get(id)));
            let leaves: Vec<(u64, Fr)> = if parallel {
                ids.par_iter().map(leaf).collect()
            } else {
                ids.iter().map(leaf).collect()
            };
            for (index, leaf) in leaves {
                self.tree.set(index, leaf);
            }
            self.tree.sync();
        }
        if self.markets_dirty {
            self.markets_hash = markets_hash(&self.markets);
            self.markets_dirty = false;
        }
        if self.globals_dirty {
            self.globals_hash = globals_hash(&self.globals);
            self.globals_dirty = false;
        }
    }

    /// The state root recomputed from the account values alone, rebuilding the tree
    /// and both hashes from scratch: the reference for the incremental [`State::root`].
    pub fn recompute_root(&self) -> Fr {
        let leaves = self.accounts.iter().map(|(id, a)| (id.index(), a.leaf()));
        let tree = SparseMerkleTree::from_leaves(self.tree.depth(), leaves);
        state_root(tree.root(), markets_hash(&self.markets), globals_hash(&self.globals))
    }

    /// Writes an account (hashed at the next [`State::sync`]).
    pub(crate) fn write_account(&mut self, id: AccountId, account: Account) {
        self.accounts.insert(id, account);
        self.dirty.insert(id);
    }

    /// Removes an account (undoing its creation; its leaf becomes 0 at the next sync).
    pub(crate) fn remove_account(&mut self, id: AccountId) {
        self.accounts.remove(&id);
        self.dirty.insert(id);
    }

    /// Writes an order slot (`None`: empties it) without hashing; its account's
    /// `orders_root` is recomputed at the next sync.
    pub(crate) fn write_slot(&mut self, id: AccountId, slot: u64, value: Option<Slot>) {
        self.orders.entry(id).or_default().write(slot, value);
        self.dirty.insert(id);
    }

    /// Fills an order slot at once, with the update's path and roots (the
    /// witness builder); the caller writes the account with the new root.
    pub(crate) fn fill_slot(&mut self, id: AccountId, slot: Slot) -> SlotUpdate {
        self.orders.entry(id).or_default().set(slot)
    }

    pub(crate) fn set_market_state(&mut self, id: MarketId, state: MarketState) {
        self.markets[id.index()].state = state;
        self.markets_dirty = true;
    }

    pub(crate) fn set_market_states(&mut self, states: [MarketState; MARKETS]) {
        for (market, state) in self.markets.iter_mut().zip(states) {
            market.state = state;
        }
        self.markets_dirty = true;
    }

    pub(crate) fn set_globals(&mut self, globals: Globals) {
        self.globals = globals;
        self.globals_dirty = true;
    }
}
