//! Forged effects: what a transaction would write if no rule were checked,
//! built from the state just before it. Written into a batch with
//! [`clearproof_protocol::testing::force`], they give witnesses that break
//! exactly the rule a negative test names.

use clearproof_protocol::orders::{OrderId, Slot};
use clearproof_protocol::state::{Account, State};
use clearproof_protocol::testing::{id, moved};
use clearproof_protocol::tx::{Effect, Transaction};
use clearproof_protocol::types::{AccountId, Amount};

/// Account `account` of `s` after its funding settlement.
pub fn settled(s: &State, account: u32) -> Account {
    clearproof_protocol::funding::settle(s.account(id(account)).unwrap(), s.markets()).unwrap()
}

/// The effect a withdrawal would have if no rule were checked.
pub fn withdraw_effect(account: u32, amount: i128) -> impl Fn(&State) -> Effect {
    move |s| {
        let mut a = settled(s, account);
        a.collateral = a.collateral.checked_sub(amount).unwrap();
        a.nonce = a.nonce.next().unwrap();
        Effect { accounts: vec![(id(account), a)], ..Effect::default() }
    }
}

/// An order slot after a fill of `base`, no slot rule checked.
pub fn unchecked_fill(s: &State, account: AccountId, order: OrderId, base: Amount) -> Slot {
    let id = order.get();
    let same = s.order_slots(account).slot(id).filter(|x| x.order_id == id);
    Slot { order_id: id, filled: same.map_or(0, |x| x.filled) + base.get() }
}

/// The effect a trade would have if no rule were checked.
pub fn trade_effect(t: Transaction) -> impl Fn(&State) -> Effect {
    move |s| {
        let Transaction::Trade(t) = &t else { unreachable!() };
        let (b, q) = (t.base.wide(), t.quote.wide());
        let buyer = settled(s, t.buyer.get());
        let seller = settled(s, t.seller.get());
        let buyer = moved(&buyer, t.market, b, -(q + t.buyer_fee.get() as i128)).unwrap();
        let seller = moved(&seller, t.market, -b, q - t.seller_fee.get() as i128).unwrap();
        let mut globals = *s.globals();
        globals.fee_pool = globals
            .fee_pool
            .checked_add(t.buyer_fee.get() as i128 + t.seller_fee.get() as i128)
            .unwrap();
        Effect {
            accounts: vec![(t.buyer, buyer), (t.seller, seller)],
            globals: Some(globals),
            order_fills: vec![
                (t.buyer, unchecked_fill(s, t.buyer, t.buyer_order_id, t.base)),
                (t.seller, unchecked_fill(s, t.seller, t.seller_order_id, t.base)),
            ],
            ..Effect::default()
        }
    }
}

/// The effect a liquidation would have if no rule were checked (direction
/// from the liquidated position's sign, as in the native rule).
pub fn liquidation_effect(t: Transaction) -> impl Fn(&State) -> Effect {
    move |s| {
        let Transaction::Liquidate(l) = &t else { unreachable!() };
        let victim = settled(s, l.liquidated.get());
        let liquidator = settled(s, l.liquidator.get());
        let sign: i128 = if victim.balances[l.market.index()].get() >= 0 { 1 } else { -1 };
        let (b, q, p) = (l.base.wide(), l.quote.wide(), l.penalty.get() as i128);
        let victim = moved(&victim, l.market, -sign * b, sign * q - p).unwrap();
        let liquidator = moved(&liquidator, l.market, sign * b, -sign * q).unwrap();
        let mut globals = *s.globals();
        globals.insurance_fund = globals.insurance_fund.checked_add(p).unwrap();
        Effect {
            accounts: vec![(l.liquidated, victim), (l.liquidator, liquidator)],
            globals: Some(globals),
            order_fills: vec![(
                l.liquidator,
                unchecked_fill(s, l.liquidator, l.liquidator_order_id, l.base),
            )],
            ..Effect::default()
        }
    }
}

/// The effect a deleverage would have if no rule were checked.
pub fn deleverage_effect(t: Transaction) -> impl Fn(&State) -> Effect {
    move |s| {
        let Transaction::Deleverage(d) = &t else { unreachable!() };
        let bankrupt = settled(s, d.bankrupt.get());
        let other = settled(s, d.counterparty.get());
        let sign: i128 = if bankrupt.balances[d.market.index()].get() >= 0 { 1 } else { -1 };
        let (b, q) = (d.base.wide(), d.quote.wide());
        let bankrupt = moved(&bankrupt, d.market, -sign * b, sign * q).unwrap();
        let other = moved(&other, d.market, sign * b, -sign * q).unwrap();
        Effect {
            accounts: vec![(d.bankrupt, bankrupt), (d.counterparty, other)],
            ..Effect::default()
        }
    }
}

/// The leaf left as it is: a refused forced withdrawal's effect.
pub fn unchanged(account: u32) -> impl Fn(&State) -> Effect {
    move |s| Effect {
        accounts: vec![(id(account), *s.account(id(account)).unwrap())],
        ..Effect::default()
    }
}

/// A forced withdrawal's debit, no rule checked (nonce unchanged).
pub fn forced_effect(account: u32, amount: i128) -> impl Fn(&State) -> Effect {
    move |s| {
        let mut a = settled(s, account);
        a.collateral = a.collateral.checked_sub(amount).unwrap();
        Effect { accounts: vec![(id(account), a)], ..Effect::default() }
    }
}

/// The effect of an oracle transaction on its market, unchecked.
pub fn oracle_effect(tx: Transaction) -> impl Fn(&State) -> Effect {
    move |s| {
        let (m, state) = match &tx {
            Transaction::PriceUpdate(p) => {
                let mut st = s.market(p.market).state;
                st.price = p.price;
                st.price_ts = p.timestamp;
                (p.market, st)
            }
            Transaction::FundingTick(f) => {
                let mut st = s.market(f.market).state;
                st.funding_index = f.index;
                st.funding_ts = f.timestamp;
                (f.market, st)
            }
            _ => unreachable!(),
        };
        Effect { market: Some((m, state)), ..Effect::default() }
    }
}
