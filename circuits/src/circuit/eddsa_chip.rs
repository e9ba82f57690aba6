//! EdDSA over Baby Jubjub as custom gates (PROTOCOL §6.1): the check native
//! [`clearproof_protocol::signature::verify`] makes, `s·B = R + c·A`, with `c < p` and
//! `s < l` canonical and `R` in the prime-order subgroup.
//!
//! The challenge `c = H(R.x, R.y, A.x, A.y, msg)` is not computed here: the chip
//! returns the cells of `R`, `A` and `c` ([`AssignedSignature`]) for the caller
//! to tie to a Poseidon chip hash and to the owner key in an account leaf.
//!
//! # Curve
//!
//! Baby Jubjub in ark-ed-on-bn254's form `a·x² + y² = 1 + d·x²·y²` ([`a`], [`d`])
//! over the protocol field. Twisted Edwards addition is complete on it (`d` is
//! not a square, `a` is), so the formulas below have no exceptional cases for
//! points on the curve: every denominator `1 ± d·x₁x₂y₁y₂` and `a·x² + y²`,
//! `2 − a·x² − y²` is non-zero there. Every point the chip adds is on the curve:
//! `A` and `R'` are checked, `B`'s multiples are constants, and sums and
//! doubles of curve points are curve points.
//!
//! # Layout
//!
//! Eleven advice columns `w0..w10`, ten fixed columns `k0..k9`. One signature is
//! three sections of rows, each followed by the row that holds its result:
//!
//! | section | rows | `w0, w1` | other cells |
//! |---|---|---|---|
//! | subgroup | 3 doublings | `R'`, then `2R'`, `4R'`, `8R' = R` | as the variable-base rows, bit 0 |
//! | variable base | 254, one per bit of `c`, most significant first | `acc ← 2·acc + bᵢ·A` from the identity | `w2` bit, `w3..w5` `A.x, A.y, A.x·A.y`, `w6, w7` the double, `w8` `τ = b·Dx·Dy·A.x·A.y`, `w9` running sum of `c`, `w10` "prefix equals `p`'s" |
//! | fixed base | 126, one per 2-bit window of `s`, most significant first | `acc ← acc + k·4ⁱ·B` from `−R` | `w2, w3` the window's bits (high, low), `w4, w5` the window point, `w6` `acc.x·acc.y`, `w7` `R.x` (first row), `w8` "prefix equals `l`'s" after the high bit, `w9` running sum of `s`, `w10` "prefix equals `l`'s" |
//!
//! The fixed columns hold the window points `k·4ⁱ·B` for `k = 0..3` (`k0..k3`
//! the x, `k4..k7` the y) and the bits of `p` (`k8`, variable-base rows) or `l`
//! (`k8` high, `k9` low, fixed-base rows). The two results, `c·A` and `s·B − R`,
//! are tied by copy constraints. A signature takes [`ROWS_PER_SIGNATURE`] rows.
//!
//! # Canonical scalars
//!
//! A running sum alone would let `c + p` (254 bits, when `c < 2^254 − p`) stand
//! for `c`, or `s + l` for `s`. So each scalar's bits are compared with the
//! modulus's, most significant first: a cell tracks whether the prefix so far
//! equals the modulus's prefix; while it does, a bit may not exceed the
//! modulus's bit; and at the end it must not (the scalar is strictly below).

use std::sync::OnceLock;

use ark_ec::twisted_edwards::TECurveConfig;
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsConfig, Fq, Fr as Scalar};
use ark_ff::PrimeField as ArkPrimeField;
use halo2_base::halo2_proofs::circuit::{Cell as RawCell, Region, Value};
use halo2_base::halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_base::halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Instance,
    Selector, VirtualCells,
};
use halo2_base::halo2_proofs::poly::Rotation;

use super::poseidon_chip::{
    word_constant, PoseidonChip, PoseidonConfig, PoseidonInstructions, Word,
};
use crate::Fr;
use clearproof_protocol::signature::{challenge, fq_to_fr, PublicKey, Signature};

/// Advice columns the chip uses.
pub const ADVICE_COLUMNS: usize = 11;
/// Fixed columns the chip uses.
pub const FIXED_COLUMNS: usize = 10;
/// Bits of `c` (a field element, `< p < 2^254`).
pub const C_BITS: usize = 254;
/// 2-bit windows of `s` (`< l < 2^251`, so 252 bits).
pub const S_WINDOWS: usize = 126;
/// Doublings from `R'` to `R = 8·R'`.
const SUBGROUP_DOUBLINGS: usize = 3;
/// Rows one signature takes.
pub const ROWS_PER_SIGNATURE: usize = SUBGROUP_DOUBLINGS + 1 + C_BITS + 1 + S_WINDOWS + 1;

/// The curve's `a`.
pub fn a() -> Fr {
    fq_to_fr(EdwardsConfig::COEFF_A)
}

/// The curve's `d`.
pub fn d() -> Fr {
    fq_to_fr(EdwardsConfig::COEFF_D)
}

/// A point as two protocol field elements.
pub type Point = [Fr; 2];

fn coords(p: &EdwardsAffine) -> Point {
    [fq_to_fr(p.x), fq_to_fr(p.y)]
}

/// Native curve arithmetic on coordinates, with the chip's formulas (so a
/// witness can be built for points the arkworks types would refuse).
fn add(p: Point, q: Point) -> Point {
    let t = d() * p[0] * q[0] * p[1] * q[1];
    let x = (p[0] * q[1] + p[1] * q[0]) * (Fr::ONE + t).invert().unwrap_or(Fr::ZERO);
    let y = (p[1] * q[1] - a() * p[0] * q[0]) * (Fr::ONE - t).invert().unwrap_or(Fr::ZERO);
    [x, y]
}

