//! Why a submission was refused: every variant a stable, documented code
//! (`docs/API.md`) and the HTTP status that carries it.

use clearproof_circuits::signature::SignatureError;
use clearproof_circuits::tx::TxError;

use crate::store::StoreError;

/// Why a submission was refused. [`SubmitError::code`] is stable.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The body is not JSON.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// The JSON has no known `type`.
    #[error("unknown transaction type {0:?}")]
    UnknownType(String),
    /// The JSON does not match the transaction's schema.
    #[error("malformed transaction: {0}")]
    MalformedTx(String),
    /// A quantity outside its range.
    #[error("{0}")]
    Range(String),
    /// A signature does not verify (or a key/signature is invalid).
    #[error("signature rejected: {0}")]
    Signature(#[from] SignatureError),
    /// The order does not authorise this fill.
    #[error("{0}")]
    Order(#[from] OrderError),
    /// A protocol rule rejected the transaction; recorded under `id`.
    #[error("{error}")]
    Rule {
        /// The rule's error.
        error: TxError,
        /// The id the rejection is recorded under, if any.
        id: Option<u64>,
    },
    /// Deposit queue order or idempotency violated.
    #[error("{0}")]
    DepositQueue(#[from] DepositQueueError),
    /// No account can take the other side of a deleverage.
    #[error("no counterparty can absorb the deleverage")]
    NoCounterparty,
    /// Storage failed; the sequencer stops accepting until restarted.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    /// A previous storage failure stopped the sequencer.
    #[error("sequencer halted after a storage failure; restart it")]
    Halted,
}

impl From<TxError> for SubmitError {
    fn from(error: TxError) -> Self {
        SubmitError::Rule { error, id: None }
    }
}

impl SubmitError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            SubmitError::MalformedJson(_) => "MALFORMED_JSON",
            SubmitError::UnknownType(_) => "UNKNOWN_TX_TYPE",
            SubmitError::MalformedTx(_) => "MALFORMED_TX",
            SubmitError::Range(_) => "AMOUNT_OUT_OF_RANGE",
            SubmitError::Signature(e) => e.code(),
            SubmitError::Order(e) => e.code(),
            SubmitError::Rule { error, .. } => error.code(),
            SubmitError::DepositQueue(e) => e.code(),
            SubmitError::NoCounterparty => "DELEVERAGE_NO_COUNTERPARTY",
            SubmitError::Store(_) => "INTERNAL_STORAGE",
            SubmitError::Halted => "SEQUENCER_HALTED",
        }
    }

    /// The HTTP status that carries it.
    pub fn http_status(&self) -> u16 {
        match self {
            SubmitError::MalformedJson(_)
            | SubmitError::UnknownType(_)
            | SubmitError::MalformedTx(_)
            | SubmitError::Range(_) => 400,
            SubmitError::Signature(_) => 403,
            SubmitError::DepositQueue(_) | SubmitError::Order(OrderError::IdConflict) => 409,
            SubmitError::Order(_) | SubmitError::Rule { .. } | SubmitError::NoCounterparty => 422,
            SubmitError::Store(_) => 500,
            SubmitError::Halted => 503,
        }
    }

    /// Classifies a JSON decoding error of a well-formed body.
    pub fn from_decode(e: serde_json::Error) -> Self {
        let text = e.to_string();
        if text.contains(" out of range: ") {
            SubmitError::Range(text)
        } else {
            SubmitError::MalformedTx(text)
        }
    }
}

/// Why an order does not authorise a fill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// Market, side or account of the order does not match the fill.
    #[error("order does not match the fill (market, side or account)")]
    Mismatch,
    /// The order expired before the fill was accepted.
    #[error("order expired")]
    Expired,
    /// The fill price is worse than the order's limit.
    #[error("fill price violates the order's limit price")]
    LimitPrice,
    /// The fee exceeds the order's maximum.
    #[error("fee above the order's maximum")]
    FeeAboveMax,
    /// The fill would exceed the order's size.
    #[error("fill exceeds the order's remaining size")]
    Overfilled,
    /// Another order was already filled under the same `(account, order_id)`.
    #[error("order id already used by a different order")]
    IdConflict,
}

impl OrderError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            OrderError::Mismatch => "ORDER_MISMATCH",
            OrderError::Expired => "ORDER_EXPIRED",
            OrderError::LimitPrice => "ORDER_LIMIT_PRICE",
            OrderError::FeeAboveMax => "ORDER_FEE_ABOVE_MAX",
            OrderError::Overfilled => "ORDER_OVERFILLED",
            OrderError::IdConflict => "ORDER_ID_CONFLICT",
        }
    }
}

/// Deposit queue violations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositQueueError {
    /// A queue index beyond the next one expected.
    #[error("deposit queue index {got} out of order: expected {expected}")]
    OutOfOrder {
        /// Next index expected.
        expected: u64,
        /// Index received.
        got: u64,
    },
    /// A queue index already used by a different deposit.
    #[error("deposit queue index {0} already holds a different deposit")]
    Conflict(u64),
}

impl DepositQueueError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            DepositQueueError::OutOfOrder { .. } => "DEPOSIT_OUT_OF_ORDER",
            DepositQueueError::Conflict(_) => "DEPOSIT_CONFLICT",
        }
    }
}
