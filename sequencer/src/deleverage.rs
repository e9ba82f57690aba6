//! The deleverage ranking policy (documented in `docs/API.md`): which
//! counterparty absorbs a bankrupt position, and at what quote. The proof checks
//! the deleverage's rules, not this choice.

use clearproof_protocol::params::FIXED_POINT_BITS;
use clearproof_protocol::state::State;
use clearproof_protocol::tx::{
    deleverage, Authority, CommonError, Deleverage, Transaction, TxError,
};
use clearproof_protocol::types::{AccountId, Amount, MarketId, RangeError};
use clearproof_protocol::{funding, margin};
use ethnum::I256;

use crate::error::SubmitError;

/// Ranking policy for deleverage (documented in docs/API.md): candidates hold
/// the opposite side of `market`; the largest position goes first, ties by
/// lowest account id; the first for which the deleverage is valid is taken.
/// The fill closes `min(|bankrupt|, |counterparty|)` lots at the bankruptcy
/// price.
pub(crate) fn pick_deleverage(
    state: &State,
    market: MarketId,
    bankrupt: AccountId,
) -> Result<Transaction, SubmitError> {
    let m = market.index();
    let account = state
        .account(bankrupt)
        .ok_or(TxError::Deleverage(CommonError::UnknownAccount(bankrupt).into()))?;
    let settled = funding::settle(account, state.markets())
        .map_err(|e: RangeError| TxError::Deleverage(CommonError::from(e).into()))?;
    let position =
        deleverage::check_bankrupt(state, market, &settled).map_err(TxError::Deleverage)?;
    let mut candidates: Vec<(u64, AccountId)> = state
        .accounts()
        .filter(|(id, _)| **id != bankrupt)
        .filter_map(|(id, a)| {
            let other = a.balances[m].get();
            (other != 0 && (other > 0) != (position > 0)).then(|| (other.unsigned_abs(), *id))
        })
        .collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let tv = margin::total_value(&settled, state.markets());
    let price = I256::from(state.market(market).state.price.get());
    let one = I256::ONE << FIXED_POINT_BITS;
    for (size, counterparty) in candidates {
        let lots = size.min(position.unsigned_abs());
        // TV after closing `lots` must land in [0, 2^32): solve for the quote.
        let signed_lots = if position > 0 { I256::from(lots) } else { -I256::from(lots) };
        let rest = tv - signed_lots * price;
        let quote =
            if position > 0 { (-rest + one - 1).div_euclid(one) } else { rest.div_euclid(one) };
        let Ok(quote) = i128::try_from(quote) else { continue };
        let (Ok(base), Ok(quote)) = (Amount::new(lots as i128), Amount::new(quote)) else {
            continue;
        };
        let tx =
            Transaction::Deleverage(Deleverage { market, bankrupt, counterparty, base, quote });
        if tx.apply(state, &Authority::None).is_ok() {
            return Ok(tx);
        }
    }
    Err(SubmitError::NoCounterparty)
}
