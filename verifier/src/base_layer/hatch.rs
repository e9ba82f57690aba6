//! The escape hatch's base-layer rules (PROTOCOL §6.4, §7), pure like
//! [`crate::base_layer::rules`]: every implementation of the base layer applies them.
//!
//! - **Forced withdrawals.** An account's owner queues `ForcedWithdraw{account,
//!   amount}` on the base layer with a signature over
//!   `H(13, genesis_root, account, amount, request)`, `request` being the
//!   account's count of forced requests so far (a signed request can be queued
//!   neither twice nor on another chain). The
//!   account must be one an accepted deposit created. Anti-spam: at most one
//!   unconsumed request per account (a flood needs as many funded accounts), and
//!   a batch carries at most [`MAX_FORCED_PER_BATCH`] of them, so the queue
//!   cannot make a batch unprovably large. Batches consume the queue in order
//!   ([`match_forced`]); each entry's proven outcome is in the public data.
//! - **Freeze.** Once the oldest unconsumed request is older than
//!   `forced_grace` (production [`FORCED_GRACE`], 7 days), anyone may freeze:
//!   no batch is accepted again, deposits still queued are refunded, withdrawals
//!   already released stay released.
//! - **Escape.** During the claim window (`escape_window` after the freeze,
//!   production [`ESCAPE_WINDOW`], 14 days) each account may escape once with
//!   its [`AccountProof`] against the last accepted root; its claim is
//!   `max(0, ⌊TV / 2^32⌋)` after funding, payable to the owner on record. When
//!   the window has closed, anyone settles the escapes once: every claim is paid
//!   in full if the claims do not exceed what the base layer holds, otherwise
//!   pro rata, rounded down ([`escape_payouts`]). The insurance fund and the fee
//!   pool are not claims of any account and stay with the base layer.

use clearproof_protocol::account_proof::{AccountProof, AccountProofError};
use clearproof_protocol::signature::{PublicKey, Signature, SignatureError};
use clearproof_protocol::tx::{forced_request_message, Deposit, ForcedOutcome, Transaction};
use clearproof_protocol::types::{AccountId, Amount};
use serde::{Deserialize, Serialize};

use crate::base_layer::state::LedgerState;
use crate::Rejection;

/// Forced withdrawals one batch may consume. A flood of requests that forces a
/// freeze would need more than `64 × batches posted per grace` funded
/// accounts: at one batch per second over the 7-day grace, 38.7 million, more
/// than the 2^24 accounts the tree holds.
pub const MAX_FORCED_PER_BATCH: usize = 64;

/// A forced-withdrawal request as its owner submits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForcedRequest {
    /// The account to withdraw from.
    pub account: AccountId,
    /// Quote micro-units.
    pub amount: Amount,
    /// The account's count of forced requests before this one.
    #[serde(with = "u64_string")]
    pub request: u64,
    /// The owner's signature over [`forced_request_message`].
    pub signature: Signature,
}

impl ForcedRequest {
    /// The account's `request`-th forced request for `amount` on the chain that
    /// started at `genesis_root`, signed with `key` (the owner's, for the base
    /// layer to accept it).
    pub fn sign(
        key: &clearproof_protocol::signature::SecretKey,
        genesis_root: clearproof_protocol::Fr,
        account: AccountId,
        amount: Amount,
        request: u64,
    ) -> Self {
        let signature = key.sign(forced_request_message(genesis_root, account, amount, request));
        Self { account, amount, request, signature }
    }
}

/// A queued forced withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForcedEntry {
    /// The account.
    pub account: AccountId,
    /// Quote micro-units.
    pub amount: Amount,
    /// When the base layer queued it (unix seconds).
    pub requested_at: u64,
}

/// What the base layer remembers of an account's forced requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ForcedAccount {
    /// Requests queued so far (the next request's number).
    pub requests: u64,
    /// Queue index of its latest request.
    pub last_index: Option<u64>,
}

/// An accepted escape claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscapeClaim {
    /// The account.
    pub account: AccountId,
    /// Its owner on record, who is paid.
    pub owner: PublicKey,
    /// `max(0, ⌊TV / 2^32⌋)`, quote micro-units.
    pub claim: u64,
}

