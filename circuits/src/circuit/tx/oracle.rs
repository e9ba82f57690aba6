//! The oracle committee's quorum (PROTOCOL §6.3), shared by `PriceUpdate` and
//! `FundingTick` — native rule: `clearproof_protocol::oracle::check_quorum`.
//!
//! An oracle update takes two consecutive slots: its own (the head) and the
//! next, which must be a no-op (its continuation). Every slot has two
//! signature checks ([`super::signatures`]): the head's check observations 0
//! and 1, the continuation's observations 2 and 3. Trade slots lay out no
//! extra signature check; each slot hashes one observation message per side.
//!
//! The head carries up to [`ORACLE_N`] observations `(signer, value, ts)` with
//! a present bit each (present ones first), and proves, gated by its type:
//!
//! - "observations only in oracle updates", present bits a prefix;
//! - "oracle signers strictly increasing";
//! - "oracle signer is a committee member" (its key in the market's committee
//!   is not the unused `(0, 0)`); each present observation's signature verifies
//!   under that key over `H(tag, market, value, ts)`;
//! - "oracle quorum met": at least `quorum` present;
//! - "oracle value not above the median" and "oracle value not below the
//!   median": at most `m` present values below the update's value and at least
//!   `m + 1` at or below it, `m = ⌊(k − 1)/2⌋` (which makes it the lower
//!   median, one of the values);
//! - "oracle timestamp not after an observation" and "oracle timestamp is an
//!   observation's" (the earliest);
//! - "oracle observation within max_oracle_age" of the update's timestamp.
//!
//! Funding indices are signed: values are compared as `value + 2^63 < 2^64`.
//! The update's own rules (price > 0, newer timestamp, funding rate bound) stay
//! in its gadget.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::Slot;
use crate::circuit::arith::{assert_nonneg_if, require_zero};
use crate::circuit::num::check_signed63;
use crate::circuit::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::params::ORACLE_N;
use clearproof_protocol::signature::Signature;
use clearproof_protocol::tags;
use clearproof_protocol::tx::{Authority, TxKind};

/// One observation's cells: present bit, signer's key, value, timestamp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observed {
    present: Cell,
    key: [Cell; 2],
    value: Cell,
    ts: Cell,
}

/// What an oracle head hands the next slot: whether it is one (then the next
/// slot must be its continuation), the message tag and market, observations 2
/// and 3, and their signatures (witness only).
#[derive(Debug, Clone)]
pub(crate) struct OracleCarry {
    /// The slot was an oracle update.
    pub is_oracle: Cell,
    tag: Cell,
    market: Cell,
    observed: [Observed; 2],
    signatures: [Option<Signature>; 2],
}

impl OracleCarry {
    /// Nothing carried (a chunk's first slot).
    pub(crate) fn none(ctx: &mut Ctx) -> Self {
        let zero = ctx.load_zero();
        let observed = Observed { present: zero, key: [zero, zero], value: zero, ts: zero };
        Self {
            is_oracle: zero,
            tag: zero,
            market: zero,
            observed: [observed; 2],
            signatures: [None, None],
        }
    }
}

/// One side's oracle signature check: whether it is active, under which key,
/// on which message, and the presented signature.
#[derive(Debug, Clone)]
pub(crate) struct OracleSide {
    /// The side checks an observation's signature.
    pub active: Cell,
    /// The committee member's key.
    pub key: [Cell; 2],
    /// `H(tag, market, value, ts)`.
    pub message: Cell,
    /// The observation's signature (witness).
    pub signature: Option<Signature>,
}

