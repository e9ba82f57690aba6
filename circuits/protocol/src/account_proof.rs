//! An account's receipt (PROTOCOL §7, escape hatch): its leaf, its Merkle path
//! and the markets and globals preimages, against a state root. Anyone holding
//! the root the base layer accepted can check one offline
//! ([`AccountProof::check`]) and see, without trusting the operator, what the
//! rollup holds for the account ([`AccountProof::escape_value`]); the base layer
//! pays exactly that on an escape.

use ethnum::I256;
use serde::{Deserialize, Serialize};

use crate::funding;
use crate::margin::total_value;
use crate::params::{ACCOUNT_TREE_DEPTH, FIXED_POINT_BITS, MARKETS};
use crate::state::{globals_hash, markets_hash, state_root, Account, Globals, Market, State};
use crate::tree::MerklePath;
use crate::types::{AccountId, RangeError};
use crate::Fr;

/// An account's leaf and path with the preimages that make up a state root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountProof {
    /// The account (its leaf index).
    pub account: AccountId,
    /// Its value: the leaf's preimage.
    pub value: Account,
    /// Its Merkle path in the account tree.
    pub path: MerklePath,
    /// The markets (`markets_hash` preimage).
    pub markets: [Market; MARKETS],
    /// The globals (`globals_hash` preimage).
    pub globals: Globals,
    /// The state root it proves membership under.
    #[serde(with = "crate::serde_fr")]
    pub state_root: Fr,
}

/// Why an account proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountProofError {
    /// The path is for another tree depth (or deeper than the protocol's tree).
    #[error("the path has {got} siblings, the account tree has depth {expected} (at most 24)")]
    WrongDepth {
        /// The tree's depth.
        expected: usize,
        /// Siblings given.
        got: usize,
    },
    /// The account id does not fit the tree.
    #[error("account {0} is outside the account tree")]
    OutsideTree(AccountId),
    /// Leaf, path and preimages do not hash to the claimed root.
    #[error("the leaf, path, markets and globals do not hash to the state root")]
    RootMismatch,
    /// Funding settlement leaves its range (cannot happen for a state the rules built).
    #[error("funding settlement: {0}")]
    Range(#[from] RangeError),
}

impl AccountProof {
    /// The proof of account `id` in `state` (`None` for an empty leaf).
    pub fn of(state: &State, id: AccountId) -> Option<Self> {
        let value = *state.account(id)?;
        Some(Self {
            account: id,
            value,
            path: state.tree().path(id.index()),
            markets: *state.markets(),
            globals: *state.globals(),
            state_root: state.root(),
        })
    }

    /// Checks the proof for a tree of `depth`: the leaf up its path, with the
    /// markets and globals hashes, gives [`AccountProof::state_root`].
    pub fn check(&self, depth: usize) -> Result<(), AccountProofError> {
        if self.path.siblings.len() != depth || depth > ACCOUNT_TREE_DEPTH {
            return Err(AccountProofError::WrongDepth {
                expected: depth,
                got: self.path.siblings.len(),
            });
        }
        if self.account.index() >= 1u64 << depth {
            return Err(AccountProofError::OutsideTree(self.account));
        }
        let accounts_root = self.path.root(self.account.index(), self.value.leaf());
        let root =
            state_root(accounts_root, markets_hash(&self.markets), globals_hash(&self.globals));
        if root != self.state_root {
            return Err(AccountProofError::RootMismatch);
        }
        Ok(())
    }

    /// The account with funding settled at the proof's indices (PROTOCOL §5).
    pub fn settled(&self) -> Result<Account, AccountProofError> {
        Ok(funding::settle(&self.value, &self.markets)?)
    }

    /// `TV` after funding settlement, in fixed point.
    pub fn total_value(&self) -> Result<I256, AccountProofError> {
        Ok(total_value(&self.settled()?, &self.markets))
    }

    /// What an escape pays (PROTOCOL §7): `max(0, ⌊TV / 2^32⌋)` quote
    /// micro-units, after funding settlement.
    pub fn escape_value(&self) -> Result<u64, AccountProofError> {
        let tv = self.total_value()?;
        if tv <= 0 {
            return Ok(0);
        }
        let units = tv >> FIXED_POINT_BITS;
        Ok(u64::try_from(units.as_u128()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::Committee;
    use crate::signature::SecretKey;
    use crate::state::{Genesis, MarketParams, MarketState};
    use crate::types::{FundingRate, Price, Quote, Timestamp};

    fn proof() -> AccountProof {
        let oracle = SecretKey::from_bytes([5; 32]).unwrap().public_key();
        let params =
            MarketParams::standard(Committee::single(oracle), FundingRate::new(1).unwrap());
        let market = Market {
            params,
            state: MarketState::at(Price::from_units(100), Timestamp::new(1).unwrap()),
        };
        let genesis =
            Genesis { markets: [market; MARKETS], insurance_fund: Quote::new(0).unwrap() };
        let mut state = State::genesis_with_depth(&genesis, 8).unwrap();
        let owner = SecretKey::from_bytes([1; 32]).unwrap().public_key();
        let deposit = crate::tx::Deposit {
            account: AccountId::new(3).unwrap(),
            owner,
            amount: crate::types::Amount::new(700).unwrap(),
        };
        state.apply(&crate::tx::Transaction::Deposit(deposit).into()).unwrap();
        AccountProof::of(&state, AccountId::new(3).unwrap()).unwrap()
    }

    #[test]
    fn a_receipt_checks_and_values_the_account() {
        let p = proof();
        p.check(8).unwrap();
        assert_eq!(p.escape_value().unwrap(), 700);
        let mut other = p.clone();
        other.value.collateral = other.value.collateral.checked_add(1).unwrap();
        assert_eq!(other.check(8), Err(AccountProofError::RootMismatch));
    }

    #[test]
    fn a_path_of_the_wrong_or_an_absurd_length_is_refused_not_a_panic() {
        let p = proof();
        assert!(matches!(p.check(9), Err(AccountProofError::WrongDepth { .. })));
        let mut long = p.clone();
        long.path.siblings = vec![Fr::zero(); 70];
        assert!(matches!(long.check(70), Err(AccountProofError::WrongDepth { .. })));
    }
}
