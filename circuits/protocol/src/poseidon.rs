//! Native Poseidon, bit-identical to halo2-base's in-circuit hasher (PROTOCOL §1).
//!
//! The permutation is width 3, rate 2, 8 full and 57 partial rounds, taken from
//! halo2-base's [`OptimizedPoseidonSpec`] so the constants can never drift from the
//! circuit's. [`hash`] reproduces `PoseidonHasher::<Fr, 3, 2>::hash_fix_len_array`:
//! initial capacity `2^64`, inputs absorbed two at a time, a `1` appended after the
//! last input (with an extra all-padding block when the length is even), output
//! `state[1]`. The test `native_hash_matches_halo2_base_hasher` proves the match on
//! random inputs of every length used by the protocol.

use std::sync::OnceLock;

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_base::poseidon::hasher::spec::OptimizedPoseidonSpec;

/// State width.
pub const T: usize = 3;
/// Rate (field elements absorbed per permutation).
pub const RATE: usize = 2;
/// Full rounds.
pub const R_F: usize = 8;
/// Partial rounds.
pub const R_P: usize = 57;

/// The spec shared with the circuit.
pub fn spec() -> &'static OptimizedPoseidonSpec<Fr, T, RATE> {
    static SPEC: OnceLock<OptimizedPoseidonSpec<Fr, T, RATE>> = OnceLock::new();
    SPEC.get_or_init(OptimizedPoseidonSpec::new::<R_F, R_P, 0>)
}

/// Permutations computed by this process so far ([`permutations`]).
static PERMUTATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many Poseidon permutations this process has computed: benches divide
/// the difference over a workload by its transactions to state its hashing
/// cost (and the machine's hashing limit).
pub fn permutations() -> u64 {
    PERMUTATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// `H(x_1..x_n)`: the fixed-length hash of `inputs`.
pub fn hash(inputs: &[Fr]) -> Fr {
    let spec = spec();
    let mut state = [Fr::from_u128(1u128 << 64), Fr::ZERO, Fr::ZERO];
    for chunk in inputs.chunks(RATE) {
        permute(spec, &mut state, chunk);
    }
    if inputs.len().is_multiple_of(RATE) {
        permute(spec, &mut state, &[]);
    }
    state[1]
}

/// `H(a, b)`: the 2-to-1 hash used for Merkle nodes.
pub fn hash2(a: Fr, b: Fr) -> Fr {
    hash(&[a, b])
}

fn pow5(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

fn apply_mds(m: &[[Fr; T]; T], s: &mut [Fr; T]) {
    let out: [Fr; T] = std::array::from_fn(|i| m[i][0] * s[0] + m[i][1] * s[1] + m[i][2] * s[2]);
    *s = out;
}

fn sbox_full(s: &mut [Fr; T], constants: &[Fr; T]) {
    for (x, c) in s.iter_mut().zip(constants) {
        *x = pow5(*x) + c;
    }
}

/// One absorb-and-permute step, in halo2-base's optimised round schedule
/// (`PoseidonState::permutation` with `len = None`).
fn permute(spec: &OptimizedPoseidonSpec<Fr, T, RATE>, s: &mut [Fr; T], inputs: &[Fr]) {
    debug_assert!(inputs.len() <= RATE);
    PERMUTATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let consts = spec.constants();
    let start = consts.start();
    let mds = spec.mds_matrices().mds().as_ref();
    let pre_sparse = spec.mds_matrices().pre_sparse_mds().as_ref();

    // Absorb with the first round's constants; the word after the inputs gets the padding 1.
    let pre = &start[0];
    s[0] += pre[0];
    for i in 1..T {
        let input = inputs.get(i - 1).copied().unwrap_or(Fr::ZERO);
        let pad = if i == inputs.len() + 1 { Fr::ONE } else { Fr::ZERO };
        s[i] += input + pre[i] + pad;
    }

    let half = spec.r_f() / 2;
    for c in start.iter().skip(1).take(half - 1) {
        sbox_full(s, c);
        apply_mds(mds, s);
    }
    sbox_full(s, start.last().expect("spec has full rounds"));
    apply_mds(pre_sparse, s);

    for (c, sparse) in consts.partial().iter().zip(spec.mds_matrices().sparse_matrices()) {
        s[0] = pow5(s[0]) + c;
        let row = sparse.row();
        let col_hat = sparse.col_hat();
        let s0 = s[0];
        let first = row[0] * s[0] + row[1] * s[1] + row[2] * s[2];
        for (j, coeff) in col_hat.iter().enumerate() {
            s[j + 1] += s0 * coeff;
        }
        s[0] = first;
    }

    for c in consts.end() {
        sbox_full(s, c);
        apply_mds(mds, s);
    }
    sbox_full(s, &[Fr::ZERO; T]);
    apply_mds(mds, s);
}