fn double(p: Point) -> Point {
    let (x2, y2) = (p[0].square(), p[1].square());
    let x = (p[0] * p[1]).double() * (a() * x2 + y2).invert().unwrap_or(Fr::ZERO);
    let y = (y2 - a() * x2) * (Fr::from(2) - a() * x2 - y2).invert().unwrap_or(Fr::ZERO);
    [x, y]
}

const IDENTITY: Point = [Fr::ZERO, Fr::ONE];

/// Bits of a little-endian integer, most significant first, `n` of them.
fn bits_msb_first(le: &[u64], n: usize) -> Vec<bool> {
    (0..n).rev().map(|i| i / 64 < le.len() && (le[i / 64] >> (i % 64)) & 1 == 1).collect()
}

/// `p`'s bits (254, most significant first).
fn p_bits() -> &'static [bool] {
    static BITS: OnceLock<Vec<bool>> = OnceLock::new();
    BITS.get_or_init(|| bits_msb_first(&Fq::MODULUS.0, C_BITS))
}

/// `l`'s bits (252, most significant first).
fn l_bits() -> &'static [bool] {
    static BITS: OnceLock<Vec<bool>> = OnceLock::new();
    BITS.get_or_init(|| bits_msb_first(&Scalar::MODULUS.0, 2 * S_WINDOWS))
}

/// The window points `k·4^(125−i)·B`, `k = 0..3`, for window `i`.
fn windows() -> &'static [[Point; 4]] {
    static POINTS: OnceLock<Vec<[Point; 4]>> = OnceLock::new();
    POINTS.get_or_init(|| {
        // Window S_WINDOWS − 1 adds multiples of B; each earlier one, of 4× the next's base.
        let mut base = EdwardsAffine::generator().into_group();
        let mut points = Vec::with_capacity(S_WINDOWS);
        for _ in 0..S_WINDOWS {
            points.push(std::array::from_fn(|k| {
                coords(&(base * Scalar::from(k as u64)).into_affine())
            }));
            base = base.double().double();
        }
        points.reverse();
        points
    })
}

/// What the chip lays out for one signature: every value, valid or not (tests
/// build invalid ones on purpose).
#[derive(Debug, Clone)]
pub struct SignatureWitness {
    /// The owner key `A`.
    pub a: Point,
    /// `R'` with `R = 8·R'`.
    pub r_prime: Point,
    /// `c`'s bits, most significant first ([`C_BITS`]).
    pub c_bits: Vec<bool>,
    /// `s`'s bits, most significant first (`2·`[`S_WINDOWS`]).
    pub s_bits: Vec<bool>,
}

impl SignatureWitness {
    /// The witness for `sig` on `msg` under `pk`, with `c` computed natively.
    pub fn new(pk: &PublicKey, msg: Fr, sig: &Signature) -> Self {
        let c = challenge(&sig.r(), pk, msg);
        let eighth = ark_ff::Field::inverse(&Scalar::from(8u64)).expect("8 is invertible mod l");
        let r_prime = (sig.r() * eighth).into_affine();
        let c_le: Vec<u64> =
            c.to_repr().chunks(8).map(|b| u64::from_le_bytes(b.try_into().expect("8"))).collect();
        Self {
            a: coords(&pk.point()),
            r_prime: coords(&r_prime),
            c_bits: bits_msb_first(&c_le, C_BITS),
            s_bits: bits_msb_first(&sig.s().into_bigint().0, 2 * S_WINDOWS),
        }
    }
}

/// The cells a laid-out signature ties to the rest of the circuit.
#[derive(Debug, Clone)]
pub struct AssignedSignature {
    /// `A.x`, `A.y`.
    pub a: [RawCell; 2],
    /// `R.x`, `R.y` (`R = 8·R'`).
    pub r: [RawCell; 2],
    /// `c` (the variable-base running sum's last value).
    pub c: RawCell,
    /// The values of `A`, `R` and `c`.
    pub values: ([Fr; 2], [Fr; 2], Fr),
}

