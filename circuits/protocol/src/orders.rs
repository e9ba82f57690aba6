//! Order slots (PROTOCOL v2 §3, §6.2): each account's fill state, committed by
//! `orders_root` in its leaf.
//!
//! An account has [`ORDER_SLOTS`] slots, a sparse Merkle tree of depth
//! [`ORDER_TREE_DEPTH`]. Order `id` lives in slot `id mod 2^8`, which holds
//! `H(id, filled)` (an unused slot is 0). A fill of `base` lots of an order of
//! `size` lots is allowed when:
//!
//! - the slot holds the same order: `filled + base ≤ size`;
//! - the slot is empty or holds a smaller order id: `base ≤ size`, and the new
//!   order replaces the old one, which can never come back (per slot, order ids
//!   only grow);
//! - the slot holds a larger order id: never (`ORDER_SUPERSEDED`).
//!
//! So no order is filled beyond its size, replayed or revived. [`OrderSlots`] is
//! the native oracle the sequencer and the circuit's witness use; a fill's
//! [`SlotUpdate`] carries what the circuit needs to prove it (the slot before
//! and after, and its Merkle path).
//!
//! An [`Order`] is what the account's owner signs: its message is
//! `H(tags::ORDER, account, market, side (0 buy, 1 sell), size, limit_price,
//! max_fee_bp, expiry, order_id)` ([`Order::message`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use halo2_base::halo2_proofs::halo2curves::ff::Field;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::poseidon::{self, hash2};
use crate::signature::{SecretKey, Signature};
use crate::tree::{MerklePath, SparseMerkleTree};
use crate::types::{
    parse_canonical_decimal, AccountId, Amount, Bps, MarketId, Price, RangeError, Timestamp,
};
use crate::Fr;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Receives lots, pays quote.
    Buy,
    /// Delivers lots, receives quote.
    Sell,
}

/// A client-chosen order id, unique per account, `< 2^63`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId(u64);

impl OrderId {
    /// Checks `0 ≤ id < 2^63`.
    pub fn new(x: u64) -> Result<Self, RangeError> {
        if x < 1 << 63 {
            Ok(Self(x))
        } else {
            Err(RangeError { kind: "order id", value: x.to_string(), allowed: "0 ≤ id < 2^63" })
        }
    }

    /// The value.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The value as a field element.
    pub fn to_field(self) -> Fr {
        Fr::from(self.0)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for OrderId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrderId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let x = parse_canonical_decimal(&text).and_then(|x| u64::try_from(x).ok()).ok_or_else(
            || {
                serde::de::Error::custom(format!(
                    "order id: not a canonical decimal string: {text:?}"
                ))
            },
        )?;
        OrderId::new(x).map_err(serde::de::Error::custom)
    }
}

/// An order, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The account that trades; its owner signs.
    pub account: AccountId,
    /// Market.
    pub market: MarketId,
    /// Direction.
    pub side: Side,
    /// Largest total number of lots this order may fill.
    pub size: Amount,
    /// Worst acceptable price (fixed point, 32 fractional bits): a buy fills at or
    /// below it, a sell at or above it.
    pub limit_price: Price,
    /// Largest fee, as a share of each fill's quote amount.
    pub max_fee_bp: Bps,
    /// Last second (unix time) at which the order may fill.
    pub expiry: Timestamp,
    /// Unique per account; fills are tracked by `(account, order_id)`.
    pub order_id: OrderId,
}

impl Order {
    /// The field encoding.
    pub fn encode(&self) -> [Fr; 9] {
        [
            Fr::from(crate::tags::ORDER),
            self.account.to_field(),
            self.market.to_field(),
            Fr::from(u64::from(self.side == Side::Sell)),
            self.size.to_field(),
            self.limit_price.to_field(),
            self.max_fee_bp.to_field(),
            self.expiry.to_field(),
            Fr::from(self.order_id.get()),
        ]
    }

