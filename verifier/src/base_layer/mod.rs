//! The base layer behind two seams:
//!
//! - [`BaseLayer`]: what the sequencer side talks to — the queues, posting
//!   proven batches, the accepted chain, the genesis. [`Ledger`] implements it
//!   in Rust; an EVM settlement contract is the second implementation of the
//!   same interface and of the same [`crate::base_layer::rules`]. [`EscapeHatch`]: forced
//!   withdrawals, the freeze and escapes, on a base layer that has them
//!   ([`Ledger`] does; the EVM contract does not yet, so it does not implement
//!   it).
//! - [`LedgerStore`]: where [`Ledger`] keeps its records. [`MemoryLedgerStore`]
//!   here, and the sled store in [`crate::base_layer::sled_store`] (feature `ledger`).
//!
//! [`Ledger`] applies [`crate::base_layer::rules::settle`] under one writer lock and hands the
//! settlement to its store in one atomic write; a refused post writes nothing.

#[cfg(feature = "evm")]
pub mod evm;
pub mod hatch;
pub mod rules;
#[cfg(feature = "ledger")]
pub mod sled_store;
pub mod state;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use clearproof_protocol::account_proof::AccountProof;
use clearproof_protocol::signature::PublicKey;
use clearproof_protocol::state::{Genesis, State};
use clearproof_protocol::tx::Deposit;
use clearproof_protocol::types::AccountId;

use crate::base_layer::hatch::{
    check_escape, check_freeze, check_not_frozen, check_request, check_settle, escape_payouts,
    unconsumed_deposits, EscapeClaim, ForcedAccount, ForcedEntry, ForcedRequest, HatchError,
    Payout,
};
use crate::base_layer::rules::{settle, AcceptedBatch, ChainView, PostedBatch, Settlement};
use crate::base_layer::state::LedgerState;
use crate::key::VerifierKey;
use crate::Rejection;

/// Why the base layer refused a request.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The post was refused (PROTOCOL §7); nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The store already holds a different chain.
    #[error("the ledger at this path was created for another genesis root, verifying key or SRS")]
    Mismatch,
    /// The store has not been created.
    #[error("no ledger at this path (create one first)")]
    Missing,
    /// An escape-hatch request was refused ([`crate::base_layer::hatch`]); nothing changed.
    #[error(transparent)]
    Hatch(#[from] HatchError),
    /// The genesis does not give a valid state.
    #[error("invalid genesis: {0}")]
    Genesis(String),
    /// The ledger was made before the escape hatch (no stored genesis, no
    /// forced queue or holdings): it cannot be used by this version.
    #[error(
        "the ledger at this path predates the escape hatch (no stored genesis); create a new one"
    )]
    Outdated,
    /// Storage failed; nothing was acknowledged.
    #[error("ledger storage: {0}")]
    Storage(String),
}

/// The base layer, as the sequencer side sees it.
pub trait BaseLayer {
    /// The running state.
    fn state(&self) -> Result<LedgerState, LedgerError>;
    /// Queues a deposit; returns its queue index (durable when this returns).
    fn deposit(&self, deposit: Deposit) -> Result<u64, LedgerError>;
    /// Deposit queue entry `index`.
    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError>;
    /// Posts a batch proven for `key`: accepted and recorded only if every rule of
    /// [`crate::base_layer::rules`] holds; otherwise the reason, and nothing changes.
    fn post(&self, key: &VerifierKey, posted: &PostedBatch) -> Result<AcceptedBatch, LedgerError>;
    /// Accepted batch `number`.
    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError>;
    /// What was posted for accepted batch `number` (data and proofs).
    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError>;
    /// The genesis the chain started from.
    fn genesis(&self) -> Result<Genesis, LedgerError>;
    /// Forced-withdrawal queue entry `index` (a base layer without an escape
    /// hatch has an empty forced queue).
    fn forced(&self, index: u64) -> Result<Option<ForcedEntry>, LedgerError>;
}

/// The escape hatch of a base layer that has one (PROTOCOL §6.4, §7): forced
/// withdrawals, the freeze, escapes by account proof and their settlement.
/// A base layer without it does not implement this trait.
pub trait EscapeHatch: BaseLayer {
    /// Queues an owner-signed forced withdrawal at `now` (unix seconds); returns
    /// its queue index (durable when this returns).
    fn force_withdraw(&self, request: &ForcedRequest, now: u64) -> Result<u64, LedgerError>;
    /// An account's forced-request record.
    fn forced_account(&self, account: AccountId) -> Result<ForcedAccount, LedgerError>;
    /// Freezes the base layer at `now` if an unserved forced withdrawal is older
    /// than the grace; returns the deposits refunded.
    fn freeze(&self, now: u64) -> Result<Vec<Deposit>, LedgerError>;
    /// Records an escape claim at `now` (once per account, during the claim window).
    fn escape(&self, proof: &AccountProof, now: u64) -> Result<EscapeClaim, LedgerError>;
    /// Every escape claim, by account.
    fn escapes(&self) -> Result<Vec<EscapeClaim>, LedgerError>;
    /// Settles the escapes once the claim window has closed (once).
    fn settle_escapes(&self, now: u64) -> Result<Vec<Payout>, LedgerError>;
    /// The settled payouts (empty before settlement).
    fn payouts(&self) -> Result<Vec<Payout>, LedgerError>;
}

