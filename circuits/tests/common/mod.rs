//! Shared fixtures for the native state-machine tests: a simple genesis with
//! round numbers (so expected values can be computed by hand), keys, and
//! transaction builders.
#![allow(dead_code, missing_docs)]

use clearproof_protocol::funding::funding_due;
use clearproof_protocol::oracle::Committee;
use clearproof_protocol::params::{FIXED_POINT_ONE, MARKETS};
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
use clearproof_protocol::tx::*;
use clearproof_protocol::types::*;

/// Genesis timestamp of every market.
pub(crate) const T0: u64 = 1_700_000_000;

/// ≈ 0.1 % of the price per second, in units of 2^-32.
pub(crate) const MAX_FUNDING_RATE: u64 = 4_294_967;

/// Owner `i`'s key: test key `i + 1` ([`clearproof_protocol::testing::key`]),
/// so that owner 0 has one too.
pub(crate) fn key(i: u8) -> SecretKey {
    clearproof_protocol::testing::key(i.wrapping_add(1))
}

/// The test keys, `key(0)` to `key(254)` ([`SignedTx::exact`] signs with them).
pub(crate) use clearproof_protocol::testing::keys;

/// `tx` signed against `state` with the test keys.
pub(crate) fn signed(state: &State, tx: &Transaction) -> SignedTx {
    SignedTx::exact(state, tx.clone(), keys())
}

thread_local! {
    static NEXT_ORDER_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
}

/// A fresh order id for each fill (ids only grow, as a client's would; per
/// thread, from 1 again after [`reset_order_ids`]).
pub(crate) fn order_id() -> clearproof_protocol::orders::OrderId {
    let id = NEXT_ORDER_ID.with(|n| n.replace(n.get() + 1));
    clearproof_protocol::orders::OrderId::new(id).unwrap()
}

/// Restarts [`order_id`] at 1, so a replayed sequence gets the same ids.
pub(crate) fn reset_order_ids() {
    NEXT_ORDER_ID.with(|n| n.set(1));
}

pub(crate) fn oracle() -> SecretKey {
    key(200)
}

pub(crate) fn units(x: i128) -> Amount {
    Amount::new(x).unwrap()
}

pub(crate) fn quote(x: i128) -> Quote {
    Quote::new(x).unwrap()
}

pub(crate) fn acct(i: u32) -> AccountId {
    AccountId::new(i as i128).unwrap()
}

pub(crate) fn mkt(m: u8) -> MarketId {
    MarketId::new(m as i128).unwrap()
}

/// All markets: price 100 micro-units per lot, im 10 %, mm 5 %, liquidation fee 1 %,
/// max fee 0.5 %, band 5 %.
pub(crate) fn genesis(insurance_fund: i128) -> Genesis {
    let market = Market {
        params: MarketParams::standard(
            Committee::single(oracle().public_key()),
            FundingRate::new(MAX_FUNDING_RATE as i128).unwrap(),
        ),
        state: MarketState::at(Price::from_units(100), Timestamp::new(T0 as i128).unwrap()),
    };
    Genesis { markets: [market; MARKETS], insurance_fund: quote(insurance_fund) }
}

pub(crate) fn state(insurance_fund: i128) -> State {
    State::genesis(&genesis(insurance_fund)).unwrap()
}

pub(crate) fn deposit(account: u32, owner: u8, amount: i128) -> Transaction {
    Transaction::Deposit(Deposit {
        account: acct(account),
        owner: key(owner).public_key(),
        amount: units(amount),
    })
}

pub(crate) fn withdraw(account: u32, amount: i128, nonce: u64) -> Transaction {
    Transaction::Withdraw(Withdraw {
        account: acct(account),
        amount: units(amount),
        nonce: Nonce::new(nonce as i128).unwrap(),
    })
}

pub(crate) fn forced(account: u32, amount: i128, outcome: ForcedOutcome) -> Transaction {
    Transaction::ForcedWithdraw(ForcedWithdraw {
        account: acct(account),
        amount: units(amount),
        outcome,
    })
}

/// `buyer` buys `base` lots from `seller` for `q` micro-units, no fees.
pub(crate) fn trade(market: u8, buyer: u32, seller: u32, base: i128, q: i128) -> Transaction {
    trade_with_fees(market, buyer, seller, base, q, 0, 0)
}

pub(crate) fn trade_with_fees(
    market: u8,
    buyer: u32,
    seller: u32,
    base: i128,
    q: i128,
    buyer_fee: i128,
    seller_fee: i128,
) -> Transaction {
    Transaction::Trade(Trade {
        market: mkt(market),
        buyer: acct(buyer),
        seller: acct(seller),
        base: units(base),
        quote: units(q),
        buyer_fee: quote(buyer_fee),
        seller_fee: quote(seller_fee),
        buyer_order_id: order_id(),
        seller_order_id: order_id(),
    })
}