    /// The signed message `H(encode())`. Recent orders' messages are
    /// remembered: a standing order is checked at every fill, and its message
    /// is needed both where its signature is verified (outside the
    /// sequencer's lock) and by the rule.
    pub fn message(&self) -> Fr {
        static MESSAGES: crate::signature::Memo<Order, Fr> = crate::signature::Memo::new();
        if let Some(m) = MESSAGES.get(self) {
            return m;
        }
        let m = poseidon::hash(&self.encode());
        MESSAGES.insert(self.clone(), m);
        m
    }

    /// The narrowest order that authorises exactly the fill `terms` (size
    /// `base`, limit at the fill's price, fee cap 100 %, expiring at the last
    /// representable second): what tests, benches and tools sign when a fill,
    /// not an order book, is the point.
    pub fn exact(terms: &FillTerms) -> Order {
        let fill = (terms.quote.get() as u128) << 32;
        let base = terms.base.get() as u128;
        let limit = match terms.side {
            Side::Buy => fill.div_ceil(base),
            Side::Sell => fill / base,
        };
        Order {
            account: terms.account,
            market: terms.market,
            side: terms.side,
            size: terms.base,
            limit_price: Price::new(limit.min(i64::MAX as u128) as i128).expect("below 2^63"),
            max_fee_bp: Bps::new(crate::params::BPS_DENOMINATOR as i128).expect("100 %"),
            expiry: Timestamp::new((1i128 << crate::params::TIMESTAMP_BITS) - 1).expect("max"),
            order_id: terms.order_id,
        }
    }

    /// Signs the order with the account owner's key.
    pub fn sign(self, key: &SecretKey) -> SignedOrder {
        let signature = key.sign(self.message());
        SignedOrder { order: self, signature }
    }
}

/// An order with its owner's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedOrder {
    /// The order.
    pub order: Order,
    /// EdDSA signature over [`Order::message`].
    pub signature: Signature,
}

/// Depth of an account's order-slot tree.
pub const ORDER_TREE_DEPTH: usize = 8;
/// Order slots per account.
pub const ORDER_SLOTS: u64 = 1 << ORDER_TREE_DEPTH;
/// Order ids are below 2^63.
pub const ORDER_ID_BOUND: u64 = 1 << 63;

/// What a slot holds: an order id and the lots filled under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// The order id (`slot = order_id mod 2^8`).
    pub order_id: u64,
    /// Lots filled so far.
    pub filled: u64,
}

impl Slot {
    /// The slot's leaf: `H(order_id, filled)`.
    pub fn leaf(&self) -> Fr {
        hash2(Fr::from(self.order_id), Fr::from(self.filled))
    }
}

/// The slot an order id lives in.
pub fn slot_of(order_id: u64) -> u64 {
    order_id % ORDER_SLOTS
}

/// Why a fill is not allowed by the order's slot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    /// The slot holds a larger order id: this order was replaced for good.
    #[error("order {order_id} was superseded by order {holder} in its slot")]
    Superseded {
        /// The order filled.
        order_id: u64,
        /// The larger order id the slot holds.
        holder: u64,
    },
    /// The fill would take the order beyond its size.
    #[error("order {order_id}: {filled} filled + {base} exceeds its size {size}")]
    Overfilled {
        /// The order filled.
        order_id: u64,
        /// Lots filled before.
        filled: u64,
        /// Lots of this fill.
        base: u64,
        /// The order's size.
        size: u64,
    },
    /// An order id at or above 2^63.
    #[error("order id {0} out of range (below 2^63)")]
    IdOutOfRange(u64),
}

impl FillError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            FillError::Superseded { .. } => "ORDER_SUPERSEDED",
            FillError::Overfilled { .. } => "ORDER_OVERFILLED",
            FillError::IdOutOfRange(_) => "ORDER_ID_OUT_OF_RANGE",
        }
    }
}

