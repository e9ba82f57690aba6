//! Property tests over random transaction sequences (PROTOCOL §6 conservation):
//!
//! - `Σ balance[m] = 0` for every market after every transaction;
//! - `V` (collateral + unsettled funding + insurance + fees, fixed point) changes
//!   exactly by `(deposits − withdrawals)·2^32` minus the rounding dust of each
//!   settlement, which is in `[0, 2^32)`;
//! - the incremental state root equals a from-scratch recomputation;
//! - a rejected transaction changes nothing;
//! - applying the same sequence twice gives the same roots and receipts;
//! - a batch applied without hashing (the sequencer's `DeferredBatch`) reaches
//!   the same state, root and data hash as one applied with witnesses, and its
//!   undo record takes the state back to the root before it.
//!
//! Sequences are generated as "intents" interpreted against the current state
//! (prices near the oracle, quantities sized to the accounts), so most
//! transactions are valid and every type is exercised; invalid ones still occur
//! and must be rejected cleanly.

mod common;

use clearproof_protocol::batch::Receipt;
use clearproof_protocol::funding::{charge, funding_due};
use clearproof_protocol::margin::total_value;
use clearproof_protocol::params::{FIXED_POINT_ONE, MARKETS};
use clearproof_protocol::state::State;
use clearproof_protocol::tx::Transaction;
use clearproof_protocol::types::Price;
use common::*;
use ethnum::I256;
use proptest::prelude::*;

const ACCOUNTS: u32 = 6;
const DEPTH: usize = 10;
/// Small enough that both insurance cover and deleverage happen.
const INSURANCE: i128 = 60_000;

/// A transaction to build from the state at the time it is applied.
#[derive(Debug, Clone)]
enum Intent {
    Deposit {
        account: u32,
        wrong_owner: bool,
        amount: i128,
    },
    Withdraw {
        account: u32,
        permille: i128,
        stale_nonce: bool,
    },
    /// `leverage_permille` of the largest position the poorer side's collateral allows.
    Trade {
        market: u8,
        buyer: u32,
        seller: u32,
        leverage_permille: i128,
        offset_bp: i128,
        fee_bp: i128,
    },
    Price {
        market: u8,
        change_bp: i128,
        dt: u64,
    },
    Funding {
        market: u8,
        permille_of_bound: i128,
        dt: u64,
    },
    Liquidate {
        market: u8,
        victim: u32,
        liquidator: u32,
        permille: i128,
        offset_bp: i128,
    },
    Cover {
        account: u32,
    },
    Deleverage {
        market: u8,
        bankrupt: u32,
        counterparty: u32,
    },
}

fn intent() -> impl Strategy<Value = Intent> {
    let a = 1..=ACCOUNTS;
    let m = 0..MARKETS as u8;
    prop_oneof![
        3 => (a.clone(), prop::bool::weighted(0.05), 1i128..200_000)
            .prop_map(|(account, wrong_owner, amount)| Intent::Deposit { account, wrong_owner, amount }),
        1 => (a.clone(), 1i128..1_200, prop::bool::weighted(0.1))
            .prop_map(|(account, permille, stale_nonce)| Intent::Withdraw { account, permille, stale_nonce }),
        6 => (m.clone(), a.clone(), a.clone(), 1i128..1_100, -550i128..550, 0i128..60)
            .prop_map(|(market, buyer, seller, leverage_permille, offset_bp, fee_bp)| Intent::Trade { market, buyer, seller, leverage_permille, offset_bp, fee_bp }),
        3 => (m.clone(), -800i128..800, 0u64..60)
            .prop_map(|(market, change_bp, dt)| Intent::Price { market, change_bp, dt }),
        // Gaps large enough to make leveraged accounts bankrupt.
        1 => (m.clone(), prop::bool::ANY, 1_500i128..4_000, 1u64..60)
            .prop_map(|(market, up, gap, dt)| Intent::Price { market, change_bp: if up { gap } else { -gap }, dt }),
        2 => (m.clone(), -1_100i128..1_100, 0u64..600)
            .prop_map(|(market, permille_of_bound, dt)| Intent::Funding { market, permille_of_bound, dt }),
        3 => (m.clone(), a.clone(), a.clone(), 1i128..3_000, -100i128..100)
            .prop_map(|(market, victim, liquidator, permille, offset_bp)| Intent::Liquidate { market, victim, liquidator, permille, offset_bp }),
        2 => a.clone().prop_map(|account| Intent::Cover { account }),
        2 => (m, a.clone(), a).prop_map(|(market, bankrupt, counterparty)| Intent::Deleverage { market, bankrupt, counterparty }),
    ]
}