/// One row of the chip: its advice values and which gates it enables.
#[derive(Debug, Clone, Copy)]
pub struct ChipRow {
    /// `w0..w10`.
    pub w: [Fr; ADVICE_COLUMNS],
    /// `k0..k9`.
    pub k: [Fr; FIXED_COLUMNS],
    kind: RowKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowKind {
    /// Subgroup doubling; the first also checks `R'` on the curve.
    Double { first: bool },
    /// Variable-base step `i`.
    Variable(usize),
    /// Fixed-base window `i`.
    Fixed(usize),
    /// A section's result row (no gate of its own but the scalar's end).
    Result { scalar_end: bool },
}

/// The values of `A`, `R` and `c` in one signature's rows (what
/// [`AssignedSignature::values`] will hold).
pub fn row_values(rows: &[ChipRow]) -> ([Fr; 2], [Fr; 2], Fr) {
    let r_row = SUBGROUP_DOUBLINGS;
    let var_first = r_row + 1;
    let var_result = var_first + C_BITS;
    (
        [rows[var_first].w[3], rows[var_first].w[4]],
        [rows[r_row].w[0], rows[r_row].w[1]],
        rows[var_result].w[9],
    )
}

/// Computes every row of one signature.
pub fn rows(w: &SignatureWitness) -> Vec<ChipRow> {
    let mut out = Vec::with_capacity(ROWS_PER_SIGNATURE);
    let empty =
        |kind| ChipRow { w: [Fr::ZERO; ADVICE_COLUMNS], k: [Fr::ZERO; FIXED_COLUMNS], kind };
    let base = |row: &mut ChipRow, a: Point| {
        row.w[3] = a[0];
        row.w[4] = a[1];
        row.w[5] = a[0] * a[1];
    };
    // Subgroup: R = 8·R', doublings with bit 0 (the base is irrelevant; A's values).
    let mut acc = w.r_prime;
    for i in 0..SUBGROUP_DOUBLINGS {
        let mut row = empty(RowKind::Double { first: i == 0 });
        step_variable(&mut row, acc, w.a, false);
        base(&mut row, w.a);
        acc = row_next(&row);
        out.push(row);
    }
    let r = acc;
    let mut row = empty(RowKind::Result { scalar_end: false });
    row.w[0] = r[0];
    row.w[1] = r[1];
    base(&mut row, w.a);
    out.push(row);
    // Variable base: c·A.
    let (mut acc, mut sum, mut equal) = (IDENTITY, Fr::ZERO, Fr::ONE);
    for (i, &bit) in w.c_bits.iter().enumerate() {
        let mut row = empty(RowKind::Variable(i));
        step_variable(&mut row, acc, w.a, bit);
        base(&mut row, w.a);
        let pb = p_bits()[i];
        row.w[9] = sum;
        row.w[10] = equal;
        row.k[8] = Fr::from(pb as u64);
        acc = row_next(&row);
        sum = sum.double() + Fr::from(bit as u64);
        equal *= Fr::from((bit == pb) as u64);
        out.push(row);
    }
    let mut row = empty(RowKind::Result { scalar_end: true });
    (row.w[0], row.w[1], row.w[9], row.w[10]) = (acc[0], acc[1], sum, equal);
    base(&mut row, w.a);
    out.push(row);
    // Fixed base: s·B − R.
    let (mut acc, mut sum, mut equal) = ([-r[0], r[1]], Fr::ZERO, Fr::ONE);
    for i in 0..S_WINDOWS {
        let (hi, lo) = (w.s_bits[2 * i], w.s_bits[2 * i + 1]);
        let (lh, ll) = (l_bits()[2 * i], l_bits()[2 * i + 1]);
        let point = windows()[i][2 * hi as usize + lo as usize];
        let mut row = empty(RowKind::Fixed(i));
        for k in 0..4 {
            row.k[k] = windows()[i][k][0];
            row.k[4 + k] = windows()[i][k][1];
        }
        row.k[8] = Fr::from(lh as u64);
        row.k[9] = Fr::from(ll as u64);
        let mid = equal * Fr::from((hi == lh) as u64);
        row.w = [
            acc[0],
            acc[1],
            Fr::from(hi as u64),
            Fr::from(lo as u64),
            point[0],
            point[1],
            acc[0] * acc[1],
            if i == 0 { r[0] } else { Fr::ZERO },
            mid,
            sum,
            equal,
        ];
        acc = add(acc, point);
        sum = sum * Fr::from(4) + Fr::from(2 * hi as u64 + lo as u64);
        equal = mid * Fr::from((lo == ll) as u64);
        out.push(row);
    }
    let mut row = empty(RowKind::Result { scalar_end: true });
    (row.w[0], row.w[1], row.w[9], row.w[10]) = (acc[0], acc[1], sum, equal);
    out.push(row);
    debug_assert_eq!(out.len(), ROWS_PER_SIGNATURE);
    out
}

/// Fills a variable-base row: `acc` in `w0, w1`, the bit, the double and `τ`.
fn step_variable(row: &mut ChipRow, acc: Point, a: Point, bit: bool) {
    let dbl = double(acc);
    let b = Fr::from(bit as u64);
    row.w[0] = acc[0];
    row.w[1] = acc[1];
    row.w[2] = b;
    row.w[6] = dbl[0];
    row.w[7] = dbl[1];
    row.w[8] = b * dbl[0] * dbl[1] * a[0] * a[1];
}

/// The accumulator after a variable-base row.
fn row_next(row: &ChipRow) -> Point {
    let dbl = [row.w[6], row.w[7]];
    if row.w[2] == Fr::ONE {
        add(dbl, [row.w[3], row.w[4]])
    } else {
        dbl
    }
}

/// The chip's columns and gates.
#[derive(Debug, Clone)]
pub struct EddsaConfig {
    w: [Column<Advice>; ADVICE_COLUMNS],
    k: [Column<Fixed>; FIXED_COLUMNS],
    q_variable: Selector,
    q_double_only: Selector,
    q_scalar_p: Selector,
    q_variable_start: Selector,
    q_point_on_curve: Selector,
    q_base_on_curve: Selector,
    q_fixed: Selector,
    q_fixed_start: Selector,
    q_scalar_end: Selector,
}

/// What the EdDSA chip does.
pub trait EddsaInstructions {
    /// Lays out the check of one signature from row `*offset` of `region` and
    /// advances `*offset` past it. The rows' values come from [`rows`].
    fn verify(
        &self,
        region: &mut Region<'_, Fr>,
        offset: &mut usize,
        rows: &[ChipRow],
    ) -> AssignedSignature;
}

/// The EdDSA chip.
#[derive(Debug, Clone)]
pub struct EddsaChip {
    config: EddsaConfig,
}

type Cells<'a> = VirtualCells<'a, Fr>;

impl EddsaChip {
    /// The chip over `config`.
    pub fn construct(config: EddsaConfig) -> Self {
        Self { config }
    }

    /// Creates the chip's columns, selectors and gates in `meta`: 11 advice
    /// columns (equality on `w0..w9`), 10 fixed columns, 9 selectors, gates of
    /// degree ≤ 5.
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> EddsaConfig {
        let w: [Column<Advice>; ADVICE_COLUMNS] = std::array::from_fn(|_| meta.advice_column());
        let k: [Column<Fixed>; FIXED_COLUMNS] = std::array::from_fn(|_| meta.fixed_column());
        Self::configure_with(meta, w, k)
    }

