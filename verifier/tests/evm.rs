//! The EVM contracts against the Rust protocol: the generated Poseidon library
//! equals the native hash, the committed fixtures are current, and the
//! settlement contract queues deposits, hashes data and refuses posts as the
//! Rust rules do. Accepting a post needs a real aggregated proof and its
//! verifier contract (no test here deploys a verifier that accepts anything).

use std::path::{Path, PathBuf};

use clearproof_protocol::batch::{data_hash, data_hash_step};
use clearproof_protocol::orders::OrderId;
use clearproof_protocol::params::TX_ENCODING_LEN;
use clearproof_protocol::poseidon;
use clearproof_protocol::signature::{PublicKey, SecretKey};
use clearproof_protocol::tx::{
    Deposit, ForcedOutcome, ForcedWithdraw, Trade, Transaction, Withdraw,
};
use clearproof_protocol::types::{AccountId, Amount, MarketId, Nonce, Quote};
use clearproof_protocol::Fr;
use clearproof_verifier::base_layer::evm::abi::{
    self, encode_call, fr_to_word, word, word_to_fr, Token,
};
use clearproof_verifier::base_layer::evm::poseidon_sol::{self, field_modulus};
use clearproof_verifier::base_layer::evm::settlement::{
    encode_data, post_batch_calldata, Settlement, SettlementState, ACCUMULATOR_WORDS,
};
use clearproof_verifier::base_layer::evm::{Address, Evm, EvmError, U256};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

const POSEIDON_HARNESS_BIN: &str = include_str!("../evm/build/PoseidonHarness.bin");

const REGENERATE: &str = "regenerate the EVM fixtures with `verifier/evm/build.sh` (it runs \
     `CLEARPROOF_REGENERATE_EVM=1 cargo test -p clearproof-verifier --features evm --test evm \
     poseidon_sol_is_generated`, then compiles every contract with the pinned solc)";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn deploy_harness(evm: &mut Evm) -> Address {
    let code = hex::decode(POSEIDON_HARNESS_BIN.trim()).expect("PoseidonHarness.bin is hex");
    evm.deploy(&code, &[]).expect("harness deploys")
}

/// A pseudo-random field element (any value below p).
fn field(i: u64) -> Fr {
    poseidon::hash(&[Fr::from(i), Fr::from(0xe7e7)])
}

fn words(fs: &[Fr]) -> Vec<U256> {
    fs.iter().map(fr_to_word).collect()
}

fn reason(result: Result<impl std::fmt::Debug, EvmError>) -> String {
    match result {
        Err(e) => e.reason().unwrap_or_else(|| panic!("no revert reason: {e}")).to_string(),
        Ok(v) => panic!("expected a revert, got {v:?}"),
    }
}

// ---- fixtures ----

#[test]
fn poseidon_sol_is_generated() {
    let path = crate_dir().join(poseidon_sol::POSEIDON_SOL);
    let generated = poseidon_sol::generate();
    if std::env::var_os("CLEARPROOF_REGENERATE_EVM").is_some() {
        std::fs::write(&path, &generated).expect("write Poseidon.sol");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is not the generator's output (clearproof_protocol::poseidon::spec() or \
         verifier/src/evm/poseidon_sol.rs changed): {REGENERATE}",
        path.display()
    );
}

#[test]
fn compiled_contracts_match_their_sources() {
    let evm_dir = crate_dir().join("evm");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(evm_dir.join("build/manifest.json")).expect("build/manifest.json"),
    )
    .expect("manifest is JSON");
    let sources = manifest["sources"].as_object().expect("manifest lists its sources");
    let mut stale = Vec::new();
    for (name, hash) in sources {
        let now = std::fs::read(evm_dir.join(name)).map(|b| hex::encode(Sha256::digest(b)));
        if now.ok().as_deref() != hash.as_str() {
            stale.push(name.clone());
        }
    }
    let mut unbuilt = Vec::new();
    collect_sources(&evm_dir, Path::new("contracts"), &mut |name| {
        if !sources.contains_key(name) {
            unbuilt.push(name.to_string());
        }
    });
    assert!(
        stale.is_empty() && unbuilt.is_empty(),
        "the compiled contracts in verifier/evm/build are stale: changed since the build \
         {stale:?}, never built {unbuilt:?}: {REGENERATE}"
    );
}

