//! Newtypes for every quantity of PROTOCOL §2, with the bounds enforced at
//! construction and checked arithmetic. No amount in the protocol is a bare integer.
//!
//! In JSON every quantity is a decimal string (`"12500000"`), so 64-bit values
//! survive JavaScript clients. Input takes exactly one spelling per value
//! ([`parse_canonical_decimal`]): no JSON numbers, signs other than a leading
//! `-` of a negative value, spaces or leading zeros, so two byte strings never
//! mean the same transaction.

use std::fmt;

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::params::{ACCOUNT_TREE_DEPTH, BPS_DENOMINATOR, MARKETS, ORACLE_N, TIMESTAMP_BITS};

/// A value outside the range PROTOCOL §2 allows for its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} out of range: {value} (allowed {allowed})")]
pub struct RangeError {
    /// Which quantity.
    pub kind: &'static str,
    /// The offending value, as text (it may not fit the type).
    pub value: String,
    /// The allowed range, as text.
    pub allowed: &'static str,
}

impl RangeError {
    /// Stable error code: ids have their own (`ACCOUNT_OUT_OF_RANGE`,
    /// `MARKET_OUT_OF_RANGE`), every other quantity `AMOUNT_OUT_OF_RANGE`.
    pub fn code(&self) -> &'static str {
        range_code(self.kind)
    }

    fn new(kind: &'static str, value: impl fmt::Display, allowed: &'static str) -> Self {
        Self { kind, value: value.to_string(), allowed }
    }
}

/// The stable code of a range error of quantity `kind` (see [`RangeError::code`]).
pub fn range_code(kind: &str) -> &'static str {
    match kind {
        "account id" => "ACCOUNT_OUT_OF_RANGE",
        "market id" => "MARKET_OUT_OF_RANGE",
        _ => "AMOUNT_OUT_OF_RANGE",
    }
}

/// Parses the one accepted spelling of an integer: `0`, or ASCII digits without
/// a leading zero, optionally after one `-` (never `-0`); at most 38 digits.
/// `None` for anything else (`+1`, ` 1`, `01`, `-0`, `1e3`, `""`).
pub fn parse_canonical_decimal(text: &str) -> Option<i128> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.len() <= 38
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" && digits.len() == text.len() || !digits.starts_with('0'));
    if !canonical {
        return None;
    }
    text.parse().ok()
}

/// Encodes a signed integer in the field: negative values as `p − |x|` (PROTOCOL §2).
pub fn signed_to_field(x: i128) -> Fr {
    let magnitude = Fr::from_u128(x.unsigned_abs());
    if x < 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// Decodes a field element that encodes a signed integer with `|x| < 2^63`.
pub fn field_to_signed_i64(f: Fr) -> Option<i64> {
    let neg = -f;
    let small = |v: Fr| -> Option<u64> {
        let bytes = v.to_repr();
        if bytes[8..].iter().any(|b| *b != 0) {
            return None;
        }
        let x = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
        (x < 1 << 63).then_some(x)
    };
    if let Some(x) = small(f) {
        return Some(x as i64);
    }
    small(neg).map(|x| -(x as i64))
}

/// Decodes a field element that encodes an unsigned integer `< 2^64`.
pub fn field_to_u64(f: Fr) -> Option<u64> {
    let bytes = f.to_repr();
    if bytes[8..].iter().any(|b| *b != 0) {
        return None;
    }
    Some(u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")))
}

const SIGNED_BOUND: i128 = 1 << 63;

macro_rules! string_serde {
    ($t:ty, $inner:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.get())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Text;
                impl serde::de::Visitor<'_> for Text {
                    type Value = i128;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "{} as a decimal string", stringify!($t))
                    }
                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<i128, E> {
                        parse_canonical_decimal(s).ok_or_else(|| {
                            E::custom(format!(
                                "{}: not a canonical decimal string (no sign but a \
                                 leading '-', no spaces, no leading zeros): {s:?}",
                                stringify!($t)
                            ))
                        })
                    }
                }
                let raw = d.deserialize_str(Text)?;
                <$t>::new(raw).map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.get().fmt(f)
            }
        }
    };
}

