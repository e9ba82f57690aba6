//! Merkle membership and update along one path (PROTOCOL §3, §7).
//!
//! The same siblings and index bits are used twice: hashing the old leaf must
//! give the running root (membership), hashing the new leaf gives the next root.
//! A path therefore cannot be swapped between the two computations.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};

use super::hash::CircuitHasher;
use super::{Cell, Ctx};
use crate::Fr;

/// The constrained little-endian bits of a leaf index (`depth` bits; the index is
/// thereby range-checked to `< 2^depth`).
pub(super) fn index_bits(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    index: Cell,
    depth: usize,
) -> Vec<Cell> {
    range.gate().num_to_bits(ctx, index, depth)
}

/// The root of `leaf` along `siblings` (bit `h` set: the node at height `h` is a right child).
pub(super) fn root_of(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    bits: &[Cell],
    siblings: &[Cell],
    leaf: Cell,
) -> Cell {
    assert_eq!(bits.len(), siblings.len(), "one sibling per level");
    let gate = range.gate();
    bits.iter().zip(siblings).fold(leaf, |node, (bit, sibling)| {
        let left = gate.select(ctx, *sibling, node, *bit);
        let right = gate.select(ctx, node, *sibling, *bit);
        hasher.hash(ctx, gate, &[left, right])
    })
}

/// Constrains `old_leaf` to be at the path's position under `old_root` and returns
/// the root with `new_leaf` in its place.
#[allow(clippy::too_many_arguments)]
#[cfg(test)]
pub(super) fn update(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    bits: &[Cell],
    siblings: &[Cell],
    old_leaf: Cell,
    new_leaf: Cell,
    old_root: Cell,
) -> Cell {
    let computed = root_of(ctx, range, hasher, bits, siblings, old_leaf);
    ctx.constrain_equal(&computed, &old_root);
    root_of(ctx, range, hasher, bits, siblings, new_leaf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::testing::{satisfied, satisfied_hashing};
    use clearproof_protocol::tree::SparseMerkleTree;

    const DEPTH: usize = 6;

    /// Runs an update of leaf 13 from 7 to 8 in a tree with a few leaves, with
    /// `tamper` applied to (siblings, old leaf, new root claim) before assignment.
    fn run(tamper: impl FnOnce(&mut Vec<Fr>, &mut Fr, &mut Fr)) -> bool {
        let mut tree = SparseMerkleTree::new(DEPTH);
        for (i, v) in [(1u64, 3u64), (13, 7), (40, 9), (12, 5)] {
            tree.update(i, Fr::from(v));
        }
        let old_root = tree.root();
        let path = tree.path(13);
        let mut siblings = path.siblings.clone();
        let mut old_leaf = Fr::from(7u64);
        tree.update(13, Fr::from(8u64));
        let mut new_root = tree.root();
        tamper(&mut siblings, &mut old_leaf, &mut new_root);
        satisfied_hashing(14, |ctx, range, hasher| {
            let index = ctx.load_witness(Fr::from(13u64));
            let bits = index_bits(ctx, range, index, DEPTH);
            let siblings = ctx.assign_witnesses(siblings);
            let old_leaf = ctx.load_witness(old_leaf);
            let new_leaf = ctx.load_witness(Fr::from(8u64));
            let old_root = ctx.load_witness(old_root);
            let next = update(ctx, range, hasher, &bits, &siblings, old_leaf, new_leaf, old_root);
            let claimed = ctx.load_witness(new_root);
            ctx.constrain_equal(&next, &claimed);
        })
    }

    #[test]
    fn update_matches_the_native_tree() {
        assert!(run(|_, _, _| {}));
    }

    #[test]
    fn wrong_sibling_is_rejected() {
        assert!(!run(|siblings, _, _| siblings[2] += Fr::one()));
    }

    #[test]
    fn wrong_old_leaf_is_rejected() {
        assert!(!run(|_, leaf, _| *leaf += Fr::one()));
    }

    #[test]
    fn new_root_not_matching_the_update_is_rejected() {
        assert!(!run(|_, _, root| *root += Fr::one()));
    }

    #[test]
    fn index_outside_the_tree_is_rejected() {
        assert!(!satisfied(12, |ctx, range| {
            let index = ctx.load_witness(Fr::from(1u64 << DEPTH));
            index_bits(ctx, range, index, DEPTH);
        }));
    }
}
