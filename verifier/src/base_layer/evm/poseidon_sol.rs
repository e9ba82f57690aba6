//! The generator of `evm/contracts/Poseidon.sol`: the protocol hash
//! ([`clearproof_protocol::poseidon::hash`]) as a Solidity library, with the
//! constants of [`clearproof_protocol::poseidon::spec`] inlined, so the
//! settlement contract recomputes a batch's data hash.
//!
//! The permutation mirrors `poseidon::permute` step for step (halo2-base's
//! optimised schedule: constants added after the S-box, a pre-sparse matrix
//! before the partial rounds, one sparse matrix per partial round), unrolled in
//! inline assembly. Values between rounds are kept below `2^256` but not always
//! reduced: every S-box input is a sum of at most five reduced terms (`5p <
//! 2^256`), `mulmod` and `addmod` reduce whatever they are given, and the
//! permutation's outputs are reduced.
//!
//! The committed file must equal [`generate`]'s output (test
//! `poseidon_sol_is_generated`); `evm/build.sh` rewrites it and compiles it.

use std::fmt::Write;

use clearproof_protocol::params::TX_ENCODING_LEN;
use clearproof_protocol::poseidon::{spec, RATE, R_F, R_P, T};
use clearproof_protocol::serde_fr::to_hex;
use clearproof_protocol::Fr;

use super::abi::fr_to_word;
use super::U256;

/// Where the generated library lives, relative to the verifier crate.
pub const POSEIDON_SOL: &str = "evm/contracts/Poseidon.sol";

/// The BN254 scalar field modulus `p` (the protocol field).
pub fn field_modulus() -> U256 {
    fr_to_word(&-Fr::from(1u64)) + U256::from(1u64)
}

/// The initial capacity word, `2^64`.
const CAPACITY_INIT: &str = "0x10000000000000000";

