//! The chunk circuit's cost report at the production tree depth (24), with the
//! Poseidon chip and, side by side, the same circuit hashing with halo2-base's
//! hasher (the circuit before the chip):
//!
//! 1. one 2-to-1 hash: advice cells, and rows × advice columns;
//! 2. cost by part, per slot and per chunk (from the layouts of a 1-slot and a
//!    2-slot chunk: the difference is one slot, the rest is the chunk's own);
//! 3. the layout at each circuit's `S` and `k` (columns, rows used);
//! 4. a real KZG keygen, proof and verification of each, every one in a child
//!    process of its own so peak memory is its own, with an INSECURE development
//!    SRS: times, proof size, trades proven per second and peak memory.
//!
//! `cargo bench -p clearproof-circuits --bench chunk`
//! (`CHUNK_SLOTS`, `CHUNK_K` override the chip circuit's `params::CHUNK_SLOTS` and
//! `params::CHUNK_K`; `BASELINE_SLOTS`, `BASELINE_K` the baseline's 4 and 17;
//! `CHUNK_PROVE=0` skips step 4, `CHUNK_BASELINE=0` the baseline's proof in it.)

use std::process::Command;
use std::time::Instant;

use clearproof_circuits::circuit::chunk::{builder_with, prover_builder_with, Hashing};
use clearproof_circuits::circuit::cost::{measure, Cost, Part};
use clearproof_circuits::circuit::eddsa_chip::ADVICE_COLUMNS as CHIP_COLUMNS;
use clearproof_circuits::circuit::hash::{CircuitHasher, HashedCircuit};
use clearproof_circuits::circuit::poseidon_chip::{rows_for_hash, ADVICE_COLUMNS};
use clearproof_circuits::circuit::proof::{keygen_circuit, prove_circuit, verify_circuit};
use clearproof_circuits::circuit::Srs;
use clearproof_protocol::params::{ACCOUNT_TREE_DEPTH, CHUNK_K, CHUNK_SLOTS};
use clearproof_protocol::witness::{chunk_witnesses, ChunkWitness};
use clearproof_protocol::Fr;
use halo2_base::gates::circuit::builder::RangeCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::{RangeChip, RangeInstructions};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[path = "workload.rs"]
mod workload;

/// A batch of `trades` trades (only trades: every slot costs the same whatever
/// its type, since every slot lays out every type's constraints) cut into chunks
/// of `slots`.
fn trade_chunks(trades: usize, slots: usize) -> Vec<ChunkWitness> {
    chunk_witnesses(&workload::trade_batch(trades), slots)
}

/// One circuit of the comparison.
#[derive(Clone, Copy)]
struct Variant {
    name: &'static str,
    hashing: Hashing,
    slots: usize,
    k: usize,
}

/// Cells of one variant's layout.
struct Layout {
    parts: [Cost; Part::ALL.len()],
    /// halo2-base advice cells (gate columns).
    advice: usize,
    /// halo2-base lookup cells.
    lookup: usize,
    /// Rows of the chips (Poseidon hashes and EdDSA signatures, stacked).
    chip_rows: usize,
}

impl Layout {
    /// Advice cells in the unit both circuits share: halo2-base cells plus the
    /// chips' rows × the width of their shared columns (the EdDSA chip's 11, of
    /// which the Poseidon chip's rows use 9).
    fn cells(&self) -> usize {
        self.advice + self.chip_rows * CHIP_COLUMNS
    }
}

fn layout(v: Variant, slots: usize) -> Layout {
    let w = trade_chunks(slots, slots).remove(0);
    let mut out = (0, 0, 0);
    let parts = measure(|| {
        let (c, _) = builder_with(CircuitBuilderStage::Keygen, v.k, &w, v.hashing);
        let stats = c.base.statistics();
        out = (
            stats.gate.total_advice_per_phase.iter().sum(),
            stats.total_lookup_advice_per_phase.iter().sum(),
            c.chip_rows(),
        );
    });
    Layout { parts, advice: out.0, lookup: out.1, chip_rows: out.2 }
}

fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// halo2-base cells per 2-to-1 hash with `hasher` (64 hashes, constants excluded).
fn base_cells_per_hash(
    make: fn(&mut halo2_base::Context<Fr>, &RangeChip<Fr>) -> CircuitHasher,
) -> f64 {
    let count = |n: usize| {
        let mut b = RangeCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Keygen)
            .use_k(12)
            .use_lookup_bits(8);
        let range = b.range_chip();
        let ctx = b.main(0);
        let hasher = make(ctx, &range);
        let mut acc = ctx.load_witness(Fr::from(1u64));
        for _ in 0..n {
            let x = ctx.load_witness(Fr::from(2u64));
            acc = hasher.hash(ctx, range.gate(), &[acc, x]);
        }
        let cells = ctx.advice.len() - n;
        // Hand the calls to the chip's circuit, as every real circuit does.
        drop(HashedCircuit::new(b, &hasher));
        cells
    };
    (count(64) - count(0)) as f64 / 64.0
}

