//! The native Poseidon is bit-identical to halo2-base's in-circuit
//! `PoseidonHasher<Fr, 3, 2>` (PROTOCOL §1): random inputs of every length the
//! protocol hashes are hashed by both, inside a `MockProver` that must be satisfied.

use clearproof_circuits::poseidon;
use clearproof_circuits::Fr;
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
