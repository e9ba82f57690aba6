//! The aggregation ladder: for 1, 2, 4, … chunk proofs per batch, the
//! aggregation circuit's keygen and proving time, its peak memory and its
//! shape, on a batch filling every slot of its chunks (two deposits, then trades).
//!
//! `cargo bench -p clearproof-circuits --bench aggregation`
//!
//! Each rung runs in its own process (so its peak memory is its own) and writes
//! `target/aggregation/c{chunks}/`: the Solidity verifier (`Verifier.sol`), the
//! proof and the batch (`batch.json`: the first batch of a chain, two deposits
//! then trades filling every slot), which the EVM bench (`verifier/evm/bench.sh`)
//! compiles and posts for gas.
//!
//! `AGG_LADDER=1,2,4` picks the rungs; `AGG_K_1=21` (etc.) a rung's `k` (default
//! 21 + log2(chunks)). Rungs stop at the first that would pass `AGG_MAX_GIB`
//! (default 20) of peak memory.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use clearproof_circuits::circuit::aggregation::{AggregationKey, AggregationParams, RootOpening};
use clearproof_circuits::circuit::{CircuitParams, ProvingKey, Srs};
use clearproof_protocol::tx::Transaction;
use clearproof_protocol::witness::chunk_witnesses_padded;

#[path = "workload.rs"]
mod workload;

fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

fn default_k(chunks: usize) -> u32 {
    21 + chunks.next_power_of_two().trailing_zeros()
}

fn out_dir(chunks: usize) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_string());
    PathBuf::from(target).join("aggregation").join(format!("c{chunks}"))
}

/// One rung, in this process.
fn rung(chunks: usize, k: u32) {
    let chunk = CircuitParams::PRODUCTION;
    let params = AggregationParams { chunk, chunks, k };
    let t = Instant::now();
    let srs = Srs::insecure_dev(k);
    let srs_s = t.elapsed().as_secs_f64();
    let chunk_srs = Srs::insecure_dev(chunk.k);
    let t = Instant::now();
    let chunk_pk = ProvingKey::generate(&chunk_srs, &chunk).expect("chunk keygen");
    let chunk_keygen_s = t.elapsed().as_secs_f64();

    let (genesis, deposits, batch) = workload::first_batch(chunks * chunk.slots);
    let trades = batch.applied().filter(|t| matches!(t, Transaction::Trade(_))).count();
    let witnesses = chunk_witnesses_padded(&batch, chunk.slots, chunks).expect("fits");
    let t = Instant::now();
    let proofs: Vec<_> = witnesses
        .iter()
        .map(|w| (chunk_pk.prove(&chunk_srs, w).expect("chunk proof"), w.instance))
        .collect();
    let chunk_prove_s = t.elapsed().as_secs_f64();
    drop(chunk_pk);

    let t = Instant::now();
    let key = AggregationKey::generate(&srs, &chunk_srs, &proofs_vk(&chunk_srs, &chunk), params)
        .expect("aggregation keygen");
    let keygen_s = t.elapsed().as_secs_f64();
    let config = key.layout().config;
    let opening = RootOpening::after(&batch);
    let t = Instant::now();
    let (proof, instance) =
        key.prove(&srs, &chunk_srs, &proofs, &opening).expect("aggregation proof");
    let prove_s = t.elapsed().as_secs_f64();
    assert_eq!(instance, batch.header());
    let t = Instant::now();
    key.vk().verify(&srs, &proof, &instance).expect("the aggregation proof verifies");
    let verify_ms = t.elapsed().as_secs_f64() * 1e3;
    let solidity = key.vk().solidity(&srs);

    let dir = out_dir(chunks);
    std::fs::create_dir_all(&dir).expect("output directory");
    std::fs::write(dir.join("Verifier.sol"), &solidity).expect("write verifier");
    let record = serde_json::json!({
        "chunks": chunks,
        "k": k,
        "trades": trades,
        "genesis": genesis,
        "deposits": deposits,
        "data": batch.applied().cloned().collect::<Vec<_>>(),
        "instance": instance,
        "proof": proof,
        "vk_digest": key.vk().digest(),
    });
    std::fs::write(dir.join("batch.json"), serde_json::to_string_pretty(&record).unwrap())
        .expect("write batch");
    println!(
        "RUNG chunks={chunks} k={k} advice={} lookup_advice={} fixed={} trades={trades} \
         srs_s={srs_s:.1} chunk_keygen_s={chunk_keygen_s:.1} chunk_prove_s={chunk_prove_s:.1} \
         keygen_s={keygen_s:.1} prove_s={prove_s:.1} verify_ms={verify_ms:.1} \
         proof_bytes={} calldata_bytes={} solidity_kb={} peak_mib={}",
        config.num_advice,
        config.num_lookup_advice,
        config.num_fixed,
        proof.bytes.len(),
        proof.calldata(&instance).len(),
        solidity.len() / 1024,
        peak_memory_mib().unwrap_or(0),
    );
}