/// The observations the slot's authority carries: `(signer, value, ts,
/// signature)`, at most [`ORACLE_N`].
fn observations(s: &Slot<'_>) -> Vec<(u64, Fr, u64, Signature)> {
    let list: Vec<_> = match &s.witness.auth {
        Authority::PriceQuorum { observations } => observations
            .iter()
            .map(|o| (o.signer.get() as u64, o.value.to_field(), o.timestamp.get(), o.signature))
            .collect(),
        Authority::FundingQuorum { observations } => observations
            .iter()
            .map(|o| (o.signer.get() as u64, o.value.to_field(), o.timestamp.get(), o.signature))
            .collect(),
        _ => Vec::new(),
    };
    list.into_iter().take(ORACLE_N).collect()
}

/// Lays out the head's quorum rule and both sides' observation signatures
/// (this slot's as a head, or the previous head's 2 and 3 when this slot is its
/// continuation); returns the sides and what the next slot continues.
pub(crate) fn constrain(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    s: &Slot<'_>,
    noop: Cell,
    carry: &OracleCarry,
) -> ([OracleSide; 2], OracleCarry) {
    let head = Head::load(ctx, range, s, noop, carry);
    let witnessed = observations(s);
    let (observed, signers) = load_observed(ctx, range, &head, &witnessed);
    constrain_signers(ctx, range, &head, &observed, &signers);
    constrain_median(ctx, range, &head, &observed);
    constrain_timestamps(ctx, range, &head, &observed);

    // Both sides: this head's observations 0 and 1, or the previous head's 2
    // and 3 when this slot continues it.
    let gate = range.gate();
    let tag_offset = Fr::from(tags::FUNDING_OBSERVATION - tags::PRICE_OBSERVATION);
    let tag = gate.mul_add(
        ctx,
        head.is_funding,
        Constant(tag_offset),
        Constant(Fr::from(tags::PRICE_OBSERVATION)),
    );
    let cont = carry.is_oracle;
    let sides = [0, 1].map(|j| {
        let own = &observed[j];
        let theirs = &carry.observed[j];
        let own_active = gate.mul(ctx, own.present, head.is_oracle);
        let their_active = gate.mul(ctx, theirs.present, cont);
        let active = gate.add(ctx, own_active, their_active);
        let pick = |ctx: &mut Ctx, a: Cell, b: Cell| gate.select(ctx, a, b, cont);
        let key = [pick(ctx, theirs.key[0], own.key[0]), pick(ctx, theirs.key[1], own.key[1])];
        let inputs = [
            pick(ctx, carry.tag, tag),
            pick(ctx, carry.market, s.market_id),
            pick(ctx, theirs.value, own.value),
            pick(ctx, theirs.ts, own.ts),
        ];
        let message = s.hasher.hash(ctx, gate, &inputs);
        let signature = if *cont.value() == Fr::one() {
            carry.signatures[j]
        } else {
            witnessed.get(j).map(|o| o.3)
        };
        OracleSide { active, key, message, signature }
    });
    let next = OracleCarry {
        is_oracle: head.is_oracle,
        tag,
        market: s.market_id,
        observed: [observed[2], observed[3]],
        signatures: [witnessed.get(2).map(|o| o.3), witnessed.get(3).map(|o| o.3)],
    };
    (sides, next)
}

/// What every oracle rule of a slot reads: its type bits, the claimed value
/// and timestamp, and the named market's committee.
struct Head {
    is_funding: Cell,
    /// The slot is an oracle update (a price update or a funding tick).
    is_oracle: Cell,
    timestamp: Cell,
    /// The claimed price or funding index.
    value: Cell,
    /// 2^63 for a funding tick (its values shifted to [0, 2^64)), 0 for a price.
    offset: Cell,
    /// The committee members' keys.
    members: Vec<[Cell; 2]>,
    quorum: Cell,
    max_age: Cell,
}

