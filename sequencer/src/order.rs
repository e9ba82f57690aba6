//! Signed orders: what a user signs to authorise trades and liquidations.
//!
//! An order is checked by the sequencer, not by the circuit (PROTOCOL §6): its
//! signature, market, side, limit price, fee cap, expiry and remaining size. Its
//! signed message is `H(9, account, market, side, size, limit_price, max_fee_bp,
//! expiry, order_id)` with `side` 0 for buy and 1 for sell.

use std::fmt;

use clearproof_circuits::poseidon;
use clearproof_circuits::signature::{SecretKey, Signature};
use clearproof_circuits::types::{
    parse_canonical_decimal, AccountId, Amount, Bps, MarketId, Price, RangeError, Timestamp,
};
use clearproof_circuits::Fr;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Type tag of an order's encoding, reserved in the transaction registry so no
/// transaction's message can ever equal an order's.
pub use clearproof_circuits::tx::ORDER_TAG;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
            Fr::from(ORDER_TAG),
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

    /// The signed message `H(encode())`.
    pub fn message(&self) -> Fr {
        poseidon::hash(&self.encode())
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
