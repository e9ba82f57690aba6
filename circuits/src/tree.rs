//! Sparse binary Merkle tree of account leaves (PROTOCOL §3).
//!
//! Nodes are `H(left, right)`; an absent leaf is `0`, and the root of an empty
//! subtree of height `h` is precomputed (`empty[h]`), so the tree stores only the
//! nodes on paths to non-empty leaves. Depth is a runtime parameter: production
//! uses [`crate::params::ACCOUNT_TREE_DEPTH`], tests may use less through the same code.

use std::collections::HashMap;

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use serde::{Deserialize, Serialize};

use crate::poseidon::hash2;

/// Sibling hashes from the leaf level up to just below the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerklePath {
    /// `siblings[h]` is the sibling at height `h` (0 = the leaf's sibling).
    #[serde(with = "crate::serde_fr::vec")]
    pub siblings: Vec<Fr>,
}

impl MerklePath {
    /// The root obtained by hashing `leaf` at `index` up this path.
    pub fn root(&self, index: u64, leaf: Fr) -> Fr {
        self.siblings.iter().enumerate().fold(leaf, |node, (h, sibling)| {
            if (index >> h) & 1 == 0 {
                hash2(node, *sibling)
            } else {
                hash2(*sibling, node)
            }
        })
    }
}

/// Roots of empty subtrees: `empty[0] = 0`, `empty[h+1] = H(empty[h], empty[h])`.
pub fn empty_subtree_roots(depth: usize) -> Vec<Fr> {
    let mut empty = Vec::with_capacity(depth + 1);
    empty.push(Fr::ZERO);
    for h in 0..depth {
        empty.push(hash2(empty[h], empty[h]));
    }
    empty
}

/// The sparse Merkle tree.
#[derive(Debug, Clone)]
pub struct SparseMerkleTree {
    depth: usize,
    empty: Vec<Fr>,
    /// Non-empty nodes, keyed by (height, index at that height). Height 0 = leaves.
    nodes: HashMap<(u8, u64), Fr>,
}

impl SparseMerkleTree {
    /// An empty tree of the given depth (`1..=32`).
    pub fn new(depth: usize) -> Self {
        assert!((1..=32).contains(&depth), "tree depth must be 1..=32");
        Self { depth, empty: empty_subtree_roots(depth), nodes: HashMap::new() }
    }