    /// [`EddsaChip::configure`] on columns it may share with another chip (the
    /// Poseidon chip's, in the chunk circuit): its selectors are its own, so its
    /// gates hold only on its rows. The caller keeps the two chips' rows apart:
    /// `HashedCircuit` lays both out in one region (halo2-axiom starts every
    /// region at row 0), the signatures below the hashes.
    pub fn configure_with(
        meta: &mut ConstraintSystem<Fr>,
        w: [Column<Advice>; ADVICE_COLUMNS],
        k: [Column<Fixed>; FIXED_COLUMNS],
    ) -> EddsaConfig {
        for col in &w[..10] {
            meta.enable_equality(*col);
        }
        let config = EddsaConfig {
            w,
            k,
            q_variable: meta.selector(),
            q_double_only: meta.selector(),
            q_scalar_p: meta.selector(),
            q_variable_start: meta.selector(),
            q_point_on_curve: meta.selector(),
            q_base_on_curve: meta.selector(),
            q_fixed: meta.selector(),
            q_fixed_start: meta.selector(),
            q_scalar_end: meta.selector(),
        };
        let g = Queries { w, k, a: a(), d: d() };
        config.variable_base_gates(meta, &g);
        config.fixed_base_gates(meta, &g);
        config
    }
}

/// The expressions the chip's gates are written in: its columns at a row and
/// the curve's coefficients.
struct Queries {
    w: [Column<Advice>; ADVICE_COLUMNS],
    k: [Column<Fixed>; FIXED_COLUMNS],
    a: Fr,
    d: Fr,
}

impl Queries {
    /// Advice column `i` at the gate's row.
    fn cur(&self, m: &mut Cells<'_>, i: usize) -> Expression<Fr> {
        m.query_advice(self.w[i], Rotation::cur())
    }

    /// Advice column `i` at the next row.
    fn next(&self, m: &mut Cells<'_>, i: usize) -> Expression<Fr> {
        m.query_advice(self.w[i], Rotation::next())
    }

    /// Fixed column `i` at the gate's row.
    fn fixed(&self, m: &mut Cells<'_>, i: usize) -> Expression<Fr> {
        m.query_fixed(self.k[i], Rotation::cur())
    }

    /// Zero exactly when `(x, y)` is on the curve.
    fn on_curve(&self, x: Expression<Fr>, y: Expression<Fr>) -> Expression<Fr> {
        let (x2, y2) = (x.clone() * x, y.clone() * y);
        x2.clone() * self.a + y2.clone() - one() - x2 * y2 * self.d
    }
}

/// The constant 1.
fn one() -> Expression<Fr> {
    Expression::Constant(Fr::ONE)
}

/// eq(b, m) = 1 if the bits are equal (both boolean).
fn eq(b: Expression<Fr>, m: Expression<Fr>) -> Expression<Fr> {
    one() - b.clone() - m.clone() + b * m * Fr::from(2)
}

impl EddsaConfig {
    /// The subgroup and variable-base rows (`R'` and `A` on the curve,
    /// `acc ← 2·acc + b·A`) and the comparison of `c`'s bits with `p`'s.
    fn variable_base_gates(&self, meta: &mut ConstraintSystem<Fr>, g: &Queries) {
        meta.create_gate("eddsa: variable-base step", |m| {
            let q = m.query_selector(self.q_variable);
            let (x, y, b) = (g.cur(m, 0), g.cur(m, 1), g.cur(m, 2));
            let (ax, ay, axy) = (g.cur(m, 3), g.cur(m, 4), g.cur(m, 5));
            let (dx, dy, tau) = (g.cur(m, 6), g.cur(m, 7), g.cur(m, 8));
            let (nx, ny) = (g.next(m, 0), g.next(m, 1));
            let (x2, y2) = (x.clone() * x.clone(), y.clone() * y.clone());
            // Q = b ? A : identity, so Q.x = b·A.x and Q.y = 1 − b + b·A.y.
            let qy = one() - b.clone() + b.clone() * ay.clone();
            let qx = b.clone() * ax.clone();
            Constraints::with_selector(
                q,
                [
                    ("bit is boolean", b.clone() * (one() - b.clone())),
                    (
                        "double x",
                        dx.clone() * (x2.clone() * g.a + y2.clone())
                            - x.clone() * y.clone() * Fr::from(2),
                    ),
                    (
                        "double y",
                        dy.clone()
                            * (Expression::Constant(Fr::from(2)) - x2.clone() * g.a - y2.clone())
                            - (y2 - x2 * g.a),
                    ),
                    ("tau", tau.clone() - b * dx.clone() * dy.clone() * axy.clone()),
                    (
                        "add x",
                        nx * (one() + tau.clone() * g.d)
                            - (dx.clone() * qy.clone() + dy.clone() * qx.clone()),
                    ),
                    ("add y", ny * (one() - tau * g.d) - (dy * qy - dx * qx * g.a)),
                    ("base x kept", g.next(m, 3) - ax),
                    ("base y kept", g.next(m, 4) - ay),
                    ("base product kept", g.next(m, 5) - axy),
                ],
            )
        });
        meta.create_gate("eddsa: doubling only", |m| {
            let q = m.query_selector(self.q_double_only);
            Constraints::with_selector(q, [("bit is zero", g.cur(m, 2))])
        });
        meta.create_gate("eddsa: point on curve", |m| {
            let q = m.query_selector(self.q_point_on_curve);
            let (x, y) = (g.cur(m, 0), g.cur(m, 1));
            Constraints::with_selector(q, [("R' on curve", g.on_curve(x, y))])
        });
        meta.create_gate("eddsa: base on curve", |m| {
            let q = m.query_selector(self.q_base_on_curve);
            let (ax, ay, axy) = (g.cur(m, 3), g.cur(m, 4), g.cur(m, 5));
            Constraints::with_selector(
                q,
                [
                    ("A on curve", g.on_curve(ax.clone(), ay.clone())),
                    ("base product", axy - ax * ay),
                ],
            )
        });
        meta.create_gate("eddsa: variable-base start", |m| {
            let q = m.query_selector(self.q_variable_start);
            Constraints::with_selector(
                q,
                [
                    ("starts at the identity (x)", g.cur(m, 0)),
                    ("starts at the identity (y)", g.cur(m, 1) - one()),
                    ("sum starts at 0", g.cur(m, 9)),
                    ("prefix starts equal", g.cur(m, 10) - one()),
                ],
            )
        });
        meta.create_gate("eddsa: c below p", |m| {
            let q = m.query_selector(self.q_scalar_p);
            let (b, sum, equal, pb) = (g.cur(m, 2), g.cur(m, 9), g.cur(m, 10), g.fixed(m, 8));
            Constraints::with_selector(
                q,
                [
                    ("running sum", g.next(m, 9) - (sum * Fr::from(2) + b.clone())),
                    ("not above p", equal.clone() * (one() - pb.clone()) * b.clone()),
                    ("prefix equal", g.next(m, 10) - equal * eq(b, pb)),
                ],
            )
        });
    }