/// A settled escape payout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// The account.
    pub account: AccountId,
    /// Who is paid.
    pub owner: PublicKey,
    /// Its claim.
    pub claim: u64,
    /// What it is paid: the claim, or its pro-rata share.
    pub paid: u64,
}

/// Why the base layer refused a forced request, a freeze, an escape or a
/// settlement. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HatchError {
    /// The base layer is frozen: no requests, deposits or batches any more.
    #[error("the base layer is frozen")]
    Frozen,
    /// Escapes need a frozen base layer.
    #[error("the base layer is not frozen")]
    NotFrozen,
    /// No accepted deposit created the account.
    #[error("account {0} was not created by an accepted deposit")]
    UnknownAccount(AccountId),
    /// The request's number is not the account's next one (replayed or skipped).
    #[error("request number {got}, the account's next is {expected}")]
    WrongRequestNumber {
        /// The account's next request number.
        expected: u64,
        /// The request's.
        got: u64,
    },
    /// The owner's signature does not verify.
    #[error("forced request signature: {0}")]
    Signature(#[from] SignatureError),
    /// The account already has an unconsumed request (anti-spam).
    #[error("account {0} already has a forced withdrawal waiting (queue entry {1})")]
    AlreadyPending(AccountId, u64),
    /// Nothing allows a freeze yet.
    #[error("{0}")]
    FreezeNotDue(String),
    /// The escape's owner is not the owner on record.
    #[error("account {0}'s leaf names another owner than the one on record")]
    WrongOwner(AccountId),
    /// The escape proves against another root than the last accepted one.
    #[error("the proof is against {got}, the last accepted root is {expected}")]
    StaleRoot {
        /// The last accepted root.
        expected: String,
        /// The proof's.
        got: String,
    },
    /// The account proof does not hold.
    #[error("account proof: {0}")]
    BadProof(#[from] AccountProofError),
    /// The account has escaped already.
    #[error("account {0} has escaped already")]
    AlreadyEscaped(AccountId),
    /// The claim window has closed.
    #[error("the claim window closed at {0}")]
    WindowClosed(u64),
    /// Escapes are settled once the claim window has closed.
    #[error("the claim window is open until {0}")]
    WindowOpen(u64),
    /// The escapes were settled already.
    #[error("the escapes were settled already")]
    AlreadySettled,
}

impl HatchError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            HatchError::Frozen => "FROZEN",
            HatchError::NotFrozen => "NOT_FROZEN",
            HatchError::UnknownAccount(_) => "FORCED_UNKNOWN_ACCOUNT",
            HatchError::WrongRequestNumber { .. } => "FORCED_WRONG_REQUEST_NUMBER",
            HatchError::Signature(e) => e.code(),
            HatchError::AlreadyPending(..) => "FORCED_ALREADY_PENDING",
            HatchError::FreezeNotDue(_) => "FREEZE_NOT_DUE",
            HatchError::WrongOwner(_) => "ESCAPE_WRONG_OWNER",
            HatchError::StaleRoot { .. } => "ESCAPE_STALE_ROOT",
            HatchError::BadProof(_) => "ESCAPE_BAD_PROOF",
            HatchError::AlreadyEscaped(_) => "ESCAPE_ALREADY_CLAIMED",
            HatchError::WindowClosed(_) => "ESCAPE_WINDOW_CLOSED",
            HatchError::WindowOpen(_) => "ESCAPE_WINDOW_OPEN",
            HatchError::AlreadySettled => "ESCAPES_SETTLED",
        }
    }
}

/// Fails when the base layer is frozen.
pub fn check_not_frozen(state: &LedgerState) -> Result<(), HatchError> {
    match state.frozen_at {
        Some(_) => Err(HatchError::Frozen),
        None => Ok(()),
    }
}

