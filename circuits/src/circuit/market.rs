//! Market cells and `markets_hash` (layout: `docs/PROTOCOL-ENCODING.md`).

use halo2_base::gates::{RangeChip, RangeInstructions};

use super::hash::CircuitHasher;
use super::num::{check_bits, check_bps, check_signed63};
use super::{Cell, Ctx};
use crate::params::MARKETS;
use crate::state::Market;
use crate::Fr;

/// A market's 12 fields as range-checked cells.
#[derive(Debug, Clone, Copy)]
pub struct AssignedMarket {
    /// Initial margin rate (bps).
    pub im_bp: Cell,
    /// Maintenance margin rate (bps).
    pub mm_bp: Cell,
    /// Liquidation fee cap (bps).
    pub liq_fee_bp: Cell,
    /// Trading fee cap (bps).
    pub max_fee_bp: Cell,
    /// Price band (bps).
    pub band_bp: Cell,
    /// Funding-rate bound (≤ 2^32).
    pub max_funding_rate: Cell,
    /// Oracle key x.
    pub oracle_x: Cell,
    /// Oracle key y.
    pub oracle_y: Cell,
    /// Price (< 2^64).
    pub price: Cell,
    /// Price timestamp (< 2^40).
    pub price_ts: Cell,
    /// Funding index (|x| < 2^63).
    pub funding_index: Cell,
    /// Funding timestamp (< 2^40).
    pub funding_ts: Cell,
}

impl AssignedMarket {
    /// Loads a market as witnesses and range-checks every numeric field.
    pub fn load(ctx: &mut Ctx, range: &RangeChip<Fr>, market: &Market) -> Self {
        let c = ctx.assign_witnesses(market.fields());
        let m = Self {
            im_bp: c[0],
            mm_bp: c[1],
            liq_fee_bp: c[2],
            max_fee_bp: c[3],
            band_bp: c[4],
            max_funding_rate: c[5],
            oracle_x: c[6],
            oracle_y: c[7],
            price: c[8],
            price_ts: c[9],
            funding_index: c[10],
            funding_ts: c[11],
        };
        for bps in [m.im_bp, m.mm_bp, m.liq_fee_bp, m.max_fee_bp, m.band_bp] {
            check_bps(ctx, range, bps);
        }
        range.check_less_than_safe(ctx, m.max_funding_rate, (1 << 32) + 1);
        check_bits(ctx, range, m.price, 64);
        check_bits(ctx, range, m.price_ts, 40);
        check_bits(ctx, range, m.funding_ts, 40);
        check_signed63(ctx, range, m.funding_index);
        m
    }

    /// The 12 fields in hash order.
    pub fn fields(&self) -> [Cell; 12] {
        [
            self.im_bp,
            self.mm_bp,
            self.liq_fee_bp,
            self.max_fee_bp,
            self.band_bp,
            self.max_funding_rate,
            self.oracle_x,
            self.oracle_y,
            self.price,
            self.price_ts,
            self.funding_index,
            self.funding_ts,
        ]
    }
}

/// `markets_hash` of four assigned markets.
pub fn markets_hash(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    markets: &[AssignedMarket; MARKETS],
) -> Cell {
    let fields: Vec<Cell> = markets.iter().flat_map(AssignedMarket::fields).collect();
    hasher.hash(ctx, range.gate(), &fields)
}