    /// The fixed-base rows (`acc ← acc + k·4ⁱ·B` from `−R`) with the comparison
    /// of `s`'s bits with `l`'s, and the end-of-scalar check both halves share.
    fn fixed_base_gates(&self, meta: &mut ConstraintSystem<Fr>, g: &Queries) {
        meta.create_gate("eddsa: fixed-base window", |m| {
            let q = m.query_selector(self.q_fixed);
            let (x, y, hi, lo) = (g.cur(m, 0), g.cur(m, 1), g.cur(m, 2), g.cur(m, 3));
            let (px, py, t) = (g.cur(m, 4), g.cur(m, 5), g.cur(m, 6));
            let (mid, sum, equal) = (g.cur(m, 8), g.cur(m, 9), g.cur(m, 10));
            let (lh, ll) = (g.fixed(m, 8), g.fixed(m, 9));
            // The Lagrange basis over the window value k = 2·hi + lo.
            let basis = [
                (one() - hi.clone()) * (one() - lo.clone()),
                (one() - hi.clone()) * lo.clone(),
                hi.clone() * (one() - lo.clone()),
                hi.clone() * lo.clone(),
            ];
            let pick = |m: &mut Cells<'_>, from: usize| {
                basis.iter().enumerate().fold(Expression::Constant(Fr::ZERO), |acc, (j, l)| {
                    acc + l.clone() * g.fixed(m, from + j)
                })
            };
            let (wx, wy) = (pick(m, 0), pick(m, 4));
            Constraints::with_selector(
                q,
                [
                    ("high bit is boolean", hi.clone() * (one() - hi.clone())),
                    ("low bit is boolean", lo.clone() * (one() - lo.clone())),
                    ("window x", px.clone() - wx),
                    ("window y", py.clone() - wy),
                    ("product", t.clone() - x.clone() * y.clone()),
                    (
                        "add x",
                        g.next(m, 0) * (one() + t.clone() * px.clone() * py.clone() * g.d)
                            - (x.clone() * py.clone() + y.clone() * px.clone()),
                    ),
                    (
                        "add y",
                        g.next(m, 1) * (one() - t * px.clone() * py.clone() * g.d)
                            - (y * py - x * px * g.a),
                    ),
                    (
                        "running sum",
                        g.next(m, 9) - (sum * Fr::from(4) + hi.clone() * Fr::from(2) + lo.clone()),
                    ),
                    ("not above l (high bit)", equal.clone() * (one() - lh.clone()) * hi.clone()),
                    ("prefix equal (high bit)", mid.clone() - equal * eq(hi, lh)),
                    ("not above l (low bit)", mid.clone() * (one() - ll.clone()) * lo.clone()),
                    ("prefix equal (low bit)", g.next(m, 10) - mid * eq(lo, ll)),
                ],
            )
        });
        meta.create_gate("eddsa: fixed-base start", |m| {
            let q = m.query_selector(self.q_fixed_start);
            Constraints::with_selector(
                q,
                [
                    ("starts at -R", g.cur(m, 0) + g.cur(m, 7)),
                    ("sum starts at 0", g.cur(m, 9)),
                    ("prefix starts equal", g.cur(m, 10) - one()),
                ],
            )
        });
        meta.create_gate("eddsa: scalar end", |m| {
            let q = m.query_selector(self.q_scalar_end);
            // Still equal after the last bit: the scalar is the modulus or above.
            Constraints::with_selector(q, [("scalar below its modulus", g.cur(m, 10))])
        });
    }
}

impl EddsaInstructions for EddsaChip {
    fn verify(
        &self,
        region: &mut Region<'_, Fr>,
        offset: &mut usize,
        rows: &[ChipRow],
    ) -> AssignedSignature {
        assert_eq!(rows.len(), ROWS_PER_SIGNATURE, "one signature's rows");
        let c = &self.config;
        let start = *offset;
        let mut cells = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let at = start + i;
            let enable = |q: Selector, region: &mut Region<'_, Fr>| {
                q.enable(region, at).expect("selector in range");
            };
            match row.kind {
                RowKind::Double { first } => {
                    enable(c.q_variable, region);
                    enable(c.q_double_only, region);
                    if first {
                        enable(c.q_point_on_curve, region);
                    }
                }
                RowKind::Variable(step) => {
                    enable(c.q_variable, region);
                    enable(c.q_scalar_p, region);
                    if step == 0 {
                        enable(c.q_variable_start, region);
                        enable(c.q_base_on_curve, region);
                    }
                }
                RowKind::Fixed(window) => {
                    enable(c.q_fixed, region);
                    if window == 0 {
                        enable(c.q_fixed_start, region);
                    }
                }
                RowKind::Result { scalar_end } => {
                    if scalar_end {
                        enable(c.q_scalar_end, region);
                    }
                }
            }
            for (col, v) in c.k.iter().zip(&row.k) {
                region.assign_fixed(*col, at, *v);
            }
            let row_cells: Vec<RawCell> =
                c.w.iter()
                    .zip(&row.w)
                    .map(|(col, v)| region.assign_advice(*col, at, Value::known(*v)).cell())
                    .collect();
            cells.push(row_cells);
        }
        // Section boundaries (see the layout table).
        let r_row = SUBGROUP_DOUBLINGS;
        let var_first = r_row + 1;
        let var_result = var_first + C_BITS;
        let fixed_first = var_result + 1;
        let fixed_result = fixed_first + S_WINDOWS;
        // −R starts the fixed-base sum: its y is R's, its x the negation of the R.x copy.
        region.constrain_equal(cells[fixed_first][1], cells[r_row][1]);
        region.constrain_equal(cells[fixed_first][7], cells[r_row][0]);
        // s·B − R = c·A.
        region.constrain_equal(cells[fixed_result][0], cells[var_result][0]);
        region.constrain_equal(cells[fixed_result][1], cells[var_result][1]);
        *offset += rows.len();
        AssignedSignature {
            a: [cells[var_first][3], cells[var_first][4]],
            r: [cells[r_row][0], cells[r_row][1]],
            c: cells[var_result][9],
            values: row_values(rows),
        }
    }
}

