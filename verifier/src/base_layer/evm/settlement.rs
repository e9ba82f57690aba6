//! `Settlement.sol` from Rust: deployment, its calls with the protocol's types,
//! and its state.

use clearproof_protocol::signature::PublicKey;
use clearproof_protocol::tx::{Deposit, Transaction};
use clearproof_protocol::Fr;
use revm::primitives::keccak256;

use super::abi::{self, encode_call, fr_to_word, word, word_to_fr, Token};
use super::{Address, CallOutcome, Evm, EvmError, U256};

/// `Settlement`'s deployment bytecode (hex), compiled by `evm/build.sh`.
pub const SETTLEMENT_BIN: &str = include_str!("../../../evm/build/Settlement.bin");

/// Words of the aggregation accumulator ahead of the public inputs.
pub const ACCUMULATOR_WORDS: usize = 12;

/// A deployed settlement contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// Its address.
    pub address: Address,
}

/// The contract's scalar state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementState {
    /// The proof verifier it calls.
    pub verifier: Address,
    /// The root the chain started at.
    pub genesis_root: Fr,
    /// The last accepted root.
    pub root: Fr,
    /// Accepted batches.
    pub batches: u64,
    /// Deposits ever queued.
    pub deposits_queued: u64,
    /// Deposits consumed (the queue head).
    pub deposits_consumed: u64,
    /// Quote micro-units held.
    pub held: u128,
}

impl Settlement {
    /// Deploys a chain at `genesis_root` whose proofs `verifier` checks,
    /// holding `insurance_fund` micro-units.
    pub fn deploy(
        evm: &mut Evm,
        verifier: Address,
        genesis_root: Fr,
        insurance_fund: u64,
    ) -> Result<Self, EvmError> {
        let code = hex::decode(SETTLEMENT_BIN.trim()).expect("Settlement.bin is hex");
        let args = abi::encode(&[
            Token::Address(verifier),
            Token::Uint(fr_to_word(&genesis_root)),
            Token::Uint(U256::from(insurance_fund)),
        ]);
        Ok(Self { address: evm.deploy(&code, &args)? })
    }

    /// Queues `deposit`; returns its queue index.
    pub fn deposit(
        &self,
        evm: &mut Evm,
        deposit: &Deposit,
    ) -> Result<(u64, CallOutcome), EvmError> {
        let [x, y] = deposit.owner.to_fields();
        let call = encode_call(
            "deposit(uint64,uint256,uint256,uint64)",
            &[
                Token::Uint(U256::from(deposit.account.get())),
                Token::Uint(fr_to_word(&x)),
                Token::Uint(fr_to_word(&y)),
                Token::Uint(U256::from(deposit.amount.get())),
            ],
        );
        let outcome = evm.call(self.address, &call)?;
        Ok((to_u64(word(&outcome.output, 0))?, outcome))
    }

    /// Posts batch `number` reaching `next_root` with public data `data` and
    /// the aggregated proof (`accumulator`, `proof`).
    pub fn post_batch(
        &self,
        evm: &mut Evm,
        next_root: Fr,
        number: u64,
        data: &[Transaction],
        accumulator: &[Fr; ACCUMULATOR_WORDS],
        proof: &[u8],
    ) -> Result<CallOutcome, EvmError> {
        let call = post_batch_calldata(
            fr_to_word(&next_root),
            number,
            &encode_data(data),
            &accumulator.map(|f| fr_to_word(&f)),
            proof,
        );
        evm.call(self.address, &call)
    }

    /// The data hash the contract computes for `data` from `prev_root`.
    pub fn data_hash(
        &self,
        evm: &mut Evm,
        prev_root: Fr,
        data: &[Transaction],
    ) -> Result<Fr, EvmError> {
        let call = encode_call(
            "dataHash(uint256,uint256[])",
            &[Token::Uint(fr_to_word(&prev_root)), Token::Uints(encode_data(data))],
        );
        to_fr(word(&evm.view(self.address, &call)?.output, 0))
    }

    /// The scalar state.
    pub fn state(&self, evm: &mut Evm) -> Result<SettlementState, EvmError> {
        let verifier = self.get(evm, "verifier()")?;
        Ok(SettlementState {
            verifier: Address::from_word(verifier.into()),
            genesis_root: to_fr(Some(self.get(evm, "genesisRoot()")?))?,
            root: to_fr(Some(self.get(evm, "root()")?))?,
            batches: to_u64(Some(self.get(evm, "batches()")?))?,
            deposits_queued: to_u64(Some(self.get(evm, "depositsQueued()")?))?,
            deposits_consumed: to_u64(Some(self.get(evm, "depositsConsumed()")?))?,
            held: u128::try_from(self.get(evm, "held()")?)
                .map_err(|_| malformed("held above 2^128"))?,
        })
    }

    /// The owner on record of account `account` (`[x, y]`; zero if none).
    pub fn owner(&self, evm: &mut Evm, account: u64) -> Result<[U256; 2], EvmError> {
        let call = encode_call("ownerOf(uint256)", &[Token::Uint(U256::from(account))]);
        let out = evm.view(self.address, &call)?.output;
        Ok([word(&out, 0), word(&out, 1)].map(|w| w.unwrap_or_default()))
    }

    /// Micro-units released to `owner` (withdrawals and refunds).
    pub fn withdrawable(&self, evm: &mut Evm, owner: &PublicKey) -> Result<U256, EvmError> {
        let [x, y] = owner.to_fields();
        let key =
            keccak256(abi::encode(&[Token::Uint(fr_to_word(&x)), Token::Uint(fr_to_word(&y))]));
        let call = encode_call("withdrawable(bytes32)", &[Token::Uint(key.into())]);
        word(&evm.view(self.address, &call)?.output, 0).ok_or_else(|| malformed("no return value"))
    }

    fn get(&self, evm: &mut Evm, signature: &str) -> Result<U256, EvmError> {
        word(&evm.view(self.address, &encode_call(signature, &[]))?.output, 0)
            .ok_or_else(|| malformed("no return value"))
    }
}

/// The public data as the contract takes it: each transaction's `encode()`.
pub fn encode_data(data: &[Transaction]) -> Vec<U256> {
    data.iter().flat_map(|tx| tx.encode()).map(|f| fr_to_word(&f)).collect()
}

/// Calldata of `postBatch(uint256,uint64,uint256[],uint256[12],bytes)` from raw words.
pub fn post_batch_calldata(
    next_root: U256,
    number: u64,
    data: &[U256],
    accumulator: &[U256; ACCUMULATOR_WORDS],
    proof: &[u8],
) -> Vec<u8> {
    encode_call(
        "postBatch(uint256,uint64,uint256[],uint256[12],bytes)",
        &[
            Token::Uint(next_root),
            Token::Uint(U256::from(number)),
            Token::Uints(data.to_vec()),
            Token::FixedUints(accumulator.to_vec()),
            Token::Bytes(proof.to_vec()),
        ],
    )
}

fn malformed(what: &str) -> EvmError {
    EvmError::Refused(format!("unexpected return data: {what}"))
}

fn to_u64(w: Option<U256>) -> Result<u64, EvmError> {
    let w = w.ok_or_else(|| malformed("no return value"))?;
    u64::try_from(w).map_err(|_| malformed("not a uint64"))
}

fn to_fr(w: Option<U256>) -> Result<Fr, EvmError> {
    word_to_fr(w.ok_or_else(|| malformed("no return value"))?)
        .ok_or_else(|| malformed("not a field element"))
}
