//! Chunk-level circuit tests over batch 2 (`clearproof_circuits::testing`):
//! every chunk proves the native roots and data hashes, the batch number steps
//! in the first chunk only, public inputs and Merkle paths cannot be swapped,
//! random native batches are proven, and a real key proves and verifies.

use clearproof_circuits::testing::*;
use clearproof_circuits::Fr;
use clearproof_protocol::instance::{Instance, NEXT_DATA_HASH, NEXT_STATE_ROOT, NUM_PUBLIC_INPUTS};
use clearproof_protocol::state::State;
use clearproof_protocol::testing::*;
use clearproof_protocol::tx::*;
use clearproof_protocol::witness::chunk_witnesses;

#[test]
fn every_transaction_of_the_proven_batch_applies() {
    let (mut state, txs) = setup();
    let out = state.apply_batch_signed(&txs, keys());
    let rejected: Vec<_> = out
        .receipts
        .iter()
        .enumerate()
        .filter(|(_, r)| !matches!(r, clearproof_protocol::batch::Receipt::Applied { .. }))
        .collect();
    assert!(rejected.is_empty(), "{rejected:?}");
}

#[test]
fn chunks_match_the_native_applier() {
    let chunks = proven_batch();
    // 14 transactions, three of them oracle updates of two slots each.
    assert_eq!(chunks.len(), 5);
    for pair in chunks.windows(2) {
        assert_eq!(pair[0].instance.next_state_root, pair[1].instance.prev_state_root);
        assert_eq!(pair[0].instance.next_data_hash, pair[1].instance.prev_data_hash);
    }
    for (i, w) in chunks.iter().enumerate() {
        let (ok, outputs) = mock(w, Some(w.instance.to_vec()));
        assert_eq!(outputs, w.instance.to_vec(), "chunk {i} computes the native public inputs");
        assert!(ok, "chunk {i} is satisfied");
    }
}

#[test]
fn a_public_input_that_does_not_match_is_rejected() {
    let w = &proven_batch()[0];
    for i in 0..NUM_PUBLIC_INPUTS {
        let mut instance = w.instance.to_vec();
        instance[i] += Fr::one();
        assert!(!mock(w, Some(instance)).0, "public input {i}");
    }
}

#[test]
fn a_transaction_cannot_be_left_out_of_the_data_hash() {
    let w = &proven_batch()[1];
    let mut instance = w.instance.to_vec();
    instance[NEXT_DATA_HASH] = w.prev_data_hash;
    assert!(!mock(w, Some(instance)).0);
}

/// An empty batch is one chunk of no-ops that only increments `batch_number`;
/// without the increment its next root would be its previous one.
#[test]
fn an_empty_batch_increments_the_batch_number() {
    let (mut state, _) = setup();
    let out = state.apply_batch(&[]);
    let chunks = chunk_witnesses(&out, SLOTS);
    assert_eq!(chunks.len(), 1);
    let w = &chunks[0];
    let (ok, outputs) = mock(w, Some(w.instance.to_vec()));
    assert!(ok);
    assert_eq!(
        outputs,
        Instance {
            prev_state_root: out.prev_state_root,
            next_state_root: out.header_state_root,
            prev_data_hash: out.prev_state_root,
            next_data_hash: out.prev_state_root,
        }
        .to_vec()
    );
    assert_ne!(out.header_state_root, out.prev_state_root);
    let mut skipped = w.instance;
    skipped.next_state_root = out.prev_state_root;
    assert!(!mock(w, Some(skipped.to_vec())).0, "the increment cannot be skipped");
}

/// The chunk whose chain starts at its own root (the first) increments; later
/// chunks, whose chain does not, are satisfied with the native roots without
/// it; and a first chunk claiming the root it would reach without the increment
/// does not verify.
#[test]
fn the_batch_number_increments_exactly_in_the_first_chunk() {
    let chunks = proven_batch();
    let first = &chunks[0];
    let second = &chunks[1];
    assert!(mock(first, Some(first.instance.to_vec())).0);
    assert!(mock(second, Some(second.instance.to_vec())).0);
    // The first chunk without its increment: the root it would reach instead.
    let mut unbumped = first.clone();
    unbumped.prev_data_hash = Fr::zero();
    let (_, outputs) = mock(&unbumped, None);
    let mut claim = first.instance;
    claim.next_state_root = outputs[NEXT_STATE_ROOT];
    assert_ne!(claim.next_state_root, first.instance.next_state_root);
    assert!(!mock(first, Some(claim.to_vec())).0, "the first chunk must increment");
}

#[test]
fn wrong_sibling_is_rejected() {
    assert_rejected_by(
        &tampered(0, 1, |s| {
            s.accounts[0].path.siblings[3] += Fr::one();
        }),
        "account is a member of the running root",
    );
}

#[test]
fn wrong_leaf_field_is_rejected() {
    assert_rejected_by(
        &tampered(0, 2, |s| {
            let before = s.accounts[0].before.as_mut().unwrap();
            before.collateral = before.collateral.checked_add(1).unwrap();
        }),
        "account is a member of the running root",
    );
}

