//! The Poseidon permutation as a custom gate: several rounds per row instead of
//! halo2-base's one arithmetic cell at a time.
//!
//! It computes the *textbook* permutation (PROTOCOL §1): width 3, 8 full and 57
//! partial rounds, each round adding its constants, applying `x⁵` (to every word
//! in full rounds, to the first in partial rounds) and multiplying by the MDS.
//! Round constants and MDS come from `poseidon-primitives` `Spec::constants()`,
//! the generator halo2-base itself uses;
//! `tests/poseidon_compat.rs` pins that this permutation, in the sponge below,
//! is the protocol's hash ([`clearproof_protocol::poseidon::hash`]).
//!
//! # Layout
//!
//! Nine advice columns `w0..w8` (`w0..w2` hold the state at the start of a row),
//! six fixed columns `k0..k5` (the row's constants), four selectors. Every gate
//! has degree ≤ 5 (halo2-axiom's cap), so `x⁵` is never one constraint:
//!
//! | row | rounds | `w3..w8` |
//! |---|---|---|
//! | "two full rounds" | 2 full | `x⁴` of round 1's words, then `x'²` of round 2's |
//! | "four partial rounds" | 4 partial | `x₁⁴`, `x₂²`, `x₂⁵`, `x₃²`, `x₃⁵`, `x₄²` |
//! | "one partial round" | 1 partial | `x₁⁴` |
//! | "absorb" | — | the two absorbed words in `w3`, `w4` |
//!
//! Each gate constrains the next row's `w0..w2` to the state after its rounds. A
//! permutation is 2 full-pair rows, 14 partial-quad rows, 1 single-partial row and
//! 2 full-pair rows: 19 rows, and the row after holds its output.
//!
//! # Sponge
//!
//! As `PoseidonHasher::<Fr, 3, 2>::hash_fix_len_array`: the state starts at
//! `[2^64, 0, 0]`; inputs are added to words 1 and 2, two per permutation; a `1`
//! follows the last input, in a block of its own when the length is even; the
//! output is word 1. The first block is laid out as the first row's state, later
//! blocks through an "absorb" row, and an all-padding block is folded into the
//! next row's constants. [`PoseidonInstructions::hash`] reports which chip cell
//! holds which sponge word ([`Word`]) so the caller can tie them to its own cells.

use std::sync::OnceLock;

use halo2_base::halo2_proofs::circuit::{Cell as RawCell, Region, Value};
use halo2_base::halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Constraints, Expression, Fixed, Selector,
};
use halo2_base::halo2_proofs::poly::Rotation;
use poseidon_primitives::poseidon::primitives::Spec;

use crate::Fr;
use clearproof_protocol::poseidon::{RATE, R_F, R_P, T};
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};

/// Advice columns the chip uses.
pub const ADVICE_COLUMNS: usize = 9;
/// Fixed columns the chip uses (round constants).
pub const FIXED_COLUMNS: usize = 6;
/// Partial rounds in a "four partial rounds" row.
const QUAD: usize = 4;
/// Rows one permutation takes (its output is on the row after).
pub const ROWS_PER_PERMUTATION: usize = R_F / 2 + R_P / QUAD + R_P % QUAD;

/// The round constants and MDS of the textbook permutation.
#[derive(Debug)]
pub struct Constants {
    /// Per round, added to the state before the S-box.
    pub round: Vec<[Fr; T]>,
    /// The MDS matrix.
    pub mds: [[Fr; T]; T],
}

#[derive(Debug)]
struct Pow5T3;

impl Spec<Fr, T, RATE> for Pow5T3 {
    fn full_rounds() -> usize {
        R_F
    }
    fn partial_rounds() -> usize {
        R_P
    }
    fn sbox(val: Fr) -> Fr {
        pow5(val)
    }
    fn secure_mds() -> usize {
        0
    }
}

/// The textbook constants, generated once.
pub fn constants() -> &'static Constants {
    static CONSTANTS: OnceLock<Constants> = OnceLock::new();
    CONSTANTS.get_or_init(|| {
        let (round, mds, _) = Pow5T3::constants();
        assert_eq!(round.len(), R_F + R_P);
        Constants { round, mds }
    })
}

