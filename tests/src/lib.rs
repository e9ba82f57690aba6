//! Shared fixtures for the end-to-end and adversarial scenarios in
//! `tests/tests/`: a small circuit (depth 8, 2 slots, `2^14` rows: the
//! production code path at test size), a test genesis, and native batches.

#![forbid(unsafe_code)]

use std::path::Path;

use clearproof_circuits::batch::BatchOutput;
use clearproof_circuits::circuit::CircuitParams;
use clearproof_circuits::oracle::Committee;
use clearproof_circuits::orders::OrderId;
use clearproof_circuits::params::MARKETS;
use clearproof_circuits::signature::SecretKey;
use clearproof_circuits::state::{Genesis, Market, MarketParams, MarketState, State};
use clearproof_circuits::tx::{Deposit, KeyRing, PriceUpdate, Trade, Transaction, Withdraw};
use clearproof_circuits::types::*;
use clearproof_circuits::Fr;
use clearproof_prover::keys::{setup_with, Regenerate};
use clearproof_prover::{ProverKeys, SrsSource};

/// The test circuit: the production code at a small size.
pub const SMALL: CircuitParams = CircuitParams { depth: 8, slots: 2, k: 14 };

/// Genesis timestamp.
pub const T0: u64 = 1_700_000_000;

/// A deterministic key.
pub fn key(i: u8) -> SecretKey {
    SecretKey::from_bytes([i; 32]).expect("valid seed")
}

/// The keys `key(1..=255)` the fixtures sign with.
pub fn keys() -> &'static KeyRing {
    static KEYS: std::sync::OnceLock<KeyRing> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| KeyRing::new((1..=255).map(key)))
}

/// The test oracle.
pub fn oracle() -> SecretKey {
    key(200)
}

/// Every market at 100 micro-units per lot; im 10 %, mm 5 %; fund 1 000.
pub fn genesis() -> Genesis {
    let market = Market {
        params: MarketParams::standard(
            Committee::single(oracle().public_key()),
            FundingRate::new(4_294_967).expect("rate"),
        ),
        state: MarketState::at(Price::from_units(100), Timestamp::new(T0.into()).expect("ts")),
    };
    Genesis { markets: [market; MARKETS], insurance_fund: Quote::new(1_000).expect("fund") }
}

/// The genesis state at the test depth.
pub fn genesis_state() -> State {
    State::genesis_with_depth(&genesis(), SMALL.depth).expect("valid genesis")
}

/// Keys for [`SMALL`] from `cache` (made on first use, with the development SRS).
/// The tests' caches outlive circuit changes, so keys of older circuit code are
/// replaced here on purpose; a process test calls this before the binary, which
/// itself would refuse them.
pub fn small_keys(cache: &Path) -> ProverKeys {
    setup_with(cache, SMALL, &SrsSource::InsecureDev, Regenerate::Stale).expect("setup")
}

/// A deposit of `amount` into `account`, owned by `key(account)`.
pub fn deposit(account: u32, amount: i128) -> Deposit {
    Deposit {
        account: AccountId::new(account.into()).expect("id"),
        owner: key(account as u8).public_key(),
        amount: Amount::new(amount).expect("amount"),
    }
}

/// Two native batches from genesis: three deposits (2 chunks), then a price, a
/// trade and a withdrawal (2 chunks). Returns the genesis root, the deposit
/// queue, and both batch outputs.
pub fn two_batches() -> (Fr, Vec<Deposit>, BatchOutput, BatchOutput) {
    let mut state = genesis_state();
    let root = state.root();
    let deposits = vec![deposit(1, 50_000), deposit(2, 50_000), deposit(3, 20_000)];
    let first: Vec<Transaction> = deposits.iter().cloned().map(Transaction::Deposit).collect();
    let b1 = state.apply_batch_signed(&first, keys());
    let second = vec![
        Transaction::PriceUpdate(PriceUpdate {
            market: MarketId::new(0).expect("market"),
            price: Price::from_units(101),
            timestamp: Timestamp::new((T0 + 10).into()).expect("ts"),
        }),
        Transaction::Trade(Trade {
            market: MarketId::new(0).expect("market"),
            buyer: AccountId::new(1).expect("id"),
            seller: AccountId::new(2).expect("id"),
            base: Amount::new(10).expect("base"),
            quote: Amount::new(1_010).expect("quote"),
            buyer_fee: Quote::new(1).expect("fee"),
            seller_fee: Quote::new(1).expect("fee"),
            buyer_order_id: OrderId::new(1).expect("order id"),
            seller_order_id: OrderId::new(1).expect("order id"),
        }),
        Transaction::Withdraw(Withdraw {
            account: AccountId::new(3).expect("id"),
            amount: Amount::new(5_000).expect("amount"),
            nonce: Nonce::new(0).expect("nonce"),
        }),
    ];
    let b2 = state.apply_batch_signed(&second, keys());
    assert_eq!(b1.witnesses.len(), 3, "every deposit applies");
    assert_eq!(b2.witnesses.len(), 3, "price, trade and withdrawal apply");
    (root, deposits, b1, b2)
}