#[test]
fn real_keygen_prove_verify_with_a_development_srs() {
    use clearproof_circuits::circuit::{CircuitParams, Proof, ProofError, ProvingKey, Srs};

    let chunks = two_slot_chunks();
    let k = 16;
    let srs = Srs::insecure_dev(k as u32);
    // Keys from a chunk of no-ops prove a trade: the circuit's shape does not
    // depend on the transaction type.
    let keys =
        ProvingKey::generate(&srs, &CircuitParams { depth: DEPTH, slots: 2, k: k as u32 }).unwrap();
    let vk = keys.vk();
    let (chunk, slot) = position_in(8, 2);
    let trade = &chunks[chunk];
    assert!(matches!(trade.slots[slot].tx, Some(Transaction::Trade(_))));
    // So does an oracle update with its continuation (four observations).
    let (chunk, slot) = position_in(5, 2);
    let update = &chunks[chunk];
    assert!(matches!(update.slots[slot].tx, Some(Transaction::PriceUpdate(_))));
    let proof = keys.prove(&srs, update).unwrap();
    vk.verify(&srs, &proof, &update.instance).unwrap();
    let proof = keys.prove(&srs, trade).unwrap();
    vk.verify(&srs, &proof, &trade.instance).unwrap();
    assert_eq!(proof.len(), vk.proof_len(), "the proof length is a function of the vk");
    let mut wrong = trade.instance;
    wrong.next_state_root += Fr::one();
    assert_eq!(vk.verify(&srs, &proof, &wrong), Err(ProofError::Invalid));
    // Bytes appended to a valid proof, or cut from it, are refused.
    let mut longer = proof.as_bytes().to_vec();
    longer.push(0);
    let longer = Proof::from_bytes(longer);
    let err = vk.verify(&srs, &longer, &trade.instance).unwrap_err();
    assert_eq!(err.code(), "WRONG_PROOF_LENGTH", "{err}");
    let shorter = Proof::from_bytes(proof.as_bytes()[..proof.len() - 32].to_vec());
    assert!(matches!(
        vk.verify(&srs, &shorter, &trade.instance),
        Err(ProofError::WrongLength { .. })
    ));
    assert!(!vk.verify_all(&srs, [(&longer, &trade.instance)]));
    // A witness that breaks a rule yields a proof that does not verify.
    let forged = forged_two_slots();
    assert!(!rules_hold(&forged));
    let bad = keys.prove(&srs, &forged).unwrap();
    assert_eq!(vk.verify(&srs, &bad, &forged.instance), Err(ProofError::Invalid));
    assert!(vk.verify_all(&srs, [(&proof, &trade.instance)]));
    assert!(!vk.verify_all(&srs, [(&proof, &trade.instance), (&bad, &forged.instance)]));
    eprintln!("chunk of 2 slots at depth {DEPTH}, k = {k}: proof {} bytes", proof.len());
}

/// One candidate transaction of a random batch: a kind and raw numbers that
/// [`candidate`] turns into a transaction against the current state.
type Intent = (u8, u32, u32, u8, u32, u32);

/// The transaction an intent names (the native applier may still reject it).
fn candidate(
    state: &State,
    (kind, a, b, m, x, y): Intent,
    ts: &mut u64,
    nonces: &std::collections::HashMap<u32, i128>,
) -> Transaction {
    let units = (state.market(mkt(m)).state.price.get() >> 32) as i128;
    let (x, y) = (i128::from(x), i128::from(y));
    match kind {
        0 => deposit(a + 2, (b + 2) as u8, 1 + x % 50_000),
        1 => withdraw(a, 1 + x % 2_000, nonces.get(&a).copied().unwrap_or(0)),
        2 => {
            *ts += 1;
            price(m, ((units * (90 + x % 20) / 100).max(1)) as u32, *ts)
        }
        3 => {
            *ts += 1;
            let index = state.market(mkt(m)).state.funding_index.get() as i128;
            tick(m, index + x % 2_000_000 - 1_000_000, *ts)
        }
        4 => Transaction::CoverDeficit(CoverDeficit { account: id(a) }),
        _ => {
            let lots = 1 + x % 49;
            let quote = lots * units * (96 + y % 9) / 100;
            trade(m, a, b, lots, quote.max(1), y % 3, (x + y) % 3)
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 3,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Random valid batches from the native applier (candidates it rejects are
    /// simply not in the batch), two batches in a row: every chunk is satisfied
    /// and its public inputs are the native roots and data hashes.
    #[test]
    fn random_native_batches_are_proven_with_native_roots(
        batches in proptest::collection::vec(
            proptest::collection::vec(
                (0..10u8, 1..=7u32, 1..=7u32, 0..4u8, proptest::prelude::any::<u32>(),
                 proptest::prelude::any::<u32>()),
                20,
            ),
            2,
        )
    ) {
        let (mut state, _) = setup();
        let mut ts = T0 + 100;
        let mut nonces = std::collections::HashMap::<u32, i128>::new();
        for intents in batches {
            let mut batch = state.begin_batch();
            for intent in intents {
                let tx = signed(&state, &candidate(&state, intent, &mut ts, &nonces));
                if let Ok(w) = batch.apply(&mut state, &tx) {
                    if let Transaction::Withdraw(wd) = &w.tx {
                        *nonces.entry(wd.account.get()).or_insert(0) += 1;
                    }
                }
            }
            let out = batch.close(&state);
            let kinds: Vec<_> = out.applied().map(Transaction::name).collect();
            eprintln!("{} of 20 candidates applied: {kinds:?}", kinds.len());
            let chunks = chunk_witnesses(&out, SLOTS);
            for (i, w) in chunks.iter().enumerate() {
                let (ok, outputs) = mock(w, Some(w.instance.to_vec()));
                proptest::prop_assert_eq!(&outputs, &w.instance.to_vec(), "chunk {}", i);
                proptest::prop_assert!(ok, "chunk {} of a valid batch must be satisfied", i);
            }
            proptest::prop_assert_eq!(chunks[0].instance.prev_state_root, out.prev_state_root);
            let last = chunks.last().unwrap().instance;
            proptest::prop_assert_eq!(last.next_state_root, out.next_state_root);
            proptest::prop_assert_eq!(last.next_data_hash, out.data_hash);
        }
    }
}
