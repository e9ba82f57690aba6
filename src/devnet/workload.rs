//! The devnet's participants and its built-in workload (the four batches of
//! the module's documentation), and the oracle committee's observations.

use anyhow::{ensure, Context, Result};
use clearproof_api::wire::{ObservationRequest, Submission};
use clearproof_protocol::orders::{Order, OrderId, Side, SignedOrder};
use clearproof_protocol::signature::SecretKey;
use clearproof_protocol::types::*;
use clearproof_sequencer::genesis;
use clearproof_sequencer::Sequencer;

pub(super) fn key(name: &str) -> SecretKey {
    let mut seed = [0u8; 32];
    let bytes = format!("clearproof devnet {name}");
    seed[..bytes.len()].copy_from_slice(bytes.as_bytes());
    SecretKey::from_bytes(seed).expect("fixed seed")
}

pub(super) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(super) fn micro(usd: f64) -> i128 {
    (usd * 1e6).round() as i128
}

/// The devnet's participants and workload.
pub(super) struct Workload {
    users: Vec<(u32, SecretKey)>,
    t0: u64,
    expiry: u64,
}

impl Workload {
    pub(super) fn new() -> Self {
        let users = ["alice", "bob", "carol", "dave"]
            .iter()
            .enumerate()
            .map(|(i, name)| (i as u32 + 1, key(name)))
            .collect();
        Self { users, t0: 1_700_000_000, expiry: unix_now() + 86_400 }
    }

    pub(super) fn user(&self, id: u32) -> &SecretKey {
        &self.users[id as usize - 1].1
    }

    /// An order signed by its account's owner (fees up to 0.1 %).
    fn order(
        &self,
        account: u32,
        market: u8,
        side: Side,
        size: i128,
        limit: u32,
        id: u64,
    ) -> SignedOrder {
        let order = Order {
            account: AccountId::new(account.into()).expect("id"),
            market: MarketId::new(market.into()).expect("market"),
            side,
            size: Amount::new(size).expect("size"),
            limit_price: Price::from_units(limit),
            max_fee_bp: Bps::new(10).expect("bps"),
            expiry: Timestamp::new(self.expiry.into()).expect("expiry"),
            order_id: OrderId::new(id).expect("order id"),
        };
        order.sign(self.user(account))
    }
}

/// A trade at `price_usd` per lot between two signed orders; fees 0.1 % of quote.
fn trade(
    market: u8,
    lots: i128,
    price_usd: f64,
    buyer: SignedOrder,
    seller: SignedOrder,
) -> Submission {
    let quote = micro(price_usd) * lots;
    let fee = Quote::new(quote / 1_000).expect("fee");
    Submission::Trade {
        market: MarketId::new(market.into()).expect("market"),
        base: Amount::new(lots).expect("lots"),
        quote: Amount::new(quote).expect("quote"),
        buyer_fee: fee,
        seller_fee: fee,
        buyer_order: buyer,
        seller_order: seller,
    }
}

/// The workload's batches: deposits go to the ledger's queue first.
pub(super) fn batches(w: &Workload) -> Vec<Vec<Step>> {
    let btc = 0u8;
    let eth = 1u8;
    let price = |m: u8, units: u32, ts: u64| Step::Oracle {
        market: m,
        value: OracleValue::Price(Price::from_units(units)),
        timestamp: ts,
    };
    let deposit =
        |account: u32, usd: f64| Step::Deposit { account, owner: account, amount: micro(usd) };
    let t = w.t0;
    vec![
        vec![
            deposit(1, 100.0),
            deposit(2, 10.0),
            deposit(3, 1_000.0),
            deposit(4, 100.0),
            price(0, 6_000_000, t + 60),
            price(1, 3_000_000, t + 60),
            price(2, 1_500_000, t + 60),
            price(3, 1_000_000, t + 60),
        ],
        vec![
            submit(trade(
                btc,
                10,
                6.0,
                w.order(1, btc, Side::Buy, 10, 6_100_000, 1),
                w.order(2, btc, Side::Sell, 10, 5_900_000, 1),
            )),
            submit(trade(
                eth,
                20,
                3.0,
                w.order(3, eth, Side::Buy, 20, 3_100_000, 1),
                w.order(4, eth, Side::Sell, 20, 2_900_000, 1),
            )),
        ],
        vec![
            // +5 000 micro-units of index per lot: the long pays 0.05 USD.
            Step::Oracle {
                market: btc,
                value: OracleValue::Funding(FundingIndex::new(5_000 << 32).expect("index")),
                timestamp: t + 3_600,
            },
            price(btc, 6_900_000, t + 3_660),
            submit(Submission::Liquidate {
                market: MarketId::new(btc.into()).expect("market"),
                liquidated: AccountId::new(2).expect("id"),
                base: Amount::new(10).expect("lots"),
                quote: Amount::new(micro(72.0)).expect("quote"),
                penalty: Quote::new(micro(0.69)).expect("penalty"),
                liquidator_order: w.order(3, btc, Side::Sell, 10, 7_000_000, 2),
            }),
        ],
        vec![
            submit(Submission::CoverDeficit { account: AccountId::new(2).expect("id") }),
            submit(Submission::withdraw(
                w.user(1),
                AccountId::new(1).expect("id"),
                Amount::new(micro(20.0)).expect("amount"),
                Nonce::new(0).expect("nonce"),
            )),
            submit(Submission::withdraw(
                w.user(4),
                AccountId::new(4).expect("id"),
                Amount::new(micro(10.0)).expect("amount"),
                Nonce::new(0).expect("nonce"),
            )),
        ],
    ]
}

