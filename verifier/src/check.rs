//! Checking a batch's chunk proofs against the root it claims to extend
//! (PROTOCOL §7): the chunks chain from `prev_state_root`, the data hash matches
//! the posted transactions, and every proof verifies — all proofs in one
//! batched KZG check.

use clearproof_circuits::circuit::{chunk_ranges, slots_taken, Instance, Proof, ProofError};
use clearproof_protocol::batch::{data_hash, BatchHeader};
use clearproof_protocol::serde_fr::to_hex;
use clearproof_protocol::tx::Transaction;
use clearproof_protocol::Fr;

use crate::key::VerifierKey;
use crate::Rejection;
use clearproof_api::artifact::{ChunkProof, FORMAT, VERSION};

/// What a valid batch proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The batch's roots and data hash, as its proofs bind them, and the number
    /// its artifacts claim (metadata: the proofs bind roots and data, not this
    /// label; the ledger checks it against its own count).
    pub header: BatchHeader,
    /// Number of chunk proofs.
    pub chunks: usize,
    /// Total proof bytes.
    pub proof_bytes: usize,
}

/// Checks a batch: `proofs` in chunk order, `data` the posted transactions,
/// `prev_state_root` the root the batch must extend. Checks the cheap things
/// first (format, key, chunk order and count, roots, chain, data hash), then all
/// proofs in one batched pairing check; if that fails, each proof alone to name
/// the bad chunk.
pub fn verify_batch(
    key: &VerifierKey,
    prev_state_root: Fr,
    data: &[Transaction],
    proofs: &[ChunkProof],
) -> Result<Verified, Rejection> {
    let circuit = key.manifest.circuit;
    let kinds: Vec<_> = data.iter().map(Transaction::kind).collect();
    // A circuit of one slot cannot hold an oracle update and its continuation.
    if circuit.slots < 2 && kinds.iter().any(|k| slots_taken(*k) > 1) {
        return Err(Rejection::WrongChunkCount { expected: 0, got: proofs.len() });
    }
    let expected_chunks = chunk_ranges(&kinds, circuit.slots).len();
    if proofs.len() != expected_chunks {
        return Err(Rejection::WrongChunkCount { expected: expected_chunks, got: proofs.len() });
    }
    let first = &proofs[0];
    for (i, p) in proofs.iter().enumerate() {
        if p.format != FORMAT {
            return Err(Rejection::UnknownFormat(p.format.clone()));
        }
        if p.version != VERSION {
            return Err(Rejection::UnknownVersion(p.version));
        }
        if p.circuit != circuit {
            return Err(Rejection::WrongCircuit {
                chunk: i,
                expected: circuit.id(),
                got: p.circuit.id(),
            });
        }
        if p.vk_digest != key.digest() {
            return Err(Rejection::WrongVerifyingKey { chunk: i });
        }
        if p.chunk != i || p.chunks != proofs.len() || p.batch != first.batch {
            return Err(Rejection::ChunkOutOfPlace { position: i, chunk: p.chunk });
        }
        if p.proof.len() != key.vk.proof_len() {
            return Err(Rejection::ProofLength {
                chunk: i,
                expected: key.vk.proof_len(),
                got: p.proof.len(),
            });
        }
    }
    let start = &first.public_inputs;
    if start.prev_state_root != prev_state_root {
        return Err(Rejection::WrongPrevRoot {
            expected: to_hex(&prev_state_root),
            got: to_hex(&start.prev_state_root),
        });
    }
    // The data-hash chain starts at the batch's previous root; that is also what
    // makes the first chunk increment the batch number.
    if start.prev_data_hash != prev_state_root {
        return Err(Rejection::BrokenChain { chunk: 0 });
    }
    for (i, pair) in proofs.windows(2).enumerate() {
        let (a, b) = (&pair[0].public_inputs, &pair[1].public_inputs);
        if b.prev_state_root != a.next_state_root || b.prev_data_hash != a.next_data_hash {
            return Err(Rejection::BrokenChain { chunk: i + 1 });
        }
    }
    let last = &proofs[proofs.len() - 1].public_inputs;
    let posted = data_hash(prev_state_root, data);
    if last.next_data_hash != posted {
        return Err(Rejection::DataHashMismatch {
            posted: to_hex(&posted),
            proven: to_hex(&last.next_data_hash),
        });
    }
    if !key.vk.verify_all(&key.srs, proofs.iter().map(|p| (&p.proof, &p.public_inputs))) {
        for (i, p) in proofs.iter().enumerate() {
            verify_one(key, &p.proof, &p.public_inputs)
                .map_err(|e| Rejection::from_proof_error(i, e))?;
        }
        // Each proof passes alone but not together: impossible unless the
        // accumulator's randomness was unlucky; refuse rather than guess.
        return Err(Rejection::BadProof { chunk: 0 });
    }
    Ok(Verified {
        header: BatchHeader {
            number: first.batch,
            prev_state_root,
            next_state_root: last.next_state_root,
            data_hash: posted,
        },
        chunks: proofs.len(),
        proof_bytes: proofs.iter().map(|p| p.proof.len()).sum(),
    })
}

/// One proof alone.
pub fn verify_one(key: &VerifierKey, proof: &Proof, instance: &Instance) -> Result<(), ProofError> {
    key.vk.verify(&key.srs, proof, instance)
}
