//! Margin in the circuit (PROTOCOL §4), mirroring [`clearproof_protocol::margin`]:
//! `TV = collateral·2^32 + Σ balance·price`, `R(r) = Σ |balance|·price·r`,
//! healthy iff `10 000·TV − R ≥ 0` — decided by range checks, never by a sign
//! test (see [`super::arith`]).

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::account::AssignedAccount;
use super::arith::nonneg_flag;
use super::market::AssignedMarket;
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::margin::MarginLevel;
use clearproof_protocol::params::{BPS_DENOMINATOR, MARKETS};
use clearproof_protocol::types::field_to_signed_i64;

/// Bits that bound `|10 000·TV − R|` (< 2^146 for §2 values).
pub(super) const MARGIN_BITS: usize = 150;

/// `|x|` for a range-checked signed cell: the prover supplies the sign bit `s`,
/// `|x| = x·(1 − 2s)` must fit 63 bits, which a wrong sign cannot (unless x = 0).
pub(super) fn abs(ctx: &mut Ctx, range: &RangeChip<Fr>, x: Cell) -> Cell {
    let gate = range.gate();
    let negative = field_to_signed_i64(*x.value()).is_some_and(|v| v < 0);
    let s = ctx.load_witness(Fr::from(u64::from(negative)));
    gate.assert_bit(ctx, s);
    let two_s_x = gate.mul(ctx, s, x);
    let two_s_x = gate.mul(ctx, two_s_x, Constant(Fr::from(2u64)));
    let magnitude = gate.sub(ctx, x, two_s_x);
    range.range_check(ctx, magnitude, 63);
    magnitude
}

/// `TV` in fixed point.
pub(super) fn total_value(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    account: &AssignedAccount,
    markets: &[AssignedMarket; MARKETS],
) -> Cell {
    let collateral = gate.mul(ctx, account.collateral, Constant(Fr::from(1u64 << 32)));
    account
        .balances
        .iter()
        .zip(markets)
        .fold(collateral, |tv, (balance, market)| gate.mul_add(ctx, *balance, market.price, tv))
}

/// `R(r)` at `level`, given the positions' magnitudes.
pub(super) fn requirement(
    ctx: &mut Ctx,
    gate: &impl GateInstructions<Fr>,
    magnitudes: &[Cell; MARKETS],
    markets: &[AssignedMarket; MARKETS],
    level: MarginLevel,
) -> Cell {
    let zero = ctx.load_zero();
    magnitudes.iter().zip(markets).fold(zero, |r, (magnitude, market)| {
        let rate = match level {
            MarginLevel::Initial => market.im_bp,
            MarginLevel::Maintenance => market.mm_bp,
        };
        let notional = gate.mul(ctx, *magnitude, market.price);
        gate.mul_add(ctx, notional, rate, r)
    })
}

/// The margin quantities of one account, computed once and reused by every check.
#[derive(Debug, Clone)]
pub(super) struct Margin {
    /// `TV`.
    pub total_value: Cell,
    /// `|balance[m]|`.
    pub magnitudes: [Cell; MARKETS],
}

impl Margin {
    /// Computes `TV` and the position magnitudes.
    pub(super) fn new(
        ctx: &mut Ctx,
        range: &RangeChip<Fr>,
        account: &AssignedAccount,
        markets: &[AssignedMarket; MARKETS],
    ) -> Self {
        let total_value = total_value(ctx, range.gate(), account, markets);
        let magnitudes = std::array::from_fn(|m| abs(ctx, range, account.balances[m]));
        Self { total_value, magnitudes }
    }

    /// A constrained bit: healthy at `level` ("equity covers the requirement").
    pub(super) fn healthy(
        &self,
        ctx: &mut Ctx,
        range: &RangeChip<Fr>,
        markets: &[AssignedMarket; MARKETS],
        level: MarginLevel,
    ) -> Cell {
        let gate = range.gate();
        let r = requirement(ctx, gate, &self.magnitudes, markets, level);
        let scaled = gate.mul(ctx, self.total_value, Constant(Fr::from(BPS_DENOMINATOR)));
        let surplus = gate.sub(ctx, scaled, r);
        nonneg_flag(ctx, range, surplus, MARGIN_BITS)
    }

