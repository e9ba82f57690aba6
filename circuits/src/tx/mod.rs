//! The transactions of PROTOCOL §6, one file each: the transaction type, its
//! error variants (each with a stable code), its declaration ([`TxSpec`]: tag,
//! name, fields, accounts, market, codes) and its rule, [`Rule::apply`], which
//! checks every precondition against a read-only [`State`] and returns the
//! complete [`Effect`]. Only [`crate::batch`] writes an effect to the state, so a
//! transaction applies in full or not at all.
//!
//! The list below is the registry: [`Transaction`], [`TxError`] and [`TxKind`]
//! are generated from it. A new type is a file here, one line in the list, its
//! gadget in `circuit/tx/` (the circuit refuses to compile without one), and the
//! wire, CLI, docs and tests listed in `docs/NEW-TRANSACTION.md`.

use ethnum::I256;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use serde::{Deserialize, Serialize};

use crate::funding;
use crate::params::{BPS_DENOMINATOR, FIXED_POINT_BITS, MARKETS, TX_ENCODING_LEN};
use crate::poseidon;
use crate::signature::PublicKey;
use crate::state::{Account, Globals, MarketState, State};
use crate::types::{AccountId, Amount, Balance, Bps, MarketId, Price, RangeError};

pub mod cover_deficit;
pub mod deleverage;
pub mod deposit;
pub mod funding_tick;
pub mod liquidate;
pub mod price_update;
mod registry;
pub mod trade;
pub mod withdraw;

pub(crate) use registry::error_codes;
use registry::transactions;
pub use registry::{Rule, TxSpec, NOOP_TAG, ORDER_TAG};

transactions! {
    /// Base-layer deposit.
    Deposit(deposit::DepositError),
    /// Owner-signed withdrawal.
    Withdraw(withdraw::WithdrawError),
    /// A fill between two signed orders.
    Trade(trade::TradeError),
    /// Liquidation of an account below maintenance margin.
    Liquidate(liquidate::LiquidateError),
    /// Insurance fund covers a flat account's negative collateral.
    CoverDeficit(cover_deficit::CoverDeficitError),
    /// Auto-deleverage of a bankrupt account against a counterparty.
    Deleverage(deleverage::DeleverageError),
    /// Oracle price.
    PriceUpdate(price_update::PriceUpdateError),
    /// Oracle funding index.
    FundingTick(funding_tick::FundingTickError),
}

/// Errors every transaction can raise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommonError {
    /// The transaction names an account that has never received a deposit.
    #[error("account {0} does not exist")]
    UnknownAccount(AccountId),
    /// The account id does not fit the state's tree.
    #[error("account {0} is outside the account tree")]
    AccountOutsideTree(AccountId),
    /// A two-account transaction names the same account twice.
    #[error("the two accounts must differ")]
    SameAccount,
    /// A resulting value (collateral, position, fund, nonce) would leave its range.
    #[error("result out of range: {0}")]
    ResultOutOfRange(#[from] RangeError),
}

error_codes!(CommonError {
    UnknownAccount => "UNKNOWN_ACCOUNT",
    AccountOutsideTree => "ACCOUNT_OUTSIDE_TREE",
    SameAccount => "SAME_ACCOUNT",
    ResultOutOfRange => "RESULT_OUT_OF_RANGE",
});

/// Everything a valid transaction changes. Written by [`crate::batch`] in order:
/// accounts (in the listed order, each with its own Merkle update), then the
/// market state, then the globals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Effect {
    /// New values of the touched accounts, in update order.
    pub accounts: Vec<(AccountId, Account)>,
    /// New state of one market.
    pub market: Option<(MarketId, MarketState)>,
    /// New globals.
    pub globals: Option<Globals>,
    /// A withdrawal released to the base layer once the batch is accepted.
    pub withdrawal: Option<Withdrawal>,
}

/// A withdrawal for the base layer to pay out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// The account debited.
    pub account: AccountId,
    /// Its owner, who receives the funds.
    pub owner: PublicKey,
    /// Quote micro-units.
    pub amount: Amount,
}

impl TxKind {
    /// The JSON `type`, e.g. `"cover_deficit"`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The encoding's tag.
    pub fn tag(self) -> u64 {
        self.spec().tag
    }
}

impl std::fmt::Display for TxKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Transaction {
    /// The field encoding `[tag, fields…]`, zero-padded to [`TX_ENCODING_LEN`]
    /// (layout per type in `docs/PROTOCOL-ENCODING.md`).
    pub fn encode(&self) -> [Fr; TX_ENCODING_LEN] {
        let spec = self.kind().spec();
        let fields = self.field_values();
        assert_eq!(fields.len(), spec.fields.len(), "{} encodes its declared fields", spec.name);
        let mut out = [Fr::ZERO; TX_ENCODING_LEN];
        out[0] = Fr::from(spec.tag);
        out[1..=fields.len()].copy_from_slice(&fields);
        out
    }

    /// The message a signature over this transaction signs: `H(encode())`.
    pub fn message(&self) -> Fr {
        poseidon::hash(&self.encode())
    }

    /// The type name, as in JSON.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

// ---- helpers shared by the transaction rules ----

/// The account with funding settled (§5), or why it cannot be used.
pub(crate) fn settled_account(state: &State, id: AccountId) -> Result<Account, CommonError> {
    if id.index() >= state.tree().capacity() {
        return Err(CommonError::AccountOutsideTree(id));
    }
    let account = state.account(id).ok_or(CommonError::UnknownAccount(id))?;
    Ok(funding::settle(account, state.markets())?)
}

/// Two distinct existing accounts, both settled.
pub(crate) fn settled_pair(
    state: &State,
    a: AccountId,
    b: AccountId,
) -> Result<(Account, Account), CommonError> {
    if a == b {
        return Err(CommonError::SameAccount);
    }
    Ok((settled_account(state, a)?, settled_account(state, b)?))
}

/// A fill of `base` lots for `quote` micro-units is within `band_bp` of the oracle
/// price: `10 000·|quote·2^32 − base·price| ≤ band_bp·base·price`.
pub(crate) fn within_band(base: Amount, quote: Amount, price: Price, band: Bps) -> bool {
    let fill = I256::from(quote.get()) << FIXED_POINT_BITS;
    let oracle = I256::from(base.get()) * I256::from(price.get());
    I256::from(BPS_DENOMINATOR) * (fill - oracle).abs() <= I256::from(band.get()) * oracle
}

/// `fee ≤ cap_bp` of `notional`, cross-multiplied: `10 000·fee ≤ cap_bp·notional`.
pub(crate) fn within_cap(fee: u64, cap: Bps, notional: I256) -> bool {
    I256::from(BPS_DENOMINATOR) * I256::from(fee) <= I256::from(cap.get()) * notional
}

/// The position moved toward zero without crossing it.
pub(crate) fn shrinks(old: Balance, new: Balance) -> bool {
    let (old, new) = (old.get(), new.get());
    (old > 0 && (0..old).contains(&new)) || (old < 0 && new > old && new <= 0)
}

/// `account` with `delta` lots added in `market` and `collateral_delta` micro-units.
pub(crate) fn moved(
    account: &Account,
    market: MarketId,
    delta: i128,
    collateral_delta: i128,
) -> Result<Account, CommonError> {
    let mut out = *account;
    let m = market.index();
    out.balances[m] = out.balances[m].checked_add(delta)?;
    out.collateral = out.collateral.checked_add(collateral_delta)?;
    Ok(out)
}

const _: () = assert!(MARKETS <= 8, "encodings assume few markets");
