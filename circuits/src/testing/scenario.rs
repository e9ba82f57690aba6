//! The batch the circuit tests prove ("batch 2"), and witnesses of it with one
//! transaction forged or one slot tampered with. Every other part of such a
//! witness stays consistent (paths, earlier and later slots), so a proof of it
//! can only fail on the rule under test.

use clearproof_protocol::oracle::Committee;
use clearproof_protocol::orders::{Order, SignedOrder};
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
use clearproof_protocol::testing::{
    deleverage, deposit, forced, id, key, keys, liquidate, price, signed, tick, trade, with_ids,
    withdraw,
};
use clearproof_protocol::tx::{
    Authority, CoverDeficit, Effect, ForcedOutcome, Transaction, TxKind,
};
use clearproof_protocol::types::{FundingRate, Price, Quorum, Quote, Seconds, Timestamp};
use clearproof_protocol::witness::{
    chunk_ranges, chunk_witnesses, slots_taken, ChunkWitness, SlotWitness,
};

use super::effects::{
    deleverage_effect, liquidation_effect, oracle_effect, trade_effect, withdraw_effect,
};

/// The account tree depth of the tests' state.
pub const DEPTH: usize = 8;
/// Slots per chunk.
pub const SLOTS: usize = 4;
/// Genesis timestamp of every market.
pub const T0: u64 = 1_000;

/// Frank's (6) buy order of batch 1: 900 lots, filled in full; slot 232.
pub const FRANK_ORDER: u64 = 1_000;

/// Market 1's oracle committee: `key(200)` to `key(203)`, quorum 3,
/// observations at most 60 s apart (the other markets: `key(200)` alone).
pub fn committee() -> Committee {
    let members: Vec<_> = (200..204).map(|i| key(i).public_key()).collect();
    Committee::new(&members, Quorum::new(3).unwrap(), Seconds::new(60).unwrap()).unwrap()
}

/// Every market's parameters: market 1 with [`committee`], the others with
/// `key(200)` alone; the standard margins, funding rate bound ≈ 0.1 %/s.
pub fn params() -> [MarketParams; MARKETS] {
    let rate = FundingRate::new(4_294_967).unwrap();
    std::array::from_fn(|m| {
        let committee = if m == 1 { committee() } else { Committee::single(key(200).public_key()) };
        MarketParams::standard(committee, rate)
    })
}

/// Batch 1 (not proven) leaves Alice (1) long 900 and bankrupt by 800 at 88,
/// Bob (2) short 900; batch 2, the one proven, uses every type the circuit
/// has so far: Carol (3) liquidates Alice, the fund covers her, …, and Dave
/// (4) buys 10 lots of market 2 from Erin (5). Its transactions by index:
/// 0 deposit 5, 1 deposit 4, 2 withdraw 3, 3 liquidate 1, 4 cover 1,
/// 5 price m1, 6 tick m0, 7 withdraw 2, 8 trade, 9 price m3 (gap to 50),
/// 10 deleverage of Frank (6, long 900 of market 3, deficit 35 000 > fund)
/// against Grace (7), 11 Carol's forced withdrawal (applied), 12 Bob's
/// (refused: below initial margin), 13 Dave's (refused: negative collateral).
pub fn setup() -> (State, Vec<Transaction>) {
    let t0 = Timestamp::new(T0 as i128).unwrap();
    let genesis = Genesis {
        markets: params()
            .map(|p| Market { params: p, state: MarketState::at(Price::from_units(100), t0) }),
        insurance_fund: Quote::new(5_000).unwrap(),
    };
    let mut state = State::genesis_with_depth(&genesis, DEPTH).unwrap();
    let setup = [
        deposit(1, 1, 10_000),
        deposit(2, 2, 10_000),
        deposit(3, 3, 1_000_000),
        deposit(4, 4, 1_000),
        trade(0, 1, 2, 900, 90_000, 0, 0),
        price(0, 88, T0 + 1),
        deposit(6, 6, 10_000),
        deposit(7, 7, 100_000),
        with_ids(trade(3, 6, 7, 900, 90_000, 0, 0), FRANK_ORDER, 1_001),
    ];
    let out = state.apply_batch_signed(&setup, keys());
    assert_eq!(out.witnesses.len(), setup.len());
    let txs = vec![
        deposit(5, 5, 1_000),
        deposit(4, 4, 500),
        withdraw(3, 1_000, 0),
        liquidate(0, 1, 3, 900, 79_200, 0),
        Transaction::CoverDeficit(CoverDeficit { account: id(1) }),
        price(1, 101, T0 + 2),
        tick(0, 3_000_000, T0 + 10),
        withdraw(2, 5_000, 0),
        trade(2, 4, 5, 10, 1_000, 5, 5),
        price(3, 50, T0 + 3),
        deleverage(3, 6, 7, 900, 80_000),
        forced(3, 1_000, ForcedOutcome::Applied),
        forced(2, 13_000, ForcedOutcome::RefusedUndercollateralised),
        forced(4, 10_000_000, ForcedOutcome::RefusedNegativeCollateral),
    ];
    (state, txs)
}

/// Transaction `at` of batch 2 replaced by a transaction and its unchecked effect.
pub type Forgery<'a> = (usize, Transaction, &'a dyn Fn(&State) -> Effect);

/// Batch 2's chunks, with transaction `at` replaced by a forged one whose
/// effect is written without any rule checked (built from the state at that
/// point). Every other part of the witness stays consistent — paths, earlier
/// and later slots — so a proof can only fail on the forged rule.
pub fn replay(forced: Option<Forgery<'_>>) -> Vec<ChunkWitness> {
    replay_in(forced, SLOTS)
}

