//! The chunk circuit — **first slice**: chunk-level state (markets and globals
//! opened against `prev_state_root`, carried through the slots, hashed into
//! `next_state_root`), the public inputs, the data-hash chain, the transaction
//! type one-hot, and the market-only transactions `PriceUpdate` and
//! `FundingTick` with all their §6 rules. Account-touching types (tags 1–6) are
//! constrained **off** in this slice: a chunk containing one cannot be proven
//! until their gadgets land (see `docs/CIRCUIT-DESIGN.md`).

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::arith::assert_nonneg_if;
use super::hash::CircuitHasher;
use super::market::{markets_hash, AssignedMarket};
use super::num::check_signed63;
use super::public::{data_hash_step, data_hash_step_in_circuit, Instance, NUM_PUBLIC_INPUTS};
use super::{Cell, Ctx};
use crate::params::{MARKETS, TX_ENCODING_LEN};
use crate::state::{self, Globals, Market};
use crate::tx::{tag, Transaction};
use crate::Fr;

/// Number of transaction tags (0 = no-op … 8 = `FundingTick`).
const TAGS: usize = 9;
/// Bits bounding `max_funding_rate·price·Δt ± Δindex·2^32` (< 2^137).
const FUNDING_BOUND_BITS: usize = 140;

/// Everything a chunk proof needs: the state at the chunk's start (beyond the
/// accounts root) and its slots' transactions (`None` = no-op padding).
#[derive(Debug, Clone)]
pub struct ChunkWitness {
    /// Accounts root (unchanged by the transactions of this slice).
    pub accounts_root: Fr,
    /// Markets at the chunk's start.
    pub markets: [Market; MARKETS],
    /// Globals at the chunk's start.
    pub globals: Globals,
    /// Data hash before the chunk.
    pub prev_data_hash: Fr,
    /// One entry per slot.
    pub slots: Vec<Option<Transaction>>,
}

impl ChunkWitness {
    /// The public inputs, computed natively (the oracle for the circuit).
    pub fn instance(&self) -> Instance {
        let root = |markets: &[Market; MARKETS]| {
            state::state_root(
                self.accounts_root,
                state::markets_hash(markets),
                state::globals_hash(&self.globals),
            )
        };
        let mut markets = self.markets;
        let mut data_hash = self.prev_data_hash;
        for tx in self.slots.iter().flatten() {
            match tx {
                Transaction::PriceUpdate(p) => {
                    let s = &mut markets[p.market.index()].state;
                    s.price = p.price;
                    s.price_ts = p.timestamp;
                }
                Transaction::FundingTick(f) => {
                    let s = &mut markets[f.market.index()].state;
                    s.funding_index = f.index;
                    s.funding_ts = f.timestamp;
                }
                _ => {}
            }
            data_hash = data_hash_step(data_hash, &tx.encode());
        }
        Instance {
            prev_state_root: root(&self.markets),
            next_state_root: root(&markets),
            prev_data_hash: self.prev_data_hash,
            next_data_hash: data_hash,
        }
    }
}

fn encoding(slot: &Option<Transaction>) -> [Fr; TX_ENCODING_LEN] {
    slot.as_ref().map_or([Fr::zero(); TX_ENCODING_LEN], Transaction::encode)
}