/// A signature checked with its challenge hashed in circuit ([`check`]).
#[derive(Debug, Clone)]
pub struct CheckedSignature {
    /// `A.x`, `A.y`: the caller ties them to the owner key in the account leaf.
    pub a: [RawCell; 2],
    /// The message cell: the caller ties it to the message hash.
    pub msg: RawCell,
    /// Poseidon chip cells holding sponge constants (capacity, padding), with
    /// their values: the caller constrains them, as for every chip hash.
    pub constants: Vec<(RawCell, Fr)>,
}

/// Lays out the check of one signature on `msg` from row `*offset`: the EdDSA
/// chip's `rows` and, beside them in the Poseidon chip's columns,
/// `c = H(R.x, R.y, A.x, A.y, msg)`, with the hash's inputs tied to the
/// chip's `R` and `A` and its output to the chip's `c`. So the proof holds
/// exactly when native [`clearproof_protocol::signature::verify`] accepts the signature.
pub fn check(
    eddsa: &EddsaChip,
    poseidon: &PoseidonChip,
    region: &mut Region<'_, Fr>,
    offset: &mut usize,
    rows: &[ChipRow],
    msg: Fr,
) -> CheckedSignature {
    let start = *offset;
    let signature = eddsa.verify(region, offset, rows);
    let ([ax, ay], [rx, ry], _) = signature.values;
    let mut hash_offset = start;
    let hash = poseidon.hash(region, &mut hash_offset, &[rx, ry, ax, ay, msg]);
    assert!(hash_offset <= *offset, "the hash fits beside the chip's rows");
    let mut msg_cell = None;
    let mut constants = Vec::new();
    for (cell, word) in hash.words {
        match word {
            Word::Input(0) => region.constrain_equal(cell, signature.r[0]),
            Word::Input(1) => region.constrain_equal(cell, signature.r[1]),
            Word::Input(2) => region.constrain_equal(cell, signature.a[0]),
            Word::Input(3) => region.constrain_equal(cell, signature.a[1]),
            Word::Input(4) => msg_cell = Some(cell),
            Word::Output => region.constrain_equal(cell, signature.c),
            constant => constants.push((cell, word_constant(constant).expect("a constant word"))),
        }
    }
    CheckedSignature { a: signature.a, msg: msg_cell.expect("the message is input 4"), constants }
}

/// A circuit of signature checks ([`check`], each with its challenge hashed in
/// the Poseidon chip), for the chip's bench and tests. Its one instance column
/// holds the first signature's message at row 0.
#[derive(Clone, Default)]
pub struct SignatureCircuit {
    /// Each signature's rows ([`rows`]) and message.
    pub signatures: Vec<(Vec<ChipRow>, Fr)>,
}

impl std::fmt::Debug for SignatureCircuit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureCircuit").finish_non_exhaustive()
    }
}

/// [`SignatureCircuit`]'s columns.
#[derive(Clone, Debug)]
pub struct SignatureCircuitConfig {
    eddsa: EddsaConfig,
    poseidon: PoseidonConfig,
    instance: Column<Instance>,
}

impl Circuit<Fr> for SignatureCircuit {
    type Config = SignatureCircuitConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> SignatureCircuitConfig {
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        SignatureCircuitConfig {
            eddsa: EddsaChip::configure(meta),
            poseidon: PoseidonChip::configure(meta),
            instance,
        }
    }