fn pow5(x: Fr) -> Fr {
    x.square().square() * x
}

fn mds_mul(v: [Fr; T]) -> [Fr; T] {
    let m = &constants().mds;
    std::array::from_fn(|i| m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2])
}

/// A sponge word as the caller sees it: which of its cells a chip cell must equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// The initial capacity, `2^64`.
    Capacity,
    /// The `i`-th input.
    Input(usize),
    /// The padding `1`.
    One,
    /// A zero word (the rest of the padding block).
    Zero,
    /// The hash output.
    Output,
}

/// The initial capacity word.
pub fn capacity() -> Fr {
    Fr::from_u128(1u128 << 64)
}

/// The value a constant [`Word`] stands for.
pub fn word_constant(word: Word) -> Option<Fr> {
    match word {
        Word::Capacity => Some(capacity()),
        Word::One => Some(Fr::ONE),
        Word::Zero => Some(Fr::ZERO),
        Word::Input(_) | Word::Output => None,
    }
}

/// The sponge blocks for `n` inputs: each block's two rate words.
fn blocks(n: usize) -> Vec<[Word; RATE]> {
    let mut words: Vec<Word> = (0..n).map(Word::Input).collect();
    words.push(Word::One);
    if !words.len().is_multiple_of(RATE) {
        words.push(Word::Zero);
    }
    words.chunks(RATE).map(|c| [c[0], c[1]]).collect()
}

/// Rows [`PoseidonInstructions::hash`] takes for `n` inputs.
pub fn rows_for_hash(n: usize) -> usize {
    let blocks = blocks(n);
    let absorbs = blocks.iter().skip(1).filter(|b| !is_padding(b)).count();
    blocks.len() * ROWS_PER_PERMUTATION + absorbs + 1
}

fn is_padding(block: &[Word; RATE]) -> bool {
    block.iter().all(|w| word_constant(*w).is_some())
}

/// An affine form over a partial-quad row's variables `[s1, s2, m1, m2, m3]`
/// (`m_r` the S-box output of the row's round `r`).
#[derive(Debug, Clone, Copy, Default)]
struct Affine {
    constant: Fr,
    coeffs: [Fr; 5],
}

impl Affine {
    fn var(i: usize) -> Self {
        let mut a = Self::default();
        a.coeffs[i] = Fr::ONE;
        a
    }

    fn plus(mut self, c: Fr) -> Self {
        self.constant += c;
        self
    }

    fn eval(&self, vars: &[Fr; 5]) -> Fr {
        self.constant + self.coeffs.iter().zip(vars).map(|(c, v)| *c * v).sum::<Fr>()
    }

    fn expr(&self, vars: &[Expression<Fr>; 5], constant: Expression<Fr>) -> Expression<Fr> {
        self.coeffs.iter().zip(vars).fold(constant, |acc, (c, v)| acc + v.clone() * *c)
    }
}

fn mds_affine(v: [Affine; T]) -> [Affine; T] {
    let m = &constants().mds;
    std::array::from_fn(|i| {
        let mut out = Affine::default();
        for (j, vj) in v.iter().enumerate() {
            out.constant += m[i][j] * vj.constant;
            for (o, c) in out.coeffs.iter_mut().zip(vj.coeffs) {
                *o += m[i][j] * c;
            }
        }
        out
    })
}

/// Four partial rounds with constants `rc` as affine forms: the S-box inputs of
/// rounds 2..4 (`x₁ = s0 + rc[0][0]` needs none) and words 1, 2 before round 4's MDS.
struct QuadForms {
    x: [Affine; 3],
    y: [Affine; 2],
}

fn quad_forms(rc: &[[Fr; T]]) -> QuadForms {
    let (s1, s2) = (Affine::var(0), Affine::var(1));
    // After round 1: MDS · [m1, s1 + c, s2 + c].
    let mut state = mds_affine([Affine::var(2), s1.plus(rc[0][1]), s2.plus(rc[0][2])]);
    let mut x = [Affine::default(); 3];
    for r in 1..QUAD {
        x[r - 1] = state[0].plus(rc[r][0]);
        if r < QUAD - 1 {
            state =
                mds_affine([Affine::var(2 + r), state[1].plus(rc[r][1]), state[2].plus(rc[r][2])]);
        }
    }
    QuadForms { x, y: [state[1].plus(rc[QUAD - 1][1]), state[2].plus(rc[QUAD - 1][2])] }
}