/// Lays out the chunk; returns the public-input cells in [`Instance`] order.
pub fn synthesize(ctx: &mut Ctx, range: &RangeChip<Fr>, w: &ChunkWitness) -> Vec<Cell> {
    let gate = range.gate();
    let hasher = CircuitHasher::new(ctx, gate);
    let accounts_root = ctx.load_witness(w.accounts_root);
    let mut markets = w.markets.map(|m| AssignedMarket::load(ctx, range, &m));
    let globals = ctx.assign_witnesses(w.globals.fields());
    range.range_check(ctx, globals[0], 63);
    range.range_check(ctx, globals[1], 63);
    range.range_check(ctx, globals[2], 64);
    let globals_hash = hasher.hash(ctx, gate, &globals);
    let opening = markets_hash(ctx, range, &hasher, &markets);
    let prev_root = hasher.hash(ctx, gate, &[accounts_root, opening, globals_hash]);
    let prev_data_hash = ctx.load_witness(w.prev_data_hash);

    let mut data_hash = prev_data_hash;
    for slot in &w.slots {
        let enc: [Cell; TX_ENCODING_LEN] =
            ctx.assign_witnesses(encoding(slot)).try_into().expect("8 cells");
        // "slot type is one of the v1 tags": a one-hot indicator that sums to 1.
        let is = gate.idx_to_indicator(ctx, enc[0], TAGS);
        let total = gate.sum(ctx, is.iter().copied());
        gate.assert_is_const(ctx, &total, &Fr::one());
        // "account-touching types are not in this slice" (tags 1..=6).
        for t in &is[tag::DEPOSIT as usize..=tag::DELEVERAGE as usize] {
            gate.assert_is_const(ctx, t, &Fr::zero());
        }
        let (is_noop, is_price, is_funding) = (
            is[tag::NOOP as usize],
            is[tag::PRICE_UPDATE as usize],
            is[tag::FUNDING_TICK as usize],
        );
        // "a no-op slot carries no fields" (1..4); fields 4..8 are unused by every
        // type this slice admits, so they are zero outright.
        for field in &enc[1..4] {
            let masked = gate.mul(ctx, *field, is_noop);
            gate.assert_is_const(ctx, &masked, &Fr::zero());
        }
        for field in &enc[4..] {
            gate.assert_is_const(ctx, field, &Fr::zero());
        }
        oracle_slot(ctx, range, &mut markets, &enc, is_price, is_funding);
        data_hash = data_hash_step_in_circuit(ctx, gate, &hasher, data_hash, &enc, is_noop);
    }

    let closing = markets_hash(ctx, range, &hasher, &markets);
    let next_root = hasher.hash(ctx, gate, &[accounts_root, closing, globals_hash]);
    vec![prev_root, next_root, prev_data_hash, data_hash]
}