pub(crate) fn liquidate(
    market: u8,
    liquidated: u32,
    liquidator: u32,
    base: i128,
    q: i128,
    penalty: i128,
) -> Transaction {
    Transaction::Liquidate(Liquidate {
        market: mkt(market),
        liquidated: acct(liquidated),
        liquidator: acct(liquidator),
        base: units(base),
        quote: units(q),
        penalty: quote(penalty),
        liquidator_order_id: order_id(),
    })
}

pub(crate) fn cover(account: u32) -> Transaction {
    Transaction::CoverDeficit(CoverDeficit { account: acct(account) })
}

pub(crate) fn deleverage(
    market: u8,
    bankrupt: u32,
    counterparty: u32,
    base: i128,
    q: i128,
) -> Transaction {
    Transaction::Deleverage(Deleverage {
        market: mkt(market),
        bankrupt: acct(bankrupt),
        counterparty: acct(counterparty),
        base: units(base),
        quote: units(q),
    })
}

/// A price in whole micro-units per lot.
pub(crate) fn price_update(market: u8, price_units: u32, ts: u64) -> Transaction {
    price_update_raw(market, Price::from_units(price_units), ts)
}

pub(crate) fn price_update_raw(market: u8, price: Price, ts: u64) -> Transaction {
    Transaction::PriceUpdate(PriceUpdate {
        market: mkt(market),
        price,
        timestamp: Timestamp::new(ts as i128).unwrap(),
    })
}

pub(crate) fn funding_tick(market: u8, index: i128, ts: u64) -> Transaction {
    Transaction::FundingTick(FundingTick {
        market: mkt(market),
        index: FundingIndex::new(index).unwrap(),
        timestamp: Timestamp::new(ts as i128).unwrap(),
    })
}

/// Applies transactions that must all succeed.
pub(crate) fn apply_all(state: &mut State, txs: &[Transaction]) {
    for tx in txs {
        if let Err(e) = state.apply(&signed(state, tx)) {
            panic!("setup transaction {tx:?} rejected: {} ({e})", e.code());
        }
    }
}

/// Asserts `tx` is rejected with `code` and leaves the state (root and values) untouched.
pub(crate) fn assert_rejected(state: &mut State, tx: &Transaction, code: &str) {
    let root = state.root();
    let accounts: Vec<_> = state.accounts().map(|(i, a)| (*i, *a)).collect();
    let globals = *state.globals();
    let markets = *state.markets();
    let err = state.apply(&signed(state, tx)).expect_err("transaction must be rejected");
    assert_eq!(err.code(), code, "wrong rejection: {err}");
    let spec = tx.kind().spec();
    assert!(
        spec.codes.contains(&code) || CommonError::is_shared(code),
        "{code} is not among the codes {} declares",
        spec.name
    );
    assert_eq!(state.root(), root, "root changed by a rejected transaction");
    assert_eq!(state.recompute_root(), root);
    assert_eq!(state.accounts().map(|(i, a)| (*i, *a)).collect::<Vec<_>>(), accounts);
    assert_eq!(*state.globals(), globals);
    assert_eq!(*state.markets(), markets);
    // In a batch the same transaction gets a receipt with the code and the root moves
    // only by the batch-number increment.
    let mut batch_state = state.clone();
    let out = batch_state.apply_batch_signed(std::slice::from_ref(tx), keys());
    assert!(
        matches!(&out.receipts[0], clearproof_protocol::batch::Receipt::Rejected { code: c, .. } if c == code)
    );
    assert_eq!(out.header_state_root, out.next_state_root);
}

/// Accounts 1..=4 owned by keys 1..=4 with the given deposits.
pub(crate) fn funded(insurance_fund: i128, deposits: [i128; 4]) -> State {
    let mut s = state(insurance_fund);
    for (i, d) in deposits.iter().enumerate() {
        apply_all(&mut s, &[deposit(i as u32 + 1, i as u8 + 1, *d)]);
    }
    s
}

/// `V` of PROTOCOL §6, exactly.
pub(crate) fn conserved_value(s: &State) -> ethnum::I256 {
    let one = ethnum::I256::from(FIXED_POINT_ONE);
    let mut v = (ethnum::I256::from(s.globals().insurance_fund.get())
        + ethnum::I256::from(s.globals().fee_pool.get()))
        * one;
    for (_, a) in s.accounts() {
        v += ethnum::I256::from(a.collateral.get()) * one;
        for m in 0..MARKETS {
            let index = s.markets()[m].state.funding_index.get();
            v -= ethnum::I256::from(funding_due(
                a.balances[m].get(),
                index,
                a.funding_snapshots[m].get(),
            ));
        }
    }
    v
}
