//! Sound comparisons of bounded signed quantities. A field element is never
//! sign-tested: "x ≥ 0" for `|x| < 2^bits` is a range check of `x` to `bits`
//! bits (a negative `x` is `p − |x|`, far above `2^bits`), and "x < 0" a range
//! check of `−x − 1`.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::{Cell, Ctx};
use crate::Fr;

/// Constrains `x = 0`, naming the rule. With `CLEARPROOF_CONSTRAINT_DEBUG` set,
/// a witness that violates it is reported by name while the circuit is laid out
/// (MockProver only reports cell positions).
pub fn require_zero(ctx: &mut Ctx, gate: &impl GateInstructions<Fr>, x: Cell, rule: &str) {
    if *x.value() != Fr::zero() && std::env::var_os("CLEARPROOF_CONSTRAINT_DEBUG").is_some() {
        eprintln!("constraint violated: {rule}");
    }
    gate.assert_is_const(ctx, &x, &Fr::zero());
}

/// Constrains `x ≥ 0` when `enable` is 1 (nothing when 0); `|x| < 2^bits` is the
/// caller's bound on the value.
pub fn assert_nonneg_if(ctx: &mut Ctx, range: &RangeChip<Fr>, x: Cell, enable: Cell, bits: usize) {
    let gated = range.gate().mul(ctx, x, enable);
    range.range_check(ctx, gated, bits);
}

/// A constrained bit equal to `[x ≥ 0]`, for `|x| < 2^bits`: the prover supplies
/// the bit and both outcomes are checked (bit 1 ⇒ `x` in range, bit 0 ⇒ `−x − 1`
/// in range), so a wrong bit fails one of the two range checks.
pub fn nonneg_flag(ctx: &mut Ctx, range: &RangeChip<Fr>, x: Cell, bits: usize) -> Cell {
    let gate = range.gate();
    let flag_value = is_nonneg_value(*x.value());
    let flag = ctx.load_witness(Fr::from(u64::from(flag_value)));
    gate.assert_bit(ctx, flag);
    assert_nonneg_if(ctx, range, x, flag, bits);
    let neg_minus_one = gate.sub(ctx, Constant(-Fr::one()), x);
    let not_flag = gate.not(ctx, flag);
    assert_nonneg_if(ctx, range, neg_minus_one, not_flag, bits);
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
    use crate::types::signed_to_field;

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
            assert_nonneg_if(ctx, range, x, flag, 100);
        }));
    }
}