/// What a fill asks of an order: the fill's side of a trade or liquidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillTerms {
    /// The account filled.
    pub account: AccountId,
    /// The market.
    pub market: MarketId,
    /// The account's direction in the fill.
    pub side: Side,
    /// Lots.
    pub base: Amount,
    /// Quote micro-units.
    pub quote: Amount,
    /// The account's fee, micro-units.
    pub fee: u64,
    /// The order id the transaction names (posted in its public data).
    pub order_id: OrderId,
}

/// Why a signed order does not authorise a fill (PROTOCOL §6.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The order names another account, market, side or order id than the fill.
    #[error("the order's {0} does not match the fill")]
    Mismatch(&'static str),
    /// The signature is not the account owner's over the order.
    #[error("order signature: {0}")]
    Signature(#[from] crate::signature::SignatureError),
    /// The market's oracle timestamp is past the order's expiry.
    #[error("order expired at {expiry}, the oracle clock is at {now}")]
    Expired {
        /// The order's expiry.
        expiry: u64,
        /// The market's `price_ts`.
        now: u64,
    },
    /// The fill price is worse than the order's limit.
    #[error("fill price beyond the order's limit price")]
    LimitPrice,
    /// The fee is above the order's `max_fee_bp` of the quote.
    #[error("fee above the order's max_fee_bp")]
    FeeAboveMax,
    /// The order slot refuses the fill.
    #[error(transparent)]
    Slot(#[from] FillError),
}

impl OrderError {
    /// Every code an order can be refused with.
    pub const CODES: &'static [&'static str] = &[
        "ORDER_MISMATCH",
        "ORDER_EXPIRED",
        "ORDER_LIMIT_PRICE",
        "ORDER_FEE_ABOVE_MAX",
        "ORDER_SUPERSEDED",
        "ORDER_OVERFILLED",
        "ORDER_ID_OUT_OF_RANGE",
        "SIG_BAD_SIGNATURE",
        "SIG_POINT_NOT_ON_CURVE",
        "SIG_POINT_NOT_IN_SUBGROUP",
        "SIG_NONCANONICAL_SCALAR",
    ];

    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            OrderError::Mismatch(_) => "ORDER_MISMATCH",
            OrderError::Signature(e) => e.code(),
            OrderError::Expired { .. } => "ORDER_EXPIRED",
            OrderError::LimitPrice => "ORDER_LIMIT_PRICE",
            OrderError::FeeAboveMax => "ORDER_FEE_ABOVE_MAX",
            OrderError::Slot(e) => e.code(),
        }
    }
}

/// One fill's change to an order slot, with what proves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotUpdate {
    /// The slot index.
    pub slot: u64,
    /// What it held (`None`: empty, leaf 0).
    pub before: Option<Slot>,
    /// What it holds after the fill.
    pub after: Slot,
    /// The slot's path (the same before and after: only this leaf changes).
    pub path: MerklePath,
    /// `orders_root` before the fill.
    #[serde(with = "crate::serde_fr")]
    pub root_before: Fr,
    /// `orders_root` after the fill.
    #[serde(with = "crate::serde_fr")]
    pub root_after: Fr,
}

/// An account's order slots.
#[derive(Debug, Clone)]
pub struct OrderSlots {
    slots: BTreeMap<u64, Slot>,
    tree: SparseMerkleTree,
    /// Slots written since the last [`OrderSlots::sync`] (their leaves unhashed).
    dirty: BTreeSet<u64>,
}

impl Default for OrderSlots {
    fn default() -> Self {
        Self {
            slots: BTreeMap::new(),
            tree: SparseMerkleTree::new(ORDER_TREE_DEPTH),
            dirty: BTreeSet::new(),
        }
    }
}

impl PartialEq for OrderSlots {
    fn eq(&self, other: &Self) -> bool {
        self.slots == other.slots
    }
}

impl Eq for OrderSlots {}

impl OrderSlots {
    /// Slots rebuilt from what they hold.
    pub fn from_slots(slots: impl IntoIterator<Item = Slot>) -> Self {
        let mut out = Self::default();
        for s in slots {
            out.write(slot_of(s.order_id), Some(s));
        }
        out.sync();
        out
    }