fn hash_report() {
    println!("\n1. one 2-to-1 hash");
    let theirs = base_cells_per_hash(|ctx, range| CircuitHasher::halo2_base(ctx, range.gate()));
    let glue = base_cells_per_hash(|ctx, range| CircuitHasher::new(ctx, range.gate()));
    let rows = rows_for_hash(2);
    let ours = (rows * ADVICE_COLUMNS) as f64 + glue;
    println!("   halo2-base hasher: {theirs:.0} advice cells = {theirs:.0} rows x 1 advice column");
    println!(
        "   Poseidon chip:     {rows} rows x {ADVICE_COLUMNS} advice columns = {} cells, \
         + {glue:.0} halo2-base cell (the output witness) = {ours:.0} cells",
        rows * ADVICE_COLUMNS
    );
    println!("   the chip is {:.1}x cheaper per hash", theirs / ours);
}

fn parts_report(v: Variant) -> (Layout, Layout) {
    let one = layout(v, 1);
    let two = layout(v, 2);
    println!("\n2. cost by part, {}: halo2-base advice cells (lookup cells), chip rows", v.name);
    println!(
        "   {:<30} {:>10} {:>8} {:>9} {:>12} {:>8} {:>9}",
        "part", "per slot", "lookup", "chip rows", "chunk fixed", "lookup", "chip rows"
    );
    let mut slot_parts = (0, 0, 0);
    let mut fixed_parts = (0, 0, 0);
    for (i, part) in Part::ALL.iter().enumerate() {
        let (a1, a2) = (one.parts[i], two.parts[i]);
        let slot = (a2.advice - a1.advice, a2.lookup - a1.lookup, a2.chip_rows - a1.chip_rows);
        let fixed = (a1.advice - slot.0, a1.lookup - slot.1, a1.chip_rows - slot.2);
        slot_parts = (slot_parts.0 + slot.0, slot_parts.1 + slot.1, slot_parts.2 + slot.2);
        fixed_parts = (fixed_parts.0 + fixed.0, fixed_parts.1 + fixed.1, fixed_parts.2 + fixed.2);
        println!(
            "   {:<30} {:>10} {:>8} {:>9} {:>12} {:>8} {:>9}",
            part.name(),
            slot.0,
            slot.1,
            slot.2,
            fixed.0,
            fixed.1,
            fixed.2
        );
    }
    let slot = (two.advice - one.advice, two.lookup - one.lookup, two.chip_rows - one.chip_rows);
    let fixed = (one.advice - slot.0, one.lookup - slot.1, one.chip_rows - slot.2);
    println!(
        "   {:<30} {:>10} {:>8} {:>9} {:>12} {:>8} {:>9}",
        "rules, selection, encoding",
        slot.0 - slot_parts.0,
        slot.1 - slot_parts.1,
        slot.2 - slot_parts.2,
        fixed.0 - fixed_parts.0,
        fixed.1 - fixed_parts.1,
        fixed.2 - fixed_parts.2
    );
    println!(
        "   {:<30} {:>10} {:>8} {:>9} {:>12} {:>8} {:>9}",
        "total", slot.0, slot.1, slot.2, fixed.0, fixed.1, fixed.2
    );
    println!(
        "   per slot: {} advice cells in all (halo2-base cells + chip rows x {CHIP_COLUMNS})",
        two.cells() - one.cells()
    );
    (one, two)
}

fn layout_report(v: Variant) {
    let chunk = layout(v, v.slots);
    let (c, _) = builder_with(
        CircuitBuilderStage::Keygen,
        v.k,
        &trade_chunks(v.slots, v.slots)[0],
        v.hashing,
    );
    let config = c.base.config_params.clone();
    let usable = (1usize << v.k) - 10;
    let base_columns = config.num_advice_per_phase.iter().sum::<usize>();
    // The chips' shared columns (the baseline has them too, for its signatures).
    let chip_columns = CHIP_COLUMNS;
    println!(
        "\n3. {} at S = {}, k = {}: {} halo2-base advice columns ({:.1} % used) + {} lookup \
         + {chip_columns} chip columns ({} rows, {:.1} % used); {} advice cells in all",
        v.name,
        v.slots,
        v.k,
        base_columns,
        100.0 * chunk.advice as f64 / (base_columns * usable) as f64,
        config.num_lookup_advice_per_phase.iter().sum::<usize>(),
        chunk.chip_rows,
        100.0 * chunk.chip_rows as f64 / usable as f64,
        chunk.cells(),
    );
}