/// The Solidity source of `library Poseidon`.
pub fn generate() -> String {
    assert_eq!((T, RATE), (3, 2), "the generator is written for width 3, rate 2");
    let mut out = String::new();
    let modulus = field_modulus();
    let tx_inputs = TX_ENCODING_LEN + 1;
    let permutations = tx_inputs / RATE + 1;
    write!(
        out,
        "\
// SPDX-License-Identifier: MIT OR Apache-2.0
// GENERATED FILE, DO NOT EDIT. Written by clearproof-verifier
// (verifier/src/evm/poseidon_sol.rs) from clearproof_protocol::poseidon::spec();
// regenerate the EVM fixtures with verifier/evm/build.sh.
pragma solidity 0.8.19;

/// @title Poseidon over the BN254 scalar field, bit-identical to
/// `clearproof_protocol::poseidon::hash` (PROTOCOL §1).
/// @notice Width {T}, rate {RATE}, {R_F} full and {R_P} partial rounds, x^5 S-box:
/// halo2-base's `OptimizedPoseidonSpec<Fr, 3, 2>` and its optimised round
/// schedule, constants inlined. Sponge: capacity initialised to 2^64, inputs
/// absorbed {RATE} at a time, a 1 added after the last input (an extra
/// permutation when the length is a multiple of {RATE}), output `state[1]`.
/// Every input must be a field element (< P); the functions revert otherwise.
library Poseidon {{
    /// The BN254 scalar field modulus.
    uint256 internal constant P =
        {modulus};

    /// Field elements in one transaction's encoding (`TX_ENCODING_LEN`).
    uint256 internal constant TX_ENCODING_LEN = {TX_ENCODING_LEN};

    /// The sponge's initial capacity word, 2^64.
    uint256 internal constant CAPACITY_INIT = {CAPACITY_INIT};

    /// `H(inputs)`: the fixed-length hash of `inputs`.
    function hash(uint256[] memory inputs) internal pure returns (uint256) {{
        uint256 s0 = CAPACITY_INIT;
        uint256 s1;
        uint256 s2;
        uint256 n = inputs.length;
        uint256 i;
        unchecked {{
            for (; i + 1 < n; i += 2) {{
                uint256 a = inputs[i];
                uint256 b = inputs[i + 1];
                require(a < P && b < P, \"Poseidon: input not in the field\");
                (s0, s1, s2) = permute(s0, s1 + a, s2 + b);
            }}
            if (i < n) {{
                uint256 a = inputs[i];
                require(a < P, \"Poseidon: input not in the field\");
                (s0, s1, s2) = permute(s0, s1 + a, s2 + 1);
            }} else {{
                (s0, s1, s2) = permute(s0, s1 + 1, s2);
            }}
        }}
        return s1;
    }}

    /// One step of the data-hash chain, `H(d, enc[0], ..., enc[{last}])`
    /// (`clearproof_protocol::batch::data_hash_step`): {tx_inputs} inputs, {permutations} permutations.
    function dataHashStep(uint256 d, uint256[TX_ENCODING_LEN] memory enc)
        internal
        pure
        returns (uint256)
    {{
        require(d < P, \"Poseidon: input not in the field\");
        for (uint256 k = 0; k < TX_ENCODING_LEN; k++) {{
            require(enc[k] < P, \"Poseidon: input not in the field\");
        }}
        uint256 s0 = CAPACITY_INIT;
        uint256 s1;
        uint256 s2;
        unchecked {{
{step_memory}        }}
        return s1;
    }}

    /// A batch's data hash (`clearproof_protocol::batch::data_hash`): the chain
    /// from `prev` over `data`, {TX_ENCODING_LEN} field elements per transaction.
    function dataHash(uint256 prev, uint256[] calldata data) internal pure returns (uint256) {{
        require(prev < P, \"Poseidon: input not in the field\");
        require(data.length % TX_ENCODING_LEN == 0, \"Poseidon: data is not whole transactions\");
        for (uint256 k = 0; k < data.length; k++) {{
            require(data[k] < P, \"Poseidon: input not in the field\");
        }}
        uint256 d = prev;
        unchecked {{
            for (uint256 at = 0; at < data.length; at += TX_ENCODING_LEN) {{
                uint256 s0 = CAPACITY_INIT;
                uint256 s1;
                uint256 s2;
{step_calldata}                d = s1;
            }}
        }}
        return d;
    }}

    /// One absorb-and-permute step on a state whose rate words already hold
    /// the inputs and padding: `poseidon::permute` after its absorb.
    function permute(uint256 s0, uint256 s1, uint256 s2)
        internal
        pure
        returns (uint256, uint256, uint256)
    {{
        assembly {{
            let p := {modulus}
{rounds}        }}
        return (s0, s1, s2);
    }}
}}
",
        last = TX_ENCODING_LEN - 1,
        step_memory = absorb_steps(
            &std::iter::once("d".to_string())
                .chain((0..TX_ENCODING_LEN).map(|k| format!("enc[{k}]")))
                .collect::<Vec<_>>(),
            "            ",
        ),
        step_calldata = absorb_steps(
            &std::iter::once("d".to_string())
                .chain((0..TX_ENCODING_LEN).map(|k| format!("data[at + {k}]")))
                .collect::<Vec<_>>(),
            "                ",
        ),
        rounds = rounds(),
    )
    .expect("writing to a String");
    out
}

/// The sponge over a fixed list of input expressions (each `< p`, so `s + x`
/// cannot overflow): one `permute` per chunk of [`RATE`], padding as
/// `poseidon::hash`.
fn absorb_steps(inputs: &[String], indent: &str) -> String {
    let mut out = String::new();
    for chunk in inputs.chunks(RATE) {
        let (a, b) = match chunk {
            [a, b] => (a.as_str(), b.as_str()),
            [a] => (a.as_str(), "1"),
            _ => unreachable!("chunks of RATE = 2"),
        };
        writeln!(out, "{indent}(s0, s1, s2) = permute(s0, s1 + {a}, s2 + {b});").expect("String");
    }
    if inputs.len().is_multiple_of(RATE) {
        writeln!(out, "{indent}(s0, s1, s2) = permute(s0, s1 + 1, s2);").expect("String");
    }
    out
}

fn hex(f: &Fr) -> String {
    to_hex(f)
}

fn is_zero(f: &Fr) -> bool {
    *f == Fr::from(0u64)
}

/// `s^5 + c` into a new variable `var` (`s` any word; the result `< 2p`).
fn sbox(out: &mut String, var: &str, s: &str, c: &Fr, indent: &str) {
    writeln!(out, "{indent}let {var} := mulmod({s}, {s}, p)").expect("String");
    if is_zero(c) {
        writeln!(out, "{indent}{var} := mulmod(mulmod({var}, {var}, p), {s}, p)").expect("String");
    } else {
        writeln!(out, "{indent}{var} := add(mulmod(mulmod({var}, {var}, p), {s}, p), {})", hex(c))
            .expect("String");
    }
}

/// A full round: S-box and constant on every word, then `m`. `reduce` leaves
/// the outputs below `p` (the last round); otherwise they are `< 3p`.
fn full_round(out: &mut String, c: &[Fr; T], m: &[[Fr; T]; T], reduce: bool, indent: &str) {
    writeln!(out, "{indent}{{").expect("String");
    let inner = format!("{indent}    ");
    for (i, c) in c.iter().enumerate() {
        sbox(out, &format!("y{i}"), &format!("s{i}"), c, &inner);
    }
    for (i, row) in m.iter().enumerate() {
        let [a, b, c] = [0, 1, 2].map(|j| format!("mulmod(y{j}, {}, p)", hex(&row[j])));
        if reduce {
            writeln!(out, "{inner}s{i} := addmod(addmod({a}, {b}, p), {c}, p)").expect("String");
        } else {
            writeln!(out, "{inner}s{i} := add(add({a}, {b}), {c})").expect("String");
        }
    }
    writeln!(out, "{indent}}}").expect("String");
}

/// Every round of `poseidon::permute` after the absorb, as Yul statements on
/// `s0, s1, s2` with `p` in scope.
fn rounds() -> String {
    let spec = spec();
    let consts = spec.constants();
    let start = consts.start();
    let mds = spec.mds_matrices().mds().as_ref();
    let pre_sparse = spec.mds_matrices().pre_sparse_mds().as_ref();
    let half = spec.r_f() / 2;
    let indent = "            ";
    let mut out = String::new();

    // The absorb's first-round constants (the inputs and padding are already in).
    writeln!(out, "{indent}// Absorb: the first round's constants.").expect("String");
    for (i, c) in start[0].iter().enumerate() {
        if !is_zero(c) {
            writeln!(out, "{indent}s{i} := add(s{i}, {})", hex(c)).expect("String");
        }
    }
    writeln!(out, "{indent}// First half of the full rounds.").expect("String");
    for c in start.iter().skip(1).take(half - 1) {
        full_round(&mut out, c, mds, false, indent);
    }
    let last_start = start.last().expect("spec has full rounds");
    full_round(&mut out, last_start, pre_sparse, false, indent);

    // Every sparse matrix's corner is the MDS matrix's: held in a variable, it
    // is a 1-byte DUP per round instead of a 33-byte PUSH32.
    let sparse = spec.mds_matrices().sparse_matrices();
    let corner = sparse[0].row()[0];
    let shared = sparse.iter().all(|m| m.row()[0] == corner);
    writeln!(out, "{indent}// Partial rounds: S-box on s0, then the round's sparse matrix.")
        .expect("String");
    if shared {
        writeln!(out, "{indent}let m00 := {}", hex(&corner)).expect("String");
    }
    for (c, sparse) in consts.partial().iter().zip(sparse) {
        let row = sparse.row();
        let col_hat = sparse.col_hat();
        writeln!(out, "{indent}{{").expect("String");
        let inner = format!("{indent}    ");
        sbox(&mut out, "t", "s0", c, &inner);
        writeln!(
            out,
            "{inner}s0 := add(add(mulmod(t, {}, p), mulmod(s1, {}, p)), mulmod(s2, {}, p))",
            if shared { "m00".to_string() } else { hex(&row[0]) },
            hex(&row[1]),
            hex(&row[2])
        )
        .expect("String");
        for (j, h) in col_hat.iter().enumerate() {
            let s = format!("s{}", j + 1);
            writeln!(out, "{inner}{s} := addmod({s}, mulmod(t, {}, p), p)", hex(h))
                .expect("String");
        }
        writeln!(out, "{indent}}}").expect("String");
    }

    writeln!(out, "{indent}// Second half of the full rounds; the last has no constants.")
        .expect("String");
    for c in consts.end() {
        full_round(&mut out, c, mds, false, indent);
    }
    full_round(&mut out, &[Fr::from(0u64); T], mds, true, indent);
    out
}