    /// A constrained bit: `TV ≥ 0` (not bankrupt).
    pub(super) fn solvent(&self, ctx: &mut Ctx, range: &RangeChip<Fr>) -> Cell {
        nonneg_flag(ctx, range, self.total_value, MARGIN_BITS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::testing::satisfied;
    use clearproof_protocol::margin;
    use clearproof_protocol::oracle::Committee;
    use clearproof_protocol::signature::SecretKey;
    use clearproof_protocol::state::{Account, Market, MarketParams, MarketState};
    use clearproof_protocol::types::*;
    use rand::{Rng, SeedableRng};

    fn markets(prices: [u32; MARKETS]) -> [Market; MARKETS] {
        let oracle = SecretKey::from_bytes([5; 32]).unwrap().public_key();
        let params =
            MarketParams::standard(Committee::single(oracle), FundingRate::new(1_000).unwrap());
        let t = Timestamp::new(10).unwrap();
        prices.map(|p| Market { params, state: MarketState::at(Price::from_units(p), t) })
    }

    /// Checks the circuit's flags (healthy at im, at mm, solvent) against the
    /// native ones, optionally flipping one claimed flag.
    fn flags_match(account: &Account, ms: &[Market; MARKETS], flip: Option<usize>) -> bool {
        let native = [
            margin::is_healthy(account, ms, MarginLevel::Initial),
            margin::is_healthy(account, ms, MarginLevel::Maintenance),
            !margin::is_bankrupt(account, ms),
        ];
        satisfied(13, |ctx, range| {
            let a = AssignedAccount::load(ctx, range, Some(account));
            let am = ms.map(|m| AssignedMarket::load(ctx, range, &m));
            let margin = Margin::new(ctx, range, &a, &am);
            let flags = [
                margin.healthy(ctx, range, &am, MarginLevel::Initial),
                margin.healthy(ctx, range, &am, MarginLevel::Maintenance),
                margin.solvent(ctx, range),
            ];
            for (i, (flag, expected)) in flags.iter().zip(native).enumerate() {
                let claimed = expected ^ (flip == Some(i));
                range.gate().assert_is_const(ctx, flag, &Fr::from(u64::from(claimed)));
            }
        })
    }

    #[test]
    fn margin_flags_match_the_native_state_machine() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let ms = markets([100, 93, 6_000_000, 1]);
        for _ in 0..12 {
            let mut a = Account::new(SecretKey::from_bytes([4; 32]).unwrap().public_key());
            a.collateral = Collateral::new(rng.gen_range(-100_000i128..200_000)).unwrap();
            for m in 0..MARKETS {
                a.balances[m] = Balance::new(rng.gen_range(-2_000i128..2_000)).unwrap();
            }
            assert!(flags_match(&a, &ms, None), "{a:?}");
        }
    }

    #[test]
    fn a_wrong_health_verdict_is_rejected() {
        // Alice long 900 at 93 with collateral −80 000: TV 3 700, liquidatable.
        let mut a = Account::new(SecretKey::from_bytes([4; 32]).unwrap().public_key());
        a.collateral = Collateral::new(-80_000).unwrap();
        a.balances[0] = Balance::new(900).unwrap();
        let ms = markets([93, 100, 100, 100]);
        assert!(flags_match(&a, &ms, None));
        for flag in 0..3 {
            assert!(!flags_match(&a, &ms, Some(flag)), "flag {flag}");
        }
    }

    #[test]
    fn a_wrong_sign_for_the_position_magnitude_is_rejected() {
        assert!(!satisfied(11, |ctx, range| {
            let x = ctx.load_witness(clearproof_protocol::types::signed_to_field(-900));
            // Claim "non-negative": |x| would be p − 900.
            let s = ctx.load_zero();
            let two_s_x = range.gate().mul(ctx, s, x);
            let magnitude = range.gate().sub(ctx, x, two_s_x);
            range.range_check(ctx, magnitude, 63);
        }));
    }
}
