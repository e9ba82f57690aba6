//! The chunk circuit: `S` transaction slots moving the state from
//! `prev_state_root` to `next_state_root` (PROTOCOL §7).
//!
//! The chunk opens the accounts root, the markets and the globals against
//! `prev_state_root`, carries them as cells through its slots (`slot.rs`, each
//! transaction's rules in `tx/`), and hashes them again into `next_state_root`.
//! The data-hash chain absorbs each non-padding slot's encoding. A batch's first
//! chunk (its chain starts at its own `prev_state_root`) increments
//! `batch_number`. Public inputs: `public.rs`. Design and costs:
//! `docs/CIRCUIT-DESIGN.md`.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};

use super::arith::require_zero;
use super::cost::{metered, Part};
use super::hash::{CircuitHasher, HashedCircuit};
use super::market::{markets_hash, AssignedMarket};
use super::proof::NUM_PUBLIC_INPUTS;
use super::public::data_hash_step_in_circuit;
use super::slot::{self, GlobalCells};
use super::tx::oracle::OracleCarry;
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::witness::ChunkWitness;

/// Lays out the chunk, hashing with `hasher`; returns the public-input cells in
/// [`Instance`] order.
pub fn synthesize(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    w: &ChunkWitness,
) -> Vec<Cell> {
    let gate = range.gate();
    let mut accounts_root = ctx.load_witness(w.accounts_root);
    let (mut markets, g) = metered(Part::StateHashes, ctx, range, |ctx| {
        let markets = w.markets.map(|m| AssignedMarket::load(ctx, range, &m));
        let g = ctx.assign_witnesses(w.globals.fields());
        range.range_check(ctx, g[0], 63);
        range.range_check(ctx, g[1], 63);
        range.range_check(ctx, g[2], 64);
        (markets, g)
    });
    let mut globals = GlobalCells { insurance_fund: g[0], fee_pool: g[1], batch_number: g[2] };
    let root =
        |ctx: &mut Ctx, accounts: Cell, markets: &[AssignedMarket; MARKETS], g: &GlobalCells| {
            metered(Part::StateHashes, ctx, range, |ctx| {
                let m = markets_hash(ctx, range, hasher, markets);
                let gh = hasher.hash(ctx, gate, &g.fields());
                hasher.hash(ctx, gate, &[accounts, m, gh])
            })
        };
    let prev_root = root(ctx, accounts_root, &markets, &globals);
    let prev_data_hash = ctx.load_witness(w.prev_data_hash);
    // "a batch's first chunk increments batch_number": the first chunk is the one
    // whose data-hash chain starts at its own prev_state_root (see `public.rs`).
    let is_first = gate.is_equal(ctx, prev_data_hash, prev_root);
    globals.batch_number = gate.add(ctx, globals.batch_number, is_first);
    range.range_check(ctx, globals.batch_number, 64);

    let mut data_hash = prev_data_hash;
    let mut carry = OracleCarry::none(ctx);
    for slot in &w.slots {
        let (root, enc, is_noop, next) = slot::synthesize(
            ctx,
            range,
            hasher,
            w.depth,
            slot,
            &mut markets,
            &mut globals,
            accounts_root,
            &carry,
        );
        accounts_root = root;
        carry = next;
        data_hash = metered(Part::DataHash, ctx, range, |ctx| {
            data_hash_step_in_circuit(ctx, gate, hasher, data_hash, &enc, is_noop)
        });
    }

    // "an oracle update's continuation is in its chunk".
    require_zero(ctx, gate, carry.is_oracle, "an oracle update is not a chunk's last slot");
    let next_root = root(ctx, accounts_root, &markets, &globals);
    vec![prev_root, next_root, prev_data_hash, data_hash]
}

/// How the chunk circuit proves its hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hashing {
    /// With the Poseidon chip (the production circuit).
    Chip,
    /// With halo2-base's hasher, in halo2-base cells: the circuit before the
    /// chip, kept as the benches' baseline.
    Halo2Base,
}

fn hasher(ctx: &mut Ctx, range: &RangeChip<Fr>, hashing: Hashing) -> CircuitHasher {
    match hashing {
        Hashing::Chip => CircuitHasher::new(ctx, range.gate()),
        Hashing::Halo2Base => CircuitHasher::halo2_base(ctx, range.gate()),
    }
}

/// The chunk circuit laid out for `w`, and the public values it computed. `stage`
/// must not be a prover-only stage for MockProver or keygen.
pub fn builder(stage: CircuitBuilderStage, k: usize, w: &ChunkWitness) -> (HashedCircuit, Vec<Fr>) {
    builder_with(stage, k, w, Hashing::Chip)
}

/// [`builder`] with a choice of [`Hashing`].
pub fn builder_with(
    stage: CircuitBuilderStage,
    k: usize,
    w: &ChunkWitness,
    hashing: Hashing,
) -> (HashedCircuit, Vec<Fr>) {
    let mut builder = BaseCircuitBuilder::from_stage(stage)
        .use_k(k)
        .use_lookup_bits(k - 1)
        .use_instance_columns(1);
    let range = builder.range_chip();
    let ctx = builder.main(0);
    let hasher = hasher(ctx, &range, hashing);
    let public = synthesize(ctx, &range, &hasher, w);
    assert_eq!(public.len(), NUM_PUBLIC_INPUTS);
    let values = public.iter().map(|c| *c.value()).collect();
    builder.assigned_instances[0].extend(public);
    super::fit_columns(&mut builder);
    (HashedCircuit::new(builder, &hasher), values)
}

/// A witness-generation-only circuit pinned to a proving key's configuration
/// (`config` and `break_points` from the keygen builder).
pub fn prover_builder(
    config: halo2_base::gates::circuit::BaseCircuitParams,
    break_points: halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints,
    w: &ChunkWitness,
) -> HashedCircuit {
    prover_builder_with(config, break_points, w, Hashing::Chip)
}