fn price_units(s: &State, market: u8) -> i128 {
    (s.markets()[market as usize].state.price.get() >> 32) as i128
}

/// Quote for `lots` at the oracle price shifted by `offset_bp`, at least 1.
fn quote_for(s: &State, market: u8, lots: i128, offset_bp: i128) -> i128 {
    let price = s.markets()[market as usize].state.price.get() as i128;
    ((lots * price * (10_000 + offset_bp)) / (10_000 * FIXED_POINT_ONE)).max(1)
}

fn build(s: &State, intent: &Intent) -> Option<Transaction> {
    let ms = |m: u8| s.markets()[m as usize].state;
    Some(match *intent {
        Intent::Deposit { account, wrong_owner, amount } => {
            deposit(account, if wrong_owner { account as u8 + 1 } else { account as u8 }, amount)
        }
        Intent::Withdraw { account, permille, stale_nonce } => {
            let a = s.account(acct(account))?;
            let amount = (a.collateral.get() as i128 * permille / 1_000).max(1);
            let nonce = a.nonce.get() + u64::from(stale_nonce);
            withdraw(account, amount, nonce)
        }
        Intent::Trade { market, buyer, seller, leverage_permille, offset_bp, fee_bp } => {
            let collateral =
                |id| s.account(acct(id)).map_or(1, |a| a.collateral.get().max(1) as i128);
            let poorer = collateral(buyer).min(collateral(seller));
            let lots = (poorer * 10 * leverage_permille / 1_000 / price_units(s, market)).max(1);
            let q = quote_for(s, market, lots, offset_bp);
            let fee = q * fee_bp / 10_000;
            trade_with_fees(market, buyer, seller, lots, q, fee, fee / 2)
        }
        Intent::Price { market, change_bp, dt } => {
            let p = ms(market).price.get() as i128;
            let next = (p * (10_000 + change_bp) / 10_000).clamp(1 << 32, i64::MAX as i128);
            price_update_raw(market, Price::new(next).unwrap(), ms(market).price_ts.get() + dt)
        }
        Intent::Funding { market, permille_of_bound, dt } => {
            let st = ms(market);
            let bound = MAX_FUNDING_RATE as i128 * (st.price.get() as i128 >> 32) * dt as i128;
            let index = st.funding_index.get() as i128 + bound * permille_of_bound / 1_000;
            funding_tick(market, index, st.funding_ts.get() + dt)
        }
        Intent::Liquidate { market, victim, liquidator, permille, offset_bp } => {
            let position = s.account(acct(victim))?.balances[market as usize].get() as i128;
            let lots = (position.abs() * permille / 1_000).clamp(1, position.abs().max(1));
            let q = quote_for(s, market, lots, offset_bp);
            let cap = lots * price_units(s, market) / 100;
            liquidate(market, victim, liquidator, lots, q, cap / 2)
        }
        Intent::Cover { account } => cover(account),
        Intent::Deleverage { market, bankrupt, counterparty } => {
            let a = s.account(acct(bankrupt))?;
            let position = a.balances[market as usize].get() as i128;
            let other = s.account(acct(counterparty))?.balances[market as usize].get() as i128;
            let lots = position.abs().min(other.abs()).max(1);
            // Bankruptcy price for closing `lots`: TV after in [0, 2^32).
            let settled = clearproof_protocol::funding::settle(a, s.markets()).ok()?;
            let tv = total_value(&settled, s.markets());
            let price = I256::from(ms(market).price.get());
            let rest = tv - I256::from(position.signum() * lots) * price;
            let one = I256::from(FIXED_POINT_ONE);
            let q = if position >= 0 { (-rest + one - 1) / one } else { rest / one };
            let q: i128 = q.try_into().ok()?;
            deleverage(market, bankrupt, counterparty, lots, q.max(1))
        }
    })
}