impl Head {
    /// The slot's oracle inputs, after the rule "the slot after an oracle
    /// update is its continuation (a no-op)".
    fn load(
        ctx: &mut Ctx,
        range: &RangeChip<Fr>,
        s: &Slot<'_>,
        noop: Cell,
        carry: &OracleCarry,
    ) -> Self {
        let gate = range.gate();
        let is_price = s.is(TxKind::PriceUpdate);
        let is_funding = s.is(TxKind::FundingTick);
        let is_oracle = gate.add(ctx, is_price, is_funding);
        // "the slot after an oracle update is its continuation (a no-op)".
        let not_noop = gate.not(ctx, noop);
        let bad = gate.mul(ctx, carry.is_oracle, not_noop);
        require_zero(ctx, gate, bad, "the slot after an oracle update is its continuation");

        let timestamp =
            s.input(ctx, gate, "timestamp", &[TxKind::PriceUpdate, TxKind::FundingTick]);
        let price = s.input(ctx, gate, "price", &[TxKind::PriceUpdate]);
        let index = s.input(ctx, gate, "index", &[TxKind::FundingTick]);
        let value = gate.add(ctx, price, index);
        let offset = gate.mul(ctx, is_funding, Constant(Fr::from(1u64 << 63)));
        let members: Vec<[Cell; 2]> = (0..ORACLE_N)
            .map(|i| {
                [
                    s.pick(ctx, gate, |m| m.committee.members[i][0]),
                    s.pick(ctx, gate, |m| m.committee.members[i][1]),
                ]
            })
            .collect();
        let quorum = s.pick(ctx, gate, |m| m.committee.quorum);
        let max_age = s.pick(ctx, gate, |m| m.committee.max_oracle_age);
        Self { is_funding, is_oracle, timestamp, value, offset, members, quorum, max_age }
    }
}

/// Loads the [`ORACLE_N`] observation places (present or not) with their
/// range checks and the signer's key; returns them and their signer indices.
fn load_observed(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    head: &Head,
    witnessed: &[(u64, Fr, u64, Signature)],
) -> (Vec<Observed>, Vec<Cell>) {
    let gate = range.gate();
    let mut observed = Vec::with_capacity(ORACLE_N);
    let mut signers = Vec::with_capacity(ORACLE_N);
    for i in 0..ORACLE_N {
        let w = witnessed.get(i);
        let present = ctx.load_witness(Fr::from(w.is_some() as u64));
        gate.assert_bit(ctx, present);
        let signer = ctx.load_witness(Fr::from(w.map_or(0, |o| o.0)));
        range.range_check(ctx, signer, 2);
        let value = ctx.load_witness(w.map_or(Fr::zero(), |o| o.1));
        // A funding observation is a funding index, |x| < 2^63 (a price is
        // bounded below, with the median).
        let index = gate.mul(ctx, value, head.is_funding);
        check_signed63(ctx, range, index);
        let ts = ctx.load_witness(Fr::from(w.map_or(0, |o| o.2)));
        range.range_check(ctx, ts, 40);
        let pick = gate.idx_to_indicator(ctx, signer, ORACLE_N);
        let key = [0, 1].map(|c| {
            let coords: Vec<Cell> = head.members.iter().map(|k| k[c]).collect();
            gate.select_by_indicator(ctx, coords, pick.iter().copied())
        });
        observed.push(Observed { present, key, value, ts });
        signers.push(signer);
    }
    (observed, signers)
}