    /// Many accounts' slots rebuilt from what they hold, accounts in parallel
    /// (a sequencer restart).
    pub fn from_slots_by_account<K: Ord + Send>(
        slots: BTreeMap<K, Vec<Slot>>,
    ) -> BTreeMap<K, OrderSlots> {
        use rayon::prelude::*;
        let slots: Vec<(K, Vec<Slot>)> = slots.into_iter().collect();
        slots
            .into_par_iter()
            .map(|(k, s)| (k, OrderSlots::from_slots(s)))
            .collect::<Vec<_>>()
            .into_iter()
            .collect()
    }

    /// `orders_root` (the slots must be in sync).
    pub fn root(&self) -> Fr {
        assert!(self.dirty.is_empty(), "order slots written since their last sync");
        self.tree.root()
    }

    /// Writes `value` into `slot` (`None`: empties it) without hashing: the
    /// root is unreadable until [`OrderSlots::sync`].
    pub fn write(&mut self, slot: u64, value: Option<Slot>) {
        match value {
            Some(v) => {
                debug_assert_eq!(slot_of(v.order_id), slot);
                self.slots.insert(slot, v)
            }
            None => self.slots.remove(&slot),
        };
        self.dirty.insert(slot);
    }

    /// Hashes the slots written since the last sync into the root.
    pub fn sync(&mut self) {
        for slot in std::mem::take(&mut self.dirty) {
            self.tree.set(slot, self.slots.get(&slot).map_or(Fr::ZERO, Slot::leaf));
        }
        self.tree.sync();
    }

    /// The root of an account with no order ever filled.
    pub fn empty_root() -> Fr {
        crate::tree::empty_subtree_roots(ORDER_TREE_DEPTH)[ORDER_TREE_DEPTH]
    }

    /// What the slot of `order_id` holds.
    pub fn slot(&self, order_id: u64) -> Option<Slot> {
        self.slots.get(&slot_of(order_id)).copied()
    }

    /// What slot `slot` (an index below [`ORDER_SLOTS`]) holds.
    pub fn at(&self, slot: u64) -> Option<Slot> {
        self.slots.get(&slot).copied()
    }

    /// Every non-empty slot, by slot index.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots.values()
    }

    /// What the slot would hold after filling `base` lots of order `order_id`
    /// of `size` lots, or why the fill is not allowed. Changes nothing.
    pub fn check(&self, order_id: u64, size: u64, base: u64) -> Result<Slot, FillError> {
        if order_id >= ORDER_ID_BOUND {
            return Err(FillError::IdOutOfRange(order_id));
        }
        let filled = match self.slot(order_id) {
            Some(s) if s.order_id > order_id => {
                return Err(FillError::Superseded { order_id, holder: s.order_id })
            }
            Some(s) if s.order_id == order_id => s.filled,
            _ => 0,
        };
        match filled.checked_add(base) {
            Some(total) if total <= size => Ok(Slot { order_id, filled: total }),
            _ => Err(FillError::Overfilled { order_id, filled, base, size }),
        }
    }

    /// Fills `base` lots of order `order_id` of `size` lots, or changes nothing
    /// and says why not.
    pub fn fill(&mut self, order_id: u64, size: u64, base: u64) -> Result<SlotUpdate, FillError> {
        let after = self.check(order_id, size, base)?;
        Ok(self.set(after))
    }

    /// Writes `after` into its slot (a value [`OrderSlots::check`] returned).
    pub fn set(&mut self, after: Slot) -> SlotUpdate {
        let slot = slot_of(after.order_id);
        let before = self.slots.get(&slot).copied();
        let root_before = self.root();
        let path = self.tree.path(slot);
        let root_after = self.tree.update(slot, after.leaf());
        self.slots.insert(slot, after);
        SlotUpdate { slot, before, after, path, root_before, root_after }
    }
}

