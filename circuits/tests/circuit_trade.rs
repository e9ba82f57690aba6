//! The circuit's `Trade` rules (the fill, both orders, both signatures): each
//! negative test forges batch 2's trade or tampers with its orders and expects
//! the named constraint (or a signature) to fail; random partial fills are
//! proven with the native roots.

use clearproof_circuits::testing::*;
use clearproof_circuits::Fr;
use clearproof_protocol::testing::*;
use clearproof_protocol::tx::*;
use clearproof_protocol::types::*;
use clearproof_protocol::witness::chunk_witnesses;

#[test]
fn trade_leaving_a_side_below_initial_margin_is_rejected() {
    // Dave (≈ 1 500) buys from Erin. 10 lots need 100 of margin; 200 lots 2 000.
    assert!(rules_hold(&forged_trade(trade(2, 4, 5, 10, 1_000, 5, 5))));
    assert_rejected_by(
        &forged_trade(trade(2, 4, 5, 200, 20_000, 0, 0)),
        "each side may hold its position after the fill",
    );
}

#[test]
fn fill_outside_the_price_band_is_rejected() {
    assert!(rules_hold(&forged_trade(trade(2, 4, 5, 10, 1_050, 0, 0))));
    assert!(rules_hold(&forged_trade(trade(2, 4, 5, 10, 950, 0, 0))));
    assert_rejected_by(
        &forged_trade(trade(2, 4, 5, 10, 1_051, 0, 0)),
        "fill price within the band",
    );
    assert_rejected_by(&forged_trade(trade(2, 4, 5, 10, 949, 0, 0)), "fill price within the band");
}

#[test]
fn trade_without_its_owners_signatures_is_rejected() {
    // Dave's (4) order signed by Erin (5), and by a key no account has.
    assert_signature_refused(&tampered_auth_tx(8, |a| {
        let Authority::Orders { orders } = a else { unreachable!() };
        orders[0] = signed_by(&orders[0].order, 5);
    }));
    assert_signature_refused(&tampered_auth_tx(8, |a| {
        let Authority::Orders { orders } = a else { unreachable!() };
        orders[1] = signed_by(&orders[1].order, 77);
    }));
    // The two orders' signatures swapped.
    assert_signature_refused(&tampered_auth_tx(8, |a| {
        let Authority::Orders { orders } = a else { unreachable!() };
        let (buy, sell) = (orders[0].signature, orders[1].signature);
        orders[0].signature = sell;
        orders[1].signature = buy;
    }));
}

#[test]
fn order_for_another_account_market_or_side_is_rejected() {
    use clearproof_protocol::orders::Side;
    // Signed by the right owner, but the message is not the fill's.
    assert_signature_refused(&tampered_orders(|o| o[0].order.market = mkt(1)));
    assert_signature_refused(&tampered_orders(|o| o[1].order.side = Side::Buy));
    assert_signature_refused(&tampered_orders(|o| {
        o[0].order.order_id =
            clearproof_protocol::orders::OrderId::new(o[0].order.order_id.get() + 1).unwrap()
    }));
    // Erin signs an order naming Dave's account.
    assert_signature_refused(&tampered_auth_tx(8, |a| {
        let Authority::Orders { orders } = a else { unreachable!() };
        orders[0] = signed_by(&orders[0].order, 5);
        orders[0].order.account = id(5);
    }));
}

#[test]
fn fill_beyond_an_orders_limit_price_is_rejected() {
    // Exact orders: both limits are the fill's price, 100 per lot.
    assert!(rules_hold(&tampered_orders(|_| {})));
    let shift = |p: Price, d: i128| Price::new(p.get() as i128 + d).unwrap();
    assert_rejected_by(
        &tampered_orders(|o| o[0].order.limit_price = shift(o[0].order.limit_price, -1)),
        "fill within the order's limit price",
    );
    assert_rejected_by(
        &tampered_orders(|o| o[1].order.limit_price = shift(o[1].order.limit_price, 1)),
        "fill within the order's limit price",
    );
}

#[test]
fn fee_above_an_orders_cap_is_rejected() {
    // A fee of 5 on a quote of 1 000 is 50 bp.
    let cap = |bp: i128| Bps::new(bp).unwrap();
    assert!(rules_hold(&tampered_orders(|o| o[0].order.max_fee_bp = cap(50))));
    assert_rejected_by(
        &tampered_orders(|o| o[0].order.max_fee_bp = cap(49)),
        "fee within the order's max_fee_bp",
    );
    assert_rejected_by(
        &tampered_orders(|o| o[1].order.max_fee_bp = cap(49)),
        "fee within the order's max_fee_bp",
    );
}

#[test]
fn expired_order_is_rejected() {
    // Market 2's oracle clock is still at genesis, T0.
    let at = |t: u64| Timestamp::new(t as i128).unwrap();
    assert!(rules_hold(&tampered_orders(|o| o[1].order.expiry = at(T0))));
    assert_rejected_by(
        &tampered_orders(|o| o[1].order.expiry = at(T0 - 1)),
        "order not expired at the oracle clock",
    );
}

#[test]
fn fill_beyond_an_orders_size_is_rejected() {
    assert_rejected_by(
        &tampered_orders(|o| o[0].order.size = Amount::new(9).unwrap()),
        "order filled within its size",
    );
}