/// "observations only in oracle updates" (present ones first), "oracle signers
/// strictly increasing", "oracle signer is a committee member" and "oracle
/// quorum met".
fn constrain_signers(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    head: &Head,
    observed: &[Observed],
    signers: &[Cell],
) {
    let gate = range.gate();
    for i in 0..ORACLE_N {
        let outside = gate.not(ctx, head.is_oracle);
        let bad = gate.mul(ctx, observed[i].present, outside);
        require_zero(ctx, gate, bad, "observations only in oracle updates");
        if i > 0 {
            let gap = gate.not(ctx, observed[i - 1].present);
            let bad = gate.mul(ctx, observed[i].present, gap);
            require_zero(ctx, gate, bad, "observations only in oracle updates");
            let step = gate.sub(ctx, signers[i], signers[i - 1]);
            let step = gate.sub(ctx, step, Constant(Fr::one()));
            assert_nonneg_if(
                ctx,
                range,
                step,
                observed[i].present,
                2,
                "oracle signers strictly increasing",
            );
        }
        // "oracle signer is a committee member": its key is not (0, 0).
        let x0 = gate.is_zero(ctx, observed[i].key[0]);
        let y0 = gate.is_zero(ctx, observed[i].key[1]);
        let unused = gate.mul(ctx, x0, y0);
        let bad = gate.mul(ctx, unused, observed[i].present);
        require_zero(ctx, gate, bad, "oracle signer is a committee member");
    }
    let count = gate.sum(ctx, observed.iter().map(|o| o.present));
    let short = gate.sub(ctx, count, head.quorum);
    assert_nonneg_if(ctx, range, short, head.is_oracle, 3, "oracle quorum met");
}

/// The claimed value is the lower median of the present observations, on
/// values shifted to [0, 2^64).
fn constrain_median(ctx: &mut Ctx, range: &RangeChip<Fr>, head: &Head, observed: &[Observed]) {
    let gate = range.gate();
    let shifted = gate.add(ctx, head.value, head.offset);
    let u = gate.mul(ctx, shifted, head.is_oracle);
    range.range_check(ctx, u, 64);
    let mut below = Vec::with_capacity(ORACLE_N);
    let mut at_most = Vec::with_capacity(ORACLE_N);
    for o in observed {
        let shifted = gate.add(ctx, o.value, head.offset);
        let ui = gate.mul(ctx, shifted, o.present);
        range.range_check(ctx, ui, 64);
        let lt = range.is_less_than(ctx, ui, u, 64);
        let gt = range.is_less_than(ctx, u, ui, 64);
        below.push(gate.mul(ctx, lt, o.present));
        let gt = gate.mul(ctx, gt, o.present);
        at_most.push(gate.sub(ctx, o.present, gt));
    }
    // m = ⌊(k − 1)/2⌋ for k ≤ 4 is 1 exactly when a third observation is present.
    let m = observed[2].present;
    let below = gate.sum(ctx, below);
    let at_most = gate.sum(ctx, at_most);
    let room = gate.sub(ctx, m, below);
    assert_nonneg_if(ctx, range, room, head.is_oracle, 3, "oracle value not above the median");
    let reach = gate.sub(ctx, at_most, m);
    let reach = gate.sub(ctx, reach, Constant(Fr::one()));
    assert_nonneg_if(ctx, range, reach, head.is_oracle, 3, "oracle value not below the median");
}

/// The claimed timestamp is the earliest present observation's, and every
/// present observation is within `max_oracle_age` of it.
fn constrain_timestamps(ctx: &mut Ctx, range: &RangeChip<Fr>, head: &Head, observed: &[Observed]) {
    let gate = range.gate();
    let mut product = ctx.load_constant(Fr::one());
    for o in observed {
        let after = gate.sub(ctx, o.ts, head.timestamp);
        assert_nonneg_if(
            ctx,
            range,
            after,
            o.present,
            40,
            "oracle timestamp not after an observation",
        );
        let limit = gate.add(ctx, head.timestamp, head.max_age);
        let age = gate.sub(ctx, limit, o.ts);
        assert_nonneg_if(
            ctx,
            range,
            age,
            o.present,
            41,
            "oracle observation within max_oracle_age",
        );
        // (ts_i − ts)·present + (1 − present): zero only for a present
        // observation at the update's timestamp.
        let absent = gate.not(ctx, o.present);
        let factor = gate.mul_add(ctx, after, o.present, absent);
        product = gate.mul(ctx, product, factor);
    }
    let bad = gate.mul(ctx, product, head.is_oracle);
    require_zero(ctx, gate, bad, "oracle timestamp is an observation's");
}
