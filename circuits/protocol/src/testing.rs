//! Helpers for tests (feature `test-utils`): the test keys, transaction
//! builders with round numbers, and witnesses that break exactly one rule, so a
//! circuit test can assert that rule's name. Never for production code: nothing
//! here checks a rule.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::batch::OpenBatch;
use crate::orders::OrderId;
use crate::signature::{KeyRing, SecretKey};
use crate::state::{Account, State};
use crate::tx::{
    CommonError, Deleverage, Deposit, Effect, ForcedOutcome, ForcedWithdraw, FundingTick,
    Liquidate, PriceUpdate, SignedTx, Trade, Transaction, Withdraw,
};
use crate::types::{AccountId, Amount, FundingIndex, MarketId, Nonce, Price, Quote, Timestamp};

/// `account` with `delta` lots added in `market` and `collateral_delta`
/// micro-units (the rules' own helper).
pub fn moved(
    account: &Account,
    market: MarketId,
    delta: i128,
    collateral_delta: i128,
) -> Result<Account, CommonError> {
    crate::tx::moved(account, market, delta, collateral_delta)
}

/// Writes `effect` for `tx` into `batch` and `state` without checking any
/// rule: a forged witness, consistent everywhere except in the rule under test.
pub fn force(batch: &mut OpenBatch, state: &mut State, tx: &SignedTx, effect: Effect) {
    batch.force(state, tx, effect);
}

/// Test key `i`: the secret key whose 32 bytes are all `i` (`i` ≥ 1).
pub fn key(i: u8) -> SecretKey {
    SecretKey::from_bytes([i; 32]).expect("a valid test seed")
}

/// Every test key, `key(1)` to `key(255)` ([`SignedTx::exact`] signs with them).
pub fn keys() -> &'static KeyRing {
    static KEYS: OnceLock<KeyRing> = OnceLock::new();
    KEYS.get_or_init(|| KeyRing::new((1..=255).map(key)))
}

/// `tx` signed against `state` with the test [`keys`].
pub fn signed(state: &State, tx: &Transaction) -> SignedTx {
    SignedTx::exact(state, tx.clone(), keys())
}

/// A fresh order id for each fill (ids only grow, as a client's would; shared
/// by every thread of the test binary).
pub fn order_id() -> OrderId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    OrderId::new(NEXT.fetch_add(1, Ordering::Relaxed)).expect("an order id in range")
}

/// `x` lots or micro-units.
pub fn n(x: i128) -> Amount {
    Amount::new(x).expect("an amount in range")
}

/// Account `i`.
pub fn id(i: u32) -> AccountId {
    AccountId::new(i as i128).expect("an account id in range")
}

/// Market `m`.
pub fn mkt(m: u8) -> MarketId {
    MarketId::new(m as i128).expect("a market id in range")
}

/// A deposit of `amount` into `account`, owned by `key(owner)`.
pub fn deposit(account: u32, owner: u8, amount: i128) -> Transaction {
    Transaction::Deposit(Deposit {
        account: id(account),
        owner: key(owner).public_key(),
        amount: n(amount),
    })
}

/// A withdrawal of `amount` from `account` with `nonce`.
pub fn withdraw(account: u32, amount: i128, nonce: i128) -> Transaction {
    Transaction::Withdraw(Withdraw {
        account: id(account),
        amount: n(amount),
        nonce: Nonce::new(nonce).expect("a nonce in range"),
    })
}

/// A forced withdrawal of `amount` from `account` claiming `outcome`.
pub fn forced(account: u32, amount: i128, outcome: ForcedOutcome) -> Transaction {
    Transaction::ForcedWithdraw(ForcedWithdraw { account: id(account), amount: n(amount), outcome })
}

/// `buyer` buys `base` lots of market `m` from `seller` for `quote`, paying
/// fees `bf` and `sf`, each side filling a fresh [`order_id`].
pub fn trade(
    m: u8,
    buyer: u32,
    seller: u32,
    base: i128,
    quote: i128,
    bf: i128,
    sf: i128,
) -> Transaction {
    Transaction::Trade(Trade {
        market: mkt(m),
        buyer: id(buyer),
        seller: id(seller),
        base: n(base),
        quote: n(quote),
        buyer_fee: Quote::new(bf).expect("a fee in range"),
        seller_fee: Quote::new(sf).expect("a fee in range"),
        buyer_order_id: order_id(),
        seller_order_id: order_id(),
    })
}

/// The trade `tx` with the order ids `buyer` and `seller`.
pub fn with_ids(tx: Transaction, buyer: u64, seller: u64) -> Transaction {
    let Transaction::Trade(mut t) = tx else { panic!("with_ids takes a trade") };
    t.buyer_order_id = OrderId::new(buyer).expect("an order id in range");
    t.seller_order_id = OrderId::new(seller).expect("an order id in range");
    Transaction::Trade(t)
}

/// `liquidator` closes `base` lots of `victim`'s position in market `m` for
/// `quote`, charging `penalty`, filling a fresh [`order_id`].
pub fn liquidate(
    m: u8,
    victim: u32,
    liquidator: u32,
    base: i128,
    quote: i128,
    penalty: i128,
) -> Transaction {
    Transaction::Liquidate(Liquidate {
        market: mkt(m),
        liquidated: id(victim),
        liquidator: id(liquidator),
        base: n(base),
        quote: n(quote),
        penalty: Quote::new(penalty).expect("a penalty in range"),
        liquidator_order_id: order_id(),
    })
}

/// `counterparty` takes over `base` lots of `bankrupt`'s position in market
/// `m` for `quote`.
pub fn deleverage(m: u8, bankrupt: u32, counterparty: u32, base: i128, quote: i128) -> Transaction {
    Transaction::Deleverage(Deleverage {
        market: mkt(m),
        bankrupt: id(bankrupt),
        counterparty: id(counterparty),
        base: n(base),
        quote: n(quote),
    })
}

/// A price update of market `m` to `units` per lot at `ts`.
pub fn price(m: u8, units: u32, ts: u64) -> Transaction {
    Transaction::PriceUpdate(PriceUpdate {
        market: mkt(m),
        price: Price::from_units(units),
        timestamp: Timestamp::new(ts as i128).expect("a timestamp in range"),
    })
}

/// A funding tick of market `m` to `index` at `ts`.
pub fn tick(m: u8, index: i128, ts: u64) -> Transaction {
    Transaction::FundingTick(FundingTick {
        market: mkt(m),
        index: FundingIndex::new(index).expect("a funding index in range"),
        timestamp: Timestamp::new(ts as i128).expect("a timestamp in range"),
    })
}
