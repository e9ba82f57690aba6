//! Sound comparisons of bounded signed quantities. A field element is never
//! sign-tested: "x ≥ 0" for `|x| < 2^bits` is a range check of `x` to `bits`
//! bits (a negative `x` is `p − |x|`, far above `2^bits`), and "x < 0" a range
//! check of `−x − 1`.

use std::cell::RefCell;

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use halo2_base::QuantumCell::Constant;

use super::{Cell, Ctx};
use crate::Fr;

thread_local! {
    /// The named rules a witness violated while a circuit was laid out on this
    /// thread, when someone is listening ([`violations_of`]).
    static VIOLATIONS: RefCell<Option<Vec<&'static str>>> = const { RefCell::new(None) };
}

/// Notes that the witness violates `rule` (MockProver reports only cell
/// positions; this names the rule). With `CLEARPROOF_CONSTRAINT_DEBUG` set it is
/// also printed.
fn violated(rule: &'static str) {
    if std::env::var_os("CLEARPROOF_CONSTRAINT_DEBUG").is_some() {
        eprintln!("constraint violated: {rule}");
    }
    VIOLATIONS.with(|v| {
        if let Some(list) = v.borrow_mut().as_mut() {
            list.push(rule);
        }
    });
}

/// Lays a circuit out with `f` and returns the named rules its witness
/// violates, in layout order: how a negative test asserts which rule failed.
#[cfg(any(test, feature = "test-utils"))]
pub(crate) fn violations_of(f: impl FnOnce()) -> Vec<&'static str> {
    VIOLATIONS.with(|v| *v.borrow_mut() = Some(Vec::new()));
    f();
    VIOLATIONS.with(|v| v.borrow_mut().take().unwrap_or_default())
}

/// Whether `x`, as an integer, is below `2^bits`.
fn fits(x: Fr, bits: usize) -> bool {
    let repr = x.to_repr();
    repr.as_ref().iter().enumerate().all(|(i, byte)| {
        let low = 8 * i;
        low + 8 <= bits || (low < bits && byte >> (bits - low) == 0) || *byte == 0
    })
}

/// Constrains `x = 0`, naming the rule.
pub(super) fn require_zero(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    x: Cell,
    rule: &'static str,
) {
    if *x.value() != Fr::zero() {
        violated(rule);
    }
    gate.assert_is_const(ctx, &x, &Fr::zero());
}

/// Constrains `x ≥ 0` when `enable` is 1 (nothing when 0), naming the rule;
/// `|x| < 2^bits` is the caller's bound on the value.
pub(super) fn assert_nonneg_if(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    x: Cell,
    enable: Cell,
    bits: usize,
    rule: &'static str,
) {
    let gated = range.gate().mul(ctx, x, enable);
    if !fits(*gated.value(), bits) {
        violated(rule);
    }
    range.range_check(ctx, gated, bits);
}

/// A constrained bit equal to `[x ≥ 0]`, for `|x| < 2^bits`: the prover supplies
/// the bit and both outcomes are checked (bit 1 ⇒ `x` in range, bit 0 ⇒ `−x − 1`
/// in range), so a wrong bit fails one of the two range checks.
pub(super) fn nonneg_flag(ctx: &mut Ctx, range: &RangeChip<Fr>, x: Cell, bits: usize) -> Cell {
    let gate = range.gate();
    let flag_value = is_nonneg_value(*x.value());
    let flag = ctx.load_witness(Fr::from(u64::from(flag_value)));
    gate.assert_bit(ctx, flag);
    assert_nonneg_if(ctx, range, x, flag, bits, "sign flag 1 only for x ≥ 0");
    let neg_minus_one = gate.sub(ctx, Constant(-Fr::one()), x);
    let not_flag = gate.not(ctx, flag);
    assert_nonneg_if(ctx, range, neg_minus_one, not_flag, bits, "sign flag 0 only for x < 0");
    flag
}

/// Witness-side sign of a field element read as a signed integer: non-negative
/// iff `x ≤ −x` as integers (i.e. `x ≤ (p − 1)/2`).
fn is_nonneg_value(x: Fr) -> bool {
    use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
    let be = |f: Fr| {
        let mut b = f.to_repr();
        b.reverse();
        b
    };
    be(x) <= be(-x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::testing::satisfied;
    use clearproof_protocol::types::signed_to_field;

    fn flag_of(x: i128, forced: Option<bool>) -> bool {
        satisfied(11, |ctx, range| {
            let cell = ctx.load_witness(signed_to_field(x));
            let flag = nonneg_flag(ctx, range, cell, 100);
            let expected = forced.unwrap_or(x >= 0);
            range.gate().assert_is_const(ctx, &flag, &Fr::from(u64::from(expected)));
        })
    }

    #[test]
    fn nonneg_flag_is_right_for_both_signs() {
        for x in [0i128, 1, -1, 1 << 90, -(1 << 90), 12345, -12345] {
            assert!(flag_of(x, None), "{x}");
        }
    }

    #[test]
    fn a_wrong_sign_flag_is_rejected() {
        // The honest witness generator cannot be made to lie, so check the
        // constraint directly: the claimed flag is asserted against the wrong value.
        assert!(!flag_of(5, Some(false)));
        assert!(!flag_of(-5, Some(true)));
        assert!(!flag_of(0, Some(false)));
    }

    #[test]
    fn forged_flag_witness_fails_the_range_checks() {
        // A prover that assigns flag = 1 for a negative value.
        assert!(!satisfied(11, |ctx, range| {
            let x = ctx.load_witness(signed_to_field(-7));
            let flag = ctx.load_witness(Fr::one());
            range.gate().assert_bit(ctx, flag);
            assert_nonneg_if(ctx, range, x, flag, 100, "test");
        }));
    }

    #[test]
    fn fits_compares_the_integer_with_a_power_of_two() {
        for (x, bits, ok) in [
            (0u64, 0, true),
            (1, 0, false),
            (1, 1, true),
            (255, 8, true),
            (256, 8, false),
            (256, 9, true),
            (u64::MAX, 64, true),
            (u64::MAX, 63, false),
            (1 << 40, 40, false),
            (1 << 40, 41, true),
        ] {
            assert_eq!(fits(Fr::from(x), bits), ok, "{x} < 2^{bits}");
        }
        assert!(!fits(-Fr::one(), 250), "p − 1 is far above 2^250");
        assert!(fits(-Fr::one(), 254));
    }
}