/// A forced request at `now` against the account's `owner` on record and its
/// `record`: the entry to queue, or why not.
pub fn check_request(
    state: &LedgerState,
    owner: Option<PublicKey>,
    record: ForcedAccount,
    request: &ForcedRequest,
    now: u64,
) -> Result<ForcedEntry, HatchError> {
    check_not_frozen(state)?;
    let owner = owner.ok_or(HatchError::UnknownAccount(request.account))?;
    if let Some(index) = record.last_index.filter(|i| *i >= state.forced_consumed) {
        return Err(HatchError::AlreadyPending(request.account, index));
    }
    if request.request != record.requests {
        return Err(HatchError::WrongRequestNumber {
            expected: record.requests,
            got: request.request,
        });
    }
    let message = forced_request_message(
        state.genesis_root,
        request.account,
        request.amount,
        request.request,
    );
    owner.verify(message, &request.signature)?;
    Ok(ForcedEntry { account: request.account, amount: request.amount, requested_at: now })
}

/// A freeze at `now`, given the oldest unconsumed forced entry (`None`: the
/// queue is served).
pub fn check_freeze(
    state: &LedgerState,
    oldest: Option<&ForcedEntry>,
    now: u64,
) -> Result<(), HatchError> {
    check_not_frozen(state)?;
    let Some(entry) = oldest else {
        return Err(HatchError::FreezeNotDue("every forced withdrawal has been served".into()));
    };
    let due = entry.requested_at.saturating_add(state.forced_grace);
    if now < due {
        return Err(HatchError::FreezeNotDue(format!(
            "the oldest unserved forced withdrawal (account {}) was requested at {}; a freeze \
             is allowed from {due}, {} s from now",
            entry.account,
            entry.requested_at,
            due - now
        )));
    }
    Ok(())
}

/// The end of the claim window of a base layer frozen at `frozen_at`.
pub fn window_end(state: &LedgerState, frozen_at: u64) -> u64 {
    frozen_at.saturating_add(state.escape_window)
}

/// An escape at `now` with `proof`, against the account's `owner` on record and
/// whether it `escaped` already: the claim to record, or why not.
pub fn check_escape(
    state: &LedgerState,
    owner: Option<PublicKey>,
    escaped: bool,
    proof: &AccountProof,
    now: u64,
) -> Result<EscapeClaim, HatchError> {
    let frozen_at = state.frozen_at.ok_or(HatchError::NotFrozen)?;
    if state.escapes_settled {
        return Err(HatchError::AlreadySettled);
    }
    if now >= window_end(state, frozen_at) {
        return Err(HatchError::WindowClosed(window_end(state, frozen_at)));
    }
    if escaped {
        return Err(HatchError::AlreadyEscaped(proof.account));
    }
    let owner = owner.ok_or(HatchError::UnknownAccount(proof.account))?;
    if proof.value.owner != owner {
        return Err(HatchError::WrongOwner(proof.account));
    }
    if proof.state_root != state.root {
        return Err(HatchError::StaleRoot {
            expected: clearproof_protocol::serde_fr::to_hex(&state.root),
            got: clearproof_protocol::serde_fr::to_hex(&proof.state_root),
        });
    }
    proof.check(state.circuit.depth)?;
    Ok(EscapeClaim { account: proof.account, owner, claim: proof.escape_value()? })
}

/// Settling the escapes at `now`: the claim window must have closed.
pub fn check_settle(state: &LedgerState, now: u64) -> Result<(), HatchError> {
    let frozen_at = state.frozen_at.ok_or(HatchError::NotFrozen)?;
    if state.escapes_settled {
        return Err(HatchError::AlreadySettled);
    }
    let end = window_end(state, frozen_at);
    if now < end {
        return Err(HatchError::WindowOpen(end));
    }
    Ok(())
}

/// Each claim paid in full when they sum to at most `held`, otherwise
/// `⌊claim · held / Σ claims⌋`.
pub fn escape_payouts(held: u128, claims: &[EscapeClaim]) -> Vec<Payout> {
    let total: u128 = claims.iter().map(|c| u128::from(c.claim)).sum();
    claims
        .iter()
        .map(|c| {
            let paid = if total <= held {
                c.claim
            } else {
                let share = mul_div(u128::from(c.claim), held, total);
                u64::try_from(share).unwrap_or(u64::MAX)
            };
            Payout { account: c.account, owner: c.owner, claim: c.claim, paid }
        })
        .collect()
}