fn collect_sources(root: &Path, dir: &Path, f: &mut dyn FnMut(&str)) {
    for entry in std::fs::read_dir(root.join(dir)).expect("contracts directory") {
        let entry = entry.expect("directory entry");
        let rel = dir.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            collect_sources(root, &rel, f);
        } else if rel.extension().is_some_and(|e| e == "sol" || e == "yul") {
            f(&rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn field_modulus_is_the_bn254_scalar_field() {
    assert_eq!(
        field_modulus().to_string(),
        "21888242871839275222246405745257275088548364400416034343698204186575808495617"
    );
}

// ---- Poseidon ----

fn evm_hash(evm: &mut Evm, harness: Address, inputs: &[U256]) -> Result<U256, EvmError> {
    let call = encode_call("hash(uint256[])", &[Token::Uints(inputs.to_vec())]);
    Ok(word(&evm.view(harness, &call)?.output, 0).expect("a word"))
}

#[test]
fn poseidon_contract_equals_native_hash_on_every_length() {
    let mut evm = Evm::new();
    let harness = deploy_harness(&mut evm);
    let near_p =
        [-Fr::from(1u64), -Fr::from(2u64), Fr::from(0u64), Fr::from(1u64), -Fr::from(1u64 << 32)];
    let mut seed = 0;
    for len in [0usize, 1, 2, 3, 4, 5, 8, 9, 10, 11, 16, 21] {
        for round in 0..3 {
            let inputs: Vec<Fr> = (0..len)
                .map(|i| {
                    seed += 1;
                    if round == 2 {
                        near_p[i % near_p.len()]
                    } else {
                        field(seed)
                    }
                })
                .collect();
            let got = evm_hash(&mut evm, harness, &words(&inputs)).expect("hash");
            assert_eq!(got, fr_to_word(&poseidon::hash(&inputs)), "length {len}, round {round}");
        }
    }
}

#[test]
fn poseidon_contract_refuses_inputs_outside_the_field() {
    let mut evm = Evm::new();
    let harness = deploy_harness(&mut evm);
    let p = field_modulus();
    for inputs in [vec![p], vec![U256::ZERO, p], vec![U256::ONE, U256::ONE, U256::MAX]] {
        assert_eq!(
            reason(evm_hash(&mut evm, harness, &inputs)),
            "Poseidon: input not in the field"
        );
    }
}

#[test]
fn poseidon_data_hash_step_equals_native_and_reports_its_gas() {
    let mut evm = Evm::new();
    let harness = deploy_harness(&mut evm);
    let signature = format!("dataHashStepGas(uint256,uint256[{TX_ENCODING_LEN}])");
    let mut gas = Vec::new();
    for i in 0..8u64 {
        let d = if i == 0 { -Fr::from(1u64) } else { field(100 + i) };
        let enc: [Fr; TX_ENCODING_LEN] = std::array::from_fn(|k| field(1000 * i + k as u64));
        let call =
            encode_call(&signature, &[Token::Uint(fr_to_word(&d)), Token::FixedUints(words(&enc))]);
        let out = evm.view(harness, &call).expect("dataHashStepGas").output;
        assert_eq!(word(&out, 0), Some(fr_to_word(&data_hash_step(d, &enc))), "step {i}");
        gas.push(word(&out, 1).expect("gas").to::<u64>());
    }
    let inputs = TX_ENCODING_LEN + 1;
    // One permutation per 2 inputs, the padding in the last (or its own if even).
    let permutations = inputs / 2 + 1;
    println!(
        "Poseidon data-hash step (H of {inputs} inputs, {permutations} permutations): {} gas \
         inside the EVM",
        gas[0]
    );
    // A regression guard, not a benchmark: gas is deterministic (101 747 when
    // written: about 17 000 per permutation).
    assert!(gas.iter().all(|g| *g < 110_000), "{gas:?}");
}

#[test]
fn poseidon_data_hash_over_calldata_equals_native_chain() {
    let mut evm = Evm::new();
    let harness = deploy_harness(&mut evm);
    for txs in [0u64, 1, 3] {
        let prev = field(7 + txs);
        let data: Vec<[Fr; TX_ENCODING_LEN]> =
            (0..txs).map(|t| std::array::from_fn(|k| field(50 * t + k as u64))).collect();
        let want = data.iter().fold(prev, data_hash_step);
        let flat: Vec<Fr> = data.iter().flatten().copied().collect();
        let call = encode_call(
            "dataHash(uint256,uint256[])",
            &[Token::Uint(fr_to_word(&prev)), Token::Uints(words(&flat))],
        );
        let out = evm.view(harness, &call).expect("dataHash").output;
        assert_eq!(word(&out, 0), Some(fr_to_word(&want)), "{txs} transactions");
    }
}

// ---- Settlement ----

struct Chain {
    evm: Evm,
    settlement: Settlement,
    /// A contract that refuses every call: stands where the proof verifier
    /// goes, so posts run every check up to the proof and then fail there.
    refusing_verifier: Address,
}

const GENESIS_INSURANCE: u64 = 1_000_000;

fn chain() -> Chain {
    let mut evm = Evm::new();
    // The harness has no fallback: any call without one of its selectors reverts.
    let refusing_verifier = deploy_harness(&mut evm);
    let settlement = Settlement::deploy(&mut evm, refusing_verifier, field(1), GENESIS_INSURANCE)
        .expect("settlement deploys");
    Chain { evm, settlement, refusing_verifier }
}

fn keys(n: usize) -> Vec<PublicKey> {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    (0..n).map(|_| SecretKey::generate(&mut rng).public_key()).collect()
}

fn account(i: i128) -> AccountId {
    AccountId::new(i).expect("account id")
}

fn amount(x: i128) -> Amount {
    Amount::new(x).expect("amount")
}

fn deposit(i: i128, owner: PublicKey, x: i128) -> Deposit {
    Deposit { account: account(i), owner, amount: amount(x) }
}

fn deposit_call(account: U256, owner: [U256; 2], amount: U256) -> Vec<u8> {
    encode_call(
        "deposit(uint64,uint256,uint256,uint64)",
        &[Token::Uint(account), Token::Uint(owner[0]), Token::Uint(owner[1]), Token::Uint(amount)],
    )
}

fn xy(key: &PublicKey) -> [U256; 2] {
    key.to_fields().map(|f| fr_to_word(&f))
}

#[test]
fn settlement_starts_at_genesis() {
    let Chain { mut evm, settlement, refusing_verifier } = chain();
    assert_eq!(
        settlement.state(&mut evm).expect("state"),
        SettlementState {
            verifier: refusing_verifier,
            genesis_root: field(1),
            root: field(1),
            batches: 0,
            deposits_queued: 0,
            deposits_consumed: 0,
            held: u128::from(GENESIS_INSURANCE),
        }
    );
}

#[test]
fn settlement_refuses_a_verifier_without_code() {
    let mut evm = Evm::new();
    let err = Settlement::deploy(&mut evm, Address::with_last_byte(0x99), field(1), 0);
    assert_eq!(reason(err), "verifier has no code");
}

#[test]
fn deposit_is_queued_with_its_owner_and_amount() {
    let Chain { mut evm, settlement, .. } = chain();
    let owners = keys(2);
    for (i, d) in
        [deposit(5, owners[0], 2_500_000), deposit(9, owners[1], (1 << 63) - 1)].iter().enumerate()
    {
        let (index, outcome) = settlement.deposit(&mut evm, d).expect("deposit");
        assert_eq!(index, i as u64);
        assert_eq!(outcome.logs.len(), 1, "DepositQueued");
        println!("deposit: {} gas", outcome.gas_used);
        let call = encode_call("queued(uint64)", &[Token::Uint(U256::from(index))]);
        let out = evm.view(settlement.address, &call).expect("queued").output;
        let [x, y] = xy(&d.owner);
        assert_eq!(
            [0, 1, 2, 3].map(|k| word(&out, k).expect("word")),
            [U256::from(d.account.get()), x, y, U256::from(d.amount.get())]
        );
    }
    let state = settlement.state(&mut evm).expect("state");
    assert_eq!((state.deposits_queued, state.deposits_consumed), (2, 0));
    assert_eq!(state.held, u128::from(GENESIS_INSURANCE) + 2_500_000 + (1 << 63) - 1);
    let call = encode_call("queued(uint64)", &[Token::Uint(U256::from(2))]);
    assert_eq!(reason(evm.view(settlement.address, &call)), "no such deposit");
}

#[test]
fn a_view_keeps_no_state_change() {
    let Chain { mut evm, settlement, .. } = chain();
    let d = deposit(4, keys(1)[0], 10);
    let [x, y] = xy(&d.owner);
    let call = deposit_call(U256::from(4), [x, y], U256::from(10));
    let out = evm.view(settlement.address, &call).expect("deposit as a view");
    assert_eq!(word(&out.output, 0), Some(U256::ZERO), "it would be index 0");
    assert_eq!(settlement.state(&mut evm).expect("state").deposits_queued, 0);
    assert_eq!(settlement.deposit(&mut evm, &d).expect("deposit").0, 0);
}

#[test]
fn deposit_outside_the_rust_deposit_type_is_refused_and_changes_nothing() {
    let Chain { mut evm, settlement, .. } = chain();
    let key = keys(1)[0];
    let [x, y] = xy(&key);
    let p = field_modulus();
    let (ok_account, ok_amount) = (U256::from(7), U256::from(10));
    let cases: Vec<(&str, U256, [U256; 2], U256, &str)> = vec![
        ("zero amount", ok_account, [x, y], U256::ZERO, "amount out of range"),
        ("amount 2^63", ok_account, [x, y], U256::from(1u64 << 63), "amount out of range"),
        ("account 2^24", U256::from(1 << 24), [x, y], ok_amount, "account out of range"),
        ("x not in the field", ok_account, [x + p, y], ok_amount, "owner not in the field"),
        ("y not in the field", ok_account, [x, y + p], ok_amount, "owner not in the field"),
        (
            "off the curve",
            ok_account,
            [x, y + U256::ONE],
            ok_amount,
            "owner is not a valid public key",
        ),
        // (-x, -y) = key + (0, -1): on the curve, order 2L.
        (
            "outside the subgroup",
            ok_account,
            [p - x, p - y],
            ok_amount,
            "owner is not a valid public key",
        ),
        (
            "the identity",
            ok_account,
            [U256::ZERO, U256::ONE],
            ok_amount,
            "owner is not a valid public key",
        ),
        (
            "order 4",
            ok_account,
            [U256::ONE, U256::ZERO],
            ok_amount,
            "owner is not a valid public key",
        ),
        (
            "not a point",
            ok_account,
            [U256::ZERO, U256::ZERO],
            ok_amount,
            "owner is not a valid public key",
        ),
    ];
    let before = settlement.state(&mut evm).expect("state");
    for (what, account, owner, amount, want) in cases {
        let result = evm.call(settlement.address, &deposit_call(account, owner, amount));
        if let Err(EvmError::Revert { gas_used, .. }) = &result {
            println!("deposit refused ({what}): {gas_used} gas");
        }
        assert_eq!(reason(result), want, "{what}");
        assert_eq!(settlement.state(&mut evm).expect("state"), before, "{what} changed the state");
    }
    // A uint64 parameter above 2^64 fails ABI decoding (no reason).
    let call = deposit_call(U256::from(1u128 << 64), [x, y], ok_amount);
    assert!(matches!(
        evm.call(settlement.address, &call),
        Err(EvmError::Revert { reason: None, .. })
    ));
    // And the same values in range are accepted.
    settlement.deposit(&mut evm, &deposit(7, key, 10)).expect("valid deposit");
}

#[test]
fn deposit_accepts_exactly_the_points_public_key_accepts() {
    let Chain { mut evm, settlement, .. } = chain();
    let p = field_modulus();
    let mut candidates: Vec<[U256; 2]> = Vec::new();
    for key in keys(6) {
        let [x, y] = xy(&key);
        candidates.extend([[x, y], [p - x, y], [x, p - y], [p - x, p - y], [y, x]]);
    }
    candidates.extend([[U256::ZERO, p - U256::ONE], [p - U256::ONE, U256::ZERO]]);
    for [x, y] in candidates {
        let native =
            PublicKey::from_xy(word_to_fr(x).expect("x"), word_to_fr(y).expect("y")).is_ok();
        let evm_ok =
            evm.call(settlement.address, &deposit_call(U256::from(1), [x, y], U256::from(1)));
        assert_eq!(evm_ok.is_ok(), native, "({x}, {y}): {evm_ok:?}");
    }
}

/// Real transactions of each kind the contract reads, and one it does not.
fn sample_transactions(owners: &[PublicKey]) -> Vec<Transaction> {
    vec![
        Transaction::Deposit(deposit(1, owners[0], 5_000_000)),
        Transaction::Deposit(deposit(2, owners[1], 7_000_000)),
        Transaction::Trade(Trade {
            market: MarketId::new(0).expect("market"),
            buyer: account(1),
            seller: account(2),
            base: amount(3),
            quote: amount(18_000_000),
            buyer_fee: Quote::new(1_800).expect("fee"),
            seller_fee: Quote::new(900).expect("fee"),
            buyer_order_id: OrderId::new(11).expect("order id"),
            seller_order_id: OrderId::new((1 << 63) - 1).expect("order id"),
        }),
        Transaction::Withdraw(Withdraw {
            account: account(1),
            amount: amount(1_000_000),
            nonce: Nonce::new(0).expect("nonce"),
        }),
        Transaction::Withdraw(Withdraw {
            account: account(2),
            amount: amount(2),
            nonce: Nonce::new((1 << 40) - 1).expect("nonce"),
        }),
    ]
}

#[test]
fn settlement_data_hash_equals_the_native_data_hash() {
    let Chain { mut evm, settlement, .. } = chain();
    let owners = keys(2);
    let txs = sample_transactions(&owners);
    let forced = Transaction::ForcedWithdraw(ForcedWithdraw {
        account: account(2),
        amount: amount(4),
        outcome: ForcedOutcome::RefusedUndercollateralised,
    });
    for (prev, data) in [
        (field(1), vec![]),
        (field(2), txs[..1].to_vec()),
        (field(3), txs.clone()),
        (-Fr::from(1u64), [txs.clone(), vec![forced]].concat()),
    ] {
        let got = settlement.data_hash(&mut evm, prev, &data).expect("dataHash");
        assert_eq!(got, data_hash(prev, &data), "{} transactions", data.len());
    }
}

/// The settlement's observable state, for "a refused post changes nothing".
fn snapshot(evm: &mut Evm, settlement: &Settlement, owners: &[PublicKey]) -> Vec<String> {
    let mut out = vec![format!("{:?}", settlement.state(evm).expect("state"))];
    for a in 0..4 {
        out.push(format!("{:?}", settlement.owner(evm, a).expect("owner")));
    }
    for o in owners {
        out.push(settlement.withdrawable(evm, o).expect("withdrawable").to_string());
    }
    out
}

fn post(chain: &mut Chain, number: u64, data: &[U256]) -> Result<(), EvmError> {
    let accumulator = [U256::from(5); ACCUMULATOR_WORDS];
    let call = post_batch_calldata(fr_to_word(&field(99)), number, data, &accumulator, &[0xab; 64]);
    chain.evm.call(chain.settlement.address, &call).map(drop)
}

#[test]
fn post_batch_applies_the_base_layer_checks_before_the_proof() {
    let mut chain = chain();
    let owners = keys(3);
    let txs = sample_transactions(&owners);
    // Queue: a deposit the sequencer skipped (refunded on the next batch), then
    // the batch's two deposits.
    let skipped = deposit(3, owners[2], 1_234);
    for d in [&skipped, &deposit(1, owners[0], 5_000_000), &deposit(2, owners[1], 7_000_000)] {
        chain.settlement.deposit(&mut chain.evm, d).expect("deposit");
    }
    let before = snapshot(&mut chain.evm, &chain.settlement, &owners);
    let good = encode_data(&txs);
    let p = field_modulus();
    let tx = |t: Transaction| encode_data(&[t]);

    let mut cases: Vec<(&str, u64, Vec<U256>, &str)> = vec![
        ("batch 2 first", 2, good.clone(), "wrong batch number"),
        ("batch 0", 0, good.clone(), "wrong batch number"),
        (
            "a partial transaction",
            1,
            good[..good.len() - 1].to_vec(),
            "data is not whole transactions",
        ),
        (
            "a word of p",
            1,
            [good.clone(), vec![p; TX_ENCODING_LEN]].concat(),
            "data element not in the field",
        ),
        (
            "a deposit the queue does not hold",
            1,
            [good.clone(), tx(Transaction::Deposit(deposit(3, owners[2], 1_235)))].concat(),
            "deposit does not match the queue",
        ),
        (
            "deposits out of queue order",
            1,
            [tx(txs[1].clone()), tx(txs[0].clone())].concat(),
            "deposit does not match the queue",
        ),
        (
            "a forced withdrawal",
            1,
            [
                good.clone(),
                tx(Transaction::ForcedWithdraw(ForcedWithdraw {
                    account: account(1),
                    amount: amount(1),
                    outcome: ForcedOutcome::Applied,
                })),
            ]
            .concat(),
            "forced withdrawals are not supported by this contract",
        ),
        (
            "a withdrawal from an account no deposit created",
            1,
            [
                good.clone(),
                tx(Transaction::Withdraw(Withdraw {
                    account: account(3),
                    amount: amount(1),
                    nonce: Nonce::new(0).expect("nonce"),
                })),
            ]
            .concat(),
            "unknown account",
        ),
        // Every rule holds (the skipped deposit refunded, withdrawals released to
        // the owners the batch's deposits named): only the proof is missing.
        ("a well-formed batch", 1, good.clone(), "proof does not verify"),
    ];
    // A withdrawal ahead of the deposit that creates its account passes the
    // rules, as in `release_withdrawals` (owners from the whole batch count).
    cases.push((
        "withdrawal before its deposit",
        1,
        [tx(txs[3].clone()), good.clone()].concat(),
        "proof does not verify",
    ));
    for (what, number, data, want) in cases {
        assert_eq!(reason(post(&mut chain, number, &data)), want, "{what}");
        assert_eq!(
            snapshot(&mut chain.evm, &chain.settlement, &owners),
            before,
            "{what} changed the state"
        );
    }
}

#[test]
fn abi_revert_reasons_decode() {
    let data = [
        abi::selector("Error(string)").as_slice(),
        &abi::encode(&[Token::Bytes(b"proof does not verify".to_vec())]),
    ]
    .concat();
    assert_eq!(abi::decode_revert_reason(&data).as_deref(), Some("proof does not verify"));
    assert_eq!(abi::decode_revert_reason(&data[..40]), None);
    assert_eq!(abi::decode_revert_reason(&[0u8; 4]), None);
}
