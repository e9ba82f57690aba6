//! The transaction registry: what a transaction type is, declared once.
//!
//! Each type implements [`Rule`] in its own file (`tx/<name>.rs`) with a
//! [`TxSpec`]: its tag, JSON name, encoding fields, the accounts it touches,
//! whether it names a market, and its error codes. The list in `tx/mod.rs`
//! (`transactions!`) then generates [`Transaction`](super::Transaction),
//! [`TxError`](super::TxError) and [`TxKind`](super::TxKind) from the types, so
//! no other native code enumerates them. The circuit derives the slot's one-hot,
//! unused-field masks and market and account selection from the same specs
//! (`circuit/slot.rs`), and its gadget lookup matches on [`TxKind`](super::TxKind)
//! exhaustively: a type without a gadget does not compile.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;

use super::{Authority, Effect, TxError};
use crate::params::TX_ENCODING_LEN;
use crate::state::State;
use crate::tags;
use crate::types::{AccountId, Amount};

/// A transaction type's declaration.
#[derive(Debug)]
pub struct TxSpec {
    /// The encoding's first element; distinct per type, never one of
    /// [`tags::RESERVED`].
    pub tag: u64,
    /// The JSON `type` (and the type's name in receipts and logs).
    pub name: &'static str,
    /// The encoding's fields after the tag, in order (`docs/PROTOCOL-ENCODING.md`).
    pub fields: &'static [&'static str],
    /// The fields naming the accounts it touches, in Merkle-update order: the
    /// first is side A, the second side B of the slot.
    pub accounts: &'static [&'static str],
    /// Side A may be an empty leaf (a deposit creates its account); every other
    /// named account must exist.
    pub opens_account: bool,
    /// The field naming the market it reads or changes, if any.
    pub market: Option<&'static str>,
    /// Per side (A, B), the field naming the signed order that side fills, if
    /// any (PROTOCOL §6.2): its order slot moves and its order is proven.
    pub order_ids: [Option<&'static str>; 2],
    /// The error codes of its own rule (codes every transaction can raise are
    /// [`super::CommonError::CODES`]).
    pub codes: &'static [&'static str],
}

impl TxSpec {
    /// The position of `field` in the encoding (the tag is position 0). Panics,
    /// naming the type, if the type has no such field: a wiring bug every test of
    /// the slot catches.
    pub fn position(&self, field: &str) -> usize {
        match self.fields.iter().position(|f| *f == field) {
            Some(i) => i + 1,
            None => panic!("transaction type {} has no field {field:?}", self.name),
        }
    }

    /// Whether the encoding uses position `i` (the tag and the declared fields).
    pub fn uses_position(&self, i: usize) -> bool {
        i <= self.fields.len()
    }
}

/// A transaction type's native rule (PROTOCOL §6).
pub trait Rule: Clone + Into<super::Transaction> {
    /// The declaration.
    const SPEC: TxSpec;
    /// Why it may be rejected.
    type Error: Into<TxError>;
    /// Checks every precondition against a read-only `state`, including its
    /// authorisation `auth` (PROTOCOL §6.1), and returns the complete effect
    /// (only the batch applier writes it).
    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, Self::Error>;
    /// The field values in [`TxSpec::fields`] order (the tag is added by
    /// [`super::Transaction::encode`]).
    fn fields(&self) -> Vec<Fr>;
    /// What it moves on the base layer once its batch is accepted: declared
    /// here, next to the rule, so the base layer's rules (and the contract's)
    /// cannot silently skip a type that moves money.
    fn movement(&self) -> Movement;
}

/// A base-layer queue (PROTOCOL §6.4, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// The deposit queue.
    Deposit,
    /// The forced-withdrawal queue.
    Forced,
}

/// What a transaction moves on the base layer once its batch is accepted
/// (PROTOCOL §7); the default moves nothing (value moves inside the rollup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Movement {
    /// The queue whose next entry it consumes (the base layer checks the
    /// entry against it).
    pub consumes: Option<Queue>,
    /// An amount released to the account's owner on record.
    pub releases: Option<(AccountId, Amount)>,
}

