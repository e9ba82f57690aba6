//! Taking the base layer's queues: deposits and forced withdrawals, each
//! entry in queue order, exactly once.

use clearproof_api::wire::{DepositRequest, ForcedPickup};
use clearproof_protocol::tx::{
    Deposit, ForcedWithdraw, ForcedWithdrawError, Transaction, TxError, TxKind,
};
use clearproof_verifier::base_layer::hatch::{ForcedEntry, MAX_FORCED_PER_BATCH};

use super::{deposit_tx, Sequencer};
use crate::error::SubmitError;
use crate::store::{EntryBody, PendingEntry};

impl Sequencer {
    /// The next base-layer deposit queue index the sequencer takes.
    pub fn next_deposit(&self) -> u64 {
        self.next_deposit
    }

    /// Takes base-layer deposit queue entries, `entries[i]` being queue entry
    /// `first + i` as read from the base layer ([`crate::follow`]). Entries
    /// before [`Sequencer::next_deposit`] are skipped (already taken); the rest
    /// are applied in queue order, committing whenever the open batch is full. A
    /// deposit the state machine refuses (another owner's account) still takes
    /// its queue slot, and the base layer refunds it. Returns how many were taken.
    ///
    /// Nothing is acknowledged to anyone here, so nothing waits for a flush: a
    /// crash before the next flush re-reads the same entries from the queue.
    pub fn take_deposits(
        &mut self,
        first: u64,
        entries: &[Deposit],
        now: u64,
    ) -> Result<usize, SubmitError> {
        let mut taken = 0;
        for (index, deposit) in (first..).zip(entries) {
            if index < self.next_deposit {
                continue;
            }
            if index > self.next_deposit {
                break;
            }
            self.take_deposit(index, deposit, now)?;
            taken += 1;
            if self.due() {
                self.commit()?;
            }
        }
        Ok(taken)
    }

    fn take_deposit(&mut self, index: u64, d: &Deposit, now: u64) -> Result<(), SubmitError> {
        if self.halted {
            return Err(SubmitError::Halted);
        }
        let request = DepositRequest {
            kind: clearproof_api::wire::DepositTag::Deposit,
            queue_index: index,
            account: d.account,
            owner: d.owner,
            amount: d.amount,
        };
        if let Err(error) = self.execute(&deposit_tx(&request).into()) {
            let id = self.record_rejection(TxKind::Deposit, &error, Some(&request), None)?;
            tracing::info!(id, queue_index = index, code = error.code(), "deposit refused");
            self.next_deposit += 1;
            return Ok(());
        }
        let seq = self.next_seq;
        let entry = PendingEntry { seq, accepted_at: now, body: EntryBody::Deposit(request) };
        self.persist_pending(&entry, None)?;
        self.next_deposit += 1;
        self.push_entry(seq, TxKind::Deposit);
        tracing::debug!(id = seq, queue_index = index, "deposit taken from the base layer");
        Ok(())
    }

    /// The next base-layer forced-withdrawal queue index the sequencer takes.
    pub fn next_forced(&self) -> u64 {
        self.next_forced
    }

    /// Takes base-layer forced-withdrawal queue entries, `entries[i]` being queue
    /// entry `first + i` (PROTOCOL §6.4), in queue order: each gets the outcome
    /// the rules give against the open batch's state (applied, or refused with
    /// its code: both consume the entry), at most `MAX_FORCED_PER_BATCH` per
    /// batch (a full one commits first). Like deposits, nothing is acknowledged
    /// here. Returns how many were taken.
    pub fn take_forced(
        &mut self,
        first: u64,
        entries: &[ForcedEntry],
        now: u64,
    ) -> Result<usize, SubmitError> {
        let mut taken = 0;
        for (index, entry) in (first..).zip(entries) {
            if index < self.next_forced {
                continue;
            }
            if index > self.next_forced {
                break;
            }
            if self.halted {
                return Err(SubmitError::Halted);
            }
            if self.open.forced() >= MAX_FORCED_PER_BATCH {
                self.commit()?;
            }
            let tx = match ForcedWithdraw::decide(&self.state, entry.account, entry.amount) {
                Ok(tx) => tx,
                Err(e) => {
                    // The base layer queues requests only for accounts its
                    // accepted deposits created, so either this store is behind
                    // the base layer, or settling the account's funding leaves
                    // its range (no outcome can be proven): the queue stalls.
                    tracing::error!(
                        queue_index = index,
                        code = e.code(),
                        "forced withdrawal cannot be served"
                    );
                    return Err(SubmitError::ForcedUnservable {
                        index,
                        account: entry.account,
                        reason: TxError::from(ForcedWithdrawError::from(e)),
                    });
                }
            };
            let outcome = tx.outcome;
            self.execute(&Transaction::from(tx).into())?;
            let pickup =
                ForcedPickup { queue_index: index, account: entry.account, amount: entry.amount };
            let seq = self.next_seq;
            let body = EntryBody::Forced(pickup);
            self.persist_pending(&PendingEntry { seq, accepted_at: now, body }, None)?;
            self.next_forced += 1;
            self.push_entry(seq, TxKind::ForcedWithdraw);
            tracing::info!(
                id = seq,
                queue_index = index,
                ?outcome,
                "forced withdrawal taken from the base layer"
            );
            taken += 1;
            if self.due() {
                self.commit()?;
            }
        }
        Ok(taken)
    }
}
