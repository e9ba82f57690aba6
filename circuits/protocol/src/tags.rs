//! Every domain tag of the protocol, in one table (`docs/PROTOCOL-ENCODING.md`).
//!
//! A tag is the first element of what is hashed: a transaction's encoding
//! (`[tag, fields…]`) or a signed message (`H(tag, …)`). Two kinds of message
//! never share a tag, so a signature or an encoding of one kind is never read
//! as another; the transaction registry checks this when it compiles
//! (`tx/registry.rs`).

/// A no-op slot (chunk padding); no transaction has it.
pub const NOOP: u64 = 0;

/// `Deposit` (PROTOCOL §6).
pub const DEPOSIT: u64 = 1;
/// `Withdraw`.
pub const WITHDRAW: u64 = 2;
/// `Trade`.
pub const TRADE: u64 = 3;
/// `Liquidate`.
pub const LIQUIDATE: u64 = 4;
/// `CoverDeficit`.
pub const COVER_DEFICIT: u64 = 5;
/// `Deleverage`.
pub const DELEVERAGE: u64 = 6;
/// `PriceUpdate`.
pub const PRICE_UPDATE: u64 = 7;
/// `FundingTick`.
pub const FUNDING_TICK: u64 = 8;
/// `ForcedWithdraw` (§6.4).
pub const FORCED_WITHDRAW: u64 = 12;

/// A signed order's message, `H(ORDER, …)` (§6.2).
pub const ORDER: u64 = 9;
/// An oracle price observation's message, `H(PRICE_OBSERVATION, market,
/// price, timestamp)` (§6.3).
pub const PRICE_OBSERVATION: u64 = 10;
/// An oracle funding observation's message, `H(FUNDING_OBSERVATION, market,
/// index, timestamp)` (§6.3).
pub const FUNDING_OBSERVATION: u64 = 11;
/// A forced-withdrawal request's message on the base layer (§6.4).
pub const FORCED_REQUEST: u64 = 13;

/// The tags of signed messages and the no-op: no transaction type may use one.
pub const RESERVED: &[u64] = &[NOOP, ORDER, PRICE_OBSERVATION, FUNDING_OBSERVATION, FORCED_REQUEST];