/// `PriceUpdate{market, price, timestamp}` and `FundingTick{market, index,
/// timestamp}` (fields 1..4 of the encoding), gated by their type bits.
fn oracle_slot(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    markets: &mut [AssignedMarket; MARKETS],
    enc: &[Cell; TX_ENCODING_LEN],
    is_price: Cell,
    is_funding: Cell,
) {
    let gate = range.gate();
    let active = gate.add(ctx, is_price, is_funding);
    // "market id < 4": its one-hot must sum to 1 (a no-op has market 0).
    let m_is = gate.idx_to_indicator(ctx, enc[1], MARKETS);
    let total = gate.sum(ctx, m_is.iter().copied());
    gate.assert_is_const(ctx, &total, &Fr::one());
    let pick = |ctx: &mut Ctx, f: fn(&AssignedMarket) -> Cell| {
        let values: Vec<Cell> = markets.iter().map(f).collect();
        gate.select_by_indicator(ctx, values, m_is.iter().copied())
    };
    let price = pick(ctx, |m| m.price);
    let price_ts = pick(ctx, |m| m.price_ts);
    let index = pick(ctx, |m| m.funding_index);
    let funding_ts = pick(ctx, |m| m.funding_ts);
    let rate = pick(ctx, |m| m.max_funding_rate);
    let (value, timestamp) = (enc[2], enc[3]);

    // "timestamp < 2^40" for both oracle types.
    let ts = gate.mul(ctx, timestamp, active);
    range.range_check(ctx, ts, 40);
    // PriceUpdate: "price < 2^64", "price > 0", "timestamp > price_ts".
    let p = gate.mul(ctx, value, is_price);
    range.range_check(ctx, p, 64);
    let zero_price = gate.is_zero(ctx, value);
    let bad = gate.mul(ctx, zero_price, is_price);
    gate.assert_is_const(ctx, &bad, &Fr::zero());
    let newer = gate.sub(ctx, timestamp, price_ts);
    let newer = gate.sub(ctx, newer, Constant(Fr::one()));
    assert_nonneg_if(ctx, range, newer, is_price, 40);
    // FundingTick: "|index| < 2^63", "timestamp > funding_ts", and the rate bound
    // |index − funding_index|·2^32 ≤ max_funding_rate·price·(timestamp − funding_ts).
    let i = gate.mul(ctx, value, is_funding);
    check_signed63(ctx, range, i);
    let elapsed = gate.sub(ctx, timestamp, funding_ts);
    let newer = gate.sub(ctx, elapsed, Constant(Fr::one()));
    assert_nonneg_if(ctx, range, newer, is_funding, 40);
    let delta = gate.sub(ctx, value, index);
    let scaled_delta = gate.mul(ctx, delta, Constant(Fr::from(1u64 << 32)));
    let allowance = gate.mul(ctx, rate, price);
    let allowance = gate.mul(ctx, allowance, elapsed);
    let up = gate.sub(ctx, allowance, scaled_delta);
    let down = gate.add(ctx, allowance, scaled_delta);
    assert_nonneg_if(ctx, range, up, is_funding, FUNDING_BOUND_BITS);
    assert_nonneg_if(ctx, range, down, is_funding, FUNDING_BOUND_BITS);

    // Effects: the selected market takes the new values.
    for (m, market) in markets.iter_mut().enumerate() {
        let set_price = gate.mul(ctx, is_price, m_is[m]);
        let set_funding = gate.mul(ctx, is_funding, m_is[m]);
        market.price = gate.select(ctx, value, market.price, set_price);
        market.price_ts = gate.select(ctx, timestamp, market.price_ts, set_price);
        market.funding_index = gate.select(ctx, value, market.funding_index, set_funding);
        market.funding_ts = gate.select(ctx, timestamp, market.funding_ts, set_funding);
    }
}

