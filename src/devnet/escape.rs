//! The escape scenario (`--scenario escape`): the operator stops, a forced
//! withdrawal goes unserved, the base layer freezes after the grace, anyone
//! rebuilds the state from the posted data, every account escapes, and the
//! payouts are settled and checked against the rebuilt state.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use clearproof_protocol::account_proof::AccountProof;
use clearproof_protocol::serde_fr::to_hex;
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::State;
use clearproof_protocol::types::{AccountId, Amount};
use clearproof_protocol::{funding, margin};
use clearproof_sequencer::restore::restore;
use clearproof_sequencer::store::{SledStore, Store};
use clearproof_verifier::base_layer::hatch::ForcedRequest;
use clearproof_verifier::base_layer::sled_store::EscapeHatch;

use super::report::short;
use super::workload::{micro, unix_now, Workload};

/// Queues an owner-signed forced withdrawal on `ledger` now.
pub(super) fn force_withdraw(
    ledger: &dyn EscapeHatch,
    owner: &SecretKey,
    account: AccountId,
    amount: Amount,
) -> Result<u64> {
    let request = ledger.forced_account(account)?.requests;
    let chain = ledger.state()?.genesis_root;
    let forced = ForcedRequest::sign(owner, chain, account, amount, request);
    Ok(ledger.force_withdraw(&forced, unix_now())?)
}

/// The operator has stopped: Dave's forced withdrawal goes unserved, anyone
/// freezes after the grace, the state is rebuilt from the base layer alone,
/// every funded account escapes, and the settled payouts must equal
/// `Σ max(0, ⌊TV / 2^32⌋)` of the rebuilt state.
pub(super) fn escape_scenario(
    ledger: &dyn EscapeHatch,
    workload: &Workload,
    operator: &State,
    data_dir: &Path,
    out: &mut dyn std::io::Write,
) -> Result<Vec<(u32, u64)>> {
    writeln!(out, "\nthe operator stops serving (escape scenario)")?;
    let dave = AccountId::new(4)?;
    let index = force_withdraw(ledger, workload.user(4), dave, Amount::new(micro(50.0))?)?;
    writeln!(
        out,
        "forced withdrawal: account 4 asks for 50.000000 USD (queue entry {index}); nobody serves it"
    )?;
    match ledger.freeze(unix_now()) {
        Err(e) => writeln!(out, "freeze at once: refused ({e})")?,
        Ok(_) => bail!("a freeze before the grace was accepted"),
    }
    let grace = ledger.state()?.forced_grace;
    std::thread::sleep(Duration::from_secs(grace + 1));
    let refunds = ledger.freeze(unix_now()).context("freezing after the grace")?;
    let state = ledger.state()?;
    writeln!(
        out,
        "freeze after {grace} s: frozen at batch {} (root {}), {} refunded",
        state.batches,
        short(&to_hex(&state.root)),
        refunds.len()
    )?;
    // Anyone rebuilds the state from what the base layer holds.
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&data_dir.join("restored"))?);
    let restored = restore(ledger, store, |_| {}).context("rebuilding the state")?;
    ensure!(restored.root == state.root, "the rebuilt state is not the last accepted one");
    let accounts = |s: &State| s.accounts().map(|(i, a)| (*i, *a)).collect::<Vec<_>>();
    ensure!(
        accounts(&restored.state) == accounts(operator)
            && restored.state.globals() == operator.globals()
            && restored.state.markets() == operator.markets(),
        "the rebuilt state differs from the operator's"
    );
    writeln!(
        out,
        "state rebuilt from the base layer's posted data: {} batches, root {} (matches the \
         last accepted root and the operator's store, account by account)",
        restored.batch,
        short(&to_hex(&restored.root))
    )?;
    let mut expected = 0u128;
    for (id, _) in restored.state.accounts() {
        let proof = AccountProof::of(&restored.state, *id).context("an existing account")?;
        // Σ max(0, ⌊TV / 2^32⌋) of the rebuilt state, computed here on its own.
        let settled = funding::settle(&proof.value, restored.state.markets())?;
        let tv = margin::total_value(&settled, restored.state.markets());
        if tv > 0 {
            expected += (tv >> 32u32).as_u128();
        }
        let claim = ledger.escape(&proof, unix_now())?;
        writeln!(
            out,
            "escape: account {id} claims {:.6} USD for its owner on record",
            claim.claim as f64 / 1e6
        )?;
        if let Ok(again) = ledger.escape(&proof, unix_now()) {
            bail!("a second escape of account {id} was accepted: {again:?}");
        }
    }
    let frozen_at = state.frozen_at.context("frozen")?;
    let window_end = frozen_at + state.escape_window;
    let wait = window_end.saturating_sub(unix_now()) + 1;
    std::thread::sleep(Duration::from_secs(wait));
    let payouts = ledger.settle_escapes(unix_now()).context("settling the escapes")?;
    writeln!(
        out,
        "\nescape payouts (claim window closed; a second escape of any account was refused):"
    )?;
    let mut paid = 0u128;
    for p in &payouts {
        writeln!(out, "  account {}: {:.6} USD", p.account, p.paid as f64 / 1e6)?;
        ensure!(p.paid == p.claim, "account {} was paid pro rata", p.account);
        paid += u128::from(p.paid);
    }
    ensure!(
        paid == expected,
        "payouts total {paid} micro-units, Σ max(0, TV) of the rebuilt state is {expected}"
    );
    writeln!(
        out,
        "payouts total {:.6} USD = Σ max(0, TV) over {} accounts; the base layer keeps {:.6} USD \
         (insurance fund, fees, rounding)",
        paid as f64 / 1e6,
        payouts.len(),
        ledger.state()?.held as f64 / 1e6
    )?;
    Ok(payouts.iter().map(|p| (p.account.get(), p.paid)).collect())
}
