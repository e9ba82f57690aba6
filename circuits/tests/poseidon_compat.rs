//! The native Poseidon is bit-identical to halo2-base's in-circuit
//! `PoseidonHasher<Fr, 3, 2>` (PROTOCOL §1): random inputs of every length the
//! protocol hashes are hashed by both, inside a `MockProver` that must be satisfied.

use clearproof_protocol::poseidon;
use clearproof_protocol::Fr;
use halo2_base::gates::RangeInstructions;
use halo2_base::halo2_proofs::arithmetic::Field;
use halo2_base::poseidon::hasher::spec::OptimizedPoseidonSpec;
use halo2_base::poseidon::hasher::PoseidonHasher;
use halo2_base::utils::testing::base_test;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

#[test]
fn native_hash_matches_halo2_base_hasher() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xC1EA);
    // Every arity the protocol uses (2: nodes, 3: globals/root, 5: signatures,
    // 8: transactions, 12: leaves, 48: markets) and the lengths around them.
    let lengths = [0usize, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 48];
    let payloads: Vec<Vec<Fr>> = lengths
        .iter()
        .flat_map(|&n| (0..3).map(move |_| n))
        .map(|n| (0..n).map(|_| Fr::random(&mut rng)).collect())
        .collect();
    // Edge values too: zeros and p − 1.
    let mut payloads = payloads;
    payloads.push(vec![Fr::ZERO, Fr::ZERO]);
    payloads.push(vec![-Fr::ONE, -Fr::ONE, -Fr::ONE]);

    base_test().k(16).lookup_bits(8).run(|ctx, range| {
        let mut hasher = PoseidonHasher::<Fr, 3, 2>::new(OptimizedPoseidonSpec::new::<8, 57, 0>());
        hasher.initialize_consts(ctx, range.gate());
        for payload in &payloads {
            let cells = ctx.assign_witnesses(payload.iter().copied());
            let in_circuit = hasher.hash_fix_len_array(ctx, range.gate(), &cells);
            let native = poseidon::hash(payload);
            assert_eq!(*in_circuit.value(), native, "length {}", payload.len());
            // Tie the output to the native value so MockProver checks it too.
            let expected = ctx.load_constant(native);
            ctx.constrain_equal(&in_circuit, &expected);
        }
    });
}

#[test]
fn hash_is_not_trivially_symmetric_or_constant() {
    let (a, b) = (Fr::from(1u64), Fr::from(2u64));
    assert_ne!(poseidon::hash2(a, b), poseidon::hash2(b, a));
    assert_ne!(poseidon::hash(&[a]), poseidon::hash(&[a, Fr::ZERO]), "padding separates lengths");
    assert_ne!(poseidon::hash(&[]), Fr::ZERO);
}

/// The textbook Poseidon permutation (every round: add the round constants, S-box
/// — all words in full rounds, the first in partial rounds — then the MDS), with
/// the round constants and MDS the Poseidon chip uses (`poseidon_chip::constants`:
/// `poseidon-primitives` `Spec::constants()`, the generator halo2-base uses). This
/// test pins that it is the same function as halo2-base's optimised schedule,
/// which the protocol uses, so the chip changes no root.
mod textbook {
    use clearproof_circuits::circuit::poseidon_chip::constants;
    use clearproof_protocol::poseidon::{RATE, R_F, R_P, T};
    use clearproof_protocol::Fr;
    use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};

    fn permute(state: &mut [Fr; T], constants: &[[Fr; T]], mds: &[[Fr; T]; T]) {
        for (round, c) in constants.iter().enumerate() {
            for (s, c) in state.iter_mut().zip(c) {
                *s += c;
            }
            let full = !(R_F / 2..R_F / 2 + R_P).contains(&round);
            for (i, s) in state.iter_mut().enumerate() {
                if full || i == 0 {
                    *s = s.pow_vartime([5]);
                }
            }
            *state = std::array::from_fn(|i| (0..T).map(|j| mds[i][j] * state[j]).sum());
        }
    }

    /// The sponge of `PoseidonHasher::hash_fix_len_array` over the textbook permutation.
    pub(crate) fn hash(inputs: &[Fr]) -> Fr {
        let (constants, mds) = (&constants().round, &constants().mds);
        let mut state = [Fr::from_u128(1u128 << 64), Fr::ZERO, Fr::ZERO];
        let mut blocks: Vec<Vec<Fr>> = inputs.chunks(RATE).map(<[Fr]>::to_vec).collect();
        if inputs.len().is_multiple_of(RATE) {
            blocks.push(Vec::new());
        }
        for block in blocks {
            for i in 0..RATE {
                state[i + 1] += match i.cmp(&block.len()) {
                    std::cmp::Ordering::Less => block[i],
                    std::cmp::Ordering::Equal => Fr::ONE,
                    std::cmp::Ordering::Greater => Fr::ZERO,
                };
            }
            permute(&mut state, constants, mds);
        }
        state[1]
    }
}

#[test]
fn textbook_permutation_with_generated_constants_matches_the_protocol_hash() {
    use clearproof_protocol::poseidon::hash;
    use clearproof_protocol::Fr;
    for len in [0usize, 1, 2, 3, 9, 12, 48] {
        let inputs: Vec<Fr> = (0..len as u64).map(|i| Fr::from(i * 7 + 3)).collect();
        assert_eq!(textbook::hash(&inputs), hash(&inputs), "length {len}");
    }
}
