//! The clearproof verifier, last stage of sequencer → prover → verifier: chunk
//! proof artifacts (`clearproof_api::artifact`) checked against verifying keys ([`key`]), the batch check of
//! PROTOCOL §7 ([`check`]), the base layer's rules ([`rules`], pure) and the
//! base layer behind its seams ([`base_layer`]: the [`base_layer::BaseLayer`]
//! interface and the [`base_layer::Ledger`] that applies the rules over a
//! [`base_layer::LedgerStore`]). The sled store is [`ledger`] (feature `ledger`,
//! the only part that touches a disk). The same rules as an EVM settlement
//! contract, with the revm harness that runs it, are [`evm`] (feature `evm`).
//!
//! The verification library has no storage engine and no prover code: it needs
//! the verifying key, the SRS, the posted transactions and the proofs.

#![forbid(unsafe_code)]

pub mod base_layer;
pub mod check;
pub mod key;
pub mod sled_dir;

/// Why a batch, an artifact or a post was refused. Each variant has a stable
/// code ([`Rejection::code`]); a refused post changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Not JSON, or a field is missing or malformed.
    #[error("malformed input: {0}")]
    Malformed(String),
    /// The artifact's `format` is not a clearproof chunk proof.
    #[error("unknown artifact format {0:?}")]
    UnknownFormat(String),
    /// The artifact's version is not one this verifier reads.
    #[error("unsupported artifact version {0}")]
    UnknownVersion(u32),
    /// The artifact is for another circuit shape.
    #[error("chunk {chunk} is for circuit {got}, the key is for {expected}")]
    WrongCircuit {
        /// Chunk position.
        chunk: usize,
        /// The key's circuit.
        expected: String,
        /// The artifact's.
        got: String,
    },
    /// The artifact was made with another verifying key.
    #[error("chunk {chunk} was proven with a different verifying key")]
    WrongVerifyingKey {
        /// Chunk position.
        chunk: usize,
    },
    /// The batch does not have one proof per chunk of its transactions.
    #[error("expected {expected} chunk proofs, got {got}")]
    WrongChunkCount {
        /// `max(1, ceil(transactions / slots))`.
        expected: usize,
        /// Proofs given.
        got: usize,
    },
    /// Chunks are missing, repeated, reordered or from different batches.
    #[error("proof at position {position} is chunk {chunk} (chunks must be in order, one batch)")]
    ChunkOutOfPlace {
        /// Position in the list.
        position: usize,
        /// The chunk index it claims.
        chunk: usize,
    },
    /// The batch does not start at the last accepted root.
    #[error(
        "wrong previous root: the last accepted root is {expected}, the batch starts at {got}"
    )]
    WrongPrevRoot {
        /// The root the batch must extend.
        expected: String,
        /// The root its first chunk starts from.
        got: String,
    },
    /// A chunk does not start where the previous one ended (roots or data hash).
    #[error("broken chain at chunk {chunk}")]
    BrokenChain {
        /// The first chunk that does not chain.
        chunk: usize,
    },
    /// The proofs commit to other transactions than the posted ones.
    #[error("data hash mismatch: posted data hashes to {posted}, the proofs end at {proven}")]
    DataHashMismatch {
        /// Hash of the posted transactions.
        posted: String,
        /// Hash the last proof ends at.
        proven: String,
    },
    /// A proof does not verify against its public inputs.
    #[error("chunk {chunk}: the proof does not verify")]
    BadProof {
        /// The first failing chunk.
        chunk: usize,
    },
    /// A proof is not exactly as long as every proof for the verifying key
    /// (bytes appended or cut).
    #[error("chunk {chunk}: a proof has {expected} bytes for this key, this one {got}")]
    ProofLength {
        /// The chunk.
        chunk: usize,
        /// The key's proof length.
        expected: usize,
        /// The proof's.
        got: usize,
    },
    /// The batch number is not the next one.
    #[error("wrong batch number: expected {expected}, got {got}")]
    WrongBatchNumber {
        /// The ledger's next batch number.
        expected: u64,
        /// The posted one.
        got: u64,
    },
    /// A posted deposit is not the next entry of the deposit queue.
    #[error("deposit {position} of the batch does not match deposit queue entry {queue_index}")]
    DepositMismatch {
        /// Position of the deposit among the batch's transactions.
        position: usize,
        /// The queue entry it should have been.
        queue_index: u64,
    },
    /// A withdrawal names an account the ledger has never seen a deposit for.
    #[error("withdrawal from account {0} which no deposit created")]
    UnknownAccount(u32),
    /// A posted forced withdrawal is not the forced queue's next entry (one was
    /// skipped or reordered, or none is queued).
    #[error(
        "forced withdrawal {position} of the batch does not match forced queue entry {queue_index}"
    )]
    ForcedMismatch {
        /// Position among the batch's transactions.
        position: usize,
        /// The queue entry it should have been.
        queue_index: u64,
    },
    /// More forced withdrawals than a batch may carry.
    #[error("a batch carries at most {max} forced withdrawals")]
    TooManyForced {
        /// [`crate::base_layer::hatch::MAX_FORCED_PER_BATCH`].
        max: usize,
    },
    /// The base layer is frozen (escape hatch): no batch is accepted again.
    #[error("the base layer is frozen: no batch is accepted")]
    Frozen,
    /// The EVM settlement contract refused the post (its revert reason). The
    /// contract checks the aggregated proof against its own root, so a wrong
    /// previous root or data that does not match the proof is reported as the
    /// proof not verifying.
    #[error("the settlement contract refused the batch: {0}")]
    Contract(String),
}

