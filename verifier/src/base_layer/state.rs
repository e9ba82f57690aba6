//! The base layer's running state ([`LedgerState`]): roots, queue heads,
//! the funds it holds and the escape hatch's clock. Read by the batch rules
//! ([`super::rules`]) and the hatch rules ([`super::hatch`]), written only by
//! what they return.

use clearproof_circuits::circuit::CircuitParams;
use clearproof_protocol::serde_fr;
use clearproof_protocol::Fr;
use serde::{Deserialize, Serialize};

use crate::key::VerifierKey;

/// Production grace before an unserved forced withdrawal allows a freeze: 7 days.
pub const FORCED_GRACE: u64 = 7 * 24 * 3_600;

/// Production claim window after a freeze: 14 days.
pub const ESCAPE_WINDOW: u64 = 14 * 24 * 3_600;

/// The base layer's running state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LedgerState {
    /// The last accepted root (the genesis root before any batch).
    #[serde(with = "serde_fr")]
    pub root: Fr,
    /// The root the chain started at: forced requests are signed for it.
    /// (Ledgers made before the escape hatch lack it and are refused on open.)
    #[serde(with = "serde_fr", default)]
    pub genesis_root: Fr,
    /// Number of accepted batches (= the last accepted batch number).
    pub batches: u64,
    /// Deposits ever queued.
    pub deposits_queued: u64,
    /// Deposits consumed by accepted batches (the queue head).
    pub deposits_consumed: u64,
    /// The verifying key the ledger accepts proofs for.
    pub vk_digest: String,
    /// The SRS it verifies them with (`Srs::digest`).
    pub srs_digest: String,
    /// Its circuit.
    pub circuit: CircuitParams,
    /// Forced withdrawals ever queued.
    #[serde(default)]
    pub forced_queued: u64,
    /// Forced withdrawals consumed by accepted batches (the queue head).
    #[serde(default)]
    pub forced_consumed: u64,
    /// Seconds an unserved forced withdrawal waits before anyone may freeze.
    #[serde(default = "default_grace")]
    pub forced_grace: u64,
    /// Seconds after a freeze during which accounts escape.
    #[serde(default = "default_window")]
    pub escape_window: u64,
    /// When the base layer was frozen (unix seconds), if it was.
    #[serde(default)]
    pub frozen_at: Option<u64>,
    /// Whether the escapes were settled (after the claim window).
    #[serde(default)]
    pub escapes_settled: bool,
    /// Quote micro-units the base layer holds: the genesis insurance fund and
    /// deposits received, less refunds, released withdrawals and escape payouts.
    #[serde(default)]
    pub held: u128,
}

fn default_grace() -> u64 {
    FORCED_GRACE
}

fn default_window() -> u64 {
    ESCAPE_WINDOW
}

impl LedgerState {
    /// A new chain at `genesis_root` for `key`'s verifying key and SRS, holding
    /// the genesis insurance fund (`insurance_fund` micro-units), with the
    /// production grace and claim window.
    pub fn genesis(genesis_root: Fr, key: &VerifierKey, insurance_fund: u64) -> Self {
        Self {
            root: genesis_root,
            genesis_root,
            batches: 0,
            deposits_queued: 0,
            deposits_consumed: 0,
            vk_digest: key.digest().to_string(),
            srs_digest: key.srs_digest().to_string(),
            circuit: key.manifest.circuit,
            forced_queued: 0,
            forced_consumed: 0,
            forced_grace: FORCED_GRACE,
            escape_window: ESCAPE_WINDOW,
            frozen_at: None,
            escapes_settled: false,
            held: u128::from(insurance_fund),
        }
    }
}