/// Replays intents, checking the invariants after every step; returns
/// (roots after each step, receipt codes, number applied).
fn run(intents: &[Intent]) -> (Vec<String>, Vec<String>, usize) {
    reset_order_ids();
    let mut s = State::genesis_with_depth(&genesis(INSURANCE), DEPTH).unwrap();
    let one = I256::from(FIXED_POINT_ONE);
    let mut roots = Vec::new();
    let mut codes = Vec::new();
    let mut applied = 0;
    for intent in intents {
        let Some(tx) = build(&s, intent) else { continue };
        let before_root = s.root();
        let before_v = conserved_value(&s);
        match s.apply(&signed(&s, &tx)) {
            Ok(w) => {
                applied += 1;
                codes.push("ok".into());
                // Exact dust of this transaction's settlements.
                let mut dust = I256::ZERO;
                for u in &w.accounts {
                    let Some(before) = u.before else { continue };
                    for m in 0..MARKETS {
                        let due = funding_due(
                            before.balances[m].get(),
                            w.markets_before[m].funding_index.get(),
                            before.funding_snapshots[m].get(),
                        );
                        let d = I256::from(charge(due)) * one - I256::from(due);
                        assert!(d >= 0 && d < one, "dust out of [0, 2^32)");
                        dust += d;
                    }
                }
                let flow = match &tx {
                    Transaction::Deposit(d) => I256::from(d.amount.get()) * one,
                    Transaction::Withdraw(w) => -I256::from(w.amount.get()) * one,
                    _ => I256::ZERO,
                };
                assert_eq!(
                    conserved_value(&s) - before_v,
                    flow - dust,
                    "V not conserved by {tx:?}"
                );
            }
            Err(e) => {
                codes.push(e.code().to_string());
                assert_eq!(s.root(), before_root, "rejected {tx:?} changed the root");
            }
        }
        for m in 0..MARKETS {
            let sum: i128 = s.accounts().map(|(_, a)| a.balances[m].get() as i128).sum();
            assert_eq!(sum, 0, "market {m} positions do not net to zero");
        }
        assert_eq!(s.root(), s.recompute_root(), "incremental root diverged");
        roots.push(format!("{:?}", s.root()));
    }
    (roots, codes, applied)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_conserve_value_and_keep_roots_consistent(
        intents in prop::collection::vec(intent(), 10..60)
    ) {
        let first = run(&intents);
        let second = run(&intents);
        prop_assert_eq!(&first.0, &second.0, "same sequence, different roots");
        prop_assert_eq!(&first.1, &second.1, "same sequence, different receipts");
    }
}