/// Where a [`Ledger`] keeps its records. Each write is atomic and durable when
/// it returns.
pub trait LedgerStore: Send + Sync {
    /// The running state, if the ledger was created.
    fn state(&self) -> Result<Option<LedgerState>, LedgerError>;
    /// Deposit queue entry `index`.
    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError>;
    /// The owner an account's first deposit named.
    fn owner(&self, account: AccountId) -> Result<Option<PublicKey>, LedgerError>;
    /// Accepted batch `number`.
    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError>;
    /// What was posted for accepted batch `number`.
    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError>;
    /// The genesis the ledger was created from.
    fn genesis(&self) -> Result<Option<Genesis>, LedgerError>;
    /// Forced-withdrawal queue entry `index`.
    fn forced(&self, index: u64) -> Result<Option<ForcedEntry>, LedgerError>;
    /// An account's forced-request record.
    fn forced_account(&self, account: AccountId) -> Result<ForcedAccount, LedgerError>;
    /// An account's escape claim.
    fn escape_claim(&self, account: AccountId) -> Result<Option<EscapeClaim>, LedgerError>;
    /// Every escape claim, by account.
    fn escape_claims(&self) -> Result<Vec<EscapeClaim>, LedgerError>;
    /// The settled payouts.
    fn payouts(&self) -> Result<Vec<Payout>, LedgerError>;
    /// Creates the ledger from `genesis`.
    fn init(&self, state: &LedgerState, genesis: &Genesis) -> Result<(), LedgerError>;
    /// Records forced queue entry `index`, the account's record and the state.
    fn queue_forced(
        &self,
        index: u64,
        entry: &ForcedEntry,
        record: ForcedAccount,
        state: &LedgerState,
    ) -> Result<(), LedgerError>;
    /// Records the freeze (state) and the deposits it refunded.
    fn freeze(&self, state: &LedgerState, refunds: &[Deposit]) -> Result<(), LedgerError>;
    /// Records an escape claim.
    fn escape(&self, claim: &EscapeClaim) -> Result<(), LedgerError>;
    /// Records the escapes' settlement.
    fn settle_escapes(&self, state: &LedgerState, payouts: &[Payout]) -> Result<(), LedgerError>;
    /// Records deposit queue entry `index` and the state that counts it.
    fn queue(&self, index: u64, deposit: &Deposit, state: &LedgerState) -> Result<(), LedgerError>;
    /// Records an accepted post.
    fn accept(&self, settlement: &Settlement, posted: &PostedBatch) -> Result<(), LedgerError>;
}

/// The base layer's rules over a store.
pub struct Ledger<S> {
    store: S,
    /// Serialises the read-check-write of `deposit` and `post`.
    writer: Mutex<()>,
}

impl<S> std::fmt::Debug for Ledger<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").finish_non_exhaustive()
    }
}

struct View<'a, S>(&'a S);

impl<S: LedgerStore> ChainView for View<'_, S> {
    type Error = LedgerError;

    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        self.0.queued(index)
    }

    fn owner(&self, account: AccountId) -> Result<Option<PublicKey>, LedgerError> {
        self.0.owner(account)
    }

    fn forced(&self, index: u64) -> Result<Option<ForcedEntry>, LedgerError> {
        self.0.forced(index)
    }
}

impl<S: LedgerStore> Ledger<S> {
    /// The ledger in `store`, created from `genesis` (its root at the key's tree
    /// depth) for `key`'s verifying key and SRS if it does not exist; an existing
    /// one must have been created with the same genesis root, key and SRS.
    pub fn create_in(store: S, genesis: &Genesis, key: &VerifierKey) -> Result<Self, LedgerError> {
        Self::create_with(store, genesis, key, |_| {})
    }