fn proofs_vk(chunk_srs: &Srs, chunk: &CircuitParams) -> clearproof_circuits::circuit::VerifyingKey {
    clearproof_circuits::circuit::VerifyingKey::generate(chunk_srs, chunk).expect("chunk vk")
}

/// `AGG_FIXTURES=DIR` (`verifier/evm`): the EVM fixtures, with the production
/// aggregation ([`AggregationParams::PRODUCTION`]): two batches from a depth-24
/// genesis (three deposits; then a trade and a withdrawal), each aggregated,
/// written to `DIR/fixtures/settlement.json`, with the Solidity verifier in
/// `DIR/contracts/Verifier.sol`. `verifier/evm/build.sh --fixtures` runs this,
/// then compiles the verifier.
fn fixtures(dir: &std::path::Path) {
    use clearproof_protocol::orders::OrderId;
    use clearproof_protocol::signature::SecretKey;
    use clearproof_protocol::state::State;
    use clearproof_protocol::tx::{KeyRing, Trade, Withdraw};
    use clearproof_protocol::types::*;

    let params = AggregationParams::PRODUCTION;
    let chunk = params.chunk;
    let t = Instant::now();
    let srs = Srs::insecure_dev(params.k);
    let chunk_srs = Srs::insecure_dev(chunk.k);
    let chunk_pk = ProvingKey::generate(&chunk_srs, &chunk).expect("chunk keygen");
    let key = AggregationKey::generate(&srs, &chunk_srs, chunk_pk.vk(), params)
        .expect("aggregation keygen");
    eprintln!("keys in {:.0} s", t.elapsed().as_secs_f64());

    let genesis = workload::genesis(1_000);
    let mut state = State::genesis_with_depth(&genesis, chunk.depth).unwrap();
    let genesis_root = state.root();
    let keys = KeyRing::new((1..=3u8).map(|i| SecretKey::from_bytes([i; 32]).unwrap()));
    let deposits = workload::deposits(3, 1_000_000);
    let first: Vec<Transaction> = deposits.iter().cloned().map(Transaction::Deposit).collect();
    let second = vec![
        Transaction::Trade(Trade {
            market: MarketId::new(0).unwrap(),
            buyer: AccountId::new(1).unwrap(),
            seller: AccountId::new(2).unwrap(),
            base: Amount::new(10).unwrap(),
            quote: Amount::new(1_000).unwrap(),
            buyer_fee: Quote::new(1).unwrap(),
            seller_fee: Quote::new(1).unwrap(),
            buyer_order_id: OrderId::new(1).unwrap(),
            seller_order_id: OrderId::new(1).unwrap(),
        }),
        Transaction::Withdraw(Withdraw {
            account: AccountId::new(3).unwrap(),
            amount: Amount::new(5_000).unwrap(),
            nonce: Nonce::new(0).unwrap(),
        }),
    ];
    let mut batches = Vec::new();
    for txs in [first, second] {
        let batch = state.apply_batch_signed(&txs, &keys);
        assert_eq!(batch.witnesses.len(), txs.len(), "every transaction applies");
        let witnesses = chunk_witnesses_padded(&batch, chunk.slots, params.chunks).expect("fits");
        let proofs: Vec<_> = witnesses
            .iter()
            .map(|w| (chunk_pk.prove(&chunk_srs, w).expect("chunk proof"), w.instance))
            .collect();
        let t = Instant::now();
        let (proof, instance) =
            key.prove(&srs, &chunk_srs, &proofs, &RootOpening::after(&batch)).expect("aggregation");
        eprintln!("batch {} aggregated in {:.0} s", batch.batch_number, t.elapsed().as_secs_f64());
        key.vk().verify(&srs, &proof, &instance).expect("verifies");
        batches.push(serde_json::json!({
            "data": batch.applied().cloned().collect::<Vec<_>>(),
            "instance": instance,
            "proof": proof,
            "calldata": hex::encode(proof.calldata(&instance)),
            "chunk_proofs": proofs,
        }));
    }
    let fixture = serde_json::json!({
        "note": "generated by `verifier/evm/build.sh --fixtures`; INSECURE development SRS; \
                 each batch's `calldata` is what the verifier contract is called with",
        "chunk_vk_digest": chunk_pk.vk().digest(),
        "aggregation": params,
        "aggregation_config": key.layout().config,
        "aggregation_vk_digest": key.vk().digest(),
        "genesis": genesis,
        "genesis_root": clearproof_protocol::serde_fr::to_hex(&genesis_root),
        "deposits": deposits,
        "batches": batches,
    });
    std::fs::create_dir_all(dir.join("fixtures")).expect("fixture directory");
    std::fs::write(
        dir.join("fixtures/settlement.json"),
        serde_json::to_string_pretty(&fixture).unwrap(),
    )
    .expect("write fixture");
    std::fs::write(dir.join("contracts/Verifier.sol"), key.vk().solidity(&srs))
        .expect("write verifier");
    println!("fixtures written to {}", dir.display());
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if let Ok(dir) = std::env::var("AGG_FIXTURES") {
        fixtures(std::path::Path::new(&dir));
        return;
    }
    if let Ok(chunks) = std::env::var("AGG_RUNG") {
        let chunks: usize = chunks.parse().expect("AGG_RUNG");
        let k = std::env::var(format!("AGG_K_{chunks}"))
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| default_k(chunks));
        rung(chunks, k);
        return;
    }
    let ladder = std::env::var("AGG_LADDER").unwrap_or_else(|_| "1,2,4".into());
    let max_mib =
        std::env::var("AGG_MAX_GIB").ok().and_then(|v| v.parse().ok()).unwrap_or(20u64) * 1024;
    println!("aggregation ladder (2 cores here; INSECURE development SRS)");
    println!(
        "{:>6} {:>3} {:>6} {:>9} {:>9} {:>10} {:>11} {:>9} {:>10}",
        "chunks",
        "k",
        "advice",
        "keygen s",
        "prove s",
        "verify ms",
        "proof bytes",
        "peak GiB",
        "trades"
    );
    let exe = std::env::current_exe().expect("bench binary");
    let mut last_peak = 0;
    for chunks in ladder.split(',').filter_map(|c| c.trim().parse::<usize>().ok()) {
        if last_peak * 2 > max_mib {
            println!("{chunks:>6}  skipped: the previous rung's {last_peak} MiB doubled would pass the limit");
            break;
        }
        let out =
            Command::new(&exe).env("AGG_RUNG", chunks.to_string()).output().expect("run a rung");
        let text = String::from_utf8_lossy(&out.stdout);
        let Some(line) = text.lines().find(|l| l.starts_with("RUNG ")) else {
            println!("{chunks:>6}  failed: {}", String::from_utf8_lossy(&out.stderr));
            break;
        };
        let get = |name: &str| -> String {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .unwrap_or("?")
                .to_string()
        };
        last_peak = get("peak_mib").parse().unwrap_or(0);
        println!(
            "{:>6} {:>3} {:>6} {:>9} {:>9} {:>10} {:>11} {:>9.1} {:>10}",
            chunks,
            get("k"),
            get("advice"),
            get("keygen_s"),
            get("prove_s"),
            get("verify_ms"),
            get("proof_bytes"),
            last_peak as f64 / 1024.0,
            get("trades"),
        );
        println!("       {line}");
    }
    println!("outputs (Solidity verifier, proof, public data) in target/aggregation/c*/");
}
