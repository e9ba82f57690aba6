//! The circuit's oracle rules (`PriceUpdate`, `FundingTick` and the committee's
//! observations, over an update's slot and its continuation): each negative
//! test forges batch 2's price update or funding tick, or its observations,
//! and expects the named constraint (or a signature) to fail.

use clearproof_circuits::testing::*;
use clearproof_protocol::testing::*;
use clearproof_protocol::tx::*;
use clearproof_protocol::types::*;
use clearproof_protocol::witness::{ChunkWitness, SlotWitness};

#[test]
fn oracle_timestamp_not_increasing_is_rejected() {
    // Market 0's funding timestamp and market 1's price timestamp are both T0.
    assert!(rules_hold(&forged_oracle(6, tick(0, 3_000_000, T0 + 1))));
    assert_rejected_by(&forged_oracle(6, tick(0, 3_000_000, T0)), "funding timestamp is newer");
    assert!(rules_hold(&forged_oracle(5, price(1, 101, T0 + 1))));
    assert_rejected_by(&forged_oracle(5, price(1, 101, T0)), "price timestamp is newer");
}

#[test]
fn funding_tick_exceeding_the_rate_bound_is_rejected() {
    // Market 0 at 88 over 10 s: |Δ| ≤ rate·88·10.
    let bound = 4_294_967i128 * 88 * 10;
    assert!(rules_hold(&forged_oracle(6, tick(0, bound, T0 + 10))));
    assert!(rules_hold(&forged_oracle(6, tick(0, -bound, T0 + 10))));
    assert_rejected_by(
        &forged_oracle(6, tick(0, bound + 1, T0 + 10)),
        "funding index within the rate bound",
    );
    assert_rejected_by(
        &forged_oracle(6, tick(0, -bound - 1, T0 + 10)),
        "funding index within the rate bound",
    );
}

#[test]
fn zero_price_is_rejected() {
    let zero = Transaction::PriceUpdate(PriceUpdate {
        market: mkt(1),
        price: Price::new(0).unwrap(),
        timestamp: Timestamp::new((T0 + 2) as i128).unwrap(),
    });
    assert_rejected_by(&forged_oracle(5, zero), "price is positive");
}

/// Batch 2's price update of market 1 (transaction 5) claiming `price` at
/// `ts`, authorised by members `(signer, price, ts)` of market 1's committee
/// (`key(200 + signer)`), each signing its own observation.
fn quorum_of(price: u64, ts: u64, observed: &[(u8, u64, u64)]) -> ChunkWitness {
    let claimed = Transaction::PriceUpdate(PriceUpdate {
        market: mkt(1),
        price: Price::new(price as i128).unwrap(),
        timestamp: Timestamp::new(ts as i128).unwrap(),
    });
    let mut w = forged_oracle(5, claimed);
    let (_, slot) = position(5);
    w.slots[slot].auth = Authority::PriceQuorum { observations: observations_of(observed) };
    w
}

/// Market 1's members' price observations `(signer, price, ts)`, each
/// signed by `key(200 + signer)`.
fn observations_of(
    observed: &[(u8, u64, u64)],
) -> Vec<clearproof_protocol::oracle::Observation<Price>> {
    observed
        .iter()
        .map(|&(i, value, at)| {
            clearproof_protocol::oracle::Observation::sign(
                &key(200 + i),
                OracleIndex::new(i as i128).unwrap(),
                mkt(1),
                Price::new(value as i128).unwrap(),
                Timestamp::new(at as i128).unwrap(),
            )
        })
        .collect()
}

const V: u64 = 101 << 32;