    /// [`Ledger::create_in`], with `configure` adjusting a new ledger's state
    /// (tests and the devnet shorten the grace and the claim window).
    pub fn create_with(
        store: S,
        genesis: &Genesis,
        key: &VerifierKey,
        configure: impl FnOnce(&mut LedgerState),
    ) -> Result<Self, LedgerError> {
        let genesis_root = State::genesis_with_depth(genesis, key.manifest.circuit.depth)
            .map_err(|e| LedgerError::Genesis(e.to_string()))?
            .root();
        let ledger = Self { store, writer: Mutex::new(()) };
        match ledger.store.state()? {
            Some(_) if ledger.store.genesis()?.is_none() => return Err(LedgerError::Outdated),
            Some(state) => {
                let genesis = match ledger.store.batch(1)? {
                    Some(b) => b.header.prev_state_root,
                    None => state.root,
                };
                if genesis != genesis_root
                    || state.vk_digest != key.digest()
                    || state.srs_digest != key.srs_digest()
                {
                    return Err(LedgerError::Mismatch);
                }
            }
            None => {
                let insurance = genesis.insurance_fund.get();
                let mut state = LedgerState::genesis(genesis_root, key, insurance);
                configure(&mut state);
                ledger.store.init(&state, genesis)?
            }
        }
        Ok(ledger)
    }

    /// The existing ledger in `store`.
    pub fn existing_in(store: S) -> Result<Self, LedgerError> {
        if store.state()?.is_none() {
            return Err(LedgerError::Missing);
        }
        if store.genesis()?.is_none() {
            return Err(LedgerError::Outdated);
        }
        Ok(Self { store, writer: Mutex::new(()) })
    }

    fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<S: LedgerStore> BaseLayer for Ledger<S> {
    fn state(&self) -> Result<LedgerState, LedgerError> {
        self.store.state()?.ok_or(LedgerError::Missing)
    }

    fn deposit(&self, deposit: Deposit) -> Result<u64, LedgerError> {
        let _writer = self.write_lock();
        let mut state = self.state()?;
        check_not_frozen(&state)?;
        let index = state.deposits_queued;
        state.deposits_queued += 1;
        state.held += u128::from(deposit.amount.get());
        self.store.queue(index, &deposit, &state)?;
        Ok(index)
    }

    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        self.store.queued(index)
    }

    fn post(&self, key: &VerifierKey, posted: &PostedBatch) -> Result<AcceptedBatch, LedgerError> {
        let _writer = self.write_lock();
        let state = self.state()?;
        let settlement = settle(&state, key, posted, &View(&self.store))?;
        self.store.accept(&settlement, posted)?;
        Ok(settlement.accepted)
    }

    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError> {
        self.store.batch(number)
    }

    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError> {
        self.store.posted(number)
    }

    fn genesis(&self) -> Result<Genesis, LedgerError> {
        self.store.genesis()?.ok_or(LedgerError::Missing)
    }

    fn forced(&self, index: u64) -> Result<Option<ForcedEntry>, LedgerError> {
        self.store.forced(index)
    }
}

impl<S: LedgerStore> EscapeHatch for Ledger<S> {
    fn force_withdraw(&self, request: &ForcedRequest, now: u64) -> Result<u64, LedgerError> {
        let _writer = self.write_lock();
        let mut state = self.state()?;
        let record = self.store.forced_account(request.account)?;
        let owner = self.store.owner(request.account)?;
        let entry = check_request(&state, owner, record, request, now)?;
        let index = state.forced_queued;
        state.forced_queued += 1;
        let record = ForcedAccount { requests: record.requests + 1, last_index: Some(index) };
        self.store.queue_forced(index, &entry, record, &state)?;
        Ok(index)
    }

    fn forced_account(&self, account: AccountId) -> Result<ForcedAccount, LedgerError> {
        self.store.forced_account(account)
    }

    fn freeze(&self, now: u64) -> Result<Vec<Deposit>, LedgerError> {
        let _writer = self.write_lock();
        let mut state = self.state()?;
        let oldest = if state.forced_consumed < state.forced_queued {
            self.store.forced(state.forced_consumed)?
        } else {
            None
        };
        check_freeze(&state, oldest.as_ref(), now)?;
        let refunds = unconsumed_deposits(&state, |i| self.store.queued(i))?;
        let refunded: u128 = refunds.iter().map(|d| u128::from(d.amount.get())).sum();
        state.frozen_at = Some(now);
        state.deposits_consumed = state.deposits_queued;
        state.held = state.held.saturating_sub(refunded);
        self.store.freeze(&state, &refunds)?;
        Ok(refunds)
    }

    fn escape(&self, proof: &AccountProof, now: u64) -> Result<EscapeClaim, LedgerError> {
        let _writer = self.write_lock();
        let state = self.state()?;
        let escaped = self.store.escape_claim(proof.account)?.is_some();
        let owner = self.store.owner(proof.account)?;
        let claim = check_escape(&state, owner, escaped, proof, now)?;
        self.store.escape(&claim)?;
        Ok(claim)
    }

    fn escapes(&self) -> Result<Vec<EscapeClaim>, LedgerError> {
        self.store.escape_claims()
    }

