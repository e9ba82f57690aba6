//! What a prover operator and the base layer would quote, at the production
//! circuit (depth 24, `CHUNK_SLOTS` slots, `2^CHUNK_K` rows), INSECURE development
//! SRS:
//!
//! - trades proven per second with 1 and with 2 threads, and the scaling ratio
//!   (a batch of `2 × CHUNK_SLOTS` trades: two chunk jobs);
//! - verification time per chunk and per batch (all chunks in one batched check);
//! - the base layer's saving: verification time per trade against re-executing
//!   the same trades natively with hashing (funding, margin, two Merkle updates
//!   per trade and the state root).
//!
//! `cargo bench -p clearproof-prover --bench prove` (keys cached in
//! `~/.cache/clearproof`; `PROVE_THREADS=1,2` chooses the thread counts).

use std::time::Instant;

use clearproof_circuits::circuit::CircuitParams;
use clearproof_protocol::batch::BatchOutput;
use clearproof_protocol::oracle::Committee;
use clearproof_protocol::orders::OrderId;
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
use clearproof_protocol::tx::{Deposit, KeyRing, SignedTx, Trade, Transaction};
use clearproof_protocol::types::*;
use clearproof_prover::{prove_batch, setup, SrsSource};
use clearproof_verifier::check::{verify_batch, verify_one};

fn genesis() -> Genesis {
    let oracle = SecretKey::from_bytes([200; 32]).unwrap().public_key();
    let market = Market {
        params: MarketParams::standard(
            Committee::single(oracle),
            FundingRate::new(4_294_967).unwrap(),
        ),
        state: MarketState::at(Price::from_units(100), Timestamp::new(1_700_000_000).unwrap()),
    };
    Genesis { markets: [market; MARKETS], insurance_fund: Quote::new(0).unwrap() }
}

fn account(i: usize) -> AccountId {
    AccountId::new(i as i128 * 7_919 + 1).unwrap()
}

/// The state after the deposits, and `n` signed trades between distinct pairs.
fn workload(n: usize) -> (State, Vec<SignedTx>) {
    let mut state = State::genesis(&genesis()).unwrap();
    let deposits: Vec<Transaction> = (0..2 * n)
        .map(|i| {
            Transaction::Deposit(Deposit {
                account: account(i),
                owner: SecretKey::from_bytes([i as u8 + 1; 32]).unwrap().public_key(),
                amount: Amount::new(1_000_000).unwrap(),
            })
        })
        .collect();
    let deposits: Vec<SignedTx> = deposits.into_iter().map(SignedTx::from).collect();
    state.apply_batch(&deposits);
    let keys = KeyRing::new((1..=255u8).map(|i| SecretKey::from_bytes([i; 32]).unwrap()));
    let trades = (0..n)
        .map(|i| {
            Transaction::Trade(Trade {
                market: MarketId::new((i % MARKETS) as i128).unwrap(),
                buyer: account(2 * i),
                seller: account(2 * i + 1),
                base: Amount::new(10).unwrap(),
                quote: Amount::new(1_000).unwrap(),
                buyer_fee: Quote::new(1).unwrap(),
                seller_fee: Quote::new(1).unwrap(),
                buyer_order_id: OrderId::new(2 * i as u64).unwrap(),
                seller_order_id: OrderId::new(2 * i as u64 + 1).unwrap(),
            })
        })
        .map(|tx| SignedTx::exact(&state, tx, &keys))
        .collect();
    (state, trades)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let circuit = CircuitParams::PRODUCTION;
    let trades = 2 * circuit.slots;
    let cache = std::env::var_os("HOME")
        .map(|h| std::path::Path::new(&h).join(".cache/clearproof"))
        .unwrap_or_else(|| std::env::temp_dir().join("clearproof"));
    let keys = setup(&cache, circuit, &SrsSource::InsecureDev).unwrap();
    println!(
        "circuit {} (INSECURE development SRS), keys {} in {:.1} s",
        circuit.id(),
        if keys.generated { "generated" } else { "loaded" },
        keys.seconds
    );
    let (state, txs) = workload(trades);
    let batch: BatchOutput = state.clone().apply_batch(&txs);
    assert_eq!(batch.witnesses.len(), trades);

    let threads: Vec<usize> = std::env::var("PROVE_THREADS")
        .ok()
        .map(|v| v.split(',').filter_map(|t| t.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2]);
    let mut rates = Vec::new();
    let mut proofs = Vec::new();
    for &t in &threads {
        let start = Instant::now();
        let proven = prove_batch(&keys, &batch, t, false).unwrap();
        let seconds = start.elapsed().as_secs_f64();
        let rate = trades as f64 / seconds;
        println!(
            "{t} thread(s): {trades} trades in {} chunks proven in {seconds:.1} s = {rate:.3} trades proven/s",
            proven.len()
        );
        rates.push(rate);
        proofs = proven.into_iter().map(|c| c.proof).collect();
    }
    if rates.len() >= 2 {
        println!(
            "scaling {} → {} threads: {:.2}×",
            threads[0],
            threads[threads.len() - 1],
            rates[rates.len() - 1] / rates[0]
        );
    }

    let verifier = keys.verifier_key();
    let runs = 20;
    let start = Instant::now();
    for _ in 0..runs {
        for p in &proofs {
            verify_one(&verifier, &p.proof, &p.public_inputs).unwrap();
        }
    }
    let per_chunk = start.elapsed().as_secs_f64() * 1e3 / (runs * proofs.len()) as f64;
    let data: Vec<Transaction> = batch.applied().cloned().collect();
    let start = Instant::now();
    for _ in 0..runs {
        verify_batch(&verifier, batch.prev_state_root, &data, &proofs).unwrap();
    }
    let per_batch = start.elapsed().as_secs_f64() * 1e3 / runs as f64;
    println!("verify: {per_chunk:.2} ms per chunk alone; {per_batch:.2} ms per batch of {} chunks (one batched check)", proofs.len());

    let mut states: Vec<State> = (0..runs).map(|_| state.clone()).collect();
    let start = Instant::now();
    for s in &mut states {
        let out = s.apply_batch(&txs);
        assert_eq!(out.next_state_root, batch.next_state_root);
    }
    let native = start.elapsed().as_secs_f64() * 1e3 / (runs * trades) as f64;
    let verify_per_trade = per_batch / trades as f64;
    println!(
        "base layer: {verify_per_trade:.3} ms verifying per trade vs {native:.3} ms re-executing per trade natively \
         (with hashing) = {:.1}× saving at {} trades per batch; verification costs the same per chunk \
         whatever it holds, so it falls per trade as chunks grow; re-execution grows with every trade",
        native / verify_per_trade,
        trades
    );
}