/// A signed quantity with `|x| < 2^63`: collateral (quote micro-units) or a
/// position balance (base lots).
macro_rules! signed_quantity {
    ($(#[$doc:meta])* $t:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $t(i64);

        impl $t {
            /// Zero.
            pub const ZERO: Self = Self(0);

            /// Checks `|x| < 2^63`.
            pub fn new(x: i128) -> Result<Self, RangeError> {
                if x.unsigned_abs() < SIGNED_BOUND as u128 {
                    Ok(Self(x as i64))
                } else {
                    Err(RangeError::new($kind, x, "|x| < 2^63"))
                }
            }

            /// The value.
            pub fn get(self) -> i64 {
                self.0
            }

            /// `self + x`, or an error if the result leaves the range.
            pub fn checked_add(self, x: i128) -> Result<Self, RangeError> {
                Self::new(self.0 as i128 + x)
            }

            /// `self − x`, or an error if the result leaves the range.
            pub fn checked_sub(self, x: i128) -> Result<Self, RangeError> {
                Self::new(self.0 as i128 - x)
            }

            /// Field encoding (`p − |x|` when negative).
            pub fn to_field(self) -> Fr {
                signed_to_field(self.0 as i128)
            }

            /// True if the value is zero.
            pub fn is_zero(self) -> bool {
                self.0 == 0
            }
        }
        string_serde!($t, i64);
    };
}

signed_quantity!(
    /// Collateral: a signed quote balance in micro-units (1e-6), `|x| < 2^63`.
    Collateral,
    "collateral"
);
signed_quantity!(
    /// A position: signed base lots in one market, `|x| < 2^63`.
    Balance,
    "position balance"
);
signed_quantity!(
    /// A funding index: signed fixed point with 32 fractional bits, quote
    /// micro-units per lot, `|x| < 2^63`.
    FundingIndex,
    "funding index"
);

/// An unsigned quantity with bounds checked at construction: the struct,
/// `new` (the only constructor), `get`, the field encoding and JSON.
macro_rules! unsigned_quantity {
    ($(#[$doc:meta])* $t:ident($inner:ty), $kind:literal, $range:expr, $allowed:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $t($inner);

        impl $t {
            #[doc = concat!("Checks ", $allowed, ".")]
            pub fn new(x: i128) -> Result<Self, RangeError> {
                if ($range).contains(&x) {
                    Ok(Self(x as $inner))
                } else {
                    Err(RangeError::new($kind, x, $allowed))
                }
            }

            /// The value.
            pub fn get(self) -> $inner {
                self.0
            }

            /// Field encoding.
            pub fn to_field(self) -> Fr {
                Fr::from(self.0 as u64)
            }
        }
        string_serde!($t, $inner);
    };
}

unsigned_quantity!(
    /// An unsigned quantity `< 2^63`, possibly zero: insurance fund, fee pool, fees, penalties.
    Quote(u64), "quote amount", 0..SIGNED_BOUND, "0 ≤ x < 2^63"
);
unsigned_quantity!(
    /// An amount moved by a transaction: `0 < x < 2^63` (PROTOCOL §2, §6).
    Amount(u64), "amount", 1..SIGNED_BOUND, "0 < x < 2^63"
);
unsigned_quantity!(
    /// An oracle price: unsigned fixed point with 32 fractional bits, quote
    /// micro-units per lot, `< 2^64`.
    Price(u64), "price", 0..1i128 << 64, "0 ≤ x < 2^64"
);
unsigned_quantity!(
    /// A rate in basis points, `≤ 10 000`.
    Bps(u16), "rate", 0..=BPS_DENOMINATOR as i128, "0 ≤ bps ≤ 10000"
);
unsigned_quantity!(
    /// The largest funding-index change per second, as a fraction of the price in
    /// units of 2^-32 per second. Bounded by `2^32` (100 % of the price per second).
    FundingRate(u64), "max funding rate", 0..=1i128 << 32, "0 ≤ x ≤ 2^32"
);
unsigned_quantity!(
    /// Seconds, `< 2^40`.
    Timestamp(u64), "timestamp", 0..1i128 << TIMESTAMP_BITS, "0 ≤ t < 2^40"
);
unsigned_quantity!(
    /// An account nonce (replay protection for withdrawals), `< 2^40`: far beyond
    /// any account's lifetime, and small enough for a cheap range check in the circuit.
    Nonce(u64), "nonce", 0..1i128 << 40, "0 ≤ nonce < 2^40"
);
unsigned_quantity!(
    /// An account id: the leaf index, `< 2^ACCOUNT_TREE_DEPTH`.
    AccountId(u32), "account id", 0..1i128 << ACCOUNT_TREE_DEPTH, "0 ≤ id < 2^24"
);
unsigned_quantity!(
    /// A market id, `< MARKETS`.
    MarketId(u8), "market id", 0..MARKETS as i128, "0 ≤ market < 4"
);
unsigned_quantity!(
    /// A member of a market's oracle committee: its index, `< ORACLE_N`.
    OracleIndex(u8), "oracle index", 0..ORACLE_N as i128, "0 ≤ signer < 4"
);
unsigned_quantity!(
    /// How many committee members must sign an oracle update: `1 ≤ q ≤ ORACLE_N`
    /// (and at most the committee's size, checked with the committee).
    Quorum(u8), "quorum", 1..=ORACLE_N as i128, "1 ≤ quorum ≤ 4"
);
unsigned_quantity!(
    /// A duration in seconds, `< 2^40` (like a timestamp).
    Seconds(u64), "seconds", 0..1i128 << TIMESTAMP_BITS, "0 ≤ seconds < 2^40"
);

impl OracleIndex {
    /// The index as an array index.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// All member indices, in order.
    pub fn all() -> impl Iterator<Item = OracleIndex> {
        (0..ORACLE_N as u8).map(OracleIndex)
    }
}

impl Quote {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// `self + x`, or an error past `2^63`.
    pub fn checked_add(self, x: i128) -> Result<Self, RangeError> {
        Self::new(self.0 as i128 + x)
    }
}

impl Amount {
    /// The value as i128, for exact intermediate arithmetic.
    pub fn wide(self) -> i128 {
        self.0 as i128
    }
}

impl Price {
    /// Parses a decimal number of micro-units per lot (`"6000000"`, `"1.25"`) into
    /// fixed point, rounding a fraction finer than 2^-32 down.
    pub fn from_decimal(text: &str) -> Result<Self, RangeError> {
        let bad = || RangeError::new("price", text, "a decimal < 2^32 micro-units per lot");
        let text = text.trim();
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        // 18 fractional digits are far finer than 2^-32; more is a typo, not precision.
        if whole.is_empty()
            || whole.len() > 10
            || !digits(whole)
            || frac.len() > 18
            || !digits(frac)
        {
            return Err(bad());
        }
        let whole: u128 = whole.parse().map_err(|_| bad())?;
        let frac_value: u128 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| bad())? };
        let scale = 10u128.pow(frac.len() as u32);
        // whole < 10^10 and frac_value < 10^18: both shifts stay far below 2^128.
        let fixed = (whole << 32) + ((frac_value << 32) / scale);
        Self::new(i128::try_from(fixed).map_err(|_| bad())?)
    }

    /// A price from a whole number of micro-units per lot.
    pub fn from_units(units: u32) -> Self {
        Self((units as u64) << 32)
    }
}

