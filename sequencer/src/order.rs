//! Signed orders: what a user signs to authorise trades and liquidations. The
//! types and their rules are the protocol's (`clearproof_circuits::orders`,
//! PROTOCOL §6.2); they are re-exported here for the wire types and clients.

pub use clearproof_circuits::orders::{Order, OrderId, Side, SignedOrder, ORDER_TAG};
