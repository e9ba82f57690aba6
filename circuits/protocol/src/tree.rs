//! Sparse binary Merkle tree of account leaves (PROTOCOL §3).
//!
//! Nodes are `H(left, right)`; an absent leaf is `0`, and the root of an empty
//! subtree of height `h` is precomputed (`empty[h]`), so the tree stores only the
//! nodes on paths to non-empty leaves. Depth is a runtime parameter: production
//! uses [`crate::params::ACCOUNT_TREE_DEPTH`], tests may use less through the same code.
//!
//! Leaves can be written without hashing ([`SparseMerkleTree::set`]) and the
//! tree brought up to date once ([`SparseMerkleTree::sync`]): every node above
//! the written leaves is hashed once, level by level, and a level's nodes in
//! parallel. The root and paths are only readable when the tree is in sync.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

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
    /// Leaves written since the last [`SparseMerkleTree::sync`], by index.
    pending: BTreeMap<u64, Fr>,
}

/// A level with at least this many nodes to hash is hashed in parallel.
const PARALLEL_NODES: usize = 16;

impl SparseMerkleTree {
    /// An empty tree of the given depth (`1..=32`).
    pub fn new(depth: usize) -> Self {
        assert!((1..=32).contains(&depth), "tree depth must be 1..=32");
        Self {
            depth,
            empty: empty_subtree_roots(depth),
            nodes: HashMap::new(),
            pending: BTreeMap::new(),
        }
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

    /// True when no written leaf waits for [`SparseMerkleTree::sync`].
    pub fn is_synced(&self) -> bool {
        self.pending.is_empty()
    }

    fn assert_synced(&self) {
        assert!(self.is_synced(), "the tree has leaves written since its last sync");
    }

    /// The root (the tree must be in sync).
    pub fn root(&self) -> Fr {
        self.assert_synced();
        self.node(self.depth, 0)
    }

    /// The leaf at `index` (0 if empty), including one written since the last sync.
    pub fn leaf(&self, index: u64) -> Fr {
        self.pending.get(&index).copied().unwrap_or_else(|| self.node(0, index))
    }

    /// The membership path of `index` (the tree must be in sync).
    pub fn path(&self, index: u64) -> MerklePath {
        assert!(index < self.capacity(), "leaf index outside the tree");
        self.assert_synced();
        let siblings = (0..self.depth).map(|h| self.node(h, (index >> h) ^ 1)).collect();
        MerklePath { siblings }
    }

    /// Sets the leaf at `index` and returns the new root.
    pub fn update(&mut self, index: u64, leaf: Fr) -> Fr {
        self.set(index, leaf);
        self.sync();
        self.root()
    }

    /// Writes the leaf at `index` without hashing anything: the root and paths
    /// are unreadable until [`SparseMerkleTree::sync`].
    pub fn set(&mut self, index: u64, leaf: Fr) {
        assert!(index < self.capacity(), "leaf index outside the tree");
        self.pending.insert(index, leaf);
    }

    /// Hashes the leaves written since the last sync into the tree: each node
    /// above them once, level by level (a level's nodes in parallel when there
    /// are many). Returns how many nodes it hashed.
    pub fn sync(&mut self) -> usize {
        let mut level: Vec<(u64, Fr)> = std::mem::take(&mut self.pending).into_iter().collect();
        let mut hashed = 0;
        for h in 0..=self.depth {
            if level.is_empty() {
                break;
            }
            for &(i, node) in &level {
                if node == self.empty[h] {
                    self.nodes.remove(&(h as u8, i));
                } else {
                    self.nodes.insert((h as u8, i), node);
                }
            }
            if h == self.depth {
                break;
            }
            // Pair each written node with its sibling (written too, or stored).
            let mut pairs = Vec::with_capacity(level.len());
            let mut k = 0;
            while k < level.len() {
                let (i, node) = level[k];
                let pair = if i & 1 == 1 {
                    (self.node(h, i ^ 1), node)
                } else if level.get(k + 1).is_some_and(|(j, _)| *j == i | 1) {
                    k += 1;
                    (node, level[k].1)
                } else {
                    (node, self.node(h, i | 1))
                };
                pairs.push((i >> 1, pair));
                k += 1;
            }
            hashed += pairs.len();
            level = if pairs.len() >= PARALLEL_NODES {
                pairs.par_iter().map(|&(p, (l, r))| (p, hash2(l, r))).collect()
            } else {
                pairs.iter().map(|&(p, (l, r))| (p, hash2(l, r))).collect()
            };
        }
        hashed
    }

    /// The nodes on the path from leaf `index` up to the root, as
    /// `((height, index at that height), value)`, with `None` for an empty subtree.
    /// After updating a leaf these are exactly the nodes that changed: what a store
    /// must write to persist the update.
    pub fn path_nodes(&self, index: u64) -> Vec<((u8, u64), Option<Fr>)> {
        self.assert_synced();
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
    fn one_sync_of_many_writes_equals_one_update_at_a_time() {
        let mut eager = SparseMerkleTree::new(10);
        let mut lazy = SparseMerkleTree::new(10);
        let writes = [(3u64, 5u64), (4, 6), (1023, 7), (3, 8), (512, 0), (9, 1), (4, 0)];
        for (round, chunk) in writes.chunks(3).enumerate() {
            for &(i, v) in chunk {
                eager.update(i, Fr::from(v));
                lazy.set(i, Fr::from(v));
            }
            assert!(!lazy.is_synced());
            assert_eq!(lazy.leaf(chunk[0].0), eager.leaf(chunk[0].0), "a written leaf reads back");
            let hashed = lazy.sync();
            assert!(hashed <= chunk.len() * 10, "round {round}: each node hashed at most once");
            assert_eq!(lazy.root(), eager.root(), "round {round}");
            assert_eq!(lazy.nodes, eager.nodes, "round {round}: the same stored nodes");
        }
        // Many leaves: the parallel levels give the same tree.
        let leaves: Vec<(u64, Fr)> = (0..300u64).map(|i| (i * 3 % 1024, Fr::from(i + 1))).collect();
        for &(i, v) in &leaves {
            eager.update(i, v);
            lazy.set(i, v);
        }
        lazy.sync();
        assert_eq!(lazy.root(), eager.root());
        assert_eq!(lazy.path(7), eager.path(7));
    }

    #[test]
    #[should_panic(expected = "written since its last sync")]
    fn an_unsynced_root_is_refused() {
        let mut t = SparseMerkleTree::new(4);
        t.set(1, Fr::from(2u64));
        let _ = t.root();
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