fn submit(s: Submission) -> Step {
    Step::Submit(Box::new(s))
}

pub(super) enum Step {
    Deposit {
        account: u32,
        owner: u32,
        amount: i128,
    },
    Submit(Box<Submission>),
    /// The committee observes `value` in `market` at `timestamp`.
    Oracle {
        market: u8,
        value: OracleValue,
        timestamp: u64,
    },
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum OracleValue {
    Price(Price),
    Funding(FundingIndex),
}

/// The devnet committee's faulty member: it signs an outlier.
const FAULTY_MEMBER: usize = 3;
/// The member that is down: it never reports.
const DOWN_MEMBER: usize = 2;

impl OracleValue {
    /// What the faulty member signs instead: 50 % more (an index: 50 % more,
    /// plus one unit so that a zero index moves too).
    fn outlier(self) -> Self {
        match self {
            OracleValue::Price(p) => {
                OracleValue::Price(Price::new(p.get() as i128 * 3 / 2).expect("within range"))
            }
            OracleValue::Funding(i) => OracleValue::Funding(
                FundingIndex::new(i.get() as i128 * 3 / 2 + 1).expect("within range"),
            ),
        }
    }

    fn observe(self, key: &SecretKey, market: MarketId, at: Timestamp) -> ObservationRequest {
        match self {
            OracleValue::Price(p) => ObservationRequest::price(key, market, p, at),
            OracleValue::Funding(i) => ObservationRequest::funding(key, market, i, at),
        }
    }

    fn show(self) -> String {
        match self {
            OracleValue::Price(p) => format!("price {:.6}", p.get() as f64 / 2f64.powi(32) / 1e6),
            OracleValue::Funding(i) => format!("funding index {}", i.get() >> 32),
        }
    }
}

/// The committee's observations of `value`: the faulty member first (its
/// outlier), then the honest members 0 and 1, whose observation completes the
/// quorum of 3; member 2 is down. Returns the line the devnet prints.
pub(super) fn observe(
    sequencer: &mut Sequencer,
    market: u8,
    value: OracleValue,
    timestamp: u64,
) -> Result<String> {
    let m = MarketId::new(market.into())?;
    let at = Timestamp::new(timestamp.into())?;
    let outlier = value.outlier();
    let mut update = None;
    for (member, observed) in [(FAULTY_MEMBER, outlier), (0, value), (1, value)] {
        let request = observed.observe(&genesis::devnet_oracle(member), m, at);
        let receipt = sequencer
            .observe(request, unix_now())
            .with_context(|| format!("member {member}'s observation refused"))?;
        update = receipt.update;
    }
    let update = update.context("three observations did not complete the quorum")?;
    let applied = match sequencer.market(m).state {
        s if matches!(value, OracleValue::Price(_)) => OracleValue::Price(s.price),
        s => OracleValue::Funding(s.funding_index),
    };
    ensure!(applied == value, "the median did not hold the honest value");
    Ok(format!(
        "oracle: market {market} {} from members 0, 1, {FAULTY_MEMBER} (tx {}); member \
         {FAULTY_MEMBER} signed {}, ignored by the median; member {DOWN_MEMBER} down",
        value.show(),
        update.id,
        outlier.show(),
    ))
}