/// One row of a permutation: its kind and its constants `k0..k5`.
#[derive(Debug, Clone, Copy)]
enum Row {
    FullPair([Fr; FIXED_COLUMNS]),
    PartialQuad([Fr; FIXED_COLUMNS]),
    PartialSingle([Fr; FIXED_COLUMNS]),
}

/// The 19 rows of one permutation, before any padding is folded in.
fn schedule() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let rc = &constants().round;
        let mut rows = Vec::with_capacity(ROWS_PER_PERMUTATION);
        let full_pair = |r: usize| {
            let mut k = [Fr::ZERO; FIXED_COLUMNS];
            k[..T].copy_from_slice(&rc[r]);
            k[T..].copy_from_slice(&rc[r + 1]);
            Row::FullPair(k)
        };
        let half = R_F / 2;
        for r in (0..half).step_by(2) {
            rows.push(full_pair(r));
        }
        let mut r = half;
        while r + QUAD <= half + R_P {
            let f = quad_forms(&rc[r..r + QUAD]);
            rows.push(Row::PartialQuad([
                rc[r][0],
                f.x[0].constant,
                f.x[1].constant,
                f.x[2].constant,
                f.y[0].constant,
                f.y[1].constant,
            ]));
            r += QUAD;
        }
        while r < half + R_P {
            let mut k = [Fr::ZERO; FIXED_COLUMNS];
            k[..T].copy_from_slice(&rc[r]);
            rows.push(Row::PartialSingle(k));
            r += 1;
        }
        for r in (half + R_P..R_F + R_P).step_by(2) {
            rows.push(full_pair(r));
        }
        assert_eq!(rows.len(), ROWS_PER_PERMUTATION);
        rows
    })
}

/// The values of one row's cells `w0..w8` given its state, and the next state.
fn row_values(row: &Row, s: [Fr; T]) -> ([Fr; ADVICE_COLUMNS], [Fr; T]) {
    let mut w = [Fr::ZERO; ADVICE_COLUMNS];
    w[..T].copy_from_slice(&s);
    let next = match row {
        Row::FullPair(k) => {
            let x: [Fr; T] = std::array::from_fn(|j| s[j] + k[j]);
            let b: [Fr; T] = x.map(|x| x.square().square());
            let x2: [Fr; T] = {
                let m = mds_mul(std::array::from_fn(|j| b[j] * x[j]));
                std::array::from_fn(|j| m[j] + k[T + j])
            };
            let a: [Fr; T] = x2.map(|x| x.square());
            w[3..6].copy_from_slice(&b);
            w[6..9].copy_from_slice(&a);
            mds_mul(std::array::from_fn(|j| a[j].square() * x2[j]))
        }
        Row::PartialQuad(k) => {
            let x1 = s[0] + k[0];
            let b1 = x1.square().square();
            let forms = quad_forms_cached();
            let mut vars = [s[1], s[2], b1 * x1, Fr::ZERO, Fr::ZERO];
            let mut last = (Fr::ZERO, Fr::ZERO);
            w[3] = b1;
            for r in 0..3 {
                let x = forms.x[r].eval(&vars) + k[1 + r];
                let a = x.square();
                w[4 + 2 * r] = a;
                if r < 2 {
                    vars[3 + r] = a.square() * x;
                    w[5 + 2 * r] = vars[3 + r];
                } else {
                    last = (a, x);
                }
            }
            let y1 = forms.y[0].eval(&vars) + k[4];
            let y2 = forms.y[1].eval(&vars) + k[5];
            mds_mul([last.0.square() * last.1, y1, y2])
        }
        Row::PartialSingle(k) => {
            let x1 = s[0] + k[0];
            w[3] = x1.square().square();
            mds_mul([w[3] * x1, s[1] + k[1], s[2] + k[2]])
        }
    };
    (w, next)
}

