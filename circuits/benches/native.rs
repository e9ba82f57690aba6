//! Native throughput: Poseidon hashes/s, tree updates/s at depth 24, and
//! transactions applied/s for a realistic mix. `cargo bench -p clearproof-circuits`.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use clearproof_protocol::oracle::Committee;
use clearproof_protocol::orders::OrderId;
use clearproof_protocol::params::{ACCOUNT_TREE_DEPTH, MARKETS};
use clearproof_protocol::poseidon;
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
use clearproof_protocol::tree::SparseMerkleTree;
use clearproof_protocol::tx::{
    Deposit, FundingTick, KeyRing, PriceUpdate, SignedTx, Trade, Transaction, Withdraw,
};
use clearproof_protocol::types::*;
use clearproof_protocol::Fr;

fn genesis() -> Genesis {
    let market = Market {
        params: MarketParams::standard(
            Committee::single(SecretKey::from_bytes([9; 32]).unwrap().public_key()),
            FundingRate::new(4_294_967).unwrap(),
        ),
        state: MarketState::at(Price::from_units(100), Timestamp::new(1_000).unwrap()),
    };
    Genesis { markets: [market; MARKETS], insurance_fund: Quote::new(1_000_000).unwrap() }
}

/// 1 000 funded accounts, then a mix: 80 % trades, 8 % deposits, 5 % withdrawals,
/// 5 % price updates, 2 % funding ticks, each signed as the protocol requires
/// (the rules verify every signature and order).
fn workload(n: usize) -> (State, Vec<SignedTx>) {
    let mut state = State::genesis(&genesis()).unwrap();
    let accounts = 1_000u32;
    let secret = |i: u32| SecretKey::from_bytes([(i % 250) as u8 + 1; 32]).unwrap();
    let keys = KeyRing::new((0..250).map(secret));
    let owner = |i: u32| secret(i).public_key();
    let id = |i: u32| AccountId::new(i as i128 * 4_099 % (1 << 24)).unwrap();
    for i in 0..accounts {
        let tx = Transaction::Deposit(Deposit {
            account: id(i),
            owner: owner(i),
            amount: Amount::new(1_000_000_000).unwrap(),
        });
        state.apply(&tx.into()).unwrap();
    }
    let mut txs = Vec::with_capacity(n);
    let mut nonces = vec![0u64; accounts as usize];
    let mut ts = 1_000u64;
    for k in 0..n as u32 {
        let a = k.wrapping_mul(7919) % accounts;
        let b = (a + 1 + k % 17) % accounts;
        let m = MarketId::new((k % MARKETS as u32) as i128).unwrap();
        let tx = match k % 100 {
            0..=79 => Transaction::Trade(Trade {
                market: m,
                buyer: id(a),
                seller: id(b),
                base: Amount::new(10 + (k % 50) as i128).unwrap(),
                quote: Amount::new(100 * (10 + (k % 50) as i128)).unwrap(),
                buyer_fee: Quote::new(1).unwrap(),
                seller_fee: Quote::new(1).unwrap(),
                buyer_order_id: OrderId::new(2 * k as u64).unwrap(),
                seller_order_id: OrderId::new(2 * k as u64 + 1).unwrap(),
            }),
            80..=87 => Transaction::Deposit(Deposit {
                account: id(a),
                owner: owner(a),
                amount: Amount::new(1_000).unwrap(),
            }),
            88..=92 => {
                let nonce = nonces[a as usize];
                nonces[a as usize] += 1;
                Transaction::Withdraw(Withdraw {
                    account: id(a),
                    amount: Amount::new(10).unwrap(),
                    nonce: Nonce::new(nonce as i128).unwrap(),
                })
            }
            93..=97 => {
                ts += 1;
                Transaction::PriceUpdate(PriceUpdate {
                    market: m,
                    price: Price::from_units(100 + (k % 3)),
                    timestamp: Timestamp::new(ts as i128).unwrap(),
                })
            }
            _ => {
                ts += 1;
                Transaction::FundingTick(FundingTick {
                    market: m,
                    index: FundingIndex::new((k % 1000) as i128).unwrap(),
                    timestamp: Timestamp::new(ts as i128).unwrap(),
                })
            }
        };
        txs.push(SignedTx::exact(&state, tx, &keys));
    }
    (state, txs)
}

fn bench_poseidon(c: &mut Criterion) {
    let mut g = c.benchmark_group("poseidon");
    g.throughput(Throughput::Elements(1));
    let (a, b) = (Fr::from(123u64), Fr::from(456u64));
    g.bench_function("hash2 (hashes/s)", |bench| {
        bench.iter(|| poseidon::hash2(std::hint::black_box(a), std::hint::black_box(b)))
    });
    let leaf: Vec<Fr> = (0..12u64).map(Fr::from).collect();
    g.bench_function("hash12 account leaf (hashes/s)", |bench| {
        bench.iter(|| poseidon::hash(std::hint::black_box(&leaf)))
    });
    g.finish();
}

fn bench_tree(c: &mut Criterion) {
    let mut g = c.benchmark_group("tree");
    g.throughput(Throughput::Elements(1));
    let mut tree = SparseMerkleTree::new(ACCOUNT_TREE_DEPTH);
    for i in 0..10_000u64 {
        tree.update(i * 1_677, Fr::from(i + 1));
    }
    let mut k = 0u64;
    g.bench_function("update at depth 24 (updates/s)", |bench| {
        bench.iter(|| {
            k = (k + 7_919) % (1 << ACCOUNT_TREE_DEPTH);
            tree.update(k, Fr::from(k))
        })
    });
    g.finish();
}

fn bench_apply(c: &mut Criterion) {
    let mut g = c.benchmark_group("state");
    let n = 1_000;
    let (state, txs) = workload(n);
    // Sanity: the mix must be mostly valid, or the figure means nothing.
    let out = state.clone().apply_batch(&txs);
    let applied = out.witnesses.len();
    assert!(applied * 10 >= n * 9, "only {applied}/{n} applied");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("apply_batch of 1000 mixed txs (txs/s)", |bench| {
        bench.iter_batched(|| state.clone(), |mut s| s.apply_batch(&txs), BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group!(benches, bench_poseidon, bench_tree, bench_apply);
criterion_main!(benches);