impl SlotUpdate {
    /// Checks the update against its path: the leaf before (0 if empty) hashes
    /// to the root before, the leaf after to the root after.
    pub fn verifies(&self) -> bool {
        let before = self.before.map_or(Fr::ZERO, |s| s.leaf());
        self.path.root(self.slot, before) == self.root_before
            && self.path.root(self.slot, self.after.leaf()) == self.root_after
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_three_slot_rules() {
        let mut slots = OrderSlots::default();
        assert_eq!(slots.root(), OrderSlots::empty_root());
        // Empty slot: a new order, up to its size.
        let u = slots.fill(5, 10, 4).unwrap();
        assert_eq!((u.slot, u.before, u.after), (5, None, Slot { order_id: 5, filled: 4 }));
        assert!(u.verifies());
        // Same order: filled + base ≤ size.
        assert_eq!(slots.fill(5, 10, 6).unwrap().after.filled, 10);
        let full = slots.fill(5, 10, 1).unwrap_err();
        assert_eq!(full.code(), "ORDER_OVERFILLED");
        // A larger id in the same slot replaces it; the old one never comes back.
        let newer = 5 + ORDER_SLOTS;
        let u = slots.fill(newer, 3, 3).unwrap();
        assert_eq!(u.before, Some(Slot { order_id: 5, filled: 10 }));
        assert!(u.verifies());
        let revived = slots.fill(5, 100, 1).unwrap_err();
        assert_eq!(revived, FillError::Superseded { order_id: 5, holder: newer });
        assert_eq!(revived.code(), "ORDER_SUPERSEDED");
        // A new order above its size at once.
        assert_eq!(slots.fill(7, 2, 3).unwrap_err().code(), "ORDER_OVERFILLED");
        assert_eq!(slots.fill(ORDER_ID_BOUND, 2, 1).unwrap_err().code(), "ORDER_ID_OUT_OF_RANGE");
        // A refused fill changed nothing.
        let before = slots.root();
        let _ = slots.fill(5, 100, 1);
        assert_eq!(slots.root(), before);
        assert_eq!(OrderSlots::from_slots(slots.slots().copied()).root(), before);
    }

    proptest! {
        /// Random fills of random orders: no order is ever filled beyond its size
        /// or after it was superseded, every update verifies against its path, and
        /// the root equals a rebuild from the slots.
        #[test]
        fn fills_never_exceed_an_order_and_superseded_orders_stay_dead(
            fills in proptest::collection::vec((0u64..6, 0u64..3, 1u64..5), 1..60)
        ) {
            let mut slots = OrderSlots::default();
            let size = |id: u64| 3 + id % 4;
            let mut filled: BTreeMap<u64, u64> = BTreeMap::new();
            let mut dead: std::collections::BTreeSet<u64> = Default::default();
            for (id_low, generation, base) in fills {
                // Ids sharing slots: slot = id_low, generation picks a larger id.
                let id = id_low + generation * ORDER_SLOTS;
                match slots.fill(id, size(id), base) {
                    Ok(u) => {
                        prop_assert!(u.verifies());
                        prop_assert!(!dead.contains(&id), "order {} revived", id);
                        let total = filled.entry(id).or_default();
                        *total += base;
                        prop_assert!(*total <= size(id));
                        prop_assert_eq!(u.after.filled, *total);
                        if let Some(old) = u.before.filter(|s| s.order_id != id) {
                            prop_assert!(old.order_id < id);
                            dead.insert(old.order_id);
                        }
                    }
                    Err(FillError::Overfilled { filled: before, base: b, size: s, .. }) => {
                        prop_assert!(before + b > s);
                        let held = slots.slot(id).filter(|x| x.order_id == id).map_or(0, |x| x.filled);
                        prop_assert_eq!(before, held);
                    }
                    Err(FillError::Superseded { holder, .. }) => prop_assert!(holder > id),
                    Err(e) => prop_assert!(false, "{}", e),
                }
            }
            prop_assert_eq!(OrderSlots::from_slots(slots.slots().copied()).root(), slots.root());
        }
    }
}
