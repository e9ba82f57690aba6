//! `Trade{market, buyer, seller, base, quote, buyer_fee, seller_fee,
//! buyer_order_id, seller_order_id}` — a fill between two signed orders.
//!
//! Authority: the buyer's and the seller's signed orders ([`Authority::Orders`]),
//! each authorising its side of the fill under PROTOCOL §6.2
//! (`tx::fill::authorise_fill`: owner's signature, account, market, side,
//! order id, limit price, fee cap, expiry against the oracle clock, order slot).
//! Preconditions: the fill price `quote/base` is within `band_bp` of the oracle
//! price (cross-multiplied); each fee `≤ max_fee_bp` of `quote`; after the fill
//! each side is healthy at `im_bp`, or its position only shrank and it is healthy
//! at `mm_bp`.
//! Effect: buyer `balance += base`, `collateral −= quote + buyer_fee`; seller
//! `balance −= base`, `collateral += quote − seller_fee`; fees to `fee_pool`.

use ethnum::I256;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::fill::authorise_fill;
use super::{
    error_codes, moved, settled_pair, shrinks, within_band, within_cap, Authority, CommonError,
    Effect, Movement, Rule, TxSpec,
};
use crate::margin::{is_healthy, MarginLevel};
use crate::orders::{FillTerms, OrderId, Side};
use crate::params::MARKETS;
use crate::state::{Account, Market, State};
use crate::types::{AccountId, Amount, MarketId, Quote};

/// A fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trade {
    /// Market traded.
    pub market: MarketId,
    /// Receives `base` lots.
    pub buyer: AccountId,
    /// Delivers `base` lots.
    pub seller: AccountId,
    /// Lots exchanged.
    pub base: Amount,
    /// Quote micro-units paid by the buyer to the seller.
    pub quote: Amount,
    /// Buyer's fee, micro-units.
    pub buyer_fee: Quote,
    /// Seller's fee, micro-units.
    pub seller_fee: Quote,
    /// The buyer's order (its slot moves by `base`).
    pub buyer_order_id: OrderId,
    /// The seller's order.
    pub seller_order_id: OrderId,
}

/// Why a trade was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TradeError {
    /// Shared rule.
    #[error(transparent)]
    Common(#[from] CommonError),
    /// `quote/base` too far from the oracle price.
    #[error("fill price outside the band around the oracle price")]
    PriceOutsideBand,
    /// `buyer_fee > max_fee_bp·quote`.
    #[error("buyer fee above the market's cap")]
    BuyerFeeAboveCap,
    /// `seller_fee > max_fee_bp·quote`.
    #[error("seller fee above the market's cap")]
    SellerFeeAboveCap,
    /// Buyer below initial margin after the fill (and not a margin-reducing fill).
    #[error("buyer would be undercollateralised")]
    BuyerUndercollateralised,
    /// Seller below initial margin after the fill (and not a margin-reducing fill).
    #[error("seller would be undercollateralised")]
    SellerUndercollateralised,
}

error_codes!(TradeError, common {
    PriceOutsideBand => "TRADE_PRICE_OUTSIDE_BAND",
    BuyerFeeAboveCap => "TRADE_BUYER_FEE_ABOVE_CAP",
    SellerFeeAboveCap => "TRADE_SELLER_FEE_ABOVE_CAP",
    BuyerUndercollateralised => "TRADE_BUYER_UNDERCOLLATERALISED",
    SellerUndercollateralised => "TRADE_SELLER_UNDERCOLLATERALISED",
});

/// After a fill: healthy at initial margin, or the position only shrank and the
/// account is healthy at maintenance margin.
fn may_hold(
    before: &Account,
    after: &Account,
    market: MarketId,
    markets: &[Market; MARKETS],
) -> bool {
    let m = market.index();
    is_healthy(after, markets, MarginLevel::Initial)
        || (shrinks(before.balances[m], after.balances[m])
            && is_healthy(after, markets, MarginLevel::Maintenance))
}

