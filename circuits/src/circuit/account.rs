//! Account cells and the leaf hash (layout: `docs/PROTOCOL-ENCODING.md`).

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};

use super::hash::CircuitHasher;
use super::num::{check_bits, check_signed63};
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::params::MARKETS;
use clearproof_protocol::state::{Account, LEAF_FIELDS};

/// An account's fields as range-checked cells, with an `exists` bit: an empty
/// leaf has every field constrained to zero and leaf value `0`.
#[derive(Debug, Clone)]
pub(super) struct AssignedAccount {
    /// 1 if the account exists.
    pub exists: Cell,
    /// Owner key x.
    pub owner_x: Cell,
    /// Owner key y.
    pub owner_y: Cell,
    /// Nonce (< 2^40).
    pub nonce: Cell,
    /// Collateral (|x| < 2^63).
    pub collateral: Cell,
    /// Positions (|x| < 2^63).
    pub balances: [Cell; MARKETS],
    /// Funding snapshots (|x| < 2^63).
    pub snapshots: [Cell; MARKETS],
    /// Root of the account's order slots (a hash: any field element).
    pub orders_root: Cell,
}

impl AssignedAccount {
    /// Field by field: `if bit { self } else { other }`.
    pub(super) fn select(
        &self,
        ctx: &mut Ctx,
        gate: &impl GateInstructions<Fr>,
        other: &AssignedAccount,
        bit: Cell,
    ) -> AssignedAccount {
        let mut pick = |x: Cell, y: Cell| gate.select(ctx, x, y, bit);
        AssignedAccount {
            exists: pick(self.exists, other.exists),
            owner_x: pick(self.owner_x, other.owner_x),
            owner_y: pick(self.owner_y, other.owner_y),
            nonce: pick(self.nonce, other.nonce),
            collateral: pick(self.collateral, other.collateral),
            balances: std::array::from_fn(|m| pick(self.balances[m], other.balances[m])),
            snapshots: std::array::from_fn(|m| pick(self.snapshots[m], other.snapshots[m])),
            orders_root: pick(self.orders_root, other.orders_root),
        }
    }

    /// Loads an account (or an empty leaf) as witnesses and constrains every field.
    pub(super) fn load(ctx: &mut Ctx, range: &RangeChip<Fr>, account: Option<&Account>) -> Self {
        let fields = account.map_or([Fr::zero(); LEAF_FIELDS], Account::fields);
        let exists = ctx.load_witness(Fr::from(u64::from(account.is_some())));
        range.gate().assert_bit(ctx, exists);
        let cells = ctx.assign_witnesses(fields);
        let acc = Self {
            exists,
            owner_x: cells[0],
            owner_y: cells[1],
            nonce: cells[2],
            collateral: cells[3],
            balances: std::array::from_fn(|m| cells[4 + m]),
            snapshots: std::array::from_fn(|m| cells[4 + MARKETS + m]),
            orders_root: cells[4 + 2 * MARKETS],
        };
        acc.constrain(ctx, range);
        acc
    }

    /// Range checks on every numeric field, and all-zero fields when empty.
    pub(super) fn constrain(&self, ctx: &mut Ctx, range: &RangeChip<Fr>) {
        check_bits(ctx, range, self.nonce, 40);
        for x in [self.collateral].iter().chain(&self.balances).chain(&self.snapshots) {
            check_signed63(ctx, range, *x);
        }
        let gate = range.gate();
        let absent = gate.not(ctx, self.exists);
        for field in self.fields() {
            // "an empty leaf has no fields": absent · field = 0
            let masked = gate.mul(ctx, absent, field);
            gate.assert_is_const(ctx, &masked, &Fr::zero());
        }
    }

    /// The [`LEAF_FIELDS`] fields in leaf order.
    pub(super) fn fields(&self) -> Vec<Cell> {
        let mut f = vec![self.owner_x, self.owner_y, self.nonce, self.collateral];
        f.extend(self.balances);
        f.extend(self.snapshots);
        f.push(self.orders_root);
        f
    }

    /// The leaf: `H(fields)` if the account exists, else `0`.
    pub(super) fn leaf(
        &self,
        ctx: &mut Ctx,
        range: &RangeChip<Fr>,
        hasher: &CircuitHasher,
    ) -> Cell {
        let gate = range.gate();
        let hash = hasher.hash(ctx, gate, &self.fields());
        gate.mul(ctx, hash, self.exists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::testing::{satisfied, satisfied_hashing};
    use clearproof_protocol::signature::SecretKey;
    use clearproof_protocol::types::{Balance, Collateral};

    fn account() -> Account {
        let mut a = Account::new(SecretKey::from_bytes([3; 32]).unwrap().public_key());
        a.collateral = Collateral::new(-12_345).unwrap();
        a.balances[2] = Balance::new(77).unwrap();
        a
    }

    fn leaf_ok(account: Option<Account>, claimed: Fr) -> bool {
        satisfied_hashing(13, |ctx, range, hasher| {
            let a = AssignedAccount::load(ctx, range, account.as_ref());
            let leaf = a.leaf(ctx, range, hasher);
            let expected = ctx.load_witness(claimed);
            ctx.constrain_equal(&leaf, &expected);
        })
    }

    #[test]
    fn leaf_matches_the_native_leaf() {
        let a = account();
        assert!(leaf_ok(Some(a), a.leaf()));
        assert!(leaf_ok(None, Fr::zero()));
    }

    #[test]
    fn wrong_leaf_field_is_rejected() {
        let a = account();
        let mut b = a;
        b.collateral = Collateral::new(-12_344).unwrap();
        assert!(!leaf_ok(Some(b), a.leaf()));
    }

    #[test]
    fn an_empty_leaf_cannot_carry_fields() {
        assert!(!satisfied(13, |ctx, range| {
            let a = AssignedAccount::load(ctx, range, Some(&account()));
            // Claim the account does not exist while keeping its fields.
            let zero = ctx.load_zero();
            let forged = AssignedAccount { exists: zero, ..a };
            forged.constrain(ctx, range);
        }));
    }
}
