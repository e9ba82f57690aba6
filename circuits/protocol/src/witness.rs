//! A native batch cut into the chunks the circuit proves (PROTOCOL §7): which
//! transactions each chunk takes ([`chunk_ranges`], from the public data
//! alone, so the prover, the job board and the verifier cut alike) and each
//! chunk's witness ([`chunk_witnesses`]): the state at its start, its slots and
//! the public inputs the native applier implies.

use crate::batch::{data_hash_step, AccountUpdate, BatchOutput, TxWitness};
use crate::instance::Instance;
use crate::orders::SlotUpdate;
use crate::params::MARKETS;
use crate::state::{Globals, Market, MarketState};
use crate::tx::{Authority, Transaction, TxKind};
use crate::Fr;

/// One slot: its transaction (`None` = no-op padding), what authorised it, and
/// the Merkle updates of the accounts and order slots it touches, in update
/// order, from the native applier.
#[derive(Debug, Clone, Default)]
pub struct SlotWitness {
    /// The transaction.
    pub tx: Option<Transaction>,
    /// Its authority (the signed orders and signatures the circuit proves).
    pub auth: Authority,
    /// The touched accounts (before/after, path): none, one, or two.
    pub accounts: Vec<AccountUpdate>,
    /// The order-slot updates of its fills, in side order (sides that fill an
    /// order only).
    pub order_fills: Vec<SlotUpdate>,
}

/// Everything a chunk proof needs: the state at the chunk's start and its slots.
#[derive(Debug, Clone)]
pub struct ChunkWitness {
    /// Account tree depth.
    pub depth: usize,
    /// Accounts root at the chunk's start.
    pub accounts_root: Fr,
    /// Markets at the chunk's start.
    pub markets: [Market; MARKETS],
    /// Globals at the chunk's start.
    pub globals: Globals,
    /// Data hash before the chunk.
    pub prev_data_hash: Fr,
    /// Exactly the chunk's number of slots.
    pub slots: Vec<SlotWitness>,
    /// The public inputs the native applier implies.
    pub instance: Instance,
}

/// Slots a transaction of `kind` takes: two for an oracle update (itself and
/// its continuation, which checks observations 2 and 3), one otherwise.
pub fn slots_taken(kind: TxKind) -> usize {
    match kind {
        TxKind::PriceUpdate | TxKind::FundingTick => 2,
        _ => 1,
    }
}

/// How a batch's transactions (their kinds, in order) are cut into chunks of
/// `slots` slots: each chunk's range of transactions. Transactions fill a chunk
/// in order; an oracle update that would not fit with its continuation starts
/// the next chunk (the rest of this one is padding). An empty batch is one
/// empty chunk. The prover, the job board and the verifier all cut with this,
/// from the public data alone.
///
/// Panics if an oracle update is present and `slots < 2`.
pub fn chunk_ranges(kinds: &[TxKind], slots: usize) -> Vec<std::ops::Range<usize>> {
    assert!(slots > 0, "a chunk has at least one slot");
    let mut ranges = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, kind) in kinds.iter().enumerate() {
        let need = slots_taken(*kind);
        assert!(need <= slots, "a {kind} takes {need} slots, a chunk has {slots}");
        if used + need > slots {
            ranges.push(start..i);
            (start, used) = (i, 0);
        }
        used += need;
    }
    if start < kinds.len() || ranges.is_empty() {
        ranges.push(start..kinds.len());
    }
    ranges
}

/// Cuts a batch's applied transactions into chunks of `slots` slots
/// ([`chunk_ranges`]; each oracle update followed by its continuation, each
/// chunk padded with no-ops; an empty batch is one chunk of no-ops). The first
/// chunk starts at the batch's `prev_state_root`, before the `batch_number`
/// increment, with the data hash equal to that root; the circuit makes the
/// increment there.
pub fn chunk_witnesses(batch: &BatchOutput, slots: usize) -> Vec<ChunkWitness> {
    let depth = batch.tree_depth;
    let markets = |states: &[MarketState; MARKETS]| -> [Market; MARKETS] {
        std::array::from_fn(|m| Market { params: batch.market_params[m], state: states[m] })
    };
    let kinds: Vec<TxKind> = batch.witnesses.iter().map(|w| w.tx.kind()).collect();
    let chunks: Vec<&[TxWitness]> =
        chunk_ranges(&kinds, slots).into_iter().map(|r| &batch.witnesses[r]).collect();
    let mut data_hash = batch.prev_state_root;
    let mut state_root = batch.prev_state_root;
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, txs)| {
            let (accounts_root, start_markets, globals) = match (i, txs.first()) {
                (0, _) | (_, None) => {
                    (batch.accounts_root_before, batch.markets_before, batch.globals_before)
                }
                (_, Some(first)) => {
                    (first.accounts_root_before, first.markets_before, first.globals_before)
                }
            };
            let start_hash = data_hash;
            let start_root = state_root;
            for w in txs {
                data_hash = data_hash_step(data_hash, &w.tx.encode());
            }
            state_root = txs.last().map_or(batch.header_state_root, |w| w.state_root_after);
            let mut slot_witnesses = Vec::with_capacity(slots);
            for w in txs {
                slot_witnesses.push(SlotWitness {
                    tx: Some(w.tx.clone()),
                    auth: w.auth.clone(),
                    accounts: w.accounts.clone(),
                    order_fills: w.order_fills.iter().map(|(_, u)| u.clone()).collect(),
                });
                // The continuation: a no-op whose signature checks take the
                // update's observations 2 and 3 (carried by the circuit).
                for _ in 1..slots_taken(w.tx.kind()) {
                    slot_witnesses.push(SlotWitness::default());
                }
            }
            slot_witnesses.resize(slots, SlotWitness::default());
            ChunkWitness {
                depth,
                accounts_root,
                markets: markets(&start_markets),
                globals,
                prev_data_hash: start_hash,
                slots: slot_witnesses,
                instance: Instance {
                    prev_state_root: start_root,
                    next_state_root: state_root,
                    prev_data_hash: start_hash,
                    next_data_hash: data_hash,
                },
            }
        })
        .collect()
}

/// An empty chunk at the end of `batch`: every slot a no-op, from the batch's
/// final state and data hash to the same. The aggregation pads a batch with
/// these up to its fixed chunk count (PROTOCOL §7: no-ops change neither the
/// state nor the data hash, so the batch's public inputs are unchanged).
pub fn padding_chunk(batch: &BatchOutput, slots: usize) -> ChunkWitness {
    ChunkWitness {
        depth: batch.tree_depth,
        accounts_root: batch.accounts_root_after,
        markets: std::array::from_fn(|m| Market {
            params: batch.market_params[m],
            state: batch.markets_after[m],
        }),
        globals: batch.globals_after,
        prev_data_hash: batch.data_hash,
        slots: vec![SlotWitness::default(); slots],
        instance: Instance {
            prev_state_root: batch.next_state_root,
            next_state_root: batch.next_state_root,
            prev_data_hash: batch.data_hash,
            next_data_hash: batch.data_hash,
        },
    }
}

/// `batch` cut into exactly `count` chunks of `slots` slots: its own chunks,
/// then [`padding_chunk`]s; `None` if it needs more than `count`.
pub fn chunk_witnesses_padded(
    batch: &BatchOutput,
    slots: usize,
    count: usize,
) -> Option<Vec<ChunkWitness>> {
    let mut chunks = chunk_witnesses(batch, slots);
    if chunks.len() > count {
        return None;
    }
    chunks.resize_with(count, || padding_chunk(batch, slots));
    Some(chunks)
}