/// The quad forms' coefficients, which are the same for every row (only their
/// constants differ, and are zero here).
fn quad_forms_cached() -> &'static QuadForms {
    static FORMS: OnceLock<QuadForms> = OnceLock::new();
    FORMS.get_or_init(|| quad_forms(&[[Fr::ZERO; T]; QUAD]))
}

fn sq(e: &Expression<Fr>) -> Expression<Fr> {
    e.clone() * e.clone()
}

/// Row `i` of the MDS times `v`.
fn mds_expr(v: &[Expression<Fr>; T], i: usize) -> Expression<Fr> {
    let m = &constants().mds;
    v[0].clone() * m[i][0] + v[1].clone() * m[i][1] + v[2].clone() * m[i][2]
}

/// "next state": the next row's `w0..w2` equal `MDS · after`.
fn next_state(
    next: &[Expression<Fr>; T],
    after: &[Expression<Fr>; T],
) -> Vec<(&'static str, Expression<Fr>)> {
    next.iter().enumerate().map(|(j, n)| ("next state", n.clone() - mds_expr(after, j))).collect()
}

/// The chip's columns and gates.
#[derive(Debug, Clone)]
pub struct PoseidonConfig {
    w: [Column<Advice>; ADVICE_COLUMNS],
    k: [Column<Fixed>; FIXED_COLUMNS],
    q_full_pair: Selector,
    q_partial_quad: Selector,
    q_partial_single: Selector,
    q_absorb: Selector,
}

impl PoseidonConfig {
    pub(crate) fn advice(&self) -> &[Column<Advice>; ADVICE_COLUMNS] {
        &self.w
    }
    pub(crate) fn fixed(&self) -> &[Column<Fixed>; FIXED_COLUMNS] {
        &self.k
    }
}

/// A hash laid out by the chip: its output value and the chip cells that hold
/// sponge words, for the caller to tie to its own cells.
#[derive(Debug, Clone)]
pub struct AssignedHash {
    /// The hash value.
    pub output: Fr,
    /// Each chip cell holding a sponge word, with the word.
    pub words: Vec<(RawCell, Word)>,
}

/// What the Poseidon chip does.
pub trait PoseidonInstructions {
    /// Lays out the fixed-length hash of `inputs` from row `*offset` of `region`
    /// and advances `*offset` past it.
    fn hash(&self, region: &mut Region<'_, Fr>, offset: &mut usize, inputs: &[Fr]) -> AssignedHash;
}

/// The Poseidon chip.
#[derive(Debug, Clone)]
pub struct PoseidonChip {
    config: PoseidonConfig,
}

impl PoseidonChip {
    /// Creates the chip's columns, selectors and gates in `meta`. Side effects:
    /// 9 advice columns (equality enabled on `w0..w4`, the cells that are
    /// tied to other gadgets), 6 fixed columns, 4 selectors, 4 gates of degree ≤ 5.
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> PoseidonConfig {
        let w: [Column<Advice>; ADVICE_COLUMNS] = std::array::from_fn(|_| meta.advice_column());
        let k: [Column<Fixed>; FIXED_COLUMNS] = std::array::from_fn(|_| meta.fixed_column());
        for col in &w[..5] {
            meta.enable_equality(*col);
        }
        let config = PoseidonConfig {
            w,
            k,
            q_full_pair: meta.selector(),
            q_partial_quad: meta.selector(),
            q_partial_single: meta.selector(),
            q_absorb: meta.selector(),
        };
        meta.create_gate("poseidon: two full rounds", |meta| {
            let q = meta.query_selector(config.q_full_pair);
            let cur = |meta: &mut halo2_base::halo2_proofs::plonk::VirtualCells<'_, Fr>, i| {
                meta.query_advice(w[i], Rotation::cur())
            };
            let s: [Expression<Fr>; T] = std::array::from_fn(|j| cur(meta, j));
            let b: [Expression<Fr>; T] = std::array::from_fn(|j| cur(meta, 3 + j));
            let a: [Expression<Fr>; T] = std::array::from_fn(|j| cur(meta, 6 + j));
            let next: [Expression<Fr>; T] =
                std::array::from_fn(|j| meta.query_advice(w[j], Rotation::next()));
            let kc: [Expression<Fr>; FIXED_COLUMNS] =
                std::array::from_fn(|j| meta.query_fixed(k[j], Rotation::cur()));
            let x: [Expression<Fr>; T] = std::array::from_fn(|j| s[j].clone() + kc[j].clone());
            let m1: [Expression<Fr>; T] = std::array::from_fn(|j| b[j].clone() * x[j].clone());
            let x2: [Expression<Fr>; T] =
                std::array::from_fn(|j| mds_expr(&m1, j) + kc[T + j].clone());
            let m2: [Expression<Fr>; T] =
                std::array::from_fn(|j| a[j].clone() * a[j].clone() * x2[j].clone());
            let mut constraints = Vec::new();
            for (b, x) in b.iter().zip(&x) {
                constraints.push(("round 1: b = x^4", b.clone() - sq(&sq(x))));
            }
            for (a, x2) in a.iter().zip(&x2) {
                constraints.push(("round 2: a = x^2", a.clone() - sq(x2)));
            }
            constraints.extend(next_state(&next, &m2));
            Constraints::with_selector(q, constraints)
        });

