//! The rule every order fill shares (PROTOCOL §6.2): a signed order
//! authorises a fill of its account, market, side and id, within its limit
//! price, fee cap and expiry, and its slot takes the fill. `Trade` and
//! `Liquidate` call it per side.

use ethnum::I256;

use crate::orders::{FillTerms, OrderError, Side, SignedOrder, Slot};
use crate::params::{BPS_DENOMINATOR, FIXED_POINT_BITS};
use crate::state::State;

/// Checks that `signed` authorises the fill `terms` against `state` (every
/// condition of PROTOCOL §6.2, the slot rule last) and returns what the order's
/// slot holds after the fill. `signed = None` replays a fill whose order was
/// proven (posted data under an accepted proof): only the slot moves.
pub(super) fn authorise_fill(
    state: &State,
    signed: Option<&SignedOrder>,
    terms: &FillTerms,
) -> Result<Slot, OrderError> {
    let slots = state.order_slots(terms.account);
    let id = terms.order_id.get();
    let Some(signed) = signed else {
        return Ok(slots.check(id, u64::MAX, terms.base.get())?);
    };
    let order = &signed.order;
    for (what, ok) in [
        ("account", order.account == terms.account),
        ("market", order.market == terms.market),
        ("side", order.side == terms.side),
        ("order_id", order.order_id == terms.order_id),
    ] {
        if !ok {
            return Err(OrderError::Mismatch(what));
        }
    }
    if let Some(account) = state.account(order.account) {
        account.owner.verify(order.message(), &signed.signature)?;
    }
    let now = state.market(order.market).state.price_ts.get();
    if now > order.expiry.get() {
        return Err(OrderError::Expired { expiry: order.expiry.get(), now });
    }
    let fill = I256::from(terms.quote.get()) << FIXED_POINT_BITS;
    let limit = I256::from(order.limit_price.get()) * I256::from(terms.base.get());
    let within = match order.side {
        Side::Buy => fill <= limit,
        Side::Sell => fill >= limit,
    };
    if !within {
        return Err(OrderError::LimitPrice);
    }
    if I256::from(terms.fee) * I256::from(BPS_DENOMINATOR)
        > I256::from(order.max_fee_bp.get()) * I256::from(terms.quote.get())
    {
        return Err(OrderError::FeeAboveMax);
    }
    Ok(slots.check(id, order.size.get(), terms.base.get())?)
}
