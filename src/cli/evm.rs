//! `clearproof evm`: the EVM base layer from the command line.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum EvmCommand {
    /// Check aggregated batch proofs with the generated Solidity verifier (the
    /// committed bytecode, in revm): each FILE is a batch's aggregate as the
    /// devnet writes it (`DATA_DIR/aggregates/batch-N.json`); with none, the
    /// committed fixture batches. Prints the gas of each check; exits non-zero
    /// if any proof is refused.
    Verify {
        /// Aggregated proofs (JSON: `instance` and `proof`).
        files: Vec<PathBuf>,
    },
}

pub(crate) fn run(command: EvmCommand) -> Result<()> {
    match command {
        EvmCommand::Verify { files } => verify(&files),
    }
}

/// Without the `evm` feature (the quick start's lean build) the command is
/// there, and says how to get it.
#[cfg(not(feature = "evm"))]
fn verify(_: &[PathBuf]) -> Result<()> {
    bail!(clearproof::devnet::NO_EVM)
}

#[cfg(feature = "evm")]
fn verify(files: &[PathBuf]) -> Result<()> {
    use anyhow::Context;
    use clearproof_protocol::serde_fr::to_hex;
    use clearproof_verifier::base_layer::evm::ledger::{fixture_aggregates, VERIFIER_BIN};
    use clearproof_verifier::base_layer::evm::Evm;
    use clearproof_verifier::base_layer::rules::PostedAggregate;

    let aggregates: Vec<(String, PostedAggregate)> = if files.is_empty() {
        fixture_aggregates()
            .into_iter()
            .map(|a| (format!("fixture batch {}", a.instance.number), a))
            .collect()
    } else {
        files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("reading {}", f.display()))?;
                let aggregate: PostedAggregate = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not an aggregated proof", f.display()))?;
                Ok((f.display().to_string(), aggregate))
            })
            .collect::<Result<_>>()?
    };
    let mut evm = Evm::new();
    let code = hex::decode(VERIFIER_BIN.trim()).expect("committed bytecode is hex");
    let verifier = evm.deploy(&code, &[]).context("deploying the verifier")?;
    println!(
        "EVM verifier: {} bytes of code (INSECURE development SRS: anyone can forge proofs)",
        code.len()
    );
    let mut refused = 0;
    for (name, a) in &aggregates {
        let calldata = a.proof.calldata(&a.instance);
        match evm.view(verifier, &calldata) {
            Ok(outcome) => println!(
                "{name}: batch {} from {} to {}: proof accepted, {} gas ({} calldata bytes)",
                a.instance.number,
                &to_hex(&a.instance.prev_state_root)[..10],
                &to_hex(&a.instance.next_state_root)[..10],
                outcome.gas_used,
                calldata.len()
            ),
            Err(e) => {
                refused += 1;
                println!("{name}: REFUSED ({e})");
            }
        }
    }
    if refused > 0 {
        bail!("{refused} of {} proofs refused", aggregates.len());
    }
    Ok(())
}