        meta.create_gate("poseidon: four partial rounds", |meta| {
            let q = meta.query_selector(config.q_partial_quad);
            let c: Vec<Expression<Fr>> =
                (0..ADVICE_COLUMNS).map(|i| meta.query_advice(w[i], Rotation::cur())).collect();
            let next: [Expression<Fr>; T] =
                std::array::from_fn(|j| meta.query_advice(w[j], Rotation::next()));
            let kc: [Expression<Fr>; FIXED_COLUMNS] =
                std::array::from_fn(|j| meta.query_fixed(k[j], Rotation::cur()));
            let forms = quad_forms_cached();
            let x1 = c[0].clone() + kc[0].clone();
            let m1 = c[3].clone() * x1.clone();
            let vars = [c[1].clone(), c[2].clone(), m1, c[5].clone(), c[7].clone()];
            let x2 = forms.x[0].expr(&vars, kc[1].clone());
            let x3 = forms.x[1].expr(&vars, kc[2].clone());
            let x4 = forms.x[2].expr(&vars, kc[3].clone());
            let y1 = forms.y[0].expr(&vars, kc[4].clone());
            let y2 = forms.y[1].expr(&vars, kc[5].clone());
            let m4 = sq(&c[8]) * x4.clone();
            let after = [m4, y1, y2];
            let mut constraints = vec![
                ("round 1: x^4", c[3].clone() - sq(&sq(&x1))),
                ("round 2: x^2", c[4].clone() - sq(&x2)),
                ("round 2: x^5", c[5].clone() - sq(&c[4]) * x2),
                ("round 3: x^2", c[6].clone() - sq(&x3)),
                ("round 3: x^5", c[7].clone() - sq(&c[6]) * x3),
                ("round 4: x^2", c[8].clone() - sq(&x4)),
            ];
            constraints.extend(next_state(&next, &after));
            Constraints::with_selector(q, constraints)
        });

        meta.create_gate("poseidon: one partial round", |meta| {
            let q = meta.query_selector(config.q_partial_single);
            let c: Vec<Expression<Fr>> =
                (0..4).map(|i| meta.query_advice(w[i], Rotation::cur())).collect();
            let next: [Expression<Fr>; T] =
                std::array::from_fn(|j| meta.query_advice(w[j], Rotation::next()));
            let kc: [Expression<Fr>; T] =
                std::array::from_fn(|j| meta.query_fixed(k[j], Rotation::cur()));
            let x1 = c[0].clone() + kc[0].clone();
            let after = [
                c[3].clone() * x1.clone(),
                c[1].clone() + kc[1].clone(),
                c[2].clone() + kc[2].clone(),
            ];
            let mut constraints = vec![("x^4", c[3].clone() - sq(&sq(&x1)))];
            constraints.extend(next_state(&next, &after));
            Constraints::with_selector(q, constraints)
        });