/// Step 4 for one variant, in this (child) process; prints one `RESULT` line.
fn prove_run(v: Variant) {
    let chunks = trade_chunks(2 * v.slots, v.slots);
    let srs = Srs::insecure_dev(v.k as u32);
    let t = Instant::now();
    let (c, _) = builder_with(CircuitBuilderStage::Keygen, v.k, &chunks[0], v.hashing);
    let pk = match v.hashing {
        Hashing::Chip => keygen_circuit(&srs, &c),
        Hashing::Halo2Base => keygen_circuit(&srs, &c.base),
    }
    .unwrap();
    let (config, break_points) = (c.base.config_params.clone(), c.base.break_points());
    drop(c);
    let keygen_s = t.elapsed().as_secs_f64();
    let w = &chunks[1];
    let t = Instant::now();
    let circuit = prover_builder_with(config, break_points, w, v.hashing);
    let proof = match v.hashing {
        Hashing::Chip => prove_circuit(&srs, &pk, circuit, &w.instance),
        Hashing::Halo2Base => prove_circuit(&srs, &pk, circuit.base, &w.instance),
    }
    .unwrap();
    let prove_s = t.elapsed().as_secs_f64();
    let runs = 20;
    let t = Instant::now();
    for _ in 0..runs {
        verify_circuit(&srs, pk.get_vk(), &proof, &w.instance).unwrap();
    }
    let verify_ms = t.elapsed().as_secs_f64() * 1e3 / runs as f64;
    println!(
        "RESULT {keygen_s:.2} {prove_s:.2} {} {verify_ms:.2} {}",
        proof.len(),
        peak_memory_mib().unwrap_or(0)
    );
}

fn main() {
    let chip = Variant {
        name: "Poseidon chip",
        hashing: Hashing::Chip,
        slots: env("CHUNK_SLOTS", CHUNK_SLOTS),
        k: env("CHUNK_K", CHUNK_K),
    };
    let baseline = Variant {
        name: "halo2-base hasher (baseline)",
        hashing: Hashing::Halo2Base,
        slots: env("BASELINE_SLOTS", 4),
        k: env("BASELINE_K", 17),
    };
    if let Ok(which) = std::env::var("CHUNK_RUN") {
        prove_run(if which == "chip" { chip } else { baseline });
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: skip then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("chunk circuit cost report: tree depth {ACCOUNT_TREE_DEPTH}, 2 cores");
    hash_report();
    let (b1, b2) = parts_report(baseline);
    let (c1, c2) = parts_report(chip);
    let per_slot = |one: &Layout, two: &Layout| two.cells() - one.cells();
    println!(
        "\n   per slot: baseline {} cells, chip {} cells ({} halo2-base + {} chip rows): {:.1}x fewer",
        per_slot(&b1, &b2),
        per_slot(&c1, &c2),
        c2.advice - c1.advice,
        c2.chip_rows - c1.chip_rows,
        per_slot(&b1, &b2) as f64 / per_slot(&c1, &c2) as f64
    );
    println!(
        "   an oracle update (price or funding) takes 2 slots, itself and its continuation: \
         {} chip rows and {} halo2-base cells (4 observations, 4 signature checks); a trade 1 slot",
        2 * (c2.chip_rows - c1.chip_rows),
        2 * (c2.advice - c1.advice),
    );
    layout_report(baseline);
    layout_report(chip);

    if env("CHUNK_PROVE", 1) == 0 {
        return;
    }
    println!("\n4. keygen, prove one chunk of trades, verify (INSECURE development SRS)");
    println!(
        "   {:<30} {:>3} {:>3} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "circuit", "S", "k", "keygen s", "prove s", "trades/s", "proof B", "verify ms", "peak MiB"
    );
    let mut rates = Vec::new();
    let variants = if env("CHUNK_BASELINE", 1) == 0 { vec![chip] } else { vec![baseline, chip] };
    for v in variants {
        let out = Command::new(std::env::current_exe().expect("own path"))
            .env("CHUNK_RUN", if v.hashing == Hashing::Chip { "chip" } else { "baseline" })
            .output()
            .expect("run the child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(line) = stdout.lines().find(|l| l.starts_with("RESULT ")) else {
            panic!("{} failed: {}", v.name, String::from_utf8_lossy(&out.stderr));
        };
        let f: Vec<f64> = line.split_whitespace().skip(1).map(|x| x.parse().unwrap()).collect();
        let rate = v.slots as f64 / f[1];
        rates.push(rate);
        println!(
            "   {:<30} {:>3} {:>3} {:>9.1} {:>9.1} {:>9.3} {:>9} {:>9.1} {:>10}",
            v.name, v.slots, v.k, f[0], f[1], rate, f[2], f[3], f[4]
        );
    }
    if let [baseline, chip] = rates[..] {
        println!("   trades proven/s: {:.1}x the baseline", chip / baseline);
    }
}
