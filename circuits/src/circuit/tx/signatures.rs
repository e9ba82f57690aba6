//! Every signature a slot's type needs (PROTOCOL §6.1), proven by the EdDSA
//! chip through [`CircuitHasher::verify_signature`](crate::circuit::hash::CircuitHasher::verify_signature):
//! two checks per slot,
//!
//! - side A: the buyer's order (`Trade`), or the owner's signature over the
//!   transaction's message `H(encoding)` (`Withdraw`), under the key in side A's
//!   leaf;
//! - side B: the seller's (`Trade`) or the liquidator's (`Liquidate`) order,
//!   under the key in side B's leaf;
//! - both sides of an oracle update and of its continuation: the committee's
//!   observations 0 and 1, then 2 and 3, under the member keys they name
//!   ([`super::oracle`]).
//!
//! An order's message `H(9, account, market, side, size, limit_price,
//! max_fee_bp, expiry, order_id)` is built from the fill's own cells (the side's
//! account, the slot's market, the side the fill's direction gives, the order id
//! in the encoding) and the terms [`super::order`] checked, so an order for
//! another account, market, side or id, or with other terms, signs another
//! message. A side with nothing to sign checks a signature of the public
//! padding key ([`padding_key`]) on the message it computes: every slot lays out
//! the same rows, and the padding key can sign nothing a type needs, since the
//! key of an active side is the one in its leaf.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};

use super::oracle::OracleSide;
use super::order::OrderCheck;
use super::Slot;
use crate::circuit::eddsa_chip::SignatureWitness;
use crate::circuit::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::signature::{PublicKey, SecretKey, Signature};
use clearproof_protocol::tags;
use clearproof_protocol::tx::{Authority, TxKind};

/// The key a slot side with nothing to sign checks a signature of. Its secret
/// is public on purpose (`[0x5a; 32]`).
pub(crate) fn padding_key() -> &'static SecretKey {
    static KEY: std::sync::OnceLock<SecretKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| SecretKey::from_bytes([0x5a; 32]).expect("a valid seed"))
}

/// The signature side `side` of the slot presents, if its type needs one and
/// the witness carries it.
fn presented(s: &Slot<'_>, side: usize) -> Option<Signature> {
    let kind = s.witness.tx.as_ref()?.kind();
    match (&s.witness.auth, kind, side) {
        (Authority::Owner { signature }, TxKind::Withdraw, 0) => Some(*signature),
        (Authority::Orders { orders }, TxKind::Trade, _) => orders.get(side).map(|o| o.signature),
        (Authority::Orders { orders }, TxKind::Liquidate, 1) => orders.first().map(|o| o.signature),
        _ => None,
    }
}

/// The chip's witness for side `side`: the presented signature under the key in
/// the leaf when the side must sign, a padding signature otherwise. A missing
/// or unusable signature gets the padding key's, which does not verify under
/// the leaf's key: the proof fails, as it must.
fn witness(s: &Slot<'_>, side: usize, active: bool, key: [Fr; 2], msg: Fr) -> SignatureWitness {
    let padding = padding_key();
    if !active {
        return SignatureWitness::new(&padding.public_key(), msg, &padding.sign(msg));
    }
    let signature = presented(s, side).unwrap_or_else(|| padding.sign(msg));
    presented_witness(key, msg, &signature)
}

/// The chip's witness for `signature` on `msg` under the key `key` (a padding
/// key's witness with `key` put in when `key` is no usable key: the proof then
/// fails, as it must).
fn presented_witness(key: [Fr; 2], msg: Fr, signature: &Signature) -> SignatureWitness {
    match PublicKey::from_xy(key[0], key[1]) {
        Ok(pk) => SignatureWitness::new(&pk, msg, signature),
        Err(_) => {
            let mut w = SignatureWitness::new(&padding_key().public_key(), msg, signature);
            w.a = key;
            w
        }
    }
}

/// Lays out both sides' signature checks (see the module documentation).
pub(crate) fn constrain(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    s: &Slot<'_>,
    orders: &[OrderCheck; 2],
    oracle: &[OracleSide; 2],
) {
    let gate = range.gate();
    let withdraw = s.is(TxKind::Withdraw);
    let tx_message = s.hasher.hash(ctx, gate, &s.enc);
    let tag = ctx.load_constant(Fr::from(tags::ORDER));
    let padding: [Cell; 2] = padding_key().public_key().to_fields().map(|v| ctx.load_constant(v));
    for (side, order) in orders.iter().enumerate() {
        let [size, limit, max_fee, expiry, order_id] = order.terms;
        let order_message = s.hasher.hash(
            ctx,
            gate,
            &[
                tag,
                s.account_index[side],
                s.market_id,
                order.sell,
                size,
                limit,
                max_fee,
                expiry,
                order_id,
            ],
        );
        // Side A signs a withdrawal's message; the types are a one-hot, so a
        // withdrawal is never also an order fill.
        let (active, message) = if side == 0 {
            let active = gate.add(ctx, order.active, withdraw);
            (active, gate.select(ctx, tx_message, order_message, withdraw))
        } else {
            (order.active, order_message)
        };
        let account = if side == 0 { &s.a } else { &s.b };
        // An oracle observation's side: its member key and message (the types
        // are a one-hot and a continuation is a no-op, so it is never also an
        // order or a withdrawal).
        let o = &oracle[side];
        let owner = [
            gate.select(ctx, o.key[0], account.owner_x, o.active),
            gate.select(ctx, o.key[1], account.owner_y, o.active),
        ];
        let message = gate.select(ctx, o.message, message, o.active);
        let active = gate.add(ctx, active, o.active);
        let key = [
            gate.select(ctx, owner[0], padding[0], active),
            gate.select(ctx, owner[1], padding[1], active),
        ];
        let is_active = *active.value() == Fr::one();
        let key_values = [*key[0].value(), *key[1].value()];
        let w = if *o.active.value() == Fr::one() {
            let padding = padding_key();
            let signature = o.signature.unwrap_or_else(|| padding.sign(*message.value()));
            presented_witness(key_values, *message.value(), &signature)
        } else {
            witness(s, side, is_active, key_values, *message.value())
        };
        s.hasher.verify_signature(ctx, gate, key, message, &w);
    }
}
