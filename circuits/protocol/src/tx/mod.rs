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

use crate::authority::Quorum;
use crate::funding;
use crate::oracle::{check_quorum, sign_all, Committee, OracleError};
use crate::orders::{Order, OrderError, Side, SignedOrder, Slot};
use crate::params::{BPS_DENOMINATOR, FIXED_POINT_BITS, MARKETS, TX_ENCODING_LEN};
use crate::poseidon;
use crate::signature::{PublicKey, SecretKey, SignatureError};
use crate::state::{Account, Globals, MarketState, State};
use crate::types::{AccountId, Amount, Balance, Bps, MarketId, Price, RangeError, Timestamp};

pub mod cover_deficit;
pub mod deleverage;
pub mod deposit;
mod fill;
pub mod forced_withdraw;
pub mod funding_tick;
pub mod liquidate;
pub mod price_update;
mod registry;
pub mod trade;
pub mod withdraw;

pub(crate) use registry::error_codes;
use registry::transactions;
pub use registry::{Movement, Queue, Rule, TxSpec};

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
    /// A forced withdrawal from the base layer's priority queue (§6.4).
    ForcedWithdraw(forced_withdraw::ForcedWithdrawError),
}
pub use crate::authority::Authority;
pub use crate::signature::KeyRing;
pub use forced_withdraw::{forced_request_message, ForcedOutcome};

/// A transaction with what authorises it: what the sequencer applies and the
/// prover proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTx {
    /// The transaction (its public data).
    pub tx: Transaction,
    /// Its authorisation (witness only).
    pub auth: Authority,
}

impl SignedTx {
    /// `tx` with `auth`.
    pub fn new(tx: impl Into<Transaction>, auth: Authority) -> Self {
        Self { tx: tx.into(), auth }
    }

    /// Posted data replayed under an accepted proof ([`Authority::Proven`]).
    pub fn proven(tx: Transaction) -> Self {
        Self { tx, auth: Authority::Proven }
    }
}

/// Signing helpers for tests, benches and tools: each signs what authorises
/// exactly the given transaction ([`crate::orders::Order::exact`] for fills).
impl SignedTx {
    /// A withdrawal signed by `owner`.
    pub fn withdraw(tx: Withdraw, owner: &SecretKey) -> Self {
        let tx = Transaction::Withdraw(tx);
        let signature = owner.sign(tx.message());
        Self { tx, auth: Authority::Owner { signature } }
    }

    /// A trade with exact orders signed by the buyer's and the seller's owners.
    pub fn trade(tx: Trade, buyer: &SecretKey, seller: &SecretKey) -> Self {
        let [buy, sell] = tx.fill_terms().map(|terms| Order::exact(&terms));
        let orders = vec![buy.sign(buyer), sell.sign(seller)];
        Self { tx: tx.into(), auth: Authority::Orders { orders } }
    }

    /// A liquidation with an exact order signed by the liquidator's owner, who
    /// takes `side` (buys a long position, sells a short one).
    pub fn liquidate(tx: Liquidate, side: Side, liquidator: &SecretKey) -> Self {
        let order = Order::exact(&tx.fill_terms(side));
        Self { tx: tx.into(), auth: Authority::Orders { orders: vec![order.sign(liquidator)] } }
    }
}

impl SignedTx {
    /// Signs `tx` with what authorises exactly it against `state`, finding each
    /// signer's secret key from its owner key with `keys` (tests, benches,
    /// tools). An oracle update gets an observation of exactly its value and
    /// timestamp from every committee member `keys` knows. The liquidator's side is the opposite of the liquidated position
    /// in `state`. A signer `keys` does not know (or an unknown account) leaves
    /// the transaction unsigned, for the rule to refuse.
    pub fn exact(state: &State, tx: Transaction, keys: &KeyRing) -> Self {
        let key = |id: AccountId| state.account(id).and_then(|a| keys.get(&a.owner));
        match tx {
            Transaction::Withdraw(w) => match key(w.account) {
                Some(k) => Self::withdraw(w, k),
                None => Self::from(Transaction::Withdraw(w)),
            },
            Transaction::Trade(t) => match (key(t.buyer), key(t.seller)) {
                (Some(b), Some(s)) => Self::trade(t, b, s),
                _ => Self::from(Transaction::Trade(t)),
            },
            Transaction::Liquidate(l) => {
                let long = state
                    .account(l.liquidated)
                    .is_some_and(|a| a.balances[l.market.index()].get() > 0);
                let side = if long { Side::Buy } else { Side::Sell };
                match key(l.liquidator) {
                    Some(k) => Self::liquidate(l, side, k),
                    None => Self::from(Transaction::Liquidate(l)),
                }
            }
            Transaction::PriceUpdate(p) => {
                let committee = state.market(p.market).params.committee;
                let observations = sign_all(&committee, keys, p.market, p.price, p.timestamp);
                Self { tx: p.into(), auth: Authority::PriceQuorum { observations } }
            }
            Transaction::FundingTick(f) => {
                let committee = state.market(f.market).params.committee;
                let observations = sign_all(&committee, keys, f.market, f.index, f.timestamp);
                Self { tx: f.into(), auth: Authority::FundingQuorum { observations } }
            }
            other => Self::from(other),
        }
    }
}