impl Nonce {
    /// The next nonce, or an error at the bound.
    pub fn next(self) -> Result<Self, RangeError> {
        Self::new(self.0 as i128 + 1)
    }
}

/// Zero is a valid value of these types, and their natural default.
macro_rules! zero_default {
    ($($t:ident),*) => {
        $(impl Default for $t {
            fn default() -> Self {
                Self(0)
            }
        })*
    };
}
zero_default!(Quote, Price, Bps, FundingRate, Timestamp, Nonce);

impl AccountId {
    /// The leaf index.
    pub fn index(self) -> u64 {
        self.0 as u64
    }
}

impl MarketId {
    /// The id as an array index.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// All market ids.
    pub fn all() -> impl Iterator<Item = MarketId> {
        (0..MARKETS as u8).map(MarketId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_bounds_exclude_two_to_the_63() {
        assert!(Collateral::new((1 << 63) - 1).is_ok());
        assert!(Collateral::new(-((1 << 63) - 1)).is_ok());
        assert_eq!(Collateral::new(1 << 63).unwrap_err().code(), "AMOUNT_OUT_OF_RANGE");
        assert!(Collateral::new(-(1 << 63)).is_err());
        assert!(Balance::new(1 << 63).is_err());
        assert!(FundingIndex::new(-(1 << 63)).is_err());
        assert!(Collateral::new(i128::MIN).is_err(), "i128::MIN must not wrap to 0");
    }

    #[test]
    fn amounts_must_be_positive_and_below_two_to_the_63() {
        assert!(Amount::new(0).is_err());
        assert!(Amount::new(-5).is_err());
        assert!(Amount::new(1).is_ok());
        assert!(Amount::new((1 << 63) - 1).is_ok());
        assert!(Amount::new(1 << 63).is_err());
        assert!(Quote::new(0).is_ok());
        assert!(Quote::new(-1).is_err());
    }

    #[test]
    fn other_bounds_are_enforced() {
        assert!(Price::new(u64::MAX as i128).is_ok());
        assert!(Price::new(1 << 64).is_err());
        assert!(Bps::new(10_000).is_ok());
        assert!(Bps::new(10_001).is_err());
        assert!(Timestamp::new((1 << 40) - 1).is_ok());
        assert!(Timestamp::new(1 << 40).is_err());
        assert!(AccountId::new((1 << 24) - 1).is_ok());
        assert!(AccountId::new(1 << 24).is_err());
        assert!(MarketId::new(3).is_ok());
        assert!(MarketId::new(4).is_err());
    }

    #[test]
    fn decimal_prices_convert_to_fixed_point() {
        assert_eq!(Price::from_decimal("100").unwrap(), Price::from_units(100));
        assert_eq!(Price::from_decimal("1.5").unwrap().get(), 3 << 31);
        assert_eq!(Price::from_decimal("0.25").unwrap().get(), 1 << 30);
        assert!(Price::from_decimal("-1").is_err());
        assert!(Price::from_decimal("1e5").is_err());
        assert!(Price::from_decimal("4294967296").is_err(), "2^32 units overflow 64 bits");
        assert!(Price::from_decimal("79228162514264337593543950337").is_err());
        assert!(Price::from_decimal("1.9999999999999999999999").is_err(), "too many digits");
    }

    #[test]
    fn checked_arithmetic_refuses_to_leave_the_range() {
        let c = Collateral::new((1 << 63) - 10).unwrap();
        assert!(c.checked_add(9).is_ok());
        assert!(c.checked_add(10).is_err());
        assert!(Collateral::ZERO.checked_sub((1 << 63) - 1).is_ok());
        assert!(Collateral::ZERO.checked_sub(1 << 63).is_err());
    }

    #[test]
    fn negative_values_encode_as_p_minus_magnitude() {
        let minus_five = Collateral::new(-5).unwrap().to_field();
        assert_eq!(minus_five + Fr::from(5u64), Fr::zero());
        assert_eq!(field_to_signed_i64(minus_five), Some(-5));
        assert_eq!(field_to_signed_i64(Fr::from(7u64)), Some(7));
        assert_eq!(field_to_signed_i64(Fr::from(1u64 << 63)), None);
    }

    #[test]
    fn json_uses_decimal_strings_and_checks_bounds() {
        let a: Amount = serde_json::from_str("\"42\"").unwrap();
        assert_eq!(a.get(), 42);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"42\"");
        assert!(serde_json::from_str::<Amount>("\"0\"").is_err());
        assert!(serde_json::from_str::<Amount>("\"9223372036854775808\"").is_err());
        assert!(serde_json::from_str::<Amount>("\"12abc\"").is_err());
        let c: Collateral = serde_json::from_str("\"-17\"").unwrap();
        assert_eq!(c.get(), -17);
        assert_eq!(serde_json::from_str::<Quote>("\"0\"").unwrap(), Quote::ZERO);
    }

    #[test]
    fn one_spelling_per_value() {
        for bad in ["42", "\"+42\"", "\" 42\"", "\"42 \"", "\"042\"", "\"-0\"", "\"\"", "\"4e1\""] {
            assert!(serde_json::from_str::<Amount>(bad).is_err(), "{bad} accepted");
            assert!(serde_json::from_str::<Collateral>(bad).is_err(), "{bad} accepted");
        }
        assert!(serde_json::from_str::<Quote>("\"00\"").is_err());
        assert!(serde_json::from_str::<Collateral>("\"-042\"").is_err());
        assert_eq!(parse_canonical_decimal("-42"), Some(-42));
        assert_eq!(parse_canonical_decimal("0"), Some(0));
        assert_eq!(parse_canonical_decimal(&"9".repeat(39)), None);
    }

    #[test]
    fn ids_have_their_own_range_codes() {
        let account = serde_json::from_str::<AccountId>("\"16777216\"").unwrap_err();
        assert!(account.to_string().contains("account id out of range"), "{account}");
        assert_eq!(AccountId::new(1 << 24).unwrap_err().code(), "ACCOUNT_OUT_OF_RANGE");
        assert_eq!(MarketId::new(4).unwrap_err().code(), "MARKET_OUT_OF_RANGE");
        assert_eq!(Amount::new(0).unwrap_err().code(), "AMOUNT_OUT_OF_RANGE");
    }
}