/// [`replay`] cut into chunks of `slots` slots.
pub fn replay_in(forced: Option<Forgery<'_>>, slots: usize) -> Vec<ChunkWitness> {
    let (mut state, txs) = setup();
    let mut batch = state.begin_batch();
    for (i, tx) in txs.iter().enumerate() {
        match &forced {
            Some((at, forged, effect)) if *at == i => {
                let effect = effect(&state);
                let forged = signed(&state, forged);
                clearproof_protocol::testing::force(&mut batch, &mut state, &forged, effect);
            }
            _ => {
                // A later transaction the forgery made invalid is left out; the
                // forged transaction's own chunk is unaffected by what follows.
                let tx = signed(&state, tx);
                let _ = batch.apply(&mut state, &tx);
            }
        }
    }
    let out = batch.close(&state);
    chunk_witnesses(&out, slots)
}

/// A two-slot chunk whose withdrawal leaves the account below initial margin.
pub fn forged_two_slots() -> ChunkWitness {
    let effect = withdraw_effect(2, 13_000);
    let chunk = position_in(7, 2).0;
    replay_in(Some((7, withdraw(2, 13_000, 0), &effect)), 2).swap_remove(chunk)
}

/// Batch 2's chunks as the native applier cuts them (nothing forged).
pub fn proven_batch() -> Vec<ChunkWitness> {
    replay(None)
}

/// Batch 2 cut into two-slot chunks (the fewest an oracle update needs).
pub fn two_slot_chunks() -> Vec<ChunkWitness> {
    let (mut state, txs) = setup();
    let out = state.apply_batch_signed(&txs, keys());
    chunk_witnesses(&out, 2)
}

/// Where batch 2's transaction `at` is laid out: (chunk, slot). Oracle
/// updates take two slots ([`chunk_ranges`]).
pub fn position(at: usize) -> (usize, usize) {
    position_in(at, SLOTS)
}

/// [`position`] in chunks of `slots` slots.
pub fn position_in(at: usize, slots: usize) -> (usize, usize) {
    let (_, txs) = setup();
    let kinds: Vec<TxKind> = txs.iter().map(Transaction::kind).collect();
    let ranges = chunk_ranges(&kinds, slots);
    let chunk = ranges.iter().position(|r| r.contains(&at)).expect("a transaction of batch 2");
    let slot = kinds[ranges[chunk].start..at].iter().map(|k| slots_taken(*k)).sum();
    (chunk, slot)
}

/// The chunk holding transaction `at`, forged.
pub fn forged(at: usize, tx: Transaction, effect: impl Fn(&State) -> Effect) -> ChunkWitness {
    replay(Some((at, tx, &effect))).swap_remove(position(at).0)
}

/// A forged trade at index 8.
pub fn forged_trade(t: Transaction) -> ChunkWitness {
    forged(8, t.clone(), trade_effect(t))
}

/// A forged liquidation at index 3.
pub fn forged_liquidation(t: Transaction) -> ChunkWitness {
    forged(3, t.clone(), liquidation_effect(t))
}

/// A forged deleverage at index 10.
pub fn forged_deleverage(t: Transaction) -> ChunkWitness {
    forged(10, t.clone(), deleverage_effect(t))
}

/// Batch 2, transaction 5 (a price update) or 6 (a funding tick), forged.
pub fn forged_oracle(at: usize, tx: Transaction) -> ChunkWitness {
    forged(at, tx.clone(), oracle_effect(tx))
}

/// Batch 2's transaction `at` with its slot witness changed by `f`.
pub fn tampered_tx(at: usize, f: impl FnOnce(&mut SlotWitness)) -> ChunkWitness {
    let (chunk, slot) = position(at);
    tampered(chunk, slot, f)
}

/// Replaces slot `slot` of chunk `chunk`'s transaction.
pub fn tampered(chunk: usize, slot: usize, f: impl FnOnce(&mut SlotWitness)) -> ChunkWitness {
    let mut w = proven_batch().swap_remove(chunk);
    f(&mut w.slots[slot]);
    w
}

/// Batch 2's trade (index 8: Dave buys 10 lots of market 2 from Erin for
/// 1 000, fees 5 and 5) with its orders changed and signed again by their
/// owners (account `i` is owned by `key(i)`): only the changed term can fail.
pub fn tampered_orders(f: impl FnOnce(&mut Vec<SignedOrder>)) -> ChunkWitness {
    tampered_tx(8, |s| match &mut s.auth {
        Authority::Orders { orders } => {
            f(orders);
            for o in orders.iter_mut() {
                *o = o.order.clone().sign(&key(o.order.account.get() as u8));
            }
        }
        other => unreachable!("a trade's authority: {other:?}"),
    })
}

/// Chunk `chunk`, slot `slot` with its authority changed as is (no signing
/// again).
pub fn tampered_auth(chunk: usize, slot: usize, f: impl FnOnce(&mut Authority)) -> ChunkWitness {
    tampered(chunk, slot, |s| f(&mut s.auth))
}

/// Batch 2's transaction `at` with its authority changed as is.
pub fn tampered_auth_tx(at: usize, f: impl FnOnce(&mut Authority)) -> ChunkWitness {
    tampered_tx(at, |s| f(&mut s.auth))
}

/// The signature of `key(signer)` on `order`.
pub fn signed_by(order: &Order, signer: u8) -> SignedOrder {
    order.clone().sign(&key(signer))
}
