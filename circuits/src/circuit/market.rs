//! Market cells and `markets_hash` (layout: `docs/PROTOCOL-ENCODING.md`).

use halo2_base::gates::{RangeChip, RangeInstructions};

use super::hash::CircuitHasher;
use super::num::{check_bits, check_bps, check_signed63};
use super::{Cell, Ctx};
use crate::Fr;
use clearproof_protocol::oracle::COMMITTEE_FIELDS;
use clearproof_protocol::params::{MARKETS, ORACLE_N};
use clearproof_protocol::state::{Market, MARKET_FIELDS};

/// A market's oracle committee as cells (PROTOCOL §6.3).
#[derive(Debug, Clone, Copy)]
pub(super) struct AssignedCommittee {
    /// Member `i`'s key `(x, y)`; `(0, 0)` for no member (a point off the
    /// curve, so no signature verifies under it).
    pub members: [[Cell; 2]; ORACLE_N],
    /// Signatures an update needs (`< 2^3`).
    pub quorum: Cell,
    /// Largest spread of an update's observation timestamps (`< 2^40`).
    pub max_oracle_age: Cell,
}

/// A market's [`MARKET_FIELDS`] fields as range-checked cells.
#[derive(Debug, Clone, Copy)]
pub(super) struct AssignedMarket {
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
    /// The oracle committee.
    pub committee: AssignedCommittee,
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
    pub(super) fn load(ctx: &mut Ctx, range: &RangeChip<Fr>, market: &Market) -> Self {
        let c = ctx.assign_witnesses(market.fields());
        let m = Self {
            im_bp: c[0],
            mm_bp: c[1],
            liq_fee_bp: c[2],
            max_fee_bp: c[3],
            band_bp: c[4],
            max_funding_rate: c[5],
            committee: AssignedCommittee {
                members: std::array::from_fn(|i| [c[6 + 2 * i], c[7 + 2 * i]]),
                quorum: c[6 + 2 * ORACLE_N],
                max_oracle_age: c[7 + 2 * ORACLE_N],
            },
            price: c[6 + COMMITTEE_FIELDS],
            price_ts: c[7 + COMMITTEE_FIELDS],
            funding_index: c[8 + COMMITTEE_FIELDS],
            funding_ts: c[9 + COMMITTEE_FIELDS],
        };
        for bps in [m.im_bp, m.mm_bp, m.liq_fee_bp, m.max_fee_bp, m.band_bp] {
            check_bps(ctx, range, bps);
        }
        range.check_less_than_safe(ctx, m.max_funding_rate, (1 << 32) + 1);
        check_bits(ctx, range, m.committee.quorum, 3);
        check_bits(ctx, range, m.committee.max_oracle_age, 40);
        check_bits(ctx, range, m.price, 64);
        check_bits(ctx, range, m.price_ts, 40);
        check_bits(ctx, range, m.funding_ts, 40);
        check_signed63(ctx, range, m.funding_index);
        m
    }

    /// The [`MARKET_FIELDS`] fields in hash order.
    pub(super) fn fields(&self) -> [Cell; MARKET_FIELDS] {
        let c = &self.committee;
        let members = c.members.iter().flatten().copied();
        let cells: Vec<Cell> = [
            self.im_bp,
            self.mm_bp,
            self.liq_fee_bp,
            self.max_fee_bp,
            self.band_bp,
            self.max_funding_rate,
        ]
        .into_iter()
        .chain(members)
        .chain([c.quorum, c.max_oracle_age, self.price, self.price_ts])
        .chain([self.funding_index, self.funding_ts])
        .collect();
        cells.try_into().expect("MARKET_FIELDS cells")
    }
}

/// `markets_hash` of four assigned markets.
pub(super) fn markets_hash(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    markets: &[AssignedMarket; MARKETS],
) -> Cell {
    let fields: Vec<Cell> = markets.iter().flat_map(AssignedMarket::fields).collect();
    hasher.hash(ctx, range.gate(), &fields)
}
