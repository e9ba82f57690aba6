//! The base-layer ledger's sled store ([`SledLedgerStore`]): the chain of
//! accepted roots, the deposit queue, the owners deposits created, and every
//! accepted batch with what was posted for it. The rules are
//! [`crate::base_layer::rules`], applied by [`Ledger`]; each write here is one atomic sled
//! batch, flushed before it returns.

use std::path::Path;

use clearproof_protocol::signature::PublicKey;
use clearproof_protocol::state::Genesis;
use clearproof_protocol::tx::Deposit;
use clearproof_protocol::types::AccountId;
use serde::{Deserialize, Serialize};

use crate::base_layer::hatch::{EscapeClaim, ForcedAccount, ForcedEntry, Payout};
use crate::base_layer::rules::Settlement;
pub use crate::base_layer::rules::{AcceptedBatch, PostedBatch};
pub use crate::base_layer::state::LedgerState;
use crate::base_layer::LedgerStore;
pub use crate::base_layer::{BaseLayer, EscapeHatch, Ledger, LedgerError};
use crate::key::VerifierKey;

const META: &[u8] = b"meta";
const DEPOSIT: &str = "deposit/";
const OWNER: &str = "owner/";
const BATCH: &str = "batch/";
const POSTED: &str = "posted/";
const GENESIS: &[u8] = b"genesis";
const FORCED: &str = "forced/";
const FORCED_ACCOUNT: &str = "forced-account/";
const ESCAPE: &str = "escape/";
const PAYOUTS: &[u8] = b"payouts";
const FREEZE_REFUNDS: &[u8] = b"freeze-refunds";

impl From<sled::Error> for LedgerError {
    fn from(e: sled::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serializable")
}

fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, LedgerError> {
    serde_json::from_slice(bytes).map_err(|e| LedgerError::Storage(format!("corrupt record: {e}")))
}

fn key(prefix: &str, n: u64) -> Vec<u8> {
    format!("{prefix}{n:020}").into_bytes()
}

/// The base-layer ledger on disk.
pub type SledLedger = Ledger<SledLedgerStore>;

/// The ledger's records in sled.
pub struct SledLedgerStore {
    db: sled::Db,
}

impl std::fmt::Debug for SledLedgerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledLedgerStore").finish_non_exhaustive()
    }
}

impl SledLedgerStore {
    /// Opens (or creates) the store in `dir`. Several processes use one ledger
    /// directory (the CLI's ledger commands, a sequencer reading the deposit
    /// queue), each for a moment; sled locks the directory while it is open, so
    /// a locked directory is retried for up to 10 s.
    pub fn open(dir: &Path) -> Result<Self, LedgerError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Err(e) = crate::sled_dir::remove_stale_snapshots(dir) {
                tracing::warn!(error = %e, "checking for a killed process's snapshot");
            }
            match sled::open(dir) {
                Ok(db) => return Ok(Self { db }),
                Err(e)
                    if e.to_string().contains("could not acquire lock")
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn get<T: for<'de> Deserialize<'de>>(&self, k: &[u8]) -> Result<Option<T>, LedgerError> {
        self.db.get(k)?.map(|b| parse(&b)).transpose()
    }

    fn write(&self, batch: sled::Batch) -> Result<(), LedgerError> {
        self.db.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }
}

impl LedgerStore for SledLedgerStore {
    fn state(&self) -> Result<Option<LedgerState>, LedgerError> {
        self.get(META)
    }

    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        self.get(&key(DEPOSIT, index))
    }

    fn owner(&self, account: AccountId) -> Result<Option<PublicKey>, LedgerError> {
        self.get(&key(OWNER, u64::from(account.get())))
    }

    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError> {
        self.get(&key(BATCH, number))
    }

    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError> {
        self.get(&key(POSTED, number))
    }

    fn genesis(&self) -> Result<Option<Genesis>, LedgerError> {
        self.get(GENESIS)
    }

    fn forced(&self, index: u64) -> Result<Option<ForcedEntry>, LedgerError> {
        self.get(&key(FORCED, index))
    }

    fn forced_account(&self, account: AccountId) -> Result<ForcedAccount, LedgerError> {
        Ok(self.get(&key(FORCED_ACCOUNT, u64::from(account.get())))?.unwrap_or_default())
    }

    fn escape_claim(&self, account: AccountId) -> Result<Option<EscapeClaim>, LedgerError> {
        self.get(&key(ESCAPE, u64::from(account.get())))
    }

    fn escape_claims(&self) -> Result<Vec<EscapeClaim>, LedgerError> {
        self.db.scan_prefix(ESCAPE).values().map(|v| parse(&v?)).collect()
    }

    fn payouts(&self) -> Result<Vec<Payout>, LedgerError> {
        Ok(self.get(PAYOUTS)?.unwrap_or_default())
    }

    fn init(&self, state: &LedgerState, genesis: &Genesis) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        batch.insert(META, json(state));
        batch.insert(GENESIS, json(genesis));
        self.write(batch)
    }

    fn queue_forced(
        &self,
        index: u64,
        entry: &ForcedEntry,
        record: ForcedAccount,
        state: &LedgerState,
    ) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        batch.insert(key(FORCED, index), json(entry));
        batch.insert(key(FORCED_ACCOUNT, u64::from(entry.account.get())), json(&record));
        batch.insert(META, json(state));
        self.write(batch)
    }

    fn freeze(&self, state: &LedgerState, refunds: &[Deposit]) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        batch.insert(FREEZE_REFUNDS, json(&refunds));
        batch.insert(META, json(state));
        self.write(batch)
    }

    fn escape(&self, claim: &EscapeClaim) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        batch.insert(key(ESCAPE, u64::from(claim.account.get())), json(claim));
        self.write(batch)
    }

    fn settle_escapes(&self, state: &LedgerState, payouts: &[Payout]) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        batch.insert(PAYOUTS, json(&payouts));
        batch.insert(META, json(state));
        self.write(batch)
    }

    fn queue(&self, index: u64, deposit: &Deposit, state: &LedgerState) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        batch.insert(key(DEPOSIT, index), json(deposit));
        batch.insert(META, json(state));
        self.write(batch)
    }

    fn accept(&self, settlement: &Settlement, posted: &PostedBatch) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        for (account, owner) in &settlement.new_owners {
            batch.insert(key(OWNER, u64::from(account.get())), json(owner));
        }
        let number = settlement.accepted.header.number;
        batch.insert(key(BATCH, number), json(&settlement.accepted));
        batch.insert(key(POSTED, number), json(posted));
        batch.insert(META, json(&settlement.state));
        self.write(batch)
    }
}

impl Ledger<SledLedgerStore> {
    /// Opens the ledger at `dir`, creating it from `genesis` for `key`'s
    /// verifying key if it does not exist. An existing ledger must have been
    /// created with the same genesis root and key.
    pub fn open_or_create(
        dir: &Path,
        genesis: &Genesis,
        key: &VerifierKey,
    ) -> Result<Self, LedgerError> {
        Self::create_in(SledLedgerStore::open(dir)?, genesis, key)
    }

    /// Opens an existing ledger.
    pub fn open(dir: &Path) -> Result<Self, LedgerError> {
        Self::existing_in(SledLedgerStore::open(dir)?)
    }
}
