//! Deposits come only from the base layer. The base layer accepts a batch only
//! if its deposits are its own queue entries in order, so a deposit taken from
//! anyone else (a forged queue index, another owner or amount, a race for a real
//! index) would make every later batch unpostable. The sequencer therefore reads
//! the base layer's deposit queue itself, through [`DepositQueue`], and takes
//! the entries in queue order ([`crate::Sequencer::take_deposits`]); there is no
//! HTTP endpoint that adds a deposit.
//!
//! [`Ledger`] (any store) is a [`DepositQueue`]; `clearproof sequencer serve
//! --ledger DIR` reads a ledger directory that other processes also open (the
//! binary's `LedgerDir`), and an EVM base layer reads its contract's queue.

use clearproof_protocol::tx::Deposit;
use clearproof_verifier::base_layer::hatch::ForcedEntry;
use clearproof_verifier::base_layer::{BaseLayer, Ledger, LedgerError, LedgerStore};

/// Where the sequencer reads the base layer's queues: deposits, and forced
/// withdrawals (PROTOCOL §6.4), which it serves by itself in queue order.
pub trait DepositQueue: Send + Sync {
    /// Up to `max` queue entries from index `from` on, in queue order (fewer,
    /// or none, at the end of the queue).
    fn entries(&self, from: u64, max: usize) -> Result<Vec<Deposit>, LedgerError>;
    /// Up to `max` forced-withdrawal queue entries from index `from` on.
    fn forced_entries(&self, from: u64, max: usize) -> Result<Vec<ForcedEntry>, LedgerError>;
}

/// Reads entries `from..` of `base`'s forced-withdrawal queue, at most `max`.
pub fn read_forced(
    base: &dyn BaseLayer,
    from: u64,
    max: usize,
) -> Result<Vec<ForcedEntry>, LedgerError> {
    read_range(base.state()?.forced_queued, from, max, |i| base.forced(i))
}

/// Reads entries `from..` of `base`'s deposit queue, at most `max`.
pub fn read_queue(
    base: &dyn BaseLayer,
    from: u64,
    max: usize,
) -> Result<Vec<Deposit>, LedgerError> {
    read_range(base.state()?.deposits_queued, from, max, |i| base.queued(i))
}

/// Entries `from..min(queued, from + max)` read with `entry`, stopping at the
/// first missing one.
fn read_range<T>(
    queued: u64,
    from: u64,
    max: usize,
    entry: impl Fn(u64) -> Result<Option<T>, LedgerError>,
) -> Result<Vec<T>, LedgerError> {
    let end = queued.min(from.saturating_add(max as u64));
    let mut out = Vec::new();
    for index in from..end {
        match entry(index)? {
            Some(e) => out.push(e),
            None => break,
        }
    }
    Ok(out)
}

impl<S: LedgerStore> DepositQueue for Ledger<S> {
    fn entries(&self, from: u64, max: usize) -> Result<Vec<Deposit>, LedgerError> {
        read_queue(self, from, max)
    }

    fn forced_entries(&self, from: u64, max: usize) -> Result<Vec<ForcedEntry>, LedgerError> {
        read_forced(self, from, max)
    }
}
