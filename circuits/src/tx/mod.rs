//! The eight transactions of PROTOCOL §6, one file each: the transaction type, its
//! error variants (each with a stable code) and its rule, `apply`, which checks
//! every precondition against a read-only [`State`] and returns the complete
//! [`Effect`]. Only [`crate::batch`] writes an effect to the state, so a
//! transaction applies in full or not at all.

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
pub mod trade;
pub mod withdraw;

pub use cover_deficit::{CoverDeficit, CoverDeficitError};
pub use deleverage::{Deleverage, DeleverageError};
pub use deposit::{Deposit, DepositError};
pub use funding_tick::{FundingTick, FundingTickError};
pub use liquidate::{Liquidate, LiquidateError};
pub use price_update::{PriceUpdate, PriceUpdateError};
pub use trade::{Trade, TradeError};
pub use withdraw::{Withdraw, WithdrawError};

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

impl CommonError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            CommonError::UnknownAccount(_) => "UNKNOWN_ACCOUNT",
            CommonError::AccountOutsideTree(_) => "ACCOUNT_OUTSIDE_TREE",
            CommonError::SameAccount => "SAME_ACCOUNT",
            CommonError::ResultOutOfRange(_) => "RESULT_OUT_OF_RANGE",
        }
    }
}

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

/// A v1 transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Transaction {
    /// Base-layer deposit.
    Deposit(Deposit),
    /// Owner-signed withdrawal.
    Withdraw(Withdraw),
    /// A fill between two signed orders.
    Trade(Trade),
    /// Liquidation of an account below maintenance margin.
    Liquidate(Liquidate),
    /// Insurance fund covers a flat account's negative collateral.
    CoverDeficit(CoverDeficit),
    /// Auto-deleverage of a bankrupt account against a counterparty.
    Deleverage(Deleverage),
    /// Oracle price.
    PriceUpdate(PriceUpdate),
    /// Oracle funding index.
    FundingTick(FundingTick),
}

/// Type tags of the field encoding; `0` is the no-op that pads chunks.
pub mod tag {
    /// Padding slot.
    pub const NOOP: u64 = 0;
    /// `Deposit`.
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
}

impl Transaction {
    /// Checks every precondition against `state` and returns the effect.
    pub fn apply(&self, state: &State) -> Result<Effect, TxError> {
        Ok(match self {
            Transaction::Deposit(tx) => tx.apply(state)?,
            Transaction::Withdraw(tx) => tx.apply(state)?,
            Transaction::Trade(tx) => tx.apply(state)?,
            Transaction::Liquidate(tx) => tx.apply(state)?,
            Transaction::CoverDeficit(tx) => tx.apply(state)?,
            Transaction::Deleverage(tx) => tx.apply(state)?,
            Transaction::PriceUpdate(tx) => tx.apply(state)?,
            Transaction::FundingTick(tx) => tx.apply(state)?,
        })
    }

    /// The field encoding `[tag, fields…]`, zero-padded to [`TX_ENCODING_LEN`]
    /// (layout per type in `docs/PROTOCOL-ENCODING.md`).
    pub fn encode(&self) -> [Fr; TX_ENCODING_LEN] {
        let words: Vec<Fr> = match self {
            Transaction::Deposit(tx) => tx.encode(),
            Transaction::Withdraw(tx) => tx.encode(),
            Transaction::Trade(tx) => tx.encode(),
            Transaction::Liquidate(tx) => tx.encode(),
            Transaction::CoverDeficit(tx) => tx.encode(),
            Transaction::Deleverage(tx) => tx.encode(),
            Transaction::PriceUpdate(tx) => tx.encode(),
            Transaction::FundingTick(tx) => tx.encode(),
        };
        debug_assert!(words.len() <= TX_ENCODING_LEN);
        let mut out = [Fr::ZERO; TX_ENCODING_LEN];
        out[..words.len()].copy_from_slice(&words);
        out
    }

    /// The message a signature over this transaction signs: `H(encode())`.
    pub fn message(&self) -> Fr {
        poseidon::hash(&self.encode())
    }

    /// The type name, as in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Transaction::Deposit(_) => "deposit",
            Transaction::Withdraw(_) => "withdraw",
            Transaction::Trade(_) => "trade",
            Transaction::Liquidate(_) => "liquidate",
            Transaction::CoverDeficit(_) => "cover_deficit",
            Transaction::Deleverage(_) => "deleverage",
            Transaction::PriceUpdate(_) => "price_update",
            Transaction::FundingTick(_) => "funding_tick",
        }
    }
}

/// Why a transaction was rejected. [`TxError::code`] is stable and documented.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// See [`DepositError`].
    #[error(transparent)]
    Deposit(#[from] DepositError),
    /// See [`WithdrawError`].
    #[error(transparent)]
    Withdraw(#[from] WithdrawError),
    /// See [`TradeError`].
    #[error(transparent)]
    Trade(#[from] TradeError),
    /// See [`LiquidateError`].
    #[error(transparent)]
    Liquidate(#[from] LiquidateError),
    /// See [`CoverDeficitError`].
    #[error(transparent)]
    CoverDeficit(#[from] CoverDeficitError),
    /// See [`DeleverageError`].
    #[error(transparent)]
    Deleverage(#[from] DeleverageError),
    /// See [`PriceUpdateError`].
    #[error(transparent)]
    PriceUpdate(#[from] PriceUpdateError),
    /// See [`FundingTickError`].
    #[error(transparent)]
    FundingTick(#[from] FundingTickError),
}

impl TxError {
    /// Stable error code, e.g. `TRADE_PRICE_OUTSIDE_BAND`.
    pub fn code(&self) -> &'static str {
        match self {
            TxError::Deposit(e) => e.code(),
            TxError::Withdraw(e) => e.code(),
            TxError::Trade(e) => e.code(),
            TxError::Liquidate(e) => e.code(),
            TxError::CoverDeficit(e) => e.code(),
            TxError::Deleverage(e) => e.code(),
            TxError::PriceUpdate(e) => e.code(),
            TxError::FundingTick(e) => e.code(),
        }
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
