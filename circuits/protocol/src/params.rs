//! Protocol constants, in one place (PROTOCOL §2–§3).
//!
//! Tests that need a small tree pass a smaller depth to [`crate::state::State::genesis`]
//! through the same code path; nothing else in the crate hard-codes a depth.

/// Number of perpetual markets, fixed at genesis (ids `0..MARKETS`).
pub const MARKETS: usize = 4;

/// Largest oracle committee of a market (PROTOCOL §3, §6.3): members are
/// indices `0..ORACLE_N`, unused entries hash as the point `(0, 0)`.
pub const ORACLE_N: usize = 4;

/// Depth of the sparse Merkle tree of accounts; account ids are `< 2^ACCOUNT_TREE_DEPTH`.
pub const ACCOUNT_TREE_DEPTH: usize = 24;

/// Rates are in basis points: `10_000` is 100 %.
pub const BPS_DENOMINATOR: u64 = 10_000;

/// Prices and funding indices are fixed point with this many fractional bits.
pub const FIXED_POINT_BITS: u32 = 32;

/// `2^FIXED_POINT_BITS`, the fixed-point unit.
pub const FIXED_POINT_ONE: i128 = 1 << FIXED_POINT_BITS;

/// Timestamps are seconds `< 2^TIMESTAMP_BITS`.
pub const TIMESTAMP_BITS: u32 = 40;

/// Field elements in the encoding of one transaction (PROTOCOL §6): a type tag and
/// up to nine fields, zero-padded. Signed messages and public data use it.
pub const TX_ENCODING_LEN: usize = 10;

/// Transaction slots per chunk proof at the production depth. Chosen with
/// [`CHUNK_K`] from the cost report (`cargo bench -p clearproof-circuits --bench
/// chunk`; the measured sweep is in `docs/CIRCUIT-DESIGN.md`): a slot takes
/// 7 157 rows of the chips' shared columns (v1: 4 400; v2 adds both sides'
/// order-slot leaves and paths, 1 404, two signature checks, 1 211, and two
/// oracle observation messages, 118), the chunk's own hashes 1 798, so 18
/// slots fill 99.7 % of the rows at `2^17` (and 2 halo2-base columns). Nine
/// slots no longer fit `2^16` once the oracle committee is proven (66 211
/// rows).
pub const CHUNK_SLOTS: usize = 18;

/// `log2` of the rows of a chunk circuit at the production depth: `2^17`, 18
/// slots (see [`CHUNK_SLOTS`]); a chunk proves in about 20 s on 2 cores in
/// under 1 GiB.
pub const CHUNK_K: usize = 17;