    fn settle_escapes(&self, now: u64) -> Result<Vec<Payout>, LedgerError> {
        let _writer = self.write_lock();
        let mut state = self.state()?;
        check_settle(&state, now)?;
        let payouts = escape_payouts(state.held, &self.store.escape_claims()?);
        let paid: u128 = payouts.iter().map(|p| u128::from(p.paid)).sum();
        state.escapes_settled = true;
        state.held = state.held.saturating_sub(paid);
        self.store.settle_escapes(&state, &payouts)?;
        Ok(payouts)
    }

    fn payouts(&self) -> Result<Vec<Payout>, LedgerError> {
        self.store.payouts()
    }
}

#[derive(Default)]
struct Records {
    state: Option<LedgerState>,
    queue: HashMap<u64, Deposit>,
    owners: HashMap<AccountId, PublicKey>,
    batches: HashMap<u64, (AcceptedBatch, PostedBatch)>,
    genesis: Option<Genesis>,
    forced: HashMap<u64, ForcedEntry>,
    forced_accounts: HashMap<AccountId, ForcedAccount>,
    escapes: std::collections::BTreeMap<AccountId, EscapeClaim>,
    payouts: Vec<Payout>,
}

/// A [`LedgerStore`] in memory, for tests (kept for the life of the value).
#[derive(Default)]
pub struct MemoryLedgerStore {
    records: Mutex<Records>,
}

impl std::fmt::Debug for MemoryLedgerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryLedgerStore").finish_non_exhaustive()
    }
}

impl MemoryLedgerStore {
    fn lock(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl LedgerStore for MemoryLedgerStore {
    fn state(&self) -> Result<Option<LedgerState>, LedgerError> {
        Ok(self.lock().state.clone())
    }

    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        Ok(self.lock().queue.get(&index).cloned())
    }

    fn owner(&self, account: AccountId) -> Result<Option<PublicKey>, LedgerError> {
        Ok(self.lock().owners.get(&account).copied())
    }

    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError> {
        Ok(self.lock().batches.get(&number).map(|b| b.0.clone()))
    }

    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError> {
        Ok(self.lock().batches.get(&number).map(|b| b.1.clone()))
    }

    fn genesis(&self) -> Result<Option<Genesis>, LedgerError> {
        Ok(self.lock().genesis.clone())
    }

    fn forced(&self, index: u64) -> Result<Option<ForcedEntry>, LedgerError> {
        Ok(self.lock().forced.get(&index).cloned())
    }

    fn forced_account(&self, account: AccountId) -> Result<ForcedAccount, LedgerError> {
        Ok(self.lock().forced_accounts.get(&account).copied().unwrap_or_default())
    }

    fn escape_claim(&self, account: AccountId) -> Result<Option<EscapeClaim>, LedgerError> {
        Ok(self.lock().escapes.get(&account).cloned())
    }

    fn escape_claims(&self) -> Result<Vec<EscapeClaim>, LedgerError> {
        Ok(self.lock().escapes.values().cloned().collect())
    }

    fn payouts(&self) -> Result<Vec<Payout>, LedgerError> {
        Ok(self.lock().payouts.clone())
    }

    fn init(&self, state: &LedgerState, genesis: &Genesis) -> Result<(), LedgerError> {
        let mut records = self.lock();
        records.state = Some(state.clone());
        records.genesis = Some(genesis.clone());
        Ok(())
    }

    fn queue_forced(
        &self,
        index: u64,
        entry: &ForcedEntry,
        record: ForcedAccount,
        state: &LedgerState,
    ) -> Result<(), LedgerError> {
        let mut records = self.lock();
        records.forced.insert(index, entry.clone());
        records.forced_accounts.insert(entry.account, record);
        records.state = Some(state.clone());
        Ok(())
    }

    fn freeze(&self, state: &LedgerState, _refunds: &[Deposit]) -> Result<(), LedgerError> {
        self.lock().state = Some(state.clone());
        Ok(())
    }

    fn escape(&self, claim: &EscapeClaim) -> Result<(), LedgerError> {
        self.lock().escapes.insert(claim.account, claim.clone());
        Ok(())
    }

    fn settle_escapes(&self, state: &LedgerState, payouts: &[Payout]) -> Result<(), LedgerError> {
        let mut records = self.lock();
        records.payouts = payouts.to_vec();
        records.state = Some(state.clone());
        Ok(())
    }

    fn queue(&self, index: u64, deposit: &Deposit, state: &LedgerState) -> Result<(), LedgerError> {
        let mut records = self.lock();
        records.queue.insert(index, deposit.clone());
        records.state = Some(state.clone());
        Ok(())
    }

    fn accept(&self, settlement: &Settlement, posted: &PostedBatch) -> Result<(), LedgerError> {
        let mut records = self.lock();
        records.owners.extend(settlement.new_owners.iter().copied());
        records.batches.insert(
            settlement.accepted.header.number,
            (settlement.accepted.clone(), posted.clone()),
        );
        records.state = Some(settlement.state.clone());
        Ok(())
    }
}