#[test]
fn an_update_is_the_lower_median_of_a_quorum_at_its_earliest_timestamp() {
    // Four observations: the lower median of [V, V, V + 10, V + 20] is V.
    let spread = [(0, V + 10, T0 + 3), (1, V, T0 + 2), (2, V + 20, T0 + 4), (3, V, T0 + 5)];
    assert!(rules_hold(&quorum_of(V, T0 + 2, &spread)));
    assert_rejected_by(&quorum_of(V + 1, T0 + 2, &spread), "oracle value not above the median");
    assert_rejected_by(&quorum_of(V - 1, T0 + 2, &spread), "oracle value not below the median");
    // Three observations: the median of [V, V + 10, V + 20] is V + 10.
    assert!(rules_hold(&quorum_of(V + 10, T0 + 2, &spread[..3])));
    assert_rejected_by(
        &quorum_of(V + 11, T0 + 2, &spread[..3]),
        "oracle value not above the median",
    );
    assert_rejected_by(
        &quorum_of(V + 9, T0 + 2, &spread[..3]),
        "oracle value not below the median",
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 8,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Random observation sets of 3 or 4 members with up to ⌊(k − 1)/2⌋
    /// arbitrary outliers, and a claimed price at or next to their median:
    /// the circuit accepts exactly what the native rule accepts, and an
    /// accepted price lies within the honest observations' range.
    #[test]
    fn the_proven_price_is_the_native_median_within_the_honest_range(
        k in 3usize..=4,
        honest in proptest::collection::vec(1u64..1_000_000, 4),
        outlier in 0u64..u64::MAX / 2,
        at in 0usize..4,
        delays in proptest::collection::vec(0u64..30, 4),
        nudge in -1i64..=1,
    ) {
        let mut values: Vec<u64> = honest[..k].iter().map(|v| v << 20).collect();
        let faulty = at % k;
        values[faulty] = outlier; // one outlier: ⌊(k − 1)/2⌋ = 1 for k = 3, 4
        let set: Vec<(u8, u64, u64)> =
            (0..k).map(|i| (i as u8, values[i], T0 + 2 + delays[i])).collect();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let median = sorted[(k - 1) / 2];
        let earliest = set.iter().map(|o| o.2).min().unwrap();
        let claimed = (median as i64 + nudge) as u64;
        let w = quorum_of(claimed, earliest, &set);
        let observations = observations_of(&set);
        let native = clearproof_protocol::oracle::check_quorum(
            &committee(),
            mkt(1),
            &observations,
            Price::new(claimed as i128).unwrap(),
            Timestamp::new(earliest as i128).unwrap(),
        );
        proptest::prop_assert_eq!(rules_hold(&w), native.is_ok(), "native: {:?}", native);
        if native.is_ok() {
            let honest: Vec<u64> = (0..k).filter(|&i| i != faulty).map(|i| values[i]).collect();
            let (lo, hi) = (*honest.iter().min().unwrap(), *honest.iter().max().unwrap());
            proptest::prop_assert!(lo <= claimed && claimed <= hi);
        }
    }
}

#[test]
fn a_quorum_not_met_a_repeated_or_foreign_signer_is_rejected() {
    let same = |i: u8| (i, V, T0 + 2);
    assert_rejected_by(&quorum_of(V, T0 + 2, &[same(0), same(1)]), "oracle quorum met");
    assert_rejected_by(
        &quorum_of(V, T0 + 2, &[same(0), same(0), same(1)]),
        "oracle signers strictly increasing",
    );
    assert_rejected_by(
        &quorum_of(V, T0 + 2, &[same(1), same(0), same(2)]),
        "oracle signers strictly increasing",
    );
    // Market 0's committee has one member: signer 1 names no one.
    let mut w = forged_oracle(6, tick(0, 3_000_000, T0 + 10));
    let (_, slot) = position(6);
    let Authority::FundingQuorum { observations } = &mut w.slots[slot].auth else { unreachable!() };
    let mut foreign = observations[0];
    foreign.signer = OracleIndex::new(1).unwrap();
    foreign.signature = key(201).sign(foreign.message(mkt(0)));
    observations.push(foreign);
    assert_rejected_by(&w, "oracle signer is a committee member");
}

#[test]
fn an_update_not_at_the_earliest_timestamp_or_too_spread_is_rejected() {
    let at = |i: u8, t: u64| (i, V, t);
    let set = [at(0, T0 + 2), at(1, T0 + 3), at(2, T0 + 3), at(3, T0 + 4)];
    assert!(rules_hold(&quorum_of(V, T0 + 2, &set)));
    assert_rejected_by(&quorum_of(V, T0 + 3, &set), "oracle timestamp not after an observation");
    assert_rejected_by(&quorum_of(V, T0 + 1, &set), "oracle timestamp is an observation's");
    let old = [at(0, T0 + 2), at(1, T0 + 2), at(2, T0 + 62)];
    assert!(rules_hold(&quorum_of(V, T0 + 2, &old)));
    let older = [at(0, T0 + 2), at(1, T0 + 2), at(2, T0 + 63)];
    assert_rejected_by(&quorum_of(V, T0 + 2, &older), "oracle observation within max_oracle_age");
}

#[test]
fn observations_outside_an_oracle_update_are_rejected() {
    // Batch 2's first transaction, a deposit, carries an observation.
    let observations = observations_of(&[(0, V, T0 + 2)]);
    let (chunk, slot) = position(0);
    let w = tampered(chunk, slot, |s| s.auth = Authority::PriceQuorum { observations });
    assert_rejected_by(&w, "observations only in oracle updates");
}

#[test]
fn a_bad_observation_signature_is_rejected_in_the_update_and_its_continuation() {
    let same = |i: u8| (i, V, T0 + 2);
    let honest = quorum_of(V, T0 + 2, &[same(0), same(1), same(2), same(3)]);
    assert!(rules_hold(&honest));
    let (_, slot) = position(5);
    // Observation 1 is checked in the update's slot, 3 in its continuation.
    for bad in [1, 3] {
        let mut w = honest.clone();
        let Authority::PriceQuorum { observations } = &mut w.slots[slot].auth else {
            unreachable!()
        };
        observations[bad].signature = key(210).sign(observations[bad].message(mkt(1)));
        assert_signature_refused(&w);
    }
}

#[test]
fn an_oracle_update_without_its_continuation_is_rejected() {
    let (chunk, slot) = position(5);
    assert_eq!(slot, 1, "transaction 4 (a cover) then the update");
    let honest = proven_batch().swap_remove(chunk);
    assert!(rules_hold(&honest));
    // The update in the chunk's last slot: its continuation is cut off.
    let mut last = honest.clone();
    last.slots.truncate(slot + 1);
    while last.slots.len() < SLOTS {
        last.slots.insert(0, SlotWitness::default());
    }
    let kind = last.slots[SLOTS - 1].tx.as_ref().map(Transaction::kind);
    assert_eq!(kind, Some(TxKind::PriceUpdate));
    assert_rejected_by(&last, "an oracle update is not a chunk's last slot");
    // A transaction in the continuation's place.
    let mut swapped = honest;
    swapped.slots.swap(0, 1);
    assert!(matches!(swapped.slots[1].tx, Some(Transaction::CoverDeficit(_))));
    assert_rejected_by(&swapped, "the slot after an oracle update is its continuation");
}