    /// The depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaves the tree can hold.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    fn node(&self, height: usize, index: u64) -> Fr {
        self.nodes.get(&(height as u8, index)).copied().unwrap_or(self.empty[height])
    }

    /// The root.
    pub fn root(&self) -> Fr {
        self.node(self.depth, 0)
    }

    /// The leaf at `index` (0 if empty).
    pub fn leaf(&self, index: u64) -> Fr {
        self.node(0, index)
    }

    /// The membership path of `index`.
    pub fn path(&self, index: u64) -> MerklePath {
        assert!(index < self.capacity(), "leaf index outside the tree");
        let siblings = (0..self.depth).map(|h| self.node(h, (index >> h) ^ 1)).collect();
        MerklePath { siblings }
    }

    /// Sets the leaf at `index` and returns the new root.
    pub fn update(&mut self, index: u64, leaf: Fr) -> Fr {
        assert!(index < self.capacity(), "leaf index outside the tree");
        let mut node = leaf;
        for h in 0..=self.depth {
            let i = index >> h;
            if node == self.empty[h] {
                self.nodes.remove(&(h as u8, i));
            } else {
                self.nodes.insert((h as u8, i), node);
            }
            if h == self.depth {
                break;
            }
            let sibling = self.node(h, i ^ 1);
            node = if i & 1 == 0 { hash2(node, sibling) } else { hash2(sibling, node) };
        }
        node
    }

    /// The nodes on the path from leaf `index` up to the root, as
    /// `((height, index at that height), value)`, with `None` for an empty subtree.
    /// After updating a leaf these are exactly the nodes that changed: what a store
    /// must write to persist the update.
    pub fn path_nodes(&self, index: u64) -> Vec<((u8, u64), Option<Fr>)> {
        (0..=self.depth)
            .map(|h| {
                let key = (h as u8, index >> h);
                (key, self.nodes.get(&key).copied())
            })
            .collect()
    }

    /// Rebuilds a tree from stored non-empty nodes (as written from [`Self::path_nodes`]).
    pub fn from_nodes(depth: usize, nodes: impl IntoIterator<Item = ((u8, u64), Fr)>) -> Self {
        let mut tree = Self::new(depth);
        tree.nodes.extend(nodes);
        tree
    }

    /// Builds a tree from `(index, leaf)` pairs level by level, without reusing
    /// any incremental state: the reference the incremental tree is checked against.
    pub fn from_leaves(depth: usize, leaves: impl IntoIterator<Item = (u64, Fr)>) -> Self {
        let mut tree = Self::new(depth);
        let mut level: HashMap<u64, Fr> =
            leaves.into_iter().filter(|(_, leaf)| *leaf != Fr::ZERO).collect();
        for h in 0..=depth {
            let mut parents: HashMap<u64, Fr> = HashMap::new();
            for (&i, &node) in &level {
                tree.nodes.insert((h as u8, i), node);
                if h < depth {
                    parents.entry(i >> 1).or_insert_with(|| {
                        let left = level.get(&(i & !1)).copied().unwrap_or(tree.empty[h]);
                        let right = level.get(&(i | 1)).copied().unwrap_or(tree.empty[h]);
                        hash2(left, right)
                    });
                }
            }
            level = parents;
        }
        tree
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tree_root_is_the_precomputed_empty_root() {
        let t = SparseMerkleTree::new(24);
        assert_eq!(t.root(), empty_subtree_roots(24)[24]);
        assert_eq!(t.path(12345).root(12345, Fr::ZERO), t.root());
    }

    #[test]
    fn paths_prove_membership_before_and_after_updates() {
        let mut t = SparseMerkleTree::new(8);
        let mut expected = HashMap::new();
        for (i, idx) in [3u64, 200, 4, 5, 255, 0, 3].iter().enumerate() {
            let leaf = Fr::from(1000 + i as u64);
            let path = t.path(*idx);
            let old = t.leaf(*idx);
            assert_eq!(path.root(*idx, old), t.root(), "old membership");
            let root = t.update(*idx, leaf);
            assert_eq!(path.root(*idx, leaf), root, "same path gives the new root");
            expected.insert(*idx, leaf);
        }
        let rebuilt = SparseMerkleTree::from_leaves(8, expected.clone());
        assert_eq!(rebuilt.root(), t.root());
        for (idx, leaf) in expected {
            assert_eq!(t.path(idx).root(idx, leaf), t.root());
        }
    }

    #[test]
    fn clearing_a_leaf_restores_the_empty_root() {
        let mut t = SparseMerkleTree::new(16);
        let empty = t.root();
        t.update(77, Fr::from(5u64));
        assert_ne!(t.root(), empty);
        t.update(77, Fr::ZERO);
        assert_eq!(t.root(), empty);
        assert!(t.nodes.is_empty(), "no stale nodes kept");
    }

    #[test]
    fn path_nodes_are_enough_to_persist_and_reload_the_tree() {
        let mut t = SparseMerkleTree::new(12);
        let mut stored: HashMap<(u8, u64), Fr> = HashMap::new();
        for (i, idx) in [5u64, 4095, 6, 5].iter().enumerate() {
            t.update(*idx, if i == 3 { Fr::ZERO } else { Fr::from(i as u64 + 1) });
            for (key, value) in t.path_nodes(*idx) {
                match value {
                    Some(v) => stored.insert(key, v),
                    None => stored.remove(&key),
                };
            }
        }
        let reloaded = SparseMerkleTree::from_nodes(12, stored);
        assert_eq!(reloaded.root(), t.root());
        assert_eq!(reloaded.path(6), t.path(6));
    }

    #[test]
    fn wrong_sibling_gives_a_different_root() {
        let mut t = SparseMerkleTree::new(8);
        t.update(9, Fr::from(1u64));
        t.update(10, Fr::from(2u64));
        let mut path = t.path(9);
        path.siblings[3] += Fr::ONE;
        assert_ne!(path.root(9, Fr::from(1u64)), t.root());
    }
}