impl From<clearproof_api::artifact::ArtifactError> for Rejection {
    fn from(e: clearproof_api::artifact::ArtifactError) -> Self {
        use clearproof_api::artifact::ArtifactError;
        match e {
            ArtifactError::Malformed(m) => Rejection::Malformed(m),
            ArtifactError::UnknownFormat(f) => Rejection::UnknownFormat(f),
            ArtifactError::UnknownVersion(v) => Rejection::UnknownVersion(v),
        }
    }
}

impl Rejection {
    /// The rejection for chunk `chunk`'s proof failing with `e`.
    pub fn from_proof_error(chunk: usize, e: clearproof_circuits::circuit::ProofError) -> Self {
        use clearproof_circuits::circuit::ProofError;
        match e {
            ProofError::WrongLength { expected, got } => {
                Rejection::ProofLength { chunk, expected, got }
            }
            ProofError::TrailingBytes(_) | ProofError::Invalid => Rejection::BadProof { chunk },
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Malformed(_) => "MALFORMED",
            Rejection::UnknownFormat(_) => "UNKNOWN_FORMAT",
            Rejection::UnknownVersion(_) => "UNSUPPORTED_VERSION",
            Rejection::WrongCircuit { .. } => "WRONG_CIRCUIT",
            Rejection::WrongVerifyingKey { .. } => "WRONG_VERIFYING_KEY",
            Rejection::WrongChunkCount { .. } => "WRONG_CHUNK_COUNT",
            Rejection::ChunkOutOfPlace { .. } => "CHUNK_OUT_OF_PLACE",
            Rejection::WrongPrevRoot { .. } => "WRONG_PREV_ROOT",
            Rejection::BrokenChain { .. } => "BROKEN_CHAIN",
            Rejection::DataHashMismatch { .. } => "DATA_HASH_MISMATCH",
            Rejection::BadProof { .. } => "BAD_PROOF",
            Rejection::ProofLength { .. } => "WRONG_PROOF_LENGTH",
            Rejection::WrongBatchNumber { .. } => "WRONG_BATCH_NUMBER",
            Rejection::DepositMismatch { .. } => "DEPOSIT_MISMATCH",
            Rejection::UnknownAccount(_) => "UNKNOWN_ACCOUNT",
            Rejection::ForcedMismatch { .. } => "FORCED_MISMATCH",
            Rejection::TooManyForced { .. } => "TOO_MANY_FORCED",
            Rejection::Frozen => "FROZEN",
            Rejection::Contract(_) => "REFUSED_BY_CONTRACT",
        }
    }
}
