//! The EVM base layer of `devnet --aggregate`: Settlement.sol and the
//! generated aggregation verifier in revm (feature `evm`, on by default). The
//! quick start's lean build leaves it out; there `EvmLedger` is a type with no
//! values, so `--aggregate` is refused with how to build it and the paths that
//! read the EVM's gas cannot be reached.

use anyhow::Result;
use clearproof_protocol::state::Genesis;
use clearproof_verifier::key::VerifierKey;

#[cfg(feature = "evm")]
pub(super) use clearproof_verifier::base_layer::evm::ledger::{EvmLedger, PostGas};

/// Deploys the settlement contract and the production aggregation verifier.
#[cfg(feature = "evm")]
pub(super) fn deploy(
    genesis: &Genesis,
    verifier: &VerifierKey,
    out: &mut dyn std::io::Write,
) -> Result<EvmLedger> {
    use anyhow::Context;
    let ledger = EvmLedger::deploy_production(genesis, verifier)
        .context("deploying the settlement contract")?;
    writeln!(
        out,
        "base layer: Settlement.sol and the generated aggregation verifier in revm \
         (an in-memory EVM)"
    )?;
    Ok(ledger)
}

/// No EVM in this build: a type with no values.
#[cfg(not(feature = "evm"))]
#[derive(Debug)]
pub(super) enum EvmLedger {}

/// A post's gas (never measured without the EVM).
#[cfg(not(feature = "evm"))]
#[derive(Debug, Clone, Copy)]
pub(super) struct PostGas {
    pub(super) total: u64,
    pub(super) verification: u64,
}

#[cfg(not(feature = "evm"))]
impl EvmLedger {
    pub(super) fn gas(&self, _: u64) -> Option<PostGas> {
        match *self {}
    }
}

/// Refuses: this build has no EVM.
#[cfg(not(feature = "evm"))]
pub(super) fn deploy(
    _: &Genesis,
    _: &VerifierKey,
    _: &mut dyn std::io::Write,
) -> Result<EvmLedger> {
    anyhow::bail!(super::NO_EVM)
}
