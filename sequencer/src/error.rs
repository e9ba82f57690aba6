//! Why a submission was refused: every variant a stable, documented code
//! (`docs/API.md`) and the HTTP status that carries it.

use clearproof_protocol::signature::SignatureError;
use clearproof_protocol::tx::{TxError, TxKind};
use clearproof_protocol::types::{range_code, AccountId};

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
    /// A quantity outside its range: `code` is `AMOUNT_OUT_OF_RANGE`, or
    /// `ACCOUNT_OUT_OF_RANGE` / `MARKET_OUT_OF_RANGE` for an id.
    #[error("{message}")]
    Range {
        /// The stable code.
        code: &'static str,
        /// What was out of range.
        message: String,
    },
    /// A JSON object repeats a key (at any depth): a proxy or auditor reading
    /// the first value would see another transaction than the one applied.
    #[error("duplicate JSON key {0:?}")]
    DuplicateKey(String),
    /// A signature does not verify (or a key/signature is invalid).
    #[error("signature rejected: {0}")]
    Signature(#[from] SignatureError),
    /// A protocol rule rejected the transaction; recorded under `id`.
    #[error("{error}")]
    Rule {
        /// The rule's error.
        error: TxError,
        /// The id the rejection is recorded under, if any.
        id: Option<u64>,
    },
    /// Deposits are not taken over HTTP: the sequencer reads them from the base
    /// layer's queue itself.
    #[error("deposits come only from the base layer's deposit queue, which the sequencer reads itself; queue one on the base layer (`clearproof ledger deposit`)")]
    DepositsFromBaseLayer,
    /// An observation's key is not a member of the market's oracle committee.
    #[error("the observation's key is not a member of the market's oracle committee")]
    NotAMember,
    /// An observation not newer than the market's current value or than the
    /// member's previous observation.
    #[error("observation at {timestamp} is not newer than {newest} (the market's value or the member's previous observation)")]
    StaleObservation {
        /// The observation's timestamp.
        timestamp: u64,
        /// What it had to be newer than.
        newest: u64,
    },
    /// No account can take the other side of a deleverage.
    #[error("no counterparty can absorb the deleverage")]
    NoCounterparty,
    /// An idempotency key already used for another submission.
    #[error("idempotency key {0:?} was already used for a different submission")]
    IdempotencyKeyReused(String),
    /// An `Idempotency-Key` header that is not 1–64 of `[A-Za-z0-9_-]`.
    #[error("malformed Idempotency-Key header: {0}")]
    MalformedIdempotencyKey(String),
    /// The base layer's queues could not be read (the follower retries).
    #[error("base layer unreadable: {0}")]
    BaseLayerUnreadable(String),
    /// A forced-withdrawal queue entry no outcome can be given for: this store
    /// is behind the base layer (which queues requests only for accounts its
    /// accepted deposits created), or settling the account's funding leaves
    /// its range. The queue waits at this entry (the follower retries).
    #[error("forced withdrawal {index} (account {account}) cannot be served: {reason}")]
    ForcedUnservable {
        /// Its queue index.
        index: u64,
        /// The account it names.
        account: AccountId,
        /// Why the rules give no outcome.
        reason: TxError,
    },
    /// `clearproof restore`: an accepted batch cannot be imported while the
    /// open batch holds transactions.
    #[error(
        "the open batch holds {0} transactions: an accepted batch cannot be imported before them"
    )]
    ImportOverPending(usize),
    /// `clearproof restore`: a transaction of an accepted batch does not apply
    /// to the stored state (the sequencer halts: its memory is ahead of its
    /// store).
    #[error("transaction {position} ({kind}) does not apply: {}: {error}", error.code())]
    ImportDoesNotApply {
        /// Its position in the batch's data.
        position: usize,
        /// Its type.
        kind: TxKind,
        /// The rule that refuses it.
        error: TxError,
    },
    /// `clearproof restore`: an accepted batch's data, replayed, reaches
    /// another root than the base layer accepted (the sequencer halts).
    #[error("the replay reaches root {replayed}, the base layer accepted {accepted}")]
    ImportRootMismatch {
        /// The root the replay reaches (hex).
        replayed: String,
        /// The root the base layer accepted (hex).
        accepted: String,
    },
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
            SubmitError::Range { code, .. } => code,
            SubmitError::DuplicateKey(_) => "DUPLICATE_KEY",
            SubmitError::Signature(e) => e.code(),
            SubmitError::Rule { error, .. } => error.code(),
            SubmitError::DepositsFromBaseLayer => "DEPOSITS_FROM_BASE_LAYER",
            SubmitError::NoCounterparty => "DELEVERAGE_NO_COUNTERPARTY",
            SubmitError::NotAMember => "ORACLE_NOT_A_MEMBER",
            SubmitError::StaleObservation { .. } => "ORACLE_OBSERVATION_STALE",
            SubmitError::Store(_) => "INTERNAL_STORAGE",
            SubmitError::BaseLayerUnreadable(_) => "BASE_LAYER_UNREADABLE",
            SubmitError::ForcedUnservable { .. } => "FORCED_WITHDRAWAL_UNSERVABLE",
            SubmitError::ImportOverPending(_) => "RESTORE_OVER_PENDING",
            SubmitError::ImportDoesNotApply { .. } => "RESTORE_TX_DOES_NOT_APPLY",
            SubmitError::ImportRootMismatch { .. } => "RESTORE_ROOT_MISMATCH",
            SubmitError::IdempotencyKeyReused(_) => "IDEMPOTENCY_KEY_REUSED",
            SubmitError::MalformedIdempotencyKey(_) => "MALFORMED_IDEMPOTENCY_KEY",
            SubmitError::Halted => "SEQUENCER_HALTED",
        }
    }

    /// The HTTP status that carries it.
    pub fn http_status(&self) -> u16 {
        match self {
            SubmitError::MalformedJson(_)
            | SubmitError::UnknownType(_)
            | SubmitError::MalformedTx(_)
            | SubmitError::Range { .. }
            | SubmitError::DuplicateKey(_) => 400,
            SubmitError::Signature(_) => 403,
            SubmitError::DepositsFromBaseLayer | SubmitError::NotAMember => 403,
            SubmitError::StaleObservation { .. } => 409,
            SubmitError::Rule { .. } | SubmitError::NoCounterparty => 422,
            SubmitError::Store(_) => 500,
            SubmitError::BaseLayerUnreadable(_) => 502,
            SubmitError::ForcedUnservable { .. } => 503,
            SubmitError::ImportOverPending(_) => 409,
            SubmitError::ImportDoesNotApply { .. } | SubmitError::ImportRootMismatch { .. } => 500,
            SubmitError::IdempotencyKeyReused(_) => 422,
            SubmitError::MalformedIdempotencyKey(_) => 400,
            SubmitError::Halted => 503,
        }
    }

    /// Classifies a JSON decoding error of a well-formed body.
    pub fn from_decode(e: serde_json::Error) -> Self {
        let text = e.to_string();
        if let Some((kind, _)) = text.split_once(" out of range: ") {
            // RangeError's text is "{kind} out of range: …"; the kind picks the code.
            let kind = kind.rsplit(": ").next().unwrap_or(kind);
            SubmitError::Range { code: range_code(kind), message: text }
        } else {
            SubmitError::MalformedTx(text)
        }
    }
}