/// Applies `intents` in batches of `sizes` twice: with witnesses (an
/// `OpenBatch`, each transaction signed against the state it applies to) and
/// deferred (the same signed transactions in a `DeferredBatch`, hashed once at
/// close). Both must accept the same transactions and reach the same state;
/// undoing each deferred batch from its end must reach its start again.
fn deferred_matches_witnessed(intents: &[Intent], sizes: &[usize]) {
    reset_order_ids();
    let mut witnessed = State::genesis_with_depth(&genesis(INSURANCE), DEPTH).unwrap();
    let mut deferred = witnessed.clone();
    let mut rest = intents;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (now, later) = rest.split_at(size.min(rest.len()));
        rest = later;
        let before = deferred.clone();
        let mut open = witnessed.begin_batch();
        let mut batch = deferred.begin_deferred();
        for intent in now {
            let Some(tx) = build(&witnessed, intent) else { continue };
            let tx = signed(&witnessed, &tx);
            let w = open.apply(&mut witnessed, &tx).map(|_| ()).map_err(|e| e.code());
            let d = batch.apply(&mut deferred, &tx).map_err(|e| e.code());
            assert_eq!(w, d, "{:?}", tx.tx);
        }
        let out = open.close(&witnessed);
        let closed = batch.close(&mut deferred);
        assert_eq!(closed.next_state_root, out.next_state_root);
        assert_eq!(closed.prev_state_root, out.prev_state_root);
        assert_eq!(closed.data_hash, out.data_hash);
        assert_eq!(closed.withdrawals, out.withdrawals);
        assert_eq!(closed.applied.len(), out.witnesses.len());
        assert!(deferred.accounts().eq(witnessed.accounts()), "account values differ");
        assert_eq!(deferred.root(), deferred.recompute_root());
        let mut undone = deferred.clone();
        undone.undo(&closed.undo);
        undone.sync();
        assert_eq!(undone.root(), closed.prev_state_root, "undo does not reach the start");
        assert!(undone.accounts().eq(before.accounts()));
        for (id, _) in before.accounts() {
            assert_eq!(undone.order_slots(*id), before.order_slots(*id));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn deferred_batches_reach_the_witnessed_state_and_undo_to_the_start(
        intents in prop::collection::vec(intent(), 10..80),
        sizes in prop::collection::vec(1usize..30, 1..4),
    ) {
        deferred_matches_witnessed(&intents, &sizes);
    }
}

/// A fixed long sequence, to check the generator is not vacuous: most intents
/// become valid transactions and every type gets applied.
#[test]
fn generated_sequences_apply_every_transaction_type() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let intents = prop::collection::vec(intent(), 400).new_tree(&mut runner).unwrap().current();
    let (_, codes, applied) = run(&intents);
    assert!(applied * 3 > codes.len(), "only {applied} of {} applied", codes.len());
    let mut s = State::genesis_with_depth(&genesis(INSURANCE), DEPTH).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for intent in &intents {
        if let Some(tx) = build(&s, intent) {
            if s.apply(&signed(&s, &tx)).is_ok() {
                kinds.insert(tx.name());
            }
        }
    }
    let mut histogram = std::collections::BTreeMap::new();
    for c in &codes {
        *histogram.entry(c.as_str()).or_insert(0) += 1;
    }
    eprintln!(
        "applied {applied} of {} built; kinds applied: {kinds:?}; codes: {histogram:?}",
        codes.len()
    );
    for kind in
        ["deposit", "withdraw", "trade", "liquidate", "deleverage", "price_update", "funding_tick"]
    {
        assert!(kinds.contains(kind), "{kind} never applied; applied kinds: {kinds:?}");
    }
}