/// A builder with the chunk laid out and its public inputs assigned to the
/// instance column. `stage` must not be a prover-only stage for MockProver/keygen.
pub fn builder(stage: CircuitBuilderStage, k: usize, w: &ChunkWitness) -> BaseCircuitBuilder<Fr> {
    let mut builder = BaseCircuitBuilder::from_stage(stage)
        .use_k(k)
        .use_lookup_bits(k - 1)
        .use_instance_columns(1);
    let range = builder.range_chip();
    let public = synthesize(builder.main(0), &range, w);
    assert_eq!(public.len(), NUM_PUBLIC_INPUTS);
    builder.assigned_instances[0].extend(public);
    builder.calculate_params(Some(9));
    builder
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::SecretKey;
    use crate::state::{MarketParams, MarketState};
    use crate::tx::{FundingTick, PriceUpdate};
    use crate::types::*;
    use halo2_base::halo2_proofs::dev::MockProver;

    const K: usize = 15;

    fn witness(slots: Vec<Option<Transaction>>) -> ChunkWitness {
        let oracle = SecretKey::from_bytes([5; 32]).unwrap().public_key();
        let params = MarketParams::standard(oracle, FundingRate::new(4_294_967).unwrap());
        let t0 = Timestamp::new(1_000).unwrap();
        ChunkWitness {
            accounts_root: Fr::from(77u64),
            markets: [100, 200, 300, 400]
                .map(|p| Market { params, state: MarketState::at(Price::from_units(p), t0) }),
            globals: Globals {
                insurance_fund: Quote::new(5).unwrap(),
                fee_pool: Quote::new(6).unwrap(),
                batch_number: 3,
            },
            prev_data_hash: Fr::from(9u64),
            slots,
        }
    }

    fn price(m: i128, units: u32, ts: i128) -> Option<Transaction> {
        Some(Transaction::PriceUpdate(PriceUpdate {
            market: MarketId::new(m).unwrap(),
            price: Price::from_units(units),
            timestamp: Timestamp::new(ts).unwrap(),
        }))
    }

    fn tick(m: i128, index: i128, ts: i128) -> Option<Transaction> {
        Some(Transaction::FundingTick(FundingTick {
            market: MarketId::new(m).unwrap(),
            index: FundingIndex::new(index).unwrap(),
            timestamp: Timestamp::new(ts).unwrap(),
        }))
    }

    fn proves(w: &ChunkWitness, instance: Vec<Fr>) -> bool {
        let b = builder(CircuitBuilderStage::Mock, K, w);
        MockProver::run(K as u32, &b, vec![instance]).unwrap().verify().is_ok()
    }

    /// Rate bound for market 1 (price 200) over 10 s: rate·200·10 (in index units).
    const BOUND_10S: i128 = 4_294_967 * 2_000;

    fn valid() -> ChunkWitness {
        witness(vec![
            price(1, 210, 1_005),
            tick(1, -BOUND_10S * 210 / 200, 1_010),
            None,
            price(3, 1, 1_001),
        ])
    }

    #[test]
    fn oracle_chunk_matches_the_native_roots() {
        let w = valid();
        // The native state machine agrees on every transaction and on the final root.
        let mut s = crate::state::State::genesis_with_depth(
            &crate::state::Genesis { markets: w.markets, insurance_fund: w.globals.insurance_fund },
            4,
        )
        .unwrap();
        for tx in w.slots.iter().flatten() {
            s.apply(tx).unwrap();
        }
        let native_next = crate::state::state_root(
            w.accounts_root,
            crate::state::markets_hash(s.markets()),
            crate::state::globals_hash(&w.globals),
        );
        assert_eq!(w.instance().next_state_root, native_next);
        assert!(proves(&w, w.instance().to_vec()));
    }

    #[test]
    fn a_public_input_that_does_not_match_is_rejected() {
        let w = valid();
        for i in 0..NUM_PUBLIC_INPUTS {
            let mut instance = w.instance().to_vec();
            instance[i] += Fr::one();
            assert!(!proves(&w, instance), "public input {i}");
        }
    }

    #[test]
    fn oracle_timestamp_not_increasing_is_rejected() {
        let w = witness(vec![price(0, 101, 1_000)]);
        assert!(!proves(&w, w.instance().to_vec()));
        let w = witness(vec![tick(0, 0, 999)]);
        assert!(!proves(&w, w.instance().to_vec()));
    }

    #[test]
    fn funding_tick_exceeding_the_rate_bound_is_rejected() {
        let ok = witness(vec![tick(1, BOUND_10S, 1_010)]);
        assert!(proves(&ok, ok.instance().to_vec()));
        let over = witness(vec![tick(1, BOUND_10S + 1, 1_010)]);
        assert!(!proves(&over, over.instance().to_vec()));
        let under = witness(vec![tick(1, -BOUND_10S - 1, 1_010)]);
        assert!(!proves(&under, under.instance().to_vec()));
    }

    #[test]
    fn a_transaction_cannot_be_left_out_of_the_data_hash() {
        let w = witness(vec![price(2, 150, 1_001)]);
        let mut instance = w.instance().to_vec();
        // Claim the slot was padding: the data hash would not move.
        instance[super::super::public::NEXT_DATA_HASH] = w.prev_data_hash;
        assert!(!proves(&w, instance));
    }

    #[test]
    fn zero_price_is_rejected() {
        let w = witness(vec![Some(Transaction::PriceUpdate(PriceUpdate {
            market: MarketId::new(0).unwrap(),
            price: Price::new(0).unwrap(),
            timestamp: Timestamp::new(1_001).unwrap(),
        }))]);
        assert!(!proves(&w, w.instance().to_vec()));
    }

    #[test]
    fn account_touching_types_are_not_yet_provable() {
        let w = witness(vec![Some(Transaction::CoverDeficit(crate::tx::CoverDeficit {
            account: AccountId::new(1).unwrap(),
        }))]);
        assert!(!proves(&w, w.instance().to_vec()));
    }
}