/// Compile-time checks of the registry's tags: distinct, none of
/// [`tags::RESERVED`], and the encoding fits [`TX_ENCODING_LEN`].
pub(super) const fn check_specs(specs: &[&TxSpec]) {
    let mut i = 0;
    while i < specs.len() {
        let tag = specs[i].tag;
        let mut r = 0;
        while r < tags::RESERVED.len() {
            assert!(tag != tags::RESERVED[r], "a transaction tag is the no-op's or a message's");
            r += 1;
        }
        assert!(specs[i].fields.len() < TX_ENCODING_LEN, "an encoding is too long");
        assert!(specs[i].accounts.len() <= 2, "a slot has two account updates");
        let mut side = 0;
        while side < 2 {
            assert!(
                specs[i].order_ids[side].is_none() || side < specs[i].accounts.len(),
                "an order is filled by a side the type does not touch"
            );
            side += 1;
        }
        let mut j = i + 1;
        while j < specs.len() {
            assert!(specs[j].tag != tag, "two transaction types share a tag");
            j += 1;
        }
        i += 1;
    }
}

/// Declares the stable error codes of a rule's error enum: `code()` and `CODES`
/// from one table. `common` delegates the `Common` variant to [`super::CommonError`].
macro_rules! error_codes {
    ($ty:ident, common { $($variant:ident => $code:literal,)* }) => {
        impl $ty {
            /// This rule's own codes (the `Common` ones are `CommonError::CODES`).
            pub const CODES: &'static [&'static str] = &[$($code),*];

            /// Stable error code.
            pub fn code(&self) -> &'static str {
                match self {
                    $ty::Common(e) => e.code(),
                    $($ty::$variant { .. } => $code,)*
                }
            }
        }
    };
    ($ty:ident { $($variant:ident => $code:literal,)* }) => {
        impl $ty {
            /// This rule's codes.
            pub const CODES: &'static [&'static str] = &[$($code),*];

            /// Stable error code.
            pub fn code(&self) -> &'static str {
                match self {
                    $($ty::$variant { .. } => $code,)*
                }
            }
        }
    };
}
pub(crate) use error_codes;

/// Generates [`super::Transaction`], [`super::TxError`] and [`super::TxKind`]
/// from the list of types (see `tx/mod.rs`).
macro_rules! transactions {
    ($( $(#[$doc:meta])* $variant:ident($module:ident::$error:ident), )*) => {
        $(pub use $module::{$variant, $error};)*

        /// A transaction (PROTOCOL §6): one variant per registered type.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum Transaction {
            $($(#[$doc])* $variant($variant),)*
        }

        /// Which type a transaction is.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum TxKind {
            $($(#[$doc])* $variant,)*
        }

        /// Why a transaction was rejected. [`TxError::code`] is stable and documented.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        pub enum TxError {
            $(
                #[doc = concat!("See [`", stringify!($error), "`].")]
                #[error(transparent)]
                $variant(#[from] $error),
            )*
        }

        $(impl From<$variant> for Transaction {
            fn from(tx: $variant) -> Self {
                Transaction::$variant(tx)
            }
        })*

        const _: () = registry::check_specs(&[$(&<$variant as Rule>::SPEC),*]);

        impl TxKind {
            /// Every registered type, in registry order.
            pub const ALL: &'static [TxKind] = &[$(TxKind::$variant),*];

            /// The type's declaration.
            pub fn spec(self) -> &'static TxSpec {
                match self {
                    $(TxKind::$variant => &<$variant as Rule>::SPEC,)*
                }
            }
        }

        impl Transaction {
            /// Which type it is.
            pub fn kind(&self) -> TxKind {
                match self {
                    $(Transaction::$variant(_) => TxKind::$variant,)*
                }
            }

            /// Checks every precondition against `state`, `auth` included, and
            /// returns the effect.
            pub fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, TxError> {
                match self {
                    $(Transaction::$variant(tx) => tx.apply(state, auth).map_err(Into::into),)*
                }
            }

            fn field_values(&self) -> Vec<Fr> {
                match self {
                    $(Transaction::$variant(tx) => tx.fields(),)*
                }
            }

            /// What it moves on the base layer once its batch is accepted
            /// ([`Rule::movement`]).
            pub fn movement(&self) -> Movement {
                match self {
                    $(Transaction::$variant(tx) => tx.movement(),)*
                }
            }
        }

        impl TxError {
            /// Stable error code, e.g. `TRADE_PRICE_OUTSIDE_BAND`.
            pub fn code(&self) -> &'static str {
                match self {
                    $(TxError::$variant(e) => e.code(),)*
                }
            }
        }
    };
}
pub(crate) use transactions;