/// The batch applier gives the same result as applying one by one, and its
/// receipts match.
#[test]
fn batch_applier_matches_single_application() {
    let mut s = funded(0, [10_000, 10_000, 1_000_000, 1_000]);
    let txs = vec![
        trade(0, 1, 2, 900, 90_000),
        withdraw(9, 1, 0),
        price_update(0, 88, T0 + 1),
        deleverage(0, 1, 2, 900, 80_000),
        withdraw(2, 1_000, 0),
    ];
    let mut one_by_one = s.clone();
    let mut expected = Vec::new();
    for tx in &txs {
        expected.push(
            one_by_one
                .apply(&signed(&one_by_one, tx))
                .map(|_| ())
                .map_err(|e| e.code().to_string()),
        );
    }
    let out = s.apply_batch_signed(&txs, keys());
    assert_eq!(out.batch_number, 1);
    assert_eq!(out.witnesses.len(), 4);
    assert_eq!(out.withdrawals.len(), 1);
    for (r, e) in out.receipts.iter().zip(&expected) {
        match (r, e) {
            (Receipt::Applied { .. }, Ok(())) => {}
            (Receipt::Rejected { code, .. }, Err(c)) => assert_eq!(code, c),
            other => panic!("receipt mismatch: {other:?}"),
        }
    }
    // Same account values; roots differ only by the batch number.
    for (id, a) in one_by_one.accounts() {
        assert_eq!(s.account(*id), Some(a));
    }
    assert_eq!(out.next_state_root, s.root());
    assert_eq!(s.root(), s.recompute_root());
    // Witness chain: each transaction starts where the previous ended.
    let mut root = out.header_state_root;
    for w in &out.witnesses {
        assert_eq!(w.state_root_before, root);
        for u in &w.accounts {
            let before = clearproof_protocol::state::leaf_of(u.before.as_ref());
            assert_eq!(u.path.root(u.id.index(), before), u.root_before);
            assert_eq!(u.path.root(u.id.index(), u.after.leaf()), u.root_after);
        }
        root = w.state_root_after;
    }
    assert_eq!(root, out.next_state_root);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The liquidation waterfall with random sizes: a leveraged long, a price gap,
    /// then either liquidation + insurance cover (fund large enough) or
    /// deleverage at the bankruptcy price (fund too small). Every step conserves
    /// `V` exactly (no funding is due, so no dust), positions net to zero, and
    /// the bankrupt account ends flat at zero collateral.
    #[test]
    fn waterfall_conserves_value_with_random_sizes(
        deposit in 1_000i128..1_000_000,
        leverage_permille in 500i128..1_000,
        gap_bp in 1_100i128..3_000,
        insurance in 0i128..200_000,
    ) {
        let mut s = funded(insurance, [deposit, 100_000_000, 100_000_000, 1_000]);
        // Alice buys as many lots at 100 as `leverage_permille` of her initial margin allows.
        let lots = (deposit * 10 * leverage_permille / 1_000 / 100).max(1);
        apply_all(&mut s, &[trade(0, 1, 2, lots, lots * 100)]);
        let gap_price = (100 * (10_000 - gap_bp) / 10_000) as u32;
        apply_all(&mut s, &[price_update(0, gap_price, T0 + 1)]);
        let tv = clearproof_protocol::margin::total_value(s.account(acct(1)).unwrap(), s.markets());
        prop_assume!(tv < I256::ZERO);
        let deficit: i128 = ((-tv + I256::from(FIXED_POINT_ONE - 1)) / I256::from(FIXED_POINT_ONE)).try_into().unwrap();
        let v0 = conserved_value(&s);
        let steps = if I256::from(insurance * FIXED_POINT_ONE) >= -tv {
            // Carol takes the whole position at the oracle price, then the fund covers.
            vec![liquidate(0, 1, 3, lots, lots * gap_price as i128, 0), cover(1)]
        } else {
            // Bob (short) absorbs the deficit at the bankruptcy price.
            let collateral = s.account(acct(1)).unwrap().collateral.get() as i128;
            vec![deleverage(0, 1, 2, lots, -collateral)]
        };
        apply_all(&mut s, &steps);
        prop_assert_eq!(conserved_value(&s), v0, "V changed in the waterfall");
        let alice = s.account(acct(1)).unwrap();
        prop_assert!(alice.is_flat());
        prop_assert_eq!(alice.collateral.get(), 0);
        let net: i128 = s.accounts().map(|(_, a)| a.balances[0].get() as i128).sum();
        prop_assert_eq!(net, 0);
        prop_assert!(deficit > 0);
        prop_assert_eq!(s.root(), s.recompute_root());
    }
}