impl Trade {
    /// What the fill asks of the buyer's order and of the seller's.
    pub fn fill_terms(&self) -> [FillTerms; 2] {
        let terms = |account, side, fee: Quote, order_id| FillTerms {
            account,
            market: self.market,
            side,
            base: self.base,
            quote: self.quote,
            fee: fee.get(),
            order_id,
        };
        [
            terms(self.buyer, Side::Buy, self.buyer_fee, self.buyer_order_id),
            terms(self.seller, Side::Sell, self.seller_fee, self.seller_order_id),
        ]
    }
}

impl Rule for Trade {
    const SPEC: TxSpec = TxSpec {
        tag: crate::tags::TRADE,
        name: "trade",
        fields: &[
            "market",
            "buyer",
            "seller",
            "base",
            "quote",
            "buyer_fee",
            "seller_fee",
            "buyer_order_id",
            "seller_order_id",
        ],
        accounts: &["buyer", "seller"],
        opens_account: false,
        market: Some("market"),
        order_ids: [Some("buyer_order_id"), Some("seller_order_id")],
        codes: TradeError::CODES,
    };
    type Error = TradeError;

    fn apply(&self, state: &State, auth: &Authority) -> Result<Effect, TradeError> {
        let (buyer, seller) = settled_pair(state, self.buyer, self.seller)?;
        let orders = auth.orders::<2>("trade")?;
        let [buy, sell] = self.fill_terms();
        let buyer_slot =
            authorise_fill(state, orders.map(|o| o[0]), &buy).map_err(CommonError::from)?;
        let seller_slot =
            authorise_fill(state, orders.map(|o| o[1]), &sell).map_err(CommonError::from)?;
        let market = state.market(self.market);
        if !within_band(self.base, self.quote, market.state.price, market.params.band_bp) {
            return Err(TradeError::PriceOutsideBand);
        }
        let notional = I256::from(self.quote.get());
        if !within_cap(self.buyer_fee.get(), market.params.max_fee_bp, notional) {
            return Err(TradeError::BuyerFeeAboveCap);
        }
        if !within_cap(self.seller_fee.get(), market.params.max_fee_bp, notional) {
            return Err(TradeError::SellerFeeAboveCap);
        }
        let (base, quote) = (self.base.wide(), self.quote.wide());
        let new_buyer = moved(&buyer, self.market, base, -(quote + self.buyer_fee.get() as i128))?;
        let new_seller = moved(&seller, self.market, -base, quote - self.seller_fee.get() as i128)?;
        if !may_hold(&buyer, &new_buyer, self.market, state.markets()) {
            return Err(TradeError::BuyerUndercollateralised);
        }
        if !may_hold(&seller, &new_seller, self.market, state.markets()) {
            return Err(TradeError::SellerUndercollateralised);
        }
        let mut globals = *state.globals();
        globals.fee_pool = globals
            .fee_pool
            .checked_add(self.buyer_fee.get() as i128 + self.seller_fee.get() as i128)
            .map_err(CommonError::from)?;
        Ok(Effect {
            accounts: vec![(self.buyer, new_buyer), (self.seller, new_seller)],
            globals: Some(globals),
            order_fills: vec![(self.buyer, buyer_slot), (self.seller, seller_slot)],
            ..Effect::default()
        })
    }

    /// `market, buyer, seller, base, quote, buyer_fee, seller_fee,
    /// buyer_order_id, seller_order_id`.
    fn fields(&self) -> Vec<Fr> {
        vec![
            self.market.to_field(),
            self.buyer.to_field(),
            self.seller.to_field(),
            self.base.to_field(),
            self.quote.to_field(),
            self.buyer_fee.to_field(),
            self.seller_fee.to_field(),
            self.buyer_order_id.to_field(),
            self.seller_order_id.to_field(),
        ]
    }

    fn movement(&self) -> Movement {
        Movement::default()
    }
}