    fn synthesize(
        &self,
        config: SignatureCircuitConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let eddsa = EddsaChip::construct(config.eddsa);
        let poseidon = PoseidonChip::construct(config.poseidon);
        let first_msg = layouter.assign_region(
            || "signatures",
            |mut region| {
                let mut offset = 0;
                let mut first = None;
                for (rows, msg) in &self.signatures {
                    let checked = check(&eddsa, &poseidon, &mut region, &mut offset, rows, *msg);
                    for (cell, value) in checked.constants {
                        region.constrain_constant(cell, value)?;
                    }
                    first.get_or_insert(checked.msg);
                }
                Ok(first)
            },
        )?;
        if let Some(cell) = first_msg {
            layouter.constrain_instance(cell, config.instance, 0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use halo2_base::halo2_proofs::dev::MockProver;
    use rand::SeedableRng;

    use super::*;
    use clearproof_protocol::signature::SecretKey;
    use clearproof_protocol::testing::key;

    const K: u32 = 10;

    /// A valid signature's witness and its message.
    fn signed(i: u8, msg: u64) -> (SignatureWitness, Fr) {
        let sk = key(i);
        let msg = Fr::from(msg);
        let sig = sk.sign(msg);
        (SignatureWitness::new(&sk.public_key(), msg, &sig), msg)
    }

    /// What MockProver reports for the checks (challenges hashed in circuit).
    fn failures(circuit: &SignatureCircuit) -> Vec<String> {
        let public = vec![vec![circuit.signatures[0].1]];
        crate::circuit::testing::failure_names(
            MockProver::run(K, circuit, public).expect("fits").verify(),
        )
    }

    fn one(w: &SignatureWitness, msg: Fr) -> SignatureCircuit {
        SignatureCircuit { signatures: vec![(rows(w), msg)] }
    }

    #[test]
    fn valid_signatures_are_accepted_and_the_layout_is_as_documented() {
        assert_eq!(ROWS_PER_SIGNATURE, 3 + 1 + 254 + 1 + 126 + 1);
        assert_eq!(p_bits().len(), C_BITS);
        assert!(!l_bits()[0], "l < 2^251");
        let (a, b) = (signed(1, 42), signed(2, 7));
        let circuit = SignatureCircuit { signatures: vec![(rows(&a.0), a.1), (rows(&b.0), b.1)] };
        assert_eq!(failures(&circuit), Vec::<String>::new());
    }

    #[test]
    fn the_chip_accepts_exactly_what_native_verify_accepts() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0xEDD5A);
        for i in 0..4u8 {
            let sk = SecretKey::generate(&mut rng);
            let pk = sk.public_key();
            let msg = Fr::random(&mut rng);
            let sig = sk.sign(msg);
            assert!(pk.verify(msg, &sig).is_ok());
            let w = SignatureWitness::new(&pk, msg, &sig);
            assert_eq!(failures(&one(&w, msg)), Vec::<String>::new());
            // Another message under the same signature: native refuses, so must the chip.
            let other = msg + Fr::ONE;
            assert!(pk.verify(other, &sig).is_err());
            let forged = SignatureWitness::new(&pk, other, &sig);
            let failed = failures(&one(&forged, other));
            assert!(failed.iter().any(|f| f == "copy constraint"), "{i}: {failed:?}");
            // Another key.
            let stranger = key(100 + i).public_key();
            assert!(stranger.verify(msg, &sig).is_err());
            let w = SignatureWitness::new(&stranger, msg, &sig);
            assert!(!failures(&one(&w, msg)).is_empty());
        }
    }

    /// Row indices of the sections (see the layout table).
    const R_ROW: usize = 3;
    const VAR: usize = 4;
    const VAR_RESULT: usize = VAR + C_BITS;
    const FIXED: usize = VAR_RESULT + 1;
    const FIXED_RESULT: usize = FIXED + S_WINDOWS;

    /// A valid signature's rows with one advice cell changed; what fails.
    fn tampered(row: usize, col: usize, value: Fr) -> Vec<String> {
        let (w, msg) = signed(3, 99);
        let mut laid = rows(&w);
        laid[row].w[col] = value;
        failures(&SignatureCircuit { signatures: vec![(laid, msg)] })
    }

    fn names(failed: &[String], gate: &str, constraint: &str) -> bool {
        let (gate, constraint) = (format!("('eddsa: {gate}')"), format!("('{constraint}')"));
        failed.iter().any(|f| f.contains(&gate) && f.contains(&constraint))
    }

    #[test]
    fn every_named_constraint_fails_when_its_cell_is_changed() {
        let x = Fr::from(12_345u64);
        let cases = [
            (VAR + 10, 2, Fr::from(2), "variable-base step", "bit is boolean"),
            (VAR + 10, 6, x, "variable-base step", "double x"),
            (VAR + 11, 7, x, "variable-base step", "double y"),
            (VAR + 12, 8, x, "variable-base step", "tau"),
            (VAR + 13, 0, x, "variable-base step", "add x"),
            (VAR + 14, 1, x, "variable-base step", "add y"),
            (VAR + 15, 3, x, "variable-base step", "base x kept"),
            (VAR + 16, 4, x, "variable-base step", "base y kept"),
            (VAR + 17, 5, x, "variable-base step", "base product kept"),
            (1, 2, Fr::ONE, "doubling only", "bit is zero"),
            (0, 0, x, "point on curve", "R' on curve"),
            (VAR, 3, x, "base on curve", "A on curve"),
            (VAR, 5, x, "base on curve", "base product"),
            (VAR, 0, x, "variable-base start", "starts at the identity (x)"),
            (VAR, 1, x, "variable-base start", "starts at the identity (y)"),
            (VAR, 9, x, "variable-base start", "sum starts at 0"),
            (VAR, 10, x, "variable-base start", "prefix starts equal"),
            (VAR + 20, 9, x, "c below p", "running sum"),
            (VAR + 21, 10, x, "c below p", "prefix equal"),
            (FIXED + 5, 2, Fr::from(2), "fixed-base window", "high bit is boolean"),
            (FIXED + 6, 3, Fr::from(2), "fixed-base window", "low bit is boolean"),
            (FIXED + 7, 4, x, "fixed-base window", "window x"),
            (FIXED + 8, 5, x, "fixed-base window", "window y"),
            (FIXED + 9, 6, x, "fixed-base window", "product"),
            (FIXED + 10, 0, x, "fixed-base window", "add x"),
            (FIXED + 11, 1, x, "fixed-base window", "add y"),
            (FIXED + 12, 9, x, "fixed-base window", "running sum"),
            (FIXED + 13, 8, x, "fixed-base window", "prefix equal (high bit)"),
            (FIXED + 14, 10, x, "fixed-base window", "prefix equal (low bit)"),
            (FIXED, 0, x, "fixed-base start", "starts at -R"),
            (FIXED, 9, x, "fixed-base start", "sum starts at 0"),
            (FIXED, 10, x, "fixed-base start", "prefix starts equal"),
            (VAR_RESULT, 10, Fr::ONE, "scalar end", "scalar below its modulus"),
            (FIXED_RESULT, 10, Fr::ONE, "scalar end", "scalar below its modulus"),
        ];
        for (row, col, value, gate, constraint) in cases {
            let failed = tampered(row, col, value);
            assert!(names(&failed, gate, constraint), "row {row} column {col}: {failed:?}");
        }
    }

    /// The prefix flags while the scalar's prefix still equals the modulus's,
    /// for the "not above" constraints: a bit above the modulus's bit there.
    #[test]
    fn a_bit_above_the_modulus_while_the_prefix_is_equal_is_refused() {
        // c: the first bit where p has a 0 (the prefix is equal until there).
        let zero = p_bits().iter().position(|b| !b).unwrap();
        let (mut w, msg) = signed(4, 5);
        w.c_bits = p_bits().to_vec();
        w.c_bits[zero] = true;
        let failed = failures(&one(&w, msg));
        assert!(names(&failed, "c below p", "not above p"), "{failed:?}");
        // s: above l at a high and at a low bit.
        let l = l_bits();
        for bit in [0, 1].map(|parity| (0..l.len()).find(|i| i % 2 == parity && !l[*i]).unwrap()) {
            let (mut w, msg) = signed(4, 5);
            w.s_bits = l.to_vec();
            w.s_bits[bit] = true;
            let rule =
                if bit % 2 == 0 { "not above l (high bit)" } else { "not above l (low bit)" };
            let failed = failures(&one(&w, msg));
            assert!(names(&failed, "fixed-base window", rule), "bit {bit}: {failed:?}");
        }
    }

    /// Integer sum of two little-endian bit vectors (MSB-first in, MSB-first out).
    fn add_bits(a: &[bool], b: &[bool]) -> Vec<bool> {
        let mut out = vec![false; a.len()];
        let mut carry = false;
        for i in (0..a.len()).rev() {
            let s = a[i] as u8 + b[i] as u8 + carry as u8;
            out[i] = s & 1 == 1;
            carry = s >= 2;
        }
        assert!(!carry, "fits");
        out
    }

    #[test]
    fn non_canonical_scalars_are_refused() {
        // s + l: the same point (l·B = O), so only the canonical check refuses it.
        let (w, msg) = signed(5, 11);
        let mut laid = w.clone();
        laid.s_bits = add_bits(&w.s_bits, l_bits());
        let failed = failures(&one(&laid, msg));
        let canonical_rule =
            |f: &String| f.contains("('not above l") || f.contains("('scalar below its modulus')");
        assert!(!failed.is_empty() && failed.iter().all(canonical_rule), "{failed:?}");
        // c + p, for a small c (any c < 2^254 − p has this second decomposition):
        // the same field element in the running sum, refused by the p comparison.
        let mut small = w.clone();
        small.c_bits = vec![false; C_BITS];
        small.c_bits[C_BITS - 1] = true; // c = 1
        small.c_bits = add_bits(&small.c_bits, p_bits());
        let failed = failures(&one(&small, msg));
        assert!(
            names(&failed, "scalar end", "scalar below its modulus")
                || names(&failed, "c below p", "not above p"),
            "{failed:?}"
        );
    }

    #[test]
    fn an_r_outside_the_subgroup_cannot_be_laid_out() {
        // R + T, T = (0, −1) of order 2: no R' has 8·R' = R + T, so the last
        // doubling cannot end there.
        let (w, msg) = signed(6, 1);
        let mut laid = rows(&w);
        let r = [laid[R_ROW].w[0], laid[R_ROW].w[1]];
        let moved = add(r, [Fr::ZERO, -Fr::ONE]);
        assert_ne!(moved, r);
        laid[R_ROW].w[0] = moved[0];
        laid[R_ROW].w[1] = moved[1];
        let failed = failures(&SignatureCircuit { signatures: vec![(laid, msg)] });
        assert!(
            names(&failed, "variable-base step", "add x")
                || names(&failed, "variable-base step", "add y"),
            "{failed:?}"
        );
        // A small-order R' itself (T): 8·T is the identity, not a subgroup point
        // that signs anything; and an off-curve R' is refused by name.
        let mut off = w.clone();
        off.r_prime = [Fr::from(3), Fr::from(4)];
        let failed = failures(&one(&off, msg));
        assert!(names(&failed, "point on curve", "R' on curve"), "{failed:?}");
    }

    #[test]
    fn an_off_curve_key_is_refused() {
        let (mut w, msg) = signed(7, 2);
        w.a = [w.a[0], w.a[1] + Fr::ONE];
        let failed = failures(&one(&w, msg));
        assert!(names(&failed, "base on curve", "A on curve"), "{failed:?}");
    }

    #[test]
    fn the_challenge_is_hashed_in_circuit() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0xC4A1);
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        let msg = Fr::random(&mut rng);
        let sig = sk.sign(msg);
        let w = SignatureWitness::new(&pk, msg, &sig);
        let run = |signatures: Vec<(Vec<ChipRow>, Fr)>| {
            let public = vec![vec![signatures[0].1]];
            MockProver::run(K, &SignatureCircuit { signatures }, public).expect("fits").verify()
        };
        assert_eq!(run(vec![(rows(&w), msg)]), Ok(()));
        // The same rows hashed with another message: the challenge is not c.
        assert!(run(vec![(rows(&w), msg + Fr::ONE)]).is_err());
        // Two signatures in a row.
        let w3 = SignatureWitness::new(&pk, msg, &sig);
        assert_eq!(run(vec![(rows(&w), msg), (rows(&w3), msg)]), Ok(()));
        // A signature of another message, checked against this one.
        let other = sk.sign(msg + Fr::ONE);
        let w2 = SignatureWitness::new(&pk, msg + Fr::ONE, &other);
        assert!(run(vec![(rows(&w2), msg)]).is_err());
    }
}
