//! The benches' workload: a batch of trades between accounts that deposited in
//! an earlier batch, at the production depth (shared by `chunk` and
//! `aggregation`).

// Each bench includes this file and uses part of it.
#![allow(dead_code)]

use clearproof_protocol::batch::BatchOutput;
use clearproof_protocol::oracle::Committee;
use clearproof_protocol::orders::OrderId;
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::state::{Genesis, Market, MarketParams, MarketState, State};
use clearproof_protocol::tx::{Deposit, KeyRing, SignedTx, Trade, Transaction};
use clearproof_protocol::types::*;

/// The markets' parameters.
pub(crate) fn params() -> [MarketParams; MARKETS] {
    let oracle = SecretKey::from_bytes([200; 32]).unwrap().public_key();
    [MarketParams::standard(Committee::single(oracle), FundingRate::new(4_294_967).unwrap());
        MARKETS]
}

/// A batch of `trades` trades between accounts that deposited in an earlier
/// batch, at depth 24.
pub(crate) fn trade_batch(trades: usize) -> BatchOutput {
    let t0 = Timestamp::new(1_700_000_000).unwrap();
    let market = Market { params: params()[0], state: MarketState::at(Price::from_units(100), t0) };
    let genesis = Genesis { markets: [market; MARKETS], insurance_fund: Quote::new(0).unwrap() };
    let mut state = State::genesis(&genesis).unwrap();
    let deposits: Vec<Transaction> = (0..2 * trades as u32)
        .map(|i| {
            Transaction::Deposit(Deposit {
                account: AccountId::new(i128::from(i) * 7_919 + 1).unwrap(),
                owner: SecretKey::from_bytes([i as u8 + 1; 32]).unwrap().public_key(),
                amount: Amount::new(1_000_000).unwrap(),
            })
        })
        .collect();
    let deposits: Vec<SignedTx> = deposits.into_iter().map(SignedTx::from).collect();
    let out = state.apply_batch(&deposits);
    assert_eq!(out.witnesses.len(), deposits.len());
    let keys = KeyRing::new((1..=255u8).map(|i| SecretKey::from_bytes([i; 32]).unwrap()));
    let trades: Vec<Transaction> = (0..trades as i128)
        .map(|i| {
            Transaction::Trade(Trade {
                market: MarketId::new(i % MARKETS as i128).unwrap(),
                buyer: AccountId::new(2 * i * 7_919 + 1).unwrap(),
                seller: AccountId::new((2 * i + 1) * 7_919 + 1).unwrap(),
                base: Amount::new(10).unwrap(),
                quote: Amount::new(1_000).unwrap(),
                buyer_fee: Quote::new(1).unwrap(),
                seller_fee: Quote::new(1).unwrap(),
                buyer_order_id: OrderId::new(2 * i as u64).unwrap(),
                seller_order_id: OrderId::new(2 * i as u64 + 1).unwrap(),
            })
        })
        .collect();
    let out = state.apply_batch_signed(&trades, &keys);
    assert_eq!(out.witnesses.len(), trades.len(), "every trade applies");
    out
}

/// A genesis with every market at price 100 and `insurance` in the fund.
pub(crate) fn genesis(insurance: i128) -> Genesis {
    let t0 = Timestamp::new(1_700_000_000).unwrap();
    let market = Market { params: params()[0], state: MarketState::at(Price::from_units(100), t0) };
    Genesis { markets: [market; MARKETS], insurance_fund: Quote::new(insurance).unwrap() }
}

/// Deposits of `amount` into accounts `1..=n`, account `i` owned by the key of
/// seed `[i; 32]`.
pub(crate) fn deposits(n: u8, amount: i128) -> Vec<Deposit> {
    (1..=n)
        .map(|i| Deposit {
            account: AccountId::new(i.into()).unwrap(),
            owner: SecretKey::from_bytes([i; 32]).unwrap().public_key(),
            amount: Amount::new(amount).unwrap(),
        })
        .collect()
}

/// The first batch of a chain: two deposits, then `slots − 2` trades between
/// the two accounts (alternating sides, so their positions stay small), filling
/// `slots` slots. Returns the genesis and the deposits too (a base layer queues
/// them before the batch is posted).
pub(crate) fn first_batch(slots: usize) -> (Genesis, Vec<Deposit>, BatchOutput) {
    assert!(slots > 2 && slots - 2 < 256, "2 deposits and at most 255 trades");
    let genesis = genesis(0);
    let mut state = State::genesis(&genesis).unwrap();
    let deposits = deposits(2, 1_000_000_000);
    let keys = KeyRing::new((1..=2u8).map(|i| SecretKey::from_bytes([i; 32]).unwrap()));
    let mut txs: Vec<Transaction> = deposits.iter().cloned().map(Transaction::Deposit).collect();
    txs.extend((0..slots as i128 - 2).map(|i| {
        let (buyer, seller) = if i % 2 == 0 { (1, 2) } else { (2, 1) };
        Transaction::Trade(Trade {
            market: MarketId::new(0).unwrap(),
            buyer: AccountId::new(buyer).unwrap(),
            seller: AccountId::new(seller).unwrap(),
            base: Amount::new(10).unwrap(),
            quote: Amount::new(1_000).unwrap(),
            buyer_fee: Quote::new(1).unwrap(),
            seller_fee: Quote::new(1).unwrap(),
            buyer_order_id: OrderId::new(i as u64).unwrap(),
            seller_order_id: OrderId::new(i as u64).unwrap(),
        })
    }));
    let out = state.apply_batch_signed(&txs, &keys);
    assert_eq!(out.witnesses.len(), txs.len(), "every transaction applies");
    (genesis, deposits, out)
}