#[test]
fn overfill_across_two_fills_and_replay_of_a_filled_order_are_rejected() {
    // Frank's order 1 000 (900 lots) was filled in full in batch 1: filling it
    // again is a replay, and any fill overfills it.
    let again = |buyer_order| with_ids(trade(3, 6, 7, 10, 1_000, 0, 0), buyer_order, 2_001);
    assert!(rules_hold(&forged_trade(again(FRANK_ORDER + 256))), "a newer order in the slot");
    assert_rejected_by(&forged_trade(again(FRANK_ORDER)), "order filled within its size");
}

#[test]
fn superseded_order_is_rejected() {
    // Order 744 shares slot 232 with order 1 000, which replaced it for good.
    let older = with_ids(trade(3, 6, 7, 10, 1_000, 0, 0), FRANK_ORDER - 256, 2_001);
    assert_rejected_by(&forged_trade(older), "order not superseded in its slot");
}

#[test]
fn wrong_order_slot_sibling_is_rejected() {
    assert_rejected_by(
        &tampered_tx(8, |s| s.order_fills[0].path.siblings[2] += Fr::one()),
        "order slot is a member of the account's orders_root",
    );
}

#[test]
fn trade_of_an_account_with_itself_is_rejected() {
    // Dave buys from Dave: the witness applies both sides to one leaf, each
    // update under the root the previous left, so only the rule can refuse it.
    assert_rejected_by(&forged_trade(trade(2, 4, 4, 10, 1_000, 0, 0)), "the two accounts differ");
}

#[test]
fn fee_above_cap_is_rejected() {
    assert!(rules_hold(&forged_trade(trade(2, 4, 5, 10, 1_000, 5, 5))));
    assert_rejected_by(
        &forged_trade(trade(2, 4, 5, 10, 1_000, 6, 5)),
        "each fee within max_fee_bp of quote",
    );
    assert_rejected_by(
        &forged_trade(trade(2, 4, 5, 10, 1_000, 5, 6)),
        "each fee within max_fee_bp of quote",
    );
}

/// A trade of `base` lots at 100 per lot between Bob (2, selling) and Carol
/// (3, buying) filling their orders `buy` and `sell` of `size` lots each.
fn partial_fill(buy: u64, sell: u64, size: i128, base: i128) -> SignedTx {
    use clearproof_protocol::orders::{Order, OrderId, Side};
    let order = |account: u32, side, order_id: u64| {
        Order {
            account: id(account),
            market: mkt(1),
            side,
            size: n(size),
            limit_price: Price::from_units(100),
            max_fee_bp: Bps::new(0).unwrap(),
            expiry: Timestamp::new((1 << 40) - 1).unwrap(),
            order_id: OrderId::new(order_id).unwrap(),
        }
        .sign(&key(account as u8))
    };
    let tx = Trade {
        market: mkt(1),
        buyer: id(3),
        seller: id(2),
        base: n(base),
        quote: n(100 * base),
        buyer_fee: Quote::ZERO,
        seller_fee: Quote::ZERO,
        buyer_order_id: OrderId::new(buy).unwrap(),
        seller_order_id: OrderId::new(sell).unwrap(),
    };
    let orders = vec![order(3, Side::Buy, buy), order(2, Side::Sell, sell)];
    SignedTx::new(tx, Authority::Orders { orders })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 2,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Random partial fills of a few orders (ids sharing slots, so newer
    /// orders replace older ones): natively no order is ever filled beyond
    /// its size or after it was replaced, and every chunk of the batch is
    /// proven with the native roots (the circuit moves the order slots
    /// exactly as the native rule does, and refuses nothing it applied).
    #[test]
    fn random_partial_fills_never_overfill_and_are_proven_with_native_roots(
        fills in proptest::collection::vec((0..3u64, 0..2u64, 1..12i128), 8)
    ) {
        const SIZE: i128 = 20;
        let (mut state, _) = setup();
        let mut batch = state.begin_batch();
        let mut filled = std::collections::BTreeMap::<u64, i128>::new();
        for (order, generation, base) in fills {
            // Two ids per slot: `order` and `order + 256·generation`.
            let buy = 10 + order + 256 * generation;
            let sell = 20 + order + 256 * generation;
            let fill = partial_fill(buy, sell, SIZE, base);
            if batch.apply(&mut state, &fill).is_ok() {
                for id in [buy, sell] {
                    let total = filled.entry(id).or_default();
                    *total += base;
                    proptest::prop_assert!(*total <= SIZE, "order {} overfilled", id);
                }
            }
        }
        let out = batch.close(&state);
        eprintln!("{} of 8 fills applied (the rest overfill or revive an order)", out.witnesses.len());
        proptest::prop_assert!(!out.witnesses.is_empty(), "the first fill always applies");
        for (i, w) in chunk_witnesses(&out, SLOTS).iter().enumerate() {
            let (ok, outputs) = mock(w, Some(w.instance.to_vec()));
            proptest::prop_assert_eq!(&outputs, &w.instance.to_vec(), "chunk {}", i);
            proptest::prop_assert!(ok, "chunk {} of the fills must be satisfied", i);
        }
    }
}