/// [`prover_builder`] with a choice of [`Hashing`].
pub fn prover_builder_with(
    config: halo2_base::gates::circuit::BaseCircuitParams,
    break_points: halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints,
    w: &ChunkWitness,
    hashing: Hashing,
) -> HashedCircuit {
    let mut builder = BaseCircuitBuilder::prover(config, break_points);
    if builder.assigned_instances.is_empty() {
        builder.assigned_instances.push(Vec::new());
    }
    let range = builder.range_chip();
    let ctx = builder.main(0);
    let hasher = hasher(ctx, &range, hashing);
    let public = synthesize(ctx, &range, &hasher, w);
    builder.assigned_instances[0].extend(public);
    HashedCircuit::new(builder, &hasher)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearproof_protocol::instance::Instance;
    use clearproof_protocol::oracle::Committee;
    use clearproof_protocol::signature::SecretKey;
    use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
    use clearproof_protocol::tx::Effect;
    use clearproof_protocol::tx::*;
    use clearproof_protocol::types::*;
    use clearproof_protocol::witness::{chunk_ranges, chunk_witnesses, slots_taken, SlotWitness};
    use halo2_base::halo2_proofs::dev::MockProver;

    const K: usize = 17;
    const DEPTH: usize = 8;
    const SLOTS: usize = 4;
    const T0: u64 = 1_000;

    fn key(i: u8) -> SecretKey {
        SecretKey::from_bytes([i; 32]).unwrap()
    }

    /// The test keys ([`SignedTx::exact`] signs with them).
    fn keys() -> &'static KeyRing {
        static KEYS: std::sync::OnceLock<KeyRing> = std::sync::OnceLock::new();
        KEYS.get_or_init(|| KeyRing::new((1..=255).map(key)))
    }

    /// A fresh order id for each fill (ids only grow, as a client's would).
    fn order_id() -> clearproof_protocol::orders::OrderId {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        clearproof_protocol::orders::OrderId::new(id).unwrap()
    }

    /// `tx` signed against `state` with the test keys.
    fn signed(state: &State, tx: &Transaction) -> SignedTx {
        SignedTx::exact(state, tx.clone(), keys())
    }

    /// Market 1's oracle committee: `key(200)` to `key(203)`, quorum 3,
    /// observations at most 60 s apart (the other markets: `key(200)` alone).
    fn committee() -> Committee {
        let members: Vec<_> = (200..204).map(|i| key(i).public_key()).collect();
        Committee::new(&members, Quorum::new(3).unwrap(), Seconds::new(60).unwrap()).unwrap()
    }

    fn params() -> [MarketParams; MARKETS] {
        let rate = FundingRate::new(4_294_967).unwrap();
        std::array::from_fn(|m| {
            let committee =
                if m == 1 { committee() } else { Committee::single(key(200).public_key()) };
            MarketParams::standard(committee, rate)
        })
    }

    fn n(x: i128) -> Amount {
        Amount::new(x).unwrap()
    }

    fn id(i: u32) -> AccountId {
        AccountId::new(i as i128).unwrap()
    }

    fn mkt(m: u8) -> MarketId {
        MarketId::new(m as i128).unwrap()
    }

    fn deposit(account: u32, owner: u8, amount: i128) -> Transaction {
        Transaction::Deposit(Deposit {
            account: id(account),
            owner: key(owner).public_key(),
            amount: n(amount),
        })
    }

    fn withdraw(account: u32, amount: i128, nonce: i128) -> Transaction {
        Transaction::Withdraw(Withdraw {
            account: id(account),
            amount: n(amount),
            nonce: Nonce::new(nonce).unwrap(),
        })
    }

    fn forced(account: u32, amount: i128, outcome: ForcedOutcome) -> Transaction {
        Transaction::ForcedWithdraw(ForcedWithdraw {
            account: id(account),
            amount: n(amount),
            outcome,
        })
    }

    fn trade(
        m: u8,
        buyer: u32,
        seller: u32,
        base: i128,
        quote: i128,
        bf: i128,
        sf: i128,
    ) -> Transaction {
        Transaction::Trade(Trade {
            market: mkt(m),
            buyer: id(buyer),
            seller: id(seller),
            base: n(base),
            quote: n(quote),
            buyer_fee: Quote::new(bf).unwrap(),
            seller_fee: Quote::new(sf).unwrap(),
            buyer_order_id: order_id(),
            seller_order_id: order_id(),
        })
    }

    fn liquidate(
        m: u8,
        victim: u32,
        liquidator: u32,
        base: i128,
        quote: i128,
        penalty: i128,
    ) -> Transaction {
        Transaction::Liquidate(Liquidate {
            market: mkt(m),
            liquidated: id(victim),
            liquidator: id(liquidator),
            base: n(base),
            quote: n(quote),
            penalty: Quote::new(penalty).unwrap(),
            liquidator_order_id: order_id(),
        })
    }

    /// Frank's (6) buy order of batch 1: 900 lots, filled in full; slot 232.
    const FRANK_ORDER: u64 = 1_000;

    /// A trade with the order ids `buyer` and `seller`.
    fn with_ids(tx: Transaction, buyer: u64, seller: u64) -> Transaction {
        let Transaction::Trade(mut t) = tx else { unreachable!("a trade") };
        t.buyer_order_id = clearproof_protocol::orders::OrderId::new(buyer).unwrap();
        t.seller_order_id = clearproof_protocol::orders::OrderId::new(seller).unwrap();
        Transaction::Trade(t)
    }

    fn deleverage(m: u8, bankrupt: u32, counterparty: u32, base: i128, quote: i128) -> Transaction {
        Transaction::Deleverage(Deleverage {
            market: mkt(m),
            bankrupt: id(bankrupt),
            counterparty: id(counterparty),
            base: n(base),
            quote: n(quote),
        })
    }

    fn price(m: u8, units: u32, ts: u64) -> Transaction {
        Transaction::PriceUpdate(PriceUpdate {
            market: mkt(m),
            price: Price::from_units(units),
            timestamp: Timestamp::new(ts as i128).unwrap(),
        })
    }

    fn tick(m: u8, index: i128, ts: u64) -> Transaction {
        Transaction::FundingTick(FundingTick {
            market: mkt(m),
            index: FundingIndex::new(index).unwrap(),
            timestamp: Timestamp::new(ts as i128).unwrap(),
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
    fn setup() -> (State, Vec<Transaction>) {
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
    type Forgery<'a> = (usize, Transaction, &'a dyn Fn(&State) -> Effect);

    /// Batch 2's chunks, with transaction `at` replaced by a forged one whose
    /// effect is written without any rule checked (built from the state at that
    /// point). Every other part of the witness stays consistent — paths, earlier
    /// and later slots — so a proof can only fail on the forged rule.
    fn replay(forced: Option<Forgery<'_>>) -> Vec<ChunkWitness> {
        replay_in(forced, SLOTS)
    }

    /// [`replay`] cut into chunks of `slots` slots.
    fn replay_in(forced: Option<Forgery<'_>>, slots: usize) -> Vec<ChunkWitness> {
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
    fn forged_two_slots() -> ChunkWitness {
        let effect = withdraw_effect(2, 13_000);
        let chunk = position_in(7, 2).0;
        replay_in(Some((7, withdraw(2, 13_000, 0), &effect)), 2).swap_remove(chunk)
    }

    fn proven_batch() -> Vec<ChunkWitness> {
        replay(None)
    }

    /// Batch 2 cut into two-slot chunks (the fewest an oracle update needs).
    fn two_slot_chunks() -> Vec<ChunkWitness> {
        let (mut state, txs) = setup();
        let out = state.apply_batch_signed(&txs, keys());
        chunk_witnesses(&out, 2)
    }

    /// One candidate transaction of a random batch: a kind and raw numbers that
    /// [`candidate`] turns into a transaction against the current state.
    type Intent = (u8, u32, u32, u8, u32, u32);

    /// The transaction an intent names (the native applier may still reject it).
    fn candidate(
        state: &State,
        (kind, a, b, m, x, y): Intent,
        ts: &mut u64,
        nonces: &std::collections::HashMap<u32, i128>,
    ) -> Transaction {
        let units = (state.market(mkt(m)).state.price.get() >> 32) as i128;
        let (x, y) = (i128::from(x), i128::from(y));
        match kind {
            0 => deposit(a + 2, (b + 2) as u8, 1 + x % 50_000),
            1 => withdraw(a, 1 + x % 2_000, nonces.get(&a).copied().unwrap_or(0)),
            2 => {
                *ts += 1;
                price(m, ((units * (90 + x % 20) / 100).max(1)) as u32, *ts)
            }
            3 => {
                *ts += 1;
                let index = state.market(mkt(m)).state.funding_index.get() as i128;
                tick(m, index + x % 2_000_000 - 1_000_000, *ts)
            }
            4 => Transaction::CoverDeficit(CoverDeficit { account: id(a) }),
            _ => {
                let lots = 1 + x % 49;
                let quote = lots * units * (96 + y % 9) / 100;
                trade(m, a, b, lots, quote.max(1), y % 3, (x + y) % 3)
            }
        }
    }

    /// A trade of `base` lots at 100 per lot between Bob (2, selling) and Carol
    /// (3, buying) filling their orders `buy` and `sell` of `size` lots each.
    fn partial_fill(buy: u64, sell: u64, size: i128, base: i128) -> SignedTx {
        use clearproof_protocol::orders::{Order, OrderId, Side};
        let order = |account: u32, side, order_id: u64| {
            Order {
                account: id(account),
                market: mkt(1),
                side,
                size: n(size),
                limit_price: Price::from_units(100),
                max_fee_bp: Bps::new(0).unwrap(),
                expiry: Timestamp::new((1 << 40) - 1).unwrap(),
                order_id: OrderId::new(order_id).unwrap(),
            }
            .sign(&key(account as u8))
        };
        let tx = Trade {
            market: mkt(1),
            buyer: id(3),
            seller: id(2),
            base: n(base),
            quote: n(100 * base),
            buyer_fee: Quote::ZERO,
            seller_fee: Quote::ZERO,
            buyer_order_id: OrderId::new(buy).unwrap(),
            seller_order_id: OrderId::new(sell).unwrap(),
        };
        let orders = vec![order(3, Side::Buy, buy), order(2, Side::Sell, sell)];
        SignedTx::new(tx, Authority::Orders { orders })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Random partial fills of a few orders (ids sharing slots, so newer
        /// orders replace older ones): natively no order is ever filled beyond
        /// its size or after it was replaced, and every chunk of the batch is
        /// proven with the native roots (the circuit moves the order slots
        /// exactly as the native rule does, and refuses nothing it applied).
        #[test]
        fn random_partial_fills_never_overfill_and_are_proven_with_native_roots(
            fills in proptest::collection::vec((0..3u64, 0..2u64, 1..12i128), 8)
        ) {
            const SIZE: i128 = 20;
            let (mut state, _) = setup();
            let mut batch = state.begin_batch();
            let mut filled = std::collections::BTreeMap::<u64, i128>::new();
            for (order, generation, base) in fills {
                // Two ids per slot: `order` and `order + 256·generation`.
                let buy = 10 + order + 256 * generation;
                let sell = 20 + order + 256 * generation;
                let fill = partial_fill(buy, sell, SIZE, base);
                if batch.apply(&mut state, &fill).is_ok() {
                    for id in [buy, sell] {
                        let total = filled.entry(id).or_default();
                        *total += base;
                        proptest::prop_assert!(*total <= SIZE, "order {} overfilled", id);
                    }
                }
            }
            let out = batch.close(&state);
            eprintln!("{} of 8 fills applied (the rest overfill or revive an order)", out.witnesses.len());
            proptest::prop_assert!(!out.witnesses.is_empty(), "the first fill always applies");
            for (i, w) in chunk_witnesses(&out, SLOTS).iter().enumerate() {
                let (ok, outputs) = mock(w, Some(w.instance.to_vec()));
                proptest::prop_assert_eq!(&outputs, &w.instance.to_vec(), "chunk {}", i);
                proptest::prop_assert!(ok, "chunk {} of the fills must be satisfied", i);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 3,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Random valid batches from the native applier (candidates it rejects are
        /// simply not in the batch), two batches in a row: every chunk is satisfied
        /// and its public inputs are the native roots and data hashes.
        #[test]
        fn random_native_batches_are_proven_with_native_roots(
            batches in proptest::collection::vec(
                proptest::collection::vec(
                    (0..10u8, 1..=7u32, 1..=7u32, 0..4u8, proptest::prelude::any::<u32>(),
                     proptest::prelude::any::<u32>()),
                    20,
                ),
                2,
            )
        ) {
            let (mut state, _) = setup();
            let mut ts = T0 + 100;
            let mut nonces = std::collections::HashMap::<u32, i128>::new();
            for intents in batches {
                let mut batch = state.begin_batch();
                for intent in intents {
                    let tx = signed(&state, &candidate(&state, intent, &mut ts, &nonces));
                    if let Ok(w) = batch.apply(&mut state, &tx) {
                        if let Transaction::Withdraw(wd) = &w.tx {
                            *nonces.entry(wd.account.get()).or_insert(0) += 1;
                        }
                    }
                }
                let out = batch.close(&state);
                let kinds: Vec<_> = out.applied().map(Transaction::name).collect();
                eprintln!("{} of 20 candidates applied: {kinds:?}", kinds.len());
                let chunks = chunk_witnesses(&out, SLOTS);
                for (i, w) in chunks.iter().enumerate() {
                    let (ok, outputs) = mock(w, Some(w.instance.to_vec()));
                    proptest::prop_assert_eq!(&outputs, &w.instance.to_vec(), "chunk {}", i);
                    proptest::prop_assert!(ok, "chunk {} of a valid batch must be satisfied", i);
                }
                proptest::prop_assert_eq!(chunks[0].instance.prev_state_root, out.prev_state_root);
                let last = chunks.last().unwrap().instance;
                proptest::prop_assert_eq!(last.next_state_root, out.next_state_root);
                proptest::prop_assert_eq!(last.next_data_hash, out.data_hash);
            }
        }
    }

    /// An empty batch is one chunk of no-ops that only increments `batch_number`;
    /// without the increment its next root would be its previous one.
    #[test]
    fn an_empty_batch_increments_the_batch_number() {
        let (mut state, _) = setup();
        let out = state.apply_batch(&[]);
        let chunks = chunk_witnesses(&out, SLOTS);
        assert_eq!(chunks.len(), 1);
        let w = &chunks[0];
        let (ok, outputs) = mock(w, Some(w.instance.to_vec()));
        assert!(ok);
        assert_eq!(
            outputs,
            Instance {
                prev_state_root: out.prev_state_root,
                next_state_root: out.header_state_root,
                prev_data_hash: out.prev_state_root,
                next_data_hash: out.prev_state_root,
            }
            .to_vec()
        );
        assert_ne!(out.header_state_root, out.prev_state_root);
        let mut skipped = w.instance;
        skipped.next_state_root = out.prev_state_root;
        assert!(!mock(w, Some(skipped.to_vec())).0, "the increment cannot be skipped");
    }

    /// The chunk whose chain starts at its own root (the first) increments; later
    /// chunks, whose chain does not, are satisfied with the native roots without
    /// it; and a first chunk claiming the root it would reach without the increment
    /// does not verify.
    #[test]
    fn the_batch_number_increments_exactly_in_the_first_chunk() {
        let chunks = proven_batch();
        let first = &chunks[0];
        let second = &chunks[1];
        assert!(mock(first, Some(first.instance.to_vec())).0);
        assert!(mock(second, Some(second.instance.to_vec())).0);
        // The first chunk without its increment: the root it would reach instead.
        let mut unbumped = first.clone();
        unbumped.prev_data_hash = Fr::zero();
        let (_, outputs) = mock(&unbumped, None);
        let mut claim = first.instance;
        claim.next_state_root = outputs[super::super::proof::NEXT_STATE_ROOT];
        assert_ne!(claim.next_state_root, first.instance.next_state_root);
        assert!(!mock(first, Some(claim.to_vec())).0, "the first chunk must increment");
    }

    #[test]
    fn real_keygen_prove_verify_with_a_development_srs() {
        use super::super::proof::{CircuitParams, Proof, ProofError, ProvingKey, Srs};

        let chunks = two_slot_chunks();
        let k = 16;
        let srs = Srs::insecure_dev(k as u32);
        // Keys from a chunk of no-ops prove a trade: the circuit's shape does not
        // depend on the transaction type.
        let keys =
            ProvingKey::generate(&srs, &CircuitParams { depth: DEPTH, slots: 2, k: k as u32 })
                .unwrap();
        let vk = keys.vk();
        let (chunk, slot) = position_in(8, 2);
        let trade = &chunks[chunk];
        assert!(matches!(trade.slots[slot].tx, Some(Transaction::Trade(_))));
        // So does an oracle update with its continuation (four observations).
        let (chunk, slot) = position_in(5, 2);
        let update = &chunks[chunk];
        assert!(matches!(update.slots[slot].tx, Some(Transaction::PriceUpdate(_))));
        let proof = keys.prove(&srs, update).unwrap();
        vk.verify(&srs, &proof, &update.instance).unwrap();
        let proof = keys.prove(&srs, trade).unwrap();
        vk.verify(&srs, &proof, &trade.instance).unwrap();
        assert_eq!(proof.len(), vk.proof_len(), "the proof length is a function of the vk");
        let mut wrong = trade.instance;
        wrong.next_state_root += Fr::one();
        assert_eq!(vk.verify(&srs, &proof, &wrong), Err(ProofError::Invalid));
        // Bytes appended to a valid proof, or cut from it, are refused.
        let mut longer = proof.as_bytes().to_vec();
        longer.push(0);
        let longer = Proof::from_bytes(longer);
        let err = vk.verify(&srs, &longer, &trade.instance).unwrap_err();
        assert_eq!(err.code(), "WRONG_PROOF_LENGTH", "{err}");
        let shorter = Proof::from_bytes(proof.as_bytes()[..proof.len() - 32].to_vec());
        assert!(matches!(
            vk.verify(&srs, &shorter, &trade.instance),
            Err(ProofError::WrongLength { .. })
        ));
        assert!(!vk.verify_all(&srs, [(&longer, &trade.instance)]));
        // A witness that breaks a rule yields a proof that does not verify.
        let forged = forged_two_slots();
        assert!(!rules_hold(&forged));
        let bad = keys.prove(&srs, &forged).unwrap();
        assert_eq!(vk.verify(&srs, &bad, &forged.instance), Err(ProofError::Invalid));
        assert!(vk.verify_all(&srs, [(&proof, &trade.instance)]));
        assert!(!vk.verify_all(&srs, [(&proof, &trade.instance), (&bad, &forged.instance)]));
        eprintln!("chunk of 2 slots at depth {DEPTH}, k = {k}: proof {} bytes", proof.len());
    }

    /// Where batch 2's transaction `at` is laid out: (chunk, slot). Oracle
    /// updates take two slots ([`chunk_ranges`]).
    fn position(at: usize) -> (usize, usize) {
        position_in(at, SLOTS)
    }

    /// [`position`] in chunks of `slots` slots.
    fn position_in(at: usize, slots: usize) -> (usize, usize) {
        let (_, txs) = setup();
        let kinds: Vec<TxKind> = txs.iter().map(Transaction::kind).collect();
        let ranges = chunk_ranges(&kinds, slots);
        let chunk = ranges.iter().position(|r| r.contains(&at)).expect("a transaction of batch 2");
        let slot = kinds[ranges[chunk].start..at].iter().map(|k| slots_taken(*k)).sum();
        (chunk, slot)
    }

    /// The chunk holding transaction `at`, forged.
    fn forged(at: usize, tx: Transaction, effect: impl Fn(&State) -> Effect) -> ChunkWitness {
        replay(Some((at, tx, &effect))).swap_remove(position(at).0)
    }

    fn settled(s: &State, account: u32) -> clearproof_protocol::state::Account {
        clearproof_protocol::funding::settle(s.account(id(account)).unwrap(), s.markets()).unwrap()
    }

    /// The effect a withdrawal would have if no rule were checked.
    fn withdraw_effect(account: u32, amount: i128) -> impl Fn(&State) -> Effect {
        move |s| {
            let mut a = settled(s, account);
            a.collateral = a.collateral.checked_sub(amount).unwrap();
            a.nonce = a.nonce.next().unwrap();
            Effect { accounts: vec![(id(account), a)], ..Effect::default() }
        }
    }

    /// An order slot after a fill of `base`, no slot rule checked.
    fn unchecked_fill(
        s: &State,
        account: AccountId,
        order: clearproof_protocol::orders::OrderId,
        base: Amount,
    ) -> clearproof_protocol::orders::Slot {
        let id = order.get();
        let same = s.order_slots(account).slot(id).filter(|x| x.order_id == id);
        clearproof_protocol::orders::Slot {
            order_id: id,
            filled: same.map_or(0, |x| x.filled) + base.get(),
        }
    }

    /// The effect a trade would have if no rule were checked.
    fn trade_effect(t: Transaction) -> impl Fn(&State) -> Effect {
        move |s| {
            let Transaction::Trade(t) = &t else { unreachable!() };
            let (b, q) = (t.base.wide(), t.quote.wide());
            let buyer = settled(s, t.buyer.get());
            let seller = settled(s, t.seller.get());
            let buyer = clearproof_protocol::testing::moved(
                &buyer,
                t.market,
                b,
                -(q + t.buyer_fee.get() as i128),
            )
            .unwrap();
            let seller = clearproof_protocol::testing::moved(
                &seller,
                t.market,
                -b,
                q - t.seller_fee.get() as i128,
            )
            .unwrap();
            let mut globals = *s.globals();
            globals.fee_pool = globals
                .fee_pool
                .checked_add(t.buyer_fee.get() as i128 + t.seller_fee.get() as i128)
                .unwrap();
            Effect {
                accounts: vec![(t.buyer, buyer), (t.seller, seller)],
                globals: Some(globals),
                order_fills: vec![
                    (t.buyer, unchecked_fill(s, t.buyer, t.buyer_order_id, t.base)),
                    (t.seller, unchecked_fill(s, t.seller, t.seller_order_id, t.base)),
                ],
                ..Effect::default()
            }
        }
    }

    /// A forged trade at index 8.
    fn forged_trade(t: Transaction) -> ChunkWitness {
        forged(8, t.clone(), trade_effect(t))
    }

    /// The effect a liquidation would have if no rule were checked (direction
    /// from the liquidated position's sign, as in the native rule).
    fn liquidation_effect(t: Transaction) -> impl Fn(&State) -> Effect {
        move |s| {
            let Transaction::Liquidate(l) = &t else { unreachable!() };
            let victim = settled(s, l.liquidated.get());
            let liquidator = settled(s, l.liquidator.get());
            let sign: i128 = if victim.balances[l.market.index()].get() >= 0 { 1 } else { -1 };
            let (b, q, p) = (l.base.wide(), l.quote.wide(), l.penalty.get() as i128);
            let victim =
                clearproof_protocol::testing::moved(&victim, l.market, -sign * b, sign * q - p)
                    .unwrap();
            let liquidator =
                clearproof_protocol::testing::moved(&liquidator, l.market, sign * b, -sign * q)
                    .unwrap();
            let mut globals = *s.globals();
            globals.insurance_fund = globals.insurance_fund.checked_add(p).unwrap();
            Effect {
                accounts: vec![(l.liquidated, victim), (l.liquidator, liquidator)],
                globals: Some(globals),
                order_fills: vec![(
                    l.liquidator,
                    unchecked_fill(s, l.liquidator, l.liquidator_order_id, l.base),
                )],
                ..Effect::default()
            }
        }
    }

    /// The effect a deleverage would have if no rule were checked.
    fn deleverage_effect(t: Transaction) -> impl Fn(&State) -> Effect {
        move |s| {
            let Transaction::Deleverage(d) = &t else { unreachable!() };
            let bankrupt = settled(s, d.bankrupt.get());
            let other = settled(s, d.counterparty.get());
            let sign: i128 = if bankrupt.balances[d.market.index()].get() >= 0 { 1 } else { -1 };
            let (b, q) = (d.base.wide(), d.quote.wide());
            let bankrupt =
                clearproof_protocol::testing::moved(&bankrupt, d.market, -sign * b, sign * q)
                    .unwrap();
            let other =
                clearproof_protocol::testing::moved(&other, d.market, sign * b, -sign * q).unwrap();
            Effect {
                accounts: vec![(d.bankrupt, bankrupt), (d.counterparty, other)],
                ..Effect::default()
            }
        }
    }

    /// A forged deleverage at index 10.
    fn forged_deleverage(t: Transaction) -> ChunkWitness {
        forged(10, t.clone(), deleverage_effect(t))
    }

    /// A forged liquidation at index 3.
    fn forged_liquidation(t: Transaction) -> ChunkWitness {
        forged(3, t.clone(), liquidation_effect(t))
    }

    fn mock(w: &ChunkWitness, instance: Option<Vec<Fr>>) -> (bool, Vec<Fr>) {
        let (b, outputs) = builder(CircuitBuilderStage::Mock, K, w);
        let instance = instance.unwrap_or_else(|| outputs.clone());
        let result = MockProver::run(K as u32, &b, vec![instance]).unwrap().verify();
        if let Err(errors) = &result {
            if std::env::var("CHUNK_DEBUG").is_ok() {
                for e in errors.iter().take(3) {
                    eprintln!("{e:?}");
                }
            }
        }
        (result.is_ok(), outputs)
    }

    /// Satisfied with the circuit's own outputs as public inputs: a failure can
    /// only come from a rule constraint, not from a public-input mismatch.
    fn rules_hold(w: &ChunkWitness) -> bool {
        mock(w, None).0
    }

    /// MockProver refuses `w`, and `rule` is among the named rules its witness
    /// violates: the negative test fails for the rule it names.
    fn assert_rejected_by(w: &ChunkWitness, rule: &str) {
        let mut holds = true;
        let violated = super::super::arith::violations_of(|| holds = rules_hold(w));
        assert!(!holds, "the circuit accepts a witness that breaks {rule:?}");
        assert!(
            violated.contains(&rule),
            "expected {rule:?} to fail; the witness breaks {violated:?}"
        );
    }

    #[test]
    fn chunks_match_the_native_applier() {
        let chunks = proven_batch();
        // 14 transactions, three of them oracle updates of two slots each.
        assert_eq!(chunks.len(), 5);
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].instance.next_state_root, pair[1].instance.prev_state_root);
            assert_eq!(pair[0].instance.next_data_hash, pair[1].instance.prev_data_hash);
        }
        for (i, w) in chunks.iter().enumerate() {
            let (ok, outputs) = mock(w, Some(w.instance.to_vec()));
            assert_eq!(outputs, w.instance.to_vec(), "chunk {i} computes the native public inputs");
            assert!(ok, "chunk {i} is satisfied");
        }
    }

    #[test]
    fn a_public_input_that_does_not_match_is_rejected() {
        let w = &proven_batch()[0];
        for i in 0..NUM_PUBLIC_INPUTS {
            let mut instance = w.instance.to_vec();
            instance[i] += Fr::one();
            assert!(!mock(w, Some(instance)).0, "public input {i}");
        }
    }

    /// Batch 2's transaction `at` with its slot witness changed by `f`.
    fn tampered_tx(at: usize, f: impl FnOnce(&mut SlotWitness)) -> ChunkWitness {
        let (chunk, slot) = position(at);
        tampered(chunk, slot, f)
    }

    /// Replaces slot `slot` of chunk `chunk`'s transaction.
    fn tampered(chunk: usize, slot: usize, f: impl FnOnce(&mut SlotWitness)) -> ChunkWitness {
        let mut w = proven_batch().swap_remove(chunk);
        f(&mut w.slots[slot]);
        w
    }

    /// The effect of an oracle transaction on its market, unchecked.
    fn oracle_effect(tx: Transaction) -> impl Fn(&State) -> Effect {
        move |s| {
            let (m, state) = match &tx {
                Transaction::PriceUpdate(p) => {
                    let mut st = s.market(p.market).state;
                    st.price = p.price;
                    st.price_ts = p.timestamp;
                    (p.market, st)
                }
                Transaction::FundingTick(f) => {
                    let mut st = s.market(f.market).state;
                    st.funding_index = f.index;
                    st.funding_ts = f.timestamp;
                    (f.market, st)
                }
                _ => unreachable!(),
            };
            Effect { market: Some((m, state)), ..Effect::default() }
        }
    }

    /// Batch 2, transaction 5 (a price update) or 6 (a funding tick), forged.
    fn forged_oracle(at: usize, tx: Transaction) -> ChunkWitness {
        forged(at, tx.clone(), oracle_effect(tx))
    }

    #[test]
    fn withdrawal_leaving_negative_collateral_is_rejected() {
        // Carol (collateral 920 800) in batch 2, transaction 2.
        assert!(rules_hold(&forged(2, withdraw(3, 1_000, 0), withdraw_effect(3, 1_000))));
        assert_rejected_by(
            &forged(2, withdraw(3, 2_000_000, 0), withdraw_effect(3, 2_000_000)),
            "withdrawal leaves collateral ≥ 0",
        );
    }

    #[test]
    fn withdrawal_below_initial_margin_is_rejected() {
        // Bob: TV 20 800 − funding, requirement 7 920 at 88: 13 000 leaves too little
        // while collateral stays positive.
        assert!(rules_hold(&forged(7, withdraw(2, 5_000, 0), withdraw_effect(2, 5_000))));
        assert_rejected_by(
            &forged(7, withdraw(2, 13_000, 0), withdraw_effect(2, 13_000)),
            "withdrawal leaves the account healthy at im",
        );
    }

    #[test]
    fn withdrawal_with_a_wrong_nonce_is_rejected() {
        assert_rejected_by(
            &forged(7, withdraw(2, 5_000, 1), withdraw_effect(2, 5_000)),
            "withdrawal nonce matches",
        );
    }

    #[test]
    fn every_transaction_of_the_proven_batch_applies() {
        let (mut state, txs) = setup();
        let out = state.apply_batch_signed(&txs, keys());
        let rejected: Vec<_> = out
            .receipts
            .iter()
            .enumerate()
            .filter(|(_, r)| !matches!(r, clearproof_protocol::batch::Receipt::Applied { .. }))
            .collect();
        assert!(rejected.is_empty(), "{rejected:?}");
    }

    /// The leaf left as it is: a refused forced withdrawal's effect.
    fn unchanged(account: u32) -> impl Fn(&State) -> Effect {
        move |s| Effect {
            accounts: vec![(id(account), *s.account(id(account)).unwrap())],
            ..Effect::default()
        }
    }

    /// A forced withdrawal's debit, no rule checked (nonce unchanged).
    fn forced_effect(account: u32, amount: i128) -> impl Fn(&State) -> Effect {
        move |s| {
            let mut a = settled(s, account);
            a.collateral = a.collateral.checked_sub(amount).unwrap();
            Effect { accounts: vec![(id(account), a)], ..Effect::default() }
        }
    }

    #[test]
    fn refusing_a_valid_forced_withdrawal_is_rejected() {
        use ForcedOutcome::*;
        // Honest outcomes hold; Carol's valid request cannot be refused either way.
        assert!(rules_hold(&forged(11, forced(3, 1_000, Applied), forced_effect(3, 1_000))));
        for refusal in [RefusedNegativeCollateral, RefusedUndercollateralised] {
            assert_rejected_by(
                &forged(11, forced(3, 1_000, refusal), unchanged(3)),
                "forced withdrawal outcome is the rule's",
            );
        }
    }

    #[test]
    fn applying_an_invalid_forced_withdrawal_or_the_wrong_refusal_is_rejected() {
        use ForcedOutcome::*;
        assert!(rules_hold(&forged(
            12,
            forced(2, 13_000, RefusedUndercollateralised),
            unchanged(2)
        )));
        let cases = [
            (12, forced(2, 13_000, Applied), forced_effect(2, 13_000)),
            (13, forced(4, 10_000_000, Applied), forced_effect(4, 10_000_000)),
        ];
        for (at, tx, effect) in cases {
            assert_rejected_by(&forged(at, tx, effect), "forced withdrawal outcome is the rule's");
        }
        // The refusal must be the first failing precondition.
        assert_rejected_by(
            &forged(13, forced(4, 10_000_000, RefusedUndercollateralised), unchanged(4)),
            "forced withdrawal outcome is the rule's",
        );
        assert_rejected_by(
            &forged(12, forced(2, 13_000, RefusedNegativeCollateral), unchanged(2)),
            "forced withdrawal outcome is the rule's",
        );
    }

    #[test]
    fn deposit_to_an_account_owned_by_another_key_is_rejected() {
        let effect = |s: &State| {
            let mut a = settled(s, 4);
            a.owner = key(9).public_key();
            a.collateral = a.collateral.checked_add(500).unwrap();
            Effect { accounts: vec![(id(4), a)], ..Effect::default() }
        };
        assert_rejected_by(
            &forged(1, deposit(4, 9, 500), effect),
            "deposit owner matches the account",
        );
    }

    #[test]
    fn cover_deficit_on_an_account_with_open_positions_is_rejected() {
        // Bob is short 900 (and, as it happens, not in deficit either).
        let effect = |s: &State| {
            let mut bob = settled(s, 2);
            let mut globals = *s.globals();
            globals.insurance_fund =
                globals.insurance_fund.checked_add(bob.collateral.get() as i128).unwrap();
            bob.collateral = Collateral::ZERO;
            Effect { accounts: vec![(id(2), bob)], globals: Some(globals), ..Effect::default() }
        };
        let cover_bob = Transaction::CoverDeficit(CoverDeficit { account: id(2) });
        assert_rejected_by(&forged(7, cover_bob, effect), "covered account has no open position");
    }

    #[test]
    fn wrong_sibling_is_rejected() {
        assert_rejected_by(
            &tampered(0, 1, |s| {
                s.accounts[0].path.siblings[3] += Fr::one();
            }),
            "account is a member of the running root",
        );
    }

    #[test]
    fn wrong_leaf_field_is_rejected() {
        assert_rejected_by(
            &tampered(0, 2, |s| {
                let before = s.accounts[0].before.as_mut().unwrap();
                before.collateral = before.collateral.checked_add(1).unwrap();
            }),
            "account is a member of the running root",
        );
    }

    #[test]
    fn oracle_timestamp_not_increasing_is_rejected() {
        // Market 0's funding timestamp and market 1's price timestamp are both T0.
        assert!(rules_hold(&forged_oracle(6, tick(0, 3_000_000, T0 + 1))));
        assert_rejected_by(&forged_oracle(6, tick(0, 3_000_000, T0)), "funding timestamp is newer");
        assert!(rules_hold(&forged_oracle(5, price(1, 101, T0 + 1))));
        assert_rejected_by(&forged_oracle(5, price(1, 101, T0)), "price timestamp is newer");
    }

    #[test]
    fn funding_tick_exceeding_the_rate_bound_is_rejected() {
        // Market 0 at 88 over 10 s: |Δ| ≤ rate·88·10.
        let bound = 4_294_967i128 * 88 * 10;
        assert!(rules_hold(&forged_oracle(6, tick(0, bound, T0 + 10))));
        assert!(rules_hold(&forged_oracle(6, tick(0, -bound, T0 + 10))));
        assert_rejected_by(
            &forged_oracle(6, tick(0, bound + 1, T0 + 10)),
            "funding index within the rate bound",
        );
        assert_rejected_by(
            &forged_oracle(6, tick(0, -bound - 1, T0 + 10)),
            "funding index within the rate bound",
        );
    }

    /// Batch 2's price update of market 1 (transaction 5) claiming `price` at
    /// `ts`, authorised by members `(signer, price, ts)` of market 1's committee
    /// (`key(200 + signer)`), each signing its own observation.
    fn quorum_of(price: u64, ts: u64, observed: &[(u8, u64, u64)]) -> ChunkWitness {
        let claimed = Transaction::PriceUpdate(PriceUpdate {
            market: mkt(1),
            price: Price::new(price as i128).unwrap(),
            timestamp: Timestamp::new(ts as i128).unwrap(),
        });
        let mut w = forged_oracle(5, claimed);
        let (_, slot) = position(5);
        w.slots[slot].auth = Authority::PriceQuorum { observations: observations_of(observed) };
        w
    }

    /// Market 1's members' price observations `(signer, price, ts)`, each
    /// signed by `key(200 + signer)`.
    fn observations_of(
        observed: &[(u8, u64, u64)],
    ) -> Vec<clearproof_protocol::oracle::Observation<Price>> {
        observed
            .iter()
            .map(|&(i, value, at)| {
                clearproof_protocol::oracle::Observation::sign(
                    &key(200 + i),
                    OracleIndex::new(i as i128).unwrap(),
                    mkt(1),
                    Price::new(value as i128).unwrap(),
                    Timestamp::new(at as i128).unwrap(),
                )
            })
            .collect()
    }

    const V: u64 = 101 << 32;

    #[test]
    fn an_update_is_the_lower_median_of_a_quorum_at_its_earliest_timestamp() {
        // Four observations: the lower median of [V, V, V + 10, V + 20] is V.
        let spread = [(0, V + 10, T0 + 3), (1, V, T0 + 2), (2, V + 20, T0 + 4), (3, V, T0 + 5)];
        assert!(rules_hold(&quorum_of(V, T0 + 2, &spread)));
        assert_rejected_by(&quorum_of(V + 1, T0 + 2, &spread), "oracle value not above the median");
        assert_rejected_by(&quorum_of(V - 1, T0 + 2, &spread), "oracle value not below the median");
        // Three observations: the median of [V, V + 10, V + 20] is V + 10.
        assert!(rules_hold(&quorum_of(V + 10, T0 + 2, &spread[..3])));
        assert_rejected_by(
            &quorum_of(V + 11, T0 + 2, &spread[..3]),
            "oracle value not above the median",
        );
        assert_rejected_by(
            &quorum_of(V + 9, T0 + 2, &spread[..3]),
            "oracle value not below the median",
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 8,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Random observation sets of 3 or 4 members with up to ⌊(k − 1)/2⌋
        /// arbitrary outliers, and a claimed price at or next to their median:
        /// the circuit accepts exactly what the native rule accepts, and an
        /// accepted price lies within the honest observations' range.
        #[test]
        fn the_proven_price_is_the_native_median_within_the_honest_range(
            k in 3usize..=4,
            honest in proptest::collection::vec(1u64..1_000_000, 4),
            outlier in 0u64..u64::MAX / 2,
            at in 0usize..4,
            delays in proptest::collection::vec(0u64..30, 4),
            nudge in -1i64..=1,
        ) {
            let mut values: Vec<u64> = honest[..k].iter().map(|v| v << 20).collect();
            let faulty = at % k;
            values[faulty] = outlier; // one outlier: ⌊(k − 1)/2⌋ = 1 for k = 3, 4
            let set: Vec<(u8, u64, u64)> =
                (0..k).map(|i| (i as u8, values[i], T0 + 2 + delays[i])).collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let median = sorted[(k - 1) / 2];
            let earliest = set.iter().map(|o| o.2).min().unwrap();
            let claimed = (median as i64 + nudge) as u64;
            let w = quorum_of(claimed, earliest, &set);
            let observations = observations_of(&set);
            let native = clearproof_protocol::oracle::check_quorum(
                &committee(),
                mkt(1),
                &observations,
                Price::new(claimed as i128).unwrap(),
                Timestamp::new(earliest as i128).unwrap(),
            );
            proptest::prop_assert_eq!(rules_hold(&w), native.is_ok(), "native: {:?}", native);
            if native.is_ok() {
                let honest: Vec<u64> = (0..k).filter(|&i| i != faulty).map(|i| values[i]).collect();
                let (lo, hi) = (*honest.iter().min().unwrap(), *honest.iter().max().unwrap());
                proptest::prop_assert!(lo <= claimed && claimed <= hi);
            }
        }
    }

    #[test]
    fn a_quorum_not_met_a_repeated_or_foreign_signer_is_rejected() {
        let same = |i: u8| (i, V, T0 + 2);
        assert_rejected_by(&quorum_of(V, T0 + 2, &[same(0), same(1)]), "oracle quorum met");
        assert_rejected_by(
            &quorum_of(V, T0 + 2, &[same(0), same(0), same(1)]),
            "oracle signers strictly increasing",
        );
        assert_rejected_by(
            &quorum_of(V, T0 + 2, &[same(1), same(0), same(2)]),
            "oracle signers strictly increasing",
        );
        // Market 0's committee has one member: signer 1 names no one.
        let mut w = forged_oracle(6, tick(0, 3_000_000, T0 + 10));
        let (_, slot) = position(6);
        let Authority::FundingQuorum { observations } = &mut w.slots[slot].auth else {
            unreachable!()
        };
        let mut foreign = observations[0];
        foreign.signer = OracleIndex::new(1).unwrap();
        foreign.signature = key(201).sign(foreign.message(mkt(0)));
        observations.push(foreign);
        assert_rejected_by(&w, "oracle signer is a committee member");
    }

    #[test]
    fn an_update_not_at_the_earliest_timestamp_or_too_spread_is_rejected() {
        let at = |i: u8, t: u64| (i, V, t);
        let set = [at(0, T0 + 2), at(1, T0 + 3), at(2, T0 + 3), at(3, T0 + 4)];
        assert!(rules_hold(&quorum_of(V, T0 + 2, &set)));
        assert_rejected_by(
            &quorum_of(V, T0 + 3, &set),
            "oracle timestamp not after an observation",
        );
        assert_rejected_by(&quorum_of(V, T0 + 1, &set), "oracle timestamp is an observation's");
        let old = [at(0, T0 + 2), at(1, T0 + 2), at(2, T0 + 62)];
        assert!(rules_hold(&quorum_of(V, T0 + 2, &old)));
        let older = [at(0, T0 + 2), at(1, T0 + 2), at(2, T0 + 63)];
        assert_rejected_by(
            &quorum_of(V, T0 + 2, &older),
            "oracle observation within max_oracle_age",
        );
    }

    #[test]
    fn observations_outside_an_oracle_update_are_rejected() {
        // Batch 2's first transaction, a deposit, carries an observation.
        let observations = observations_of(&[(0, V, T0 + 2)]);
        let (chunk, slot) = position(0);
        let w = tampered(chunk, slot, |s| s.auth = Authority::PriceQuorum { observations });
        assert_rejected_by(&w, "observations only in oracle updates");
    }

    #[test]
    fn a_bad_observation_signature_is_rejected_in_the_update_and_its_continuation() {
        let same = |i: u8| (i, V, T0 + 2);
        let honest = quorum_of(V, T0 + 2, &[same(0), same(1), same(2), same(3)]);
        assert!(rules_hold(&honest));
        let (_, slot) = position(5);
        // Observation 1 is checked in the update's slot, 3 in its continuation.
        for bad in [1, 3] {
            let mut w = honest.clone();
            let Authority::PriceQuorum { observations } = &mut w.slots[slot].auth else {
                unreachable!()
            };
            observations[bad].signature = key(210).sign(observations[bad].message(mkt(1)));
            assert_signature_refused(&w);
        }
    }

    #[test]
    fn an_oracle_update_without_its_continuation_is_rejected() {
        let (chunk, slot) = position(5);
        assert_eq!(slot, 1, "transaction 4 (a cover) then the update");
        let honest = proven_batch().swap_remove(chunk);
        assert!(rules_hold(&honest));
        // The update in the chunk's last slot: its continuation is cut off.
        let mut last = honest.clone();
        last.slots.truncate(slot + 1);
        while last.slots.len() < SLOTS {
            last.slots.insert(0, SlotWitness::default());
        }
        let kind = last.slots[SLOTS - 1].tx.as_ref().map(Transaction::kind);
        assert_eq!(kind, Some(TxKind::PriceUpdate));
        assert_rejected_by(&last, "an oracle update is not a chunk's last slot");
        // A transaction in the continuation's place.
        let mut swapped = honest;
        swapped.slots.swap(0, 1);
        assert!(matches!(swapped.slots[1].tx, Some(Transaction::CoverDeficit(_))));
        assert_rejected_by(&swapped, "the slot after an oracle update is its continuation");
    }

    #[test]
    fn zero_price_is_rejected() {
        let zero = Transaction::PriceUpdate(PriceUpdate {
            market: mkt(1),
            price: Price::new(0).unwrap(),
            timestamp: Timestamp::new((T0 + 2) as i128).unwrap(),
        });
        assert_rejected_by(&forged_oracle(5, zero), "price is positive");
    }

    #[test]
    fn a_transaction_cannot_be_left_out_of_the_data_hash() {
        let w = &proven_batch()[1];
        let mut instance = w.instance.to_vec();
        instance[super::super::proof::NEXT_DATA_HASH] = w.prev_data_hash;
        assert!(!mock(w, Some(instance)).0);
    }

    #[test]
    fn trade_leaving_a_side_below_initial_margin_is_rejected() {
        // Dave (≈ 1 500) buys from Erin. 10 lots need 100 of margin; 200 lots 2 000.
        assert!(rules_hold(&forged_trade(trade(2, 4, 5, 10, 1_000, 5, 5))));
        assert_rejected_by(
            &forged_trade(trade(2, 4, 5, 200, 20_000, 0, 0)),
            "each side may hold its position after the fill",
        );
    }

    #[test]
    fn fill_outside_the_price_band_is_rejected() {
        assert!(rules_hold(&forged_trade(trade(2, 4, 5, 10, 1_050, 0, 0))));
        assert!(rules_hold(&forged_trade(trade(2, 4, 5, 10, 950, 0, 0))));
        assert_rejected_by(
            &forged_trade(trade(2, 4, 5, 10, 1_051, 0, 0)),
            "fill price within the band",
        );
        assert_rejected_by(
            &forged_trade(trade(2, 4, 5, 10, 949, 0, 0)),
            "fill price within the band",
        );
    }

    /// Batch 2's trade (index 8: Dave buys 10 lots of market 2 from Erin for
    /// 1 000, fees 5 and 5) with its orders changed and signed again by their
    /// owners (account `i` is owned by `key(i)`): only the changed term can fail.
    fn tampered_orders(
        f: impl FnOnce(&mut Vec<clearproof_protocol::orders::SignedOrder>),
    ) -> ChunkWitness {
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
    fn tampered_auth(chunk: usize, slot: usize, f: impl FnOnce(&mut Authority)) -> ChunkWitness {
        tampered(chunk, slot, |s| f(&mut s.auth))
    }

    /// Batch 2's transaction `at` with its authority changed as is.
    fn tampered_auth_tx(at: usize, f: impl FnOnce(&mut Authority)) -> ChunkWitness {
        tampered_tx(at, |s| f(&mut s.auth))
    }

    /// Every named rule holds, yet MockProver refuses `w`: what fails is a
    /// signature (the EdDSA chip's equation, tied to the leaf's key and the
    /// message the circuit builds).
    fn assert_signature_refused(w: &ChunkWitness) {
        let mut holds = true;
        let violated = super::super::arith::violations_of(|| holds = rules_hold(w));
        assert!(violated.is_empty(), "a rule failed instead of the signature: {violated:?}");
        assert!(!holds, "the circuit accepts a forged signature");
    }

    /// The signature of `key(signer)` on `order`.
    fn signed_by(
        order: &clearproof_protocol::orders::Order,
        signer: u8,
    ) -> clearproof_protocol::orders::SignedOrder {
        order.clone().sign(&key(signer))
    }

    #[test]
    fn trade_without_its_owners_signatures_is_rejected() {
        // Dave's (4) order signed by Erin (5), and by a key no account has.
        assert_signature_refused(&tampered_auth_tx(8, |a| {
            let Authority::Orders { orders } = a else { unreachable!() };
            orders[0] = signed_by(&orders[0].order, 5);
        }));
        assert_signature_refused(&tampered_auth_tx(8, |a| {
            let Authority::Orders { orders } = a else { unreachable!() };
            orders[1] = signed_by(&orders[1].order, 77);
        }));
        // The two orders' signatures swapped.
        assert_signature_refused(&tampered_auth_tx(8, |a| {
            let Authority::Orders { orders } = a else { unreachable!() };
            let (buy, sell) = (orders[0].signature, orders[1].signature);
            orders[0].signature = sell;
            orders[1].signature = buy;
        }));
    }

    #[test]
    fn order_for_another_account_market_or_side_is_rejected() {
        use clearproof_protocol::orders::Side;
        // Signed by the right owner, but the message is not the fill's.
        assert_signature_refused(&tampered_orders(|o| o[0].order.market = mkt(1)));
        assert_signature_refused(&tampered_orders(|o| o[1].order.side = Side::Buy));
        assert_signature_refused(&tampered_orders(|o| {
            o[0].order.order_id =
                clearproof_protocol::orders::OrderId::new(o[0].order.order_id.get() + 1).unwrap()
        }));
        // Erin signs an order naming Dave's account.
        assert_signature_refused(&tampered_auth_tx(8, |a| {
            let Authority::Orders { orders } = a else { unreachable!() };
            orders[0] = signed_by(&orders[0].order, 5);
            orders[0].order.account = id(5);
        }));
    }

    #[test]
    fn withdrawal_with_a_bad_signature_is_rejected() {
        // Batch 2, transaction 2: Carol's (3) withdrawal, chunk 0 slot 2.
        assert!(rules_hold(&proven_batch()[0]));
        assert_signature_refused(&tampered_auth(0, 2, |a| {
            let Authority::Owner { signature } = a else { unreachable!() };
            let tx = withdraw(3, 1_000, 0);
            *signature = key(4).sign(tx.message());
        }));
        // Carol's signature, but over another amount.
        assert_signature_refused(&tampered_auth(0, 2, |a| {
            let Authority::Owner { signature } = a else { unreachable!() };
            *signature = key(3).sign(withdraw(3, 999, 0).message());
        }));
    }

    #[test]
    fn liquidation_without_the_liquidators_signature_is_rejected() {
        // Batch 2, transaction 3: Carol (3) liquidates Alice, chunk 0 slot 3.
        assert_signature_refused(&tampered_auth(0, 3, |a| {
            let Authority::Orders { orders } = a else { unreachable!() };
            orders[0] = signed_by(&orders[0].order, 1);
        }));
    }

    #[test]
    fn fill_beyond_an_orders_limit_price_is_rejected() {
        // Exact orders: both limits are the fill's price, 100 per lot.
        assert!(rules_hold(&tampered_orders(|_| {})));
        let shift = |p: Price, d: i128| Price::new(p.get() as i128 + d).unwrap();
        assert_rejected_by(
            &tampered_orders(|o| o[0].order.limit_price = shift(o[0].order.limit_price, -1)),
            "fill within the order's limit price",
        );
        assert_rejected_by(
            &tampered_orders(|o| o[1].order.limit_price = shift(o[1].order.limit_price, 1)),
            "fill within the order's limit price",
        );
    }

    #[test]
    fn fee_above_an_orders_cap_is_rejected() {
        // A fee of 5 on a quote of 1 000 is 50 bp.
        let cap = |bp: i128| Bps::new(bp).unwrap();
        assert!(rules_hold(&tampered_orders(|o| o[0].order.max_fee_bp = cap(50))));
        assert_rejected_by(
            &tampered_orders(|o| o[0].order.max_fee_bp = cap(49)),
            "fee within the order's max_fee_bp",
        );
        assert_rejected_by(
            &tampered_orders(|o| o[1].order.max_fee_bp = cap(49)),
            "fee within the order's max_fee_bp",
        );
    }

    #[test]
    fn expired_order_is_rejected() {
        // Market 2's oracle clock is still at genesis, T0.
        let at = |t: u64| Timestamp::new(t as i128).unwrap();
        assert!(rules_hold(&tampered_orders(|o| o[1].order.expiry = at(T0))));
        assert_rejected_by(
            &tampered_orders(|o| o[1].order.expiry = at(T0 - 1)),
            "order not expired at the oracle clock",
        );
    }

    #[test]
    fn fill_beyond_an_orders_size_is_rejected() {
        assert_rejected_by(
            &tampered_orders(|o| o[0].order.size = Amount::new(9).unwrap()),
            "order filled within its size",
        );
    }

    #[test]
    fn overfill_across_two_fills_and_replay_of_a_filled_order_are_rejected() {
        // Frank's order 1 000 (900 lots) was filled in full in batch 1: filling it
        // again is a replay, and any fill overfills it.
        let again = |buyer_order| with_ids(trade(3, 6, 7, 10, 1_000, 0, 0), buyer_order, 2_001);
        assert!(rules_hold(&forged_trade(again(FRANK_ORDER + 256))), "a newer order in the slot");
        assert_rejected_by(&forged_trade(again(FRANK_ORDER)), "order filled within its size");
    }

    #[test]
    fn superseded_order_is_rejected() {
        // Order 744 shares slot 232 with order 1 000, which replaced it for good.
        let older = with_ids(trade(3, 6, 7, 10, 1_000, 0, 0), FRANK_ORDER - 256, 2_001);
        assert_rejected_by(&forged_trade(older), "order not superseded in its slot");
    }

    #[test]
    fn wrong_order_slot_sibling_is_rejected() {
        assert_rejected_by(
            &tampered_tx(8, |s| s.order_fills[0].path.siblings[2] += Fr::one()),
            "order slot is a member of the account's orders_root",
        );
    }

    #[test]
    fn trade_of_an_account_with_itself_is_rejected() {
        // Dave buys from Dave: the witness applies both sides to one leaf, each
        // update under the root the previous left, so only the rule can refuse it.
        assert_rejected_by(
            &forged_trade(trade(2, 4, 4, 10, 1_000, 0, 0)),
            "the two accounts differ",
        );
    }

    #[test]
    fn fee_above_cap_is_rejected() {
        assert!(rules_hold(&forged_trade(trade(2, 4, 5, 10, 1_000, 5, 5))));
        assert_rejected_by(
            &forged_trade(trade(2, 4, 5, 10, 1_000, 6, 5)),
            "each fee within max_fee_bp of quote",
        );
        assert_rejected_by(
            &forged_trade(trade(2, 4, 5, 10, 1_000, 5, 6)),
            "each fee within max_fee_bp of quote",
        );
    }

    #[test]
    fn liquidation_of_a_healthy_account_is_rejected() {
        // Bob is short 900 and healthy; Carol would take the other side.
        assert_rejected_by(
            &forged_liquidation(liquidate(0, 2, 3, 100, 8_800, 0)),
            "the liquidated account is below maintenance margin",
        );
    }

    #[test]
    fn liquidation_that_flips_the_position_is_rejected() {
        // The direction comes from the position's sign, so a liquidation cannot
        // grow it; one lot more than the position would flip it.
        assert!(rules_hold(&forged_liquidation(liquidate(0, 1, 3, 900, 79_200, 0))));
        assert_rejected_by(
            &forged_liquidation(liquidate(0, 1, 3, 901, 79_288, 0)),
            "the close does not flip the position",
        );
    }

    #[test]
    fn liquidation_that_grows_the_position_is_rejected() {
        // A witness in which the liquidated long buys 10 more lots instead of
        // selling: the circuit derives the direction from the position's sign, so
        // its account after differs from the witness's and the liquidator's leaf is
        // no longer under the root the liquidated update left.
        let grows = |s: &State| {
            let t = liquidate(0, 1, 3, 10, 880, 0);
            let mut effect = liquidation_effect(t)(s);
            let grown = |a: &clearproof_protocol::state::Account, lots: i128, paid: i128| {
                clearproof_protocol::testing::moved(a, mkt(0), lots, paid).unwrap()
            };
            effect.accounts[0].1 = grown(&settled(s, 1), 10, 880);
            effect.accounts[1].1 = grown(&settled(s, 3), -10, -880);
            effect
        };
        let tx = liquidate(0, 1, 3, 10, 880, 0);
        assert!(rules_hold(&forged(3, tx.clone(), liquidation_effect(tx.clone()))));
        assert_rejected_by(&forged(3, tx, grows), "account is a member of the running root");
    }

    #[test]
    fn penalty_above_cap_is_rejected() {
        // 1 % of 900 lots at 88 is 792.
        assert!(rules_hold(&forged_liquidation(liquidate(0, 1, 3, 900, 79_200, 792))));
        assert_rejected_by(
            &forged_liquidation(liquidate(0, 1, 3, 900, 79_200, 793)),
            "penalty within liq_fee_bp of the notional",
        );
    }

    #[test]
    fn liquidation_fill_outside_the_price_band_is_rejected() {
        assert_rejected_by(
            &forged_liquidation(liquidate(0, 1, 3, 900, 75_239, 0)),
            "fill price within the band",
        );
    }

    #[test]
    fn liquidator_below_initial_margin_is_rejected() {
        // Dave (about 1 500) cannot carry 900 lots at 88.
        assert_rejected_by(
            &forged_liquidation(liquidate(0, 1, 4, 900, 79_200, 0)),
            "the liquidator is healthy at im after",
        );
    }

    #[test]
    fn deleverage_of_a_solvent_account_is_rejected() {
        // Bob (short 900 of market 0) is solvent; Carol holds the other side.
        assert_rejected_by(
            &forged_deleverage(deleverage(0, 2, 3, 100, 8_800)),
            "the deleveraged account is bankrupt",
        );
    }

    #[test]
    fn deleverage_when_the_insurance_fund_can_cover_is_rejected() {
        // Alice's deficit (800) fits in the fund (5 000): she must be liquidated and
        // covered instead. Everything else about this deleverage is valid.
        let alice = deleverage(0, 1, 2, 900, 80_000);
        assert_rejected_by(
            &forged(3, alice.clone(), deleverage_effect(alice)),
            "the insurance fund cannot cover the deficit",
        );
    }

    #[test]
    fn deleverage_away_from_the_bankruptcy_price_is_rejected() {
        // Frank: collateral −80 000 with 900 lots; closing all at 80 000 leaves 0.
        assert!(rules_hold(&forged_deleverage(deleverage(3, 6, 7, 900, 80_000))));
        assert_rejected_by(
            &forged_deleverage(deleverage(3, 6, 7, 900, 80_001)),
            "quote is the bankruptcy price",
        );
        assert_rejected_by(
            &forged_deleverage(deleverage(3, 6, 7, 900, 79_999)),
            "quote is the bankruptcy price",
        );
    }

    #[test]
    fn deleverage_against_a_counterparty_not_on_the_other_side_is_rejected() {
        // Dave holds no position in market 3.
        assert_rejected_by(
            &forged_deleverage(deleverage(3, 6, 4, 900, 80_000)),
            "the counterparty holds the opposite side",
        );
    }

    #[test]
    fn deleverage_that_flips_a_position_is_rejected() {
        assert_rejected_by(
            &forged_deleverage(deleverage(3, 6, 7, 901, 80_050)),
            "the close does not flip the position",
        );
    }
}
