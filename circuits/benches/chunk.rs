//! The chunk circuit's cost report at the production tree depth (24):
//!
//! 1. cells by part, per slot and per chunk (from the layouts of a 1-slot and a
//!    2-slot chunk: the difference is one slot, the rest is the chunk's own);
//! 2. the layout at the chosen `S` and `k` (columns, rows used);
//! 3. a real KZG keygen, proof and verification at that `S` and `k`, with an
//!    INSECURE development SRS: times, proof size, trades proven per second and
//!    peak memory.
//!
//! `cargo bench -p clearproof-circuits --bench chunk`
//! (`CHUNK_SLOTS`, `CHUNK_K` override `params::CHUNK_SLOTS` and `params::CHUNK_K`;
//! `CHUNK_PROVE=0` skips step 3.)

use std::time::Instant;

use clearproof_circuits::circuit::chunk::{builder, chunk_witnesses, ChunkWitness};
use clearproof_circuits::circuit::cost::{measure, Cost, Part};
use clearproof_circuits::circuit::proof::{insecure_dev_srs, keygen, prove, verify, CircuitParams};
use clearproof_circuits::params::{ACCOUNT_TREE_DEPTH, CHUNK_K, CHUNK_SLOTS, MARKETS};
use clearproof_circuits::signature::SecretKey;
use clearproof_circuits::state::{Genesis, Market, MarketParams, MarketState, State};
use clearproof_circuits::tx::{Deposit, Trade, Transaction};
use clearproof_circuits::types::*;
use halo2_base::gates::circuit::CircuitBuilderStage;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn params() -> [MarketParams; MARKETS] {
    let oracle = SecretKey::from_bytes([200; 32]).unwrap().public_key();
    [MarketParams::standard(oracle, FundingRate::new(4_294_967).unwrap()); MARKETS]
}

/// A batch of `trades` trades between accounts that deposited in an earlier batch,
/// at depth 24, cut into chunks of `slots` (only trades: every slot costs the
/// same whatever its type, since every slot lays out every type's constraints).
fn trade_chunks(trades: usize, slots: usize) -> Vec<ChunkWitness> {
    let t0 = Timestamp::new(1_700_000_000).unwrap();
    let market = Market { params: params()[0], state: MarketState::at(Price::from_units(100), t0) };
    let genesis = Genesis { markets: [market; MARKETS], insurance_fund: Quote::new(0).unwrap() };
    let mut state = State::genesis(&genesis).unwrap();
    let deposits: Vec<Transaction> = (0..2 * trades as u32)
        .map(|i| {
            Transaction::Deposit(Deposit {
                account: AccountId::new(i128::from(i) * 7_919 + 1).unwrap(),
                owner: SecretKey::from_bytes([i as u8 + 1; 32]).unwrap().public_key(),
                amount: Amount::new(1_000_000).unwrap(),
            })
        })
        .collect();
    let out = state.apply_batch(&deposits);
    assert_eq!(out.witnesses.len(), deposits.len());
    let trades: Vec<Transaction> = (0..trades as i128)
        .map(|i| {
            Transaction::Trade(Trade {
                market: MarketId::new(i % MARKETS as i128).unwrap(),
                buyer: AccountId::new(2 * i * 7_919 + 1).unwrap(),
                seller: AccountId::new((2 * i + 1) * 7_919 + 1).unwrap(),
                base: Amount::new(10).unwrap(),
                quote: Amount::new(1_000).unwrap(),
                buyer_fee: Quote::new(1).unwrap(),
                seller_fee: Quote::new(1).unwrap(),
            })
        })
        .collect();
    let out = state.apply_batch(&trades);
    assert_eq!(out.witnesses.len(), trades.len(), "every trade applies");
    chunk_witnesses(&out, slots)
}

struct Layout {
    parts: [Cost; Part::ALL.len()],
    advice: usize,
    lookup: usize,
}

fn layout(k: usize, slots: usize) -> Layout {
    let w = trade_chunks(slots, slots).remove(0);
    let mut advice = 0;
    let mut lookup = 0;
    let parts = measure(|| {
        let (b, _) = builder(CircuitBuilderStage::Keygen, k, &w);
        let stats = b.statistics();
        advice = stats.gate.total_advice_per_phase.iter().sum();
        lookup = stats.total_lookup_advice_per_phase.iter().sum();
    });
    Layout { parts, advice, lookup }
}

fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: skip then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let slots = env("CHUNK_SLOTS", CHUNK_SLOTS);
    let k = env("CHUNK_K", CHUNK_K);
    let depth = ACCOUNT_TREE_DEPTH;
    println!("chunk circuit cost report: tree depth {depth}, S = {slots}, k = {k}");

    let one = layout(k, 1);
    let two = layout(k, 2);
    let columns = |cells: usize| cells as f64 / (1u64 << k) as f64;
    println!("\ncells by part (advice cells; of which range-check limbs copied to lookup columns)");
    println!(
        "{:<30} {:>12} {:>10} {:>14} {:>10}",
        "part", "per slot", "lookup", "chunk fixed", "lookup"
    );
    let mut slot_parts = (0, 0);
    let mut fixed_parts = (0, 0);
    for (i, part) in Part::ALL.iter().enumerate() {
        let per_slot = two.parts[i].advice - one.parts[i].advice;
        let per_slot_lookup = two.parts[i].lookup - one.parts[i].lookup;
        let fixed = one.parts[i].advice - per_slot;
        let fixed_lookup = one.parts[i].lookup - per_slot_lookup;
        slot_parts = (slot_parts.0 + per_slot, slot_parts.1 + per_slot_lookup);
        fixed_parts = (fixed_parts.0 + fixed, fixed_parts.1 + fixed_lookup);
        println!(
            "{:<30} {:>12} {:>10} {:>14} {:>10}",
            part.name(),
            per_slot,
            per_slot_lookup,
            fixed,
            fixed_lookup
        );
    }
    let slot_total = two.advice - one.advice;
    let slot_lookup = two.lookup - one.lookup;
    let fixed_total = one.advice - slot_total;
    let fixed_lookup = one.lookup - slot_lookup;
    println!(
        "{:<30} {:>12} {:>10} {:>14} {:>10}",
        "rules, selection, encoding",
        slot_total - slot_parts.0,
        slot_lookup - slot_parts.1,
        fixed_total - fixed_parts.0,
        fixed_lookup - fixed_parts.1
    );
    println!(
        "{:<30} {:>12} {:>10} {:>14} {:>10}",
        "total", slot_total, slot_lookup, fixed_total, fixed_lookup
    );
    println!(
        "per slot: {slot_total} advice cells = {:.2} columns of 2^{k} rows",
        columns(slot_total)
    );

    let chunk = layout(k, slots);
    let (b, _) = builder(CircuitBuilderStage::Keygen, k, &trade_chunks(slots, slots)[0]);
    let config = b.config_params.clone();
    drop(b);
    println!(
        "\nchunk of {slots} slots: {} advice cells, {} lookup cells; at k = {k}: {} advice \
         columns, {} lookup columns, {} fixed columns ({:.1} % of advice rows used)",
        chunk.advice,
        chunk.lookup,
        config.num_advice_per_phase.iter().sum::<usize>(),
        config.num_lookup_advice_per_phase.iter().sum::<usize>(),
        config.num_fixed,
        100.0 * chunk.advice as f64
            / (config.num_advice_per_phase[0] as f64 * ((1u64 << k) as f64 - 10.0)),
    );

    if env("CHUNK_PROVE", 1) == 0 {
        return;
    }
    let chunks = trade_chunks(2 * slots, slots);
    let t = Instant::now();
    let srs = insecure_dev_srs(k as u32);
    println!("\nINSECURE development SRS (fixed seed), 2^{k}: {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let params = CircuitParams { depth, slots, k: k as u32 };
    let keys = keygen(&srs, &params).unwrap();
    println!("keygen (vk + pk): {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let proof = prove(&srs, &keys, &chunks[1]).unwrap();
    let prove_s = t.elapsed().as_secs_f64();
    println!(
        "prove one chunk of {slots} trades: {prove_s:.1} s = {:.3} trades proven/s; proof {} bytes",
        slots as f64 / prove_s,
        proof.len()
    );
    let runs = 20;
    let t = Instant::now();
    for _ in 0..runs {
        verify(&srs, keys.vk(), &proof, &chunks[1].instance).unwrap();
    }
    println!(
        "verify one chunk proof: {:.1} ms (mean of {runs})",
        t.elapsed().as_secs_f64() * 1e3 / runs as f64
    );
    if let Some(mib) = peak_memory_mib() {
        println!("peak memory: {mib} MiB");
    }
}