        meta.create_gate("poseidon: absorb", |meta| {
            let q = meta.query_selector(config.q_absorb);
            let c: Vec<Expression<Fr>> =
                (0..5).map(|i| meta.query_advice(w[i], Rotation::cur())).collect();
            let next: [Expression<Fr>; T] =
                std::array::from_fn(|j| meta.query_advice(w[j], Rotation::next()));
            Constraints::with_selector(
                q,
                vec![
                    ("capacity kept", next[0].clone() - c[0].clone()),
                    ("word 1 absorbed", next[1].clone() - c[1].clone() - c[3].clone()),
                    ("word 2 absorbed", next[2].clone() - c[2].clone() - c[4].clone()),
                ],
            )
        });
        config
    }

    /// The chip over configured columns.
    pub fn construct(config: PoseidonConfig) -> Self {
        Self { config }
    }

    fn assign_row(&self, region: &mut Region<'_, Fr>, offset: usize, w: &[Fr]) -> Vec<RawCell> {
        w.iter()
            .zip(&self.config.w)
            .map(|(v, col)| region.assign_advice(*col, offset, Value::known(*v)).cell())
            .collect()
    }

    /// Lays out one permutation of `state` from row `offset`, with `fold` added
    /// to its first round's constants; returns the first row's state cells and
    /// the output state.
    fn permutation(
        &self,
        region: &mut Region<'_, Fr>,
        offset: usize,
        mut state: [Fr; T],
        fold: [Fr; T],
    ) -> (Vec<RawCell>, [Fr; T]) {
        let mut first = Vec::new();
        for (i, row) in schedule().iter().enumerate() {
            let mut row = *row;
            if i == 0 {
                let Row::FullPair(k) = &mut row else { unreachable!("starts with full rounds") };
                for j in 0..T {
                    k[j] += fold[j];
                }
            }
            let (q, k) = match &row {
                Row::FullPair(k) => (self.config.q_full_pair, k),
                Row::PartialQuad(k) => (self.config.q_partial_quad, k),
                Row::PartialSingle(k) => (self.config.q_partial_single, k),
            };
            let (w, next) = row_values(&row, state);
            q.enable(region, offset + i).expect("selector in range");
            for (col, v) in self.config.k.iter().zip(k) {
                region.assign_fixed(*col, offset + i, *v);
            }
            let cells = self.assign_row(region, offset + i, &w);
            if i == 0 {
                first = cells[..T].to_vec();
            }
            state = next;
        }
        (first, state)
    }
}

impl PoseidonInstructions for PoseidonChip {
    fn hash(&self, region: &mut Region<'_, Fr>, offset: &mut usize, inputs: &[Fr]) -> AssignedHash {
        let value = |word: Word| match word {
            Word::Input(i) => inputs[i],
            w => word_constant(w).expect("a constant word"),
        };
        let blocks = blocks(inputs.len());
        let mut words = Vec::new();
        let first = [Word::Capacity, blocks[0][0], blocks[0][1]];
        let (cells, mut state) = self.permutation(region, *offset, first.map(value), [Fr::ZERO; T]);
        words.extend(cells.into_iter().zip(first));
        *offset += ROWS_PER_PERMUTATION;
        for block in &blocks[1..] {
            let fold = if is_padding(block) {
                [Fr::ZERO, value(block[0]), value(block[1])]
            } else {
                self.config.q_absorb.enable(region, *offset).expect("selector in range");
                let absorbed = block.map(value);
                let cells = self.assign_row(
                    region,
                    *offset,
                    &[state[0], state[1], state[2], absorbed[0], absorbed[1]],
                );
                words.push((cells[3], block[0]));
                words.push((cells[4], block[1]));
                state = [state[0], state[1] + absorbed[0], state[2] + absorbed[1]];
                *offset += 1;
                [Fr::ZERO; T]
            };
            state = self.permutation(region, *offset, state, fold).1;
            *offset += ROWS_PER_PERMUTATION;
        }
        let cells = self.assign_row(region, *offset, &state);
        words.push((cells[1], Word::Output));
        *offset += 1;
        AssignedHash { output: state[1], words }
    }
}
