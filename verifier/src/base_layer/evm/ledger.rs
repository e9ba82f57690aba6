//! The EVM base layer behind [`BaseLayer`]: `Settlement.sol` and the generated
//! aggregation verifier (`Verifier.sol`) deployed in an in-memory revm. The
//! contract decides every post; this side only encodes the calls, and keeps
//! what an indexer would (each accepted post and its record, read from the
//! contract's events) so [`BaseLayer::batch`] and [`BaseLayer::posted`] answer.
//!
//! A post must carry its aggregated proof ([`PostedBatch::aggregate`]). The
//! escape hatch (forced withdrawals, freeze, escapes) is not in the contract
//! yet, so this base layer does not implement `EscapeHatch`, and its forced
//! queue is empty.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use clearproof_circuits::circuit::aggregation::ACCUMULATOR_LIMBS;
use clearproof_protocol::batch::BatchHeader;
use clearproof_protocol::signature::PublicKey;
use clearproof_protocol::state::{Genesis, State};
use clearproof_protocol::tx::{Deposit, Transaction, Withdrawal};
use clearproof_protocol::types::{AccountId, Amount};
use clearproof_protocol::Fr;
use revm::primitives::keccak256;

use super::abi::{encode_call, word, word_to_fr, Token};
use super::settlement::Settlement;
use super::{Address, Evm, EvmError, Log, U256};
use crate::base_layer::hatch::ForcedEntry;
use crate::base_layer::rules::{check_key, AcceptedBatch, PostedBatch};
use crate::base_layer::state::LedgerState;
use crate::base_layer::{BaseLayer, LedgerError};
use crate::key::VerifierKey;
use crate::Rejection;

/// The aggregation verifier's deployment bytecode (hex) for the production
/// aggregation key with the development SRS, compiled by `evm/build.sh`.
pub const VERIFIER_BIN: &str = include_str!("../../../evm/build/Halo2Verifier.bin");

/// The committed fixture (`evm/fixtures/settlement.json`): two batches
/// aggregated with the production key, for the tests and `clearproof evm
/// verify`.
pub const FIXTURE_JSON: &str = include_str!("../../../evm/fixtures/settlement.json");

/// The fixture's aggregated batch proofs, in order.
pub fn fixture_aggregates() -> Vec<crate::base_layer::rules::PostedAggregate> {
    #[derive(serde::Deserialize)]
    struct Fixture {
        batches: Vec<crate::base_layer::rules::PostedAggregate>,
    }
    serde_json::from_str::<Fixture>(FIXTURE_JSON).expect("the committed fixture parses").batches
}

/// Gas of one accepted post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostGas {
    /// The whole `postBatch` transaction.
    pub total: u64,
    /// The verifier alone, called with the same proof (an `eth_call`; the
    /// transaction's 21,000 base included).
    pub verification: u64,
}

/// The EVM base layer (see the module).
pub struct EvmLedger {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for EvmLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvmLedger").finish_non_exhaustive()
    }
}

struct Inner {
    evm: Evm,
    settlement: Settlement,
    verifier: Address,
    genesis: Genesis,
    /// The state at genesis (key digests, circuit, no hatch): what the
    /// contract does not hold; its own values are read over it.
    genesis_state: LedgerState,
    accepted: BTreeMap<u64, (AcceptedBatch, PostedBatch, PostGas)>,
}

impl EvmLedger {
    /// Deploys the verifier (`verifier_bytecode`, deployment code) and a
    /// settlement contract at `genesis`'s root (at `key`'s depth), holding its
    /// insurance fund. `key` is the chunk key posts are proven for (its digest
    /// and SRS are checked as the Rust ledger checks them).
    pub fn deploy(
        verifier_bytecode: &[u8],
        genesis: &Genesis,
        key: &VerifierKey,
    ) -> Result<Self, LedgerError> {
        let root = State::genesis_with_depth(genesis, key.manifest.circuit.depth)
            .map_err(|e| LedgerError::Genesis(e.to_string()))?
            .root();
        let mut evm = Evm::new();
        let verifier = evm.deploy(verifier_bytecode, &[]).map_err(storage)?;
        let settlement = Settlement::deploy(&mut evm, verifier, root, genesis.insurance_fund.get())
            .map_err(storage)?;
        Ok(Self {
            inner: Mutex::new(Inner {
                evm,
                settlement,
                verifier,
                genesis: genesis.clone(),
                genesis_state: LedgerState::genesis(root, key, genesis.insurance_fund.get()),
                accepted: BTreeMap::new(),
            }),
        })
    }