impl From<Transaction> for SignedTx {
    /// A transaction that needs no signature ([`Authority::None`]).
    fn from(tx: Transaction) -> Self {
        Self { tx, auth: Authority::None }
    }
}

impl std::ops::Deref for SignedTx {
    type Target = Transaction;
    fn deref(&self) -> &Transaction {
        &self.tx
    }
}

/// Errors shared by several transactions.
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
    /// The transaction came without the authority its type needs.
    #[error("{0} needs {1}")]
    Unauthorised(&'static str, &'static str),
    /// The owner's signature does not verify.
    #[error("owner signature: {0}")]
    Signature(#[from] SignatureError),
    /// A signed order does not authorise its fill (PROTOCOL §6.2).
    #[error("{0}")]
    Order(#[from] OrderError),
    /// The oracle committee's observations do not authorise the update
    /// (PROTOCOL §6.3).
    #[error("oracle quorum: {0}")]
    Oracle(#[from] OracleError),
}

impl CommonError {
    /// The codes of the shared rules.
    pub const CODES: &'static [&'static str] = &[
        "UNKNOWN_ACCOUNT",
        "ACCOUNT_OUTSIDE_TREE",
        "SAME_ACCOUNT",
        "RESULT_OUT_OF_RANGE",
        "UNAUTHORISED",
    ];

    /// Stable error code (a signature's or an order's own code for those).
    pub fn code(&self) -> &'static str {
        match self {
            CommonError::UnknownAccount(_) => "UNKNOWN_ACCOUNT",
            CommonError::AccountOutsideTree(_) => "ACCOUNT_OUTSIDE_TREE",
            CommonError::SameAccount => "SAME_ACCOUNT",
            CommonError::ResultOutOfRange(_) => "RESULT_OUT_OF_RANGE",
            CommonError::Unauthorised(..) => "UNAUTHORISED",
            CommonError::Signature(e) => e.code(),
            CommonError::Order(e) => e.code(),
            CommonError::Oracle(e) => e.code(),
        }
    }

    /// Whether `code` is one a transaction may be refused with whatever its
    /// type: the shared rules', a signature's, an order's and an oracle
    /// quorum's.
    pub fn is_shared(code: &str) -> bool {
        Self::CODES.contains(&code)
            || OrderError::CODES.contains(&code)
            || OracleError::CODES.contains(&code)
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
    /// Order slots the fills moved, in account order: the applier writes each
    /// and sets the account's `orders_root` to the slots' new root.
    pub order_fills: Vec<(AccountId, Slot)>,
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

impl Authority {
    /// For a type no one signs: nothing, or a proven replay.
    pub(crate) fn unsigned(&self, kind: &'static str) -> Result<(), CommonError> {
        match self {
            Authority::None | Authority::Proven => Ok(()),
            _ => Err(CommonError::Unauthorised(kind, "no signature")),
        }
    }

    /// For an owner-signed type: the signature verifies under `owner` on `msg`
    /// (or the replay is proven).
    pub(crate) fn owner_signed(
        &self,
        kind: &'static str,
        owner: &PublicKey,
        msg: Fr,
    ) -> Result<(), CommonError> {
        match self {
            Authority::Owner { signature } => Ok(owner.verify(msg, signature)?),
            Authority::Proven => Ok(()),
            _ => Err(CommonError::Unauthorised(kind, "the owner's signature")),
        }
    }

    /// For an oracle update of `market` to `value` at `timestamp`: a quorum of
    /// `committee` observed exactly that (or the replay is proven).
    pub(crate) fn oracle_quorum<V: Quorum>(
        &self,
        kind: &'static str,
        committee: &Committee,
        market: MarketId,
        value: V,
        timestamp: Timestamp,
    ) -> Result<(), CommonError> {
        if let Authority::Proven = self {
            return Ok(());
        }
        let observations = V::observations(self)
            .ok_or(CommonError::Unauthorised(kind, "a quorum of oracle observations"))?;
        Ok(check_quorum(committee, market, observations, value, timestamp)?)
    }

    /// For an order-filling type: its `N` signed orders (`None` for a proven
    /// replay).
    pub(crate) fn orders<const N: usize>(
        &self,
        kind: &'static str,
    ) -> Result<Option<[&SignedOrder; N]>, CommonError> {
        let missing = CommonError::Unauthorised(
            kind,
            if N == 1 { "one signed order" } else { "two signed orders" },
        );
        match self {
            Authority::Orders { orders } => {
                let refs: Vec<&SignedOrder> = orders.iter().collect();
                Ok(Some(refs.try_into().map_err(|_| missing)?))
            }
            Authority::Proven => Ok(None),
            _ => Err(missing),
        }
    }
}

/// The account with funding settled (§5), or why it cannot be used.
pub(crate) fn settled_account(state: &State, id: AccountId) -> Result<Account, CommonError> {
    if id.index() >= state.capacity() {
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
