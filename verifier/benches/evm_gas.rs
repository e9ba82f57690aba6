//! Gas of one proof per batch on the EVM, at each rung of the aggregation
//! ladder: the rung's generated verifier and its batch (the first batch of a
//! chain: two deposits, then trades filling every slot), posted to
//! `Settlement.sol` in revm.
//!
//! Run by `verifier/evm/bench.sh`, which first runs the aggregation ladder
//! (`target/aggregation/c*/`) and compiles each rung's verifier into
//! `target/aggregation/c*/build/`.

use std::path::PathBuf;

use clearproof_circuits::circuit::aggregation::{AggregateProof, ACCUMULATOR_LIMBS};
use clearproof_protocol::tx::{Deposit, Transaction};
use clearproof_protocol::Fr;
use clearproof_verifier::base_layer::evm::abi::fr_to_word;
use clearproof_verifier::base_layer::evm::settlement::{
    encode_data, post_batch_calldata, Settlement,
};
use clearproof_verifier::base_layer::evm::Evm;
use serde::Deserialize;

/// StarkEx's published gas per perpetual trade (recursive proofs, fully
/// optimised batches): <https://docs.starkware.co/starkex/on-chain_gas_usage.html>.
const STARKEX_GAS_PER_TRADE: u64 = 426;

#[derive(Deserialize)]
struct Rung {
    chunks: usize,
    k: u32,
    trades: usize,
    deposits: Vec<Deposit>,
    data: Vec<Transaction>,
    instance: clearproof_protocol::batch::BatchHeader,
    proof: AggregateProof,
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_string());
    let root = PathBuf::from(target).join("aggregation");
    let mut rungs: Vec<(Rung, Vec<u8>)> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e} (run verifier/evm/bench.sh)", root.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let dir = e.path();
            let rung: Rung =
                serde_json::from_str(&std::fs::read_to_string(dir.join("batch.json")).ok()?)
                    .ok()?;
            let bin = std::fs::read_to_string(dir.join("build/Halo2Verifier.bin")).ok()?;
            Some((rung, hex::decode(bin.trim()).expect("hex")))
        })
        .collect();
    rungs.sort_by_key(|r| r.0.chunks);
    println!("one proof per batch on the EVM (revm; INSECURE development SRS)");
    println!(
        "{:>6} {:>3} {:>6} {:>13} {:>12} {:>12} {:>12} {:>14} {:>9} {:>13}",
        "chunks",
        "k",
        "trades",
        "initcode B",
        "verify gas",
        "settle gas",
        "postBatch",
        "calldata B",
        "gas/tx",
        "gas/trade"
    );
    for (rung, verifier_code) in &rungs {
        let mut evm = Evm::new();
        let verifier = evm.deploy(verifier_code, &[]).expect("the verifier deploys");
        let code_bytes = verifier_code.len();
        let settlement = Settlement::deploy(&mut evm, verifier, rung.instance.prev_state_root, 0)
            .expect("settlement deploys");
        for d in &rung.deposits {
            settlement.deposit(&mut evm, d).expect("deposit");
        }
        let verification = evm
            .view(verifier, &rung.proof.calldata(&rung.instance))
            .expect("the verifier accepts")
            .gas_used;
        let accumulator: [Fr; ACCUMULATOR_LIMBS] =
            rung.proof.accumulator.clone().try_into().expect("12 limbs");
        let calldata = post_batch_calldata(
            fr_to_word(&rung.instance.next_state_root),
            rung.instance.number,
            &encode_data(&rung.data),
            &accumulator.map(|f| fr_to_word(&f)),
            &rung.proof.bytes,
        );
        let total = evm.call(settlement.address, &calldata).expect("postBatch accepted").gas_used;
        let txs = rung.data.len() as u64;
        println!(
            "{:>6} {:>3} {:>6} {:>13} {:>12} {:>12} {:>12} {:>14} {:>9} {:>13}",
            rung.chunks,
            rung.k,
            rung.trades,
            code_bytes,
            verification,
            total - verification,
            total,
            calldata.len(),
            total / txs,
            total / rung.trades as u64,
        );
    }
    println!(
        "StarkEx publishes {STARKEX_GAS_PER_TRADE} gas per perpetual trade (fully optimised \
         batches, docs.starkware.co/starkex/on-chain_gas_usage.html); here the contract \
         recomputes the Poseidon data hash, about 102k gas per transaction"
    );
}
