//! Range-checked protocol numbers (PROTOCOL §2). Every value the circuit takes
//! from a witness goes through one of these, on the very cell that is used.
//!
//! A comparison is never a sign test on a field element: a signed value `x` with
//! `|x| < 2^63` is checked by range-checking `x + (2^63 − 1)` to `[0, 2^64 − 2]`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Cell, Ctx};
use crate::Fr;

/// `|x| < 2^63`: collateral, position balances, funding indices.
pub(super) fn check_signed63(ctx: &mut Ctx, range: &RangeChip<Fr>, x: Cell) {
    let gate = range.gate();
    let bias = Fr::from((1u64 << 63) - 1);
    let shifted = gate.add(ctx, x, Constant(bias));
    range.range_check(ctx, shifted, 64);
    // 64 bits allow 2^64 − 1, i.e. x = 2^63: exclude it.
    let at_bound = gate.is_equal(ctx, shifted, Constant(Fr::from(u64::MAX)));
    gate.assert_is_const(ctx, &at_bound, &Fr::zero());
}

/// `0 ≤ x < 2^bits`.
pub(super) fn check_bits(ctx: &mut Ctx, range: &RangeChip<Fr>, x: Cell, bits: usize) {
    range.range_check(ctx, x, bits);
}

/// `0 < x < 2^63`: amounts moved by a transaction.
pub(super) fn check_amount(ctx: &mut Ctx, range: &RangeChip<Fr>, x: Cell) {
    range.range_check(ctx, x, 63);
    let zero = range.gate().is_zero(ctx, x);
    range.gate().assert_is_const(ctx, &zero, &Fr::zero());
}

/// `0 ≤ x ≤ 10 000`: rates in basis points.
pub(super) fn check_bps(ctx: &mut Ctx, range: &RangeChip<Fr>, x: Cell) {
    range.check_less_than_safe(ctx, x, 10_001);
}

/// Loads a signed witness `|x| < 2^63` and range-checks it.
#[cfg(test)]
pub(super) fn load_signed63(ctx: &mut Ctx, range: &RangeChip<Fr>, x: Fr) -> Cell {
    let cell = ctx.load_witness(x);
    check_signed63(ctx, range, cell);
    cell
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::testing::satisfied;
    use clearproof_protocol::types::signed_to_field;

    fn signed_ok(x: i128) -> bool {
        satisfied(10, |ctx, range| {
            load_signed63(ctx, range, signed_to_field(x));
        })
    }

    #[test]
    fn signed_values_inside_the_bound_pass() {
        for x in [0i128, 1, -1, (1 << 63) - 1, -((1 << 63) - 1), 123_456_789, -987_654_321] {
            assert!(signed_ok(x), "{x} must pass");
        }
    }

    #[test]
    fn a_balance_of_two_to_the_63_is_out_of_range() {
        assert!(!signed_ok(1 << 63));
        assert!(!signed_ok(-(1 << 63)));
        assert!(!signed_ok(1 << 64));
    }

    fn amount_ok(x: Fr) -> bool {
        satisfied(10, |ctx, range| {
            let cell = ctx.load_witness(x);
            check_amount(ctx, range, cell);
        })
    }

    #[test]
    fn a_negative_amount_encoded_as_a_large_field_element_is_rejected() {
        assert!(!amount_ok(-Fr::from(5u64)));
        assert!(!amount_ok(Fr::zero()));
        assert!(!amount_ok(Fr::from(1u64 << 63)));
        assert!(amount_ok(Fr::from((1u64 << 63) - 1)));
        assert!(amount_ok(Fr::one()));
    }

    #[test]
    fn bps_above_ten_thousand_is_rejected() {
        let bps_ok = |x: u64| {
            satisfied(10, |ctx, range| {
                let cell = ctx.load_witness(Fr::from(x));
                check_bps(ctx, range, cell);
            })
        };
        assert!(bps_ok(10_000));
        assert!(bps_ok(0));
        assert!(!bps_ok(10_001));
    }
}
