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

use std::collections::BTreeMap;

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
}

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

    /// The account tree.
    pub fn tree(&self) -> &SparseMerkleTree {
        &self.tree
    }

    /// The accounts root.
    pub fn accounts_root(&self) -> Fr {
        self.tree.root()
    }

    /// The cached `markets_hash`.
    pub fn markets_hash(&self) -> Fr {
        self.markets_hash
    }

    /// The cached `globals_hash`.
    pub fn globals_hash(&self) -> Fr {
        self.globals_hash
    }

    /// The state root.
    pub fn root(&self) -> Fr {
        state_root(self.tree.root(), self.markets_hash, self.globals_hash)
    }

    /// The state root recomputed from the account values alone, rebuilding the tree
    /// and both hashes from scratch: the reference for the incremental [`State::root`].
    pub fn recompute_root(&self) -> Fr {
        let leaves = self.accounts.iter().map(|(id, a)| (id.index(), a.leaf()));
        let tree = SparseMerkleTree::from_leaves(self.tree.depth(), leaves);
        state_root(tree.root(), markets_hash(&self.markets), globals_hash(&self.globals))
    }

    pub(crate) fn set_account(&mut self, id: AccountId, account: Account) {
        self.tree.update(id.index(), account.leaf());
        self.accounts.insert(id, account);
    }

    /// Fills an order slot; the caller writes the account with the new root.
    pub(crate) fn fill_slot(&mut self, id: AccountId, slot: Slot) -> SlotUpdate {
        self.orders.entry(id).or_default().set(slot)
    }

    pub(crate) fn set_market_state(&mut self, id: MarketId, state: MarketState) {
        self.markets[id.index()].state = state;
        self.markets_hash = markets_hash(&self.markets);
    }

    pub(crate) fn set_globals(&mut self, globals: Globals) {
        self.globals = globals;
        self.globals_hash = globals_hash(&globals);
    }
}