    /// [`EvmLedger::deploy`] with the committed production verifier
    /// ([`VERIFIER_BIN`]).
    pub fn deploy_production(genesis: &Genesis, key: &VerifierKey) -> Result<Self, LedgerError> {
        let code = hex::decode(VERIFIER_BIN.trim()).expect("Verifier.bin is hex");
        Self::deploy(&code, genesis, key)
    }

    /// Gas of accepted batch `number`'s post.
    pub fn gas(&self, number: u64) -> Option<PostGas> {
        self.lock().accepted.get(&number).map(|a| a.2)
    }

    /// Micro-units released to `owner` (withdrawals and refunds).
    pub fn withdrawable(&self, owner: &PublicKey) -> Result<u128, LedgerError> {
        let mut inner = self.lock();
        let Inner { evm, settlement, .. } = &mut *inner;
        let value = settlement.withdrawable(evm, owner).map_err(storage)?;
        u128::try_from(value).map_err(|_| LedgerError::Storage("withdrawable above 2^128".into()))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn storage(e: EvmError) -> LedgerError {
    LedgerError::Storage(format!("EVM: {e}"))
}

/// A refused post: the contract's reason, or the EVM's failure.
fn refused(e: EvmError) -> LedgerError {
    match e {
        EvmError::Revert { reason, output, .. } => LedgerError::Rejected(Rejection::Contract(
            reason.unwrap_or_else(|| format!("0x{}", hex::encode(output))),
        )),
        other => storage(other),
    }
}

impl Inner {
    fn state(&mut self) -> Result<LedgerState, LedgerError> {
        let s = self.settlement.state(&mut self.evm).map_err(storage)?;
        Ok(LedgerState {
            root: s.root,
            genesis_root: s.genesis_root,
            batches: s.batches,
            deposits_queued: s.deposits_queued,
            deposits_consumed: s.deposits_consumed,
            held: s.held,
            ..self.genesis_state.clone()
        })
    }

    fn queued(&mut self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        let call = encode_call("queued(uint64)", &[Token::Uint(U256::from(index))]);
        let out = match self.evm.view(self.settlement.address, &call) {
            Ok(out) => out.output,
            Err(EvmError::Revert { .. }) => return Ok(None),
            Err(e) => return Err(storage(e)),
        };
        let words: Vec<U256> = (0..4).filter_map(|i| word(&out, i)).collect();
        let [account, x, y, amount] = words[..] else {
            return Err(LedgerError::Storage("queued(): short return data".into()));
        };
        Ok(Some(Deposit {
            account: to_account(account)?,
            owner: to_key(x, y)?,
            amount: to_amount(amount)?,
        }))
    }
}

fn to_fr(w: U256) -> Result<Fr, LedgerError> {
    word_to_fr(w).ok_or_else(|| LedgerError::Storage("not a field element".into()))
}

fn to_account(w: U256) -> Result<AccountId, LedgerError> {
    let v = i128::try_from(w).map_err(|_| LedgerError::Storage("account out of range".into()))?;
    AccountId::new(v).map_err(|e| LedgerError::Storage(e.to_string()))
}

fn to_amount(w: U256) -> Result<Amount, LedgerError> {
    let v = i128::try_from(w).map_err(|_| LedgerError::Storage("amount out of range".into()))?;
    Amount::new(v).map_err(|e| LedgerError::Storage(e.to_string()))
}

fn to_key(x: U256, y: U256) -> Result<PublicKey, LedgerError> {
    PublicKey::from_xy(to_fr(x)?, to_fr(y)?).map_err(|e| LedgerError::Storage(e.to_string()))
}

/// The events of an accepted post, as the batch's record.
struct Events {
    refunds: Vec<Deposit>,
    withdrawals: Vec<Withdrawal>,
    accepted: Option<(Fr, Fr, Fr)>,
}

fn topic(signature: &str) -> revm::primitives::B256 {
    keccak256(signature.as_bytes())
}

fn events(logs: &[Log], settlement: Address) -> Result<Events, LedgerError> {
    let refunded = topic("DepositRefunded(uint64,uint64,uint256,uint256,uint64)");
    let released = topic("WithdrawalReleased(uint64,uint64,uint256,uint256,uint256)");
    let accepted = topic("BatchAccepted(uint64,uint256,uint256,uint256)");
    let mut out = Events { refunds: Vec::new(), withdrawals: Vec::new(), accepted: None };
    for log in logs.iter().filter(|l| l.address == settlement) {
        let topics = log.data.topics();
        let data = log.data.data.as_ref();
        let w = |i| word(data, i).ok_or_else(|| LedgerError::Storage("short event data".into()));
        let indexed = |i: usize| -> Result<U256, LedgerError> {
            topics
                .get(i)
                .map(|t| U256::from_be_bytes(t.0))
                .ok_or_else(|| LedgerError::Storage("missing event topic".into()))
        };
        match topics.first() {
            Some(t) if *t == refunded => out.refunds.push(Deposit {
                account: to_account(indexed(2)?)?,
                owner: to_key(w(0)?, w(1)?)?,
                amount: to_amount(w(2)?)?,
            }),
            Some(t) if *t == released => out.withdrawals.push(Withdrawal {
                account: to_account(indexed(2)?)?,
                owner: to_key(w(0)?, w(1)?)?,
                amount: to_amount(w(2)?)?,
            }),
            Some(t) if *t == accepted => {
                out.accepted = Some((to_fr(w(0)?)?, to_fr(w(1)?)?, to_fr(w(2)?)?));
            }
            _ => {}
        }
    }
    Ok(out)
}

impl BaseLayer for EvmLedger {
    fn state(&self) -> Result<LedgerState, LedgerError> {
        self.lock().state()
    }

    fn deposit(&self, deposit: Deposit) -> Result<u64, LedgerError> {
        let mut inner = self.lock();
        let Inner { evm, settlement, .. } = &mut *inner;
        settlement.deposit(evm, &deposit).map(|(index, _)| index).map_err(|e| match e {
            EvmError::Revert { reason, .. } => LedgerError::Storage(format!(
                "the settlement contract refused the deposit: {}",
                reason.unwrap_or_default()
            )),
            other => storage(other),
        })
    }

    fn queued(&self, index: u64) -> Result<Option<Deposit>, LedgerError> {
        self.lock().queued(index)
    }

    fn post(&self, key: &VerifierKey, posted: &PostedBatch) -> Result<AcceptedBatch, LedgerError> {
        let mut inner = self.lock();
        let state = inner.state()?;
        check_key(&state, key)?;
        let aggregate = posted.aggregate.as_ref().ok_or_else(|| {
            Rejection::Malformed("the EVM base layer takes a batch's aggregated proof".into())
        })?;
        let accumulator: [Fr; ACCUMULATOR_LIMBS] =
            aggregate.proof.accumulator.clone().try_into().map_err(|_| {
                Rejection::Malformed(format!("the accumulator has {ACCUMULATOR_LIMBS} limbs"))
            })?;
        let Inner { evm, settlement, verifier, .. } = &mut *inner;
        let outcome = settlement
            .post_batch(
                evm,
                aggregate.instance.next_state_root,
                posted.number,
                &posted.data,
                &accumulator,
                &aggregate.proof.bytes,
            )
            .map_err(refused)?;
        // The verifier alone on the proof the contract accepted.
        let instance = BatchHeader { prev_state_root: state.root, ..aggregate.instance };
        let verification = evm
            .view(*verifier, &aggregate.proof.calldata(&instance))
            .map(|o| o.gas_used)
            .unwrap_or(0);
        let events = events(&outcome.logs, settlement.address)?;
        let (prev_state_root, next_state_root, data_hash) =
            events.accepted.ok_or_else(|| LedgerError::Storage("no BatchAccepted event".into()))?;
        let deposits = posted.data.iter().filter(|t| matches!(t, Transaction::Deposit(_))).count();
        let accepted = AcceptedBatch {
            header: BatchHeader {
                number: posted.number,
                prev_state_root,
                next_state_root,
                data_hash,
            },
            transactions: posted.data.len(),
            deposits,
            refunds: events.refunds,
            chunks: posted.proofs.len(),
            proof_bytes: aggregate.proof.bytes.len(),
            withdrawals: events.withdrawals,
            forced: 0,
        };
        let gas = PostGas { total: outcome.gas_used, verification };
        inner.accepted.insert(posted.number, (accepted.clone(), posted.clone(), gas));
        Ok(accepted)
    }

    fn batch(&self, number: u64) -> Result<Option<AcceptedBatch>, LedgerError> {
        Ok(self.lock().accepted.get(&number).map(|a| a.0.clone()))
    }

    fn posted(&self, number: u64) -> Result<Option<PostedBatch>, LedgerError> {
        Ok(self.lock().accepted.get(&number).map(|a| a.1.clone()))
    }

    fn genesis(&self) -> Result<Genesis, LedgerError> {
        Ok(self.lock().genesis.clone())
    }

    fn forced(&self, _: u64) -> Result<Option<ForcedEntry>, LedgerError> {
        Ok(None)
    }
}