/// `⌊a · b / d⌋` for `b ≤ d` (so the result is `≤ a`), exactly.
fn mul_div(a: u128, b: u128, d: u128) -> u128 {
    use ethnum::U256;
    (U256::from(a) * U256::from(b) / U256::from(d)).as_u128()
}

/// Forced withdrawals a post consumes from the queue head `consumed`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForcedMatch {
    /// The queue head after the batch.
    pub consumed: u64,
    /// How many were applied (released as withdrawals).
    pub applied: usize,
}

/// Each posted forced withdrawal must be the forced queue's next entry (none
/// skipped, none reordered), at most [`MAX_FORCED_PER_BATCH`] per batch.
/// `entry(i)` reads queue entry `i`.
pub fn match_forced<E: From<Rejection>>(
    consumed: u64,
    data: &[Transaction],
    mut entry: impl FnMut(u64) -> Result<Option<ForcedEntry>, E>,
) -> Result<ForcedMatch, E> {
    let mut out = ForcedMatch { consumed, applied: 0 };
    let mut count = 0;
    for (position, tx) in data.iter().enumerate() {
        let Transaction::ForcedWithdraw(f) = tx else { continue };
        count += 1;
        if count > MAX_FORCED_PER_BATCH {
            return Err(Rejection::TooManyForced { max: MAX_FORCED_PER_BATCH }.into());
        }
        let matches =
            entry(out.consumed)?.is_some_and(|e| e.account == f.account && e.amount == f.amount);
        if !matches {
            return Err(Rejection::ForcedMismatch { position, queue_index: out.consumed }.into());
        }
        out.consumed += 1;
        if f.outcome == ForcedOutcome::Applied {
            out.applied += 1;
        }
    }
    Ok(out)
}

/// Deposits still queued when the base layer froze: refunded.
pub fn unconsumed_deposits<E>(
    state: &LedgerState,
    mut queued: impl FnMut(u64) -> Result<Option<Deposit>, E>,
) -> Result<Vec<Deposit>, E> {
    let mut out = Vec::new();
    for index in state.deposits_consumed..state.deposits_queued {
        if let Some(d) = queued(index)? {
            out.push(d);
        }
    }
    Ok(out)
}

mod u64_string {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(n)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(|_| D::Error::custom(format!("not a decimal u64: {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(c: u64) -> EscapeClaim {
        let owner =
            clearproof_protocol::signature::SecretKey::from_bytes([1; 32]).unwrap().public_key();
        EscapeClaim { account: AccountId::new(1).unwrap(), owner, claim: c }
    }

    #[test]
    fn claims_within_the_holdings_are_paid_in_full_else_pro_rata() {
        let claims = [claim(30), claim(70)];
        let paid = |held| escape_payouts(held, &claims).iter().map(|p| p.paid).collect::<Vec<_>>();
        assert_eq!(paid(100), vec![30, 70]);
        assert_eq!(paid(1_000), vec![30, 70]);
        assert_eq!(paid(50), vec![15, 35]);
        assert_eq!(paid(33), vec![9, 23], "rounded down");
        assert_eq!(paid(0), vec![0, 0]);
    }

    #[test]
    fn pro_rata_is_exact_for_large_values() {
        let big = [claim(u64::MAX), claim(u64::MAX / 2)];
        let total = u128::from(u64::MAX) + u128::from(u64::MAX / 2);
        let held = total - 1;
        let paid: Vec<u64> = escape_payouts(held, &big).iter().map(|p| p.paid).collect();
        assert_eq!(paid[0], u64::MAX - 1);
        assert!(u128::from(paid[0]) + u128::from(paid[1]) <= held);
        for (a, b, d) in
            [(7u128, 5u128, 9u128), (u64::MAX as u128, 3, 4), (1 << 63, (1 << 100) - 1, 1 << 100)]
        {
            let exact = ethnum::U256::from(a) * ethnum::U256::from(b) / ethnum::U256::from(d);
            assert_eq!(ethnum::U256::from(mul_div(a, b, d)), exact, "{a}·{b}/{d}");
        }
    }
}
