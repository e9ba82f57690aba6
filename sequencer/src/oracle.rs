//! The oracle committee's observations, pooled until they make a quorum
//! (PROTOCOL §6.3).
//!
//! Members post signed observations (`POST /v1/observations`). The sequencer
//! checks each at once: the key must be a member of the market's committee
//! (`403 ORACLE_NOT_A_MEMBER`), the signature must verify (`403 SIG_*`), and
//! it must be newer than the market's current value and than the member's
//! previous observation (`409 ORACLE_OBSERVATION_STALE`). It keeps each
//! member's latest fresh observation per market and kind. As soon as a quorum
//! of them lies within `max_oracle_age` of the newest, it builds the update
//! itself: the median of those observations at the earliest of their
//! timestamps, carried with all of them, through the same path as any
//! submission (the native rule checks the quorum again and the circuit proves
//! it). Those observations are then used up. A member that is down or late
//! therefore does not stop updates while a quorum of the others reports.
//!
//! The pool is soft state: it is not stored, and a restart forgets held
//! observations (members report every tick anyway). The updates it built are
//! durable like every accepted transaction.

use clearproof_protocol::oracle::{Committee, Observation, Observed};
use clearproof_protocol::params::{MARKETS, ORACLE_N};
use clearproof_protocol::signature::{PublicKey, Signature};
use clearproof_protocol::state::MarketState;
use clearproof_protocol::types::{FundingIndex, MarketId, Price, Timestamp};

use crate::error::SubmitError;
use clearproof_api::wire::{ObservationRequest, Submission};

/// Held observations of one kind of value, per market and member.
#[derive(Debug)]
struct Book<V> {
    held: [[Option<Observation<V>>; ORACLE_N]; MARKETS],
    /// Per market and member, the newest timestamp taken (held or used).
    latest: [[Option<Timestamp>; ORACLE_N]; MARKETS],
}

impl<V> Default for Book<V> {
    fn default() -> Self {
        Self {
            held: std::array::from_fn(|_| std::array::from_fn(|_| None)),
            latest: Default::default(),
        }
    }
}

impl<V: Observed> Book<V> {
    /// Takes a verified observation of `market` by `committee`'s member
    /// (`current`: the market's timestamp for this value). Returns the
    /// observations that now make a quorum, if they do (still held: the caller
    /// uses them up with [`Book::use_up`]).
    fn offer(
        &mut self,
        market: MarketId,
        committee: &Committee,
        observation: Observation<V>,
        current: Timestamp,
    ) -> Result<Option<Vec<Observation<V>>>, SubmitError> {
        let (m, i) = (market.index(), observation.signer.index());
        if self.held[m][i] == Some(observation) {
            return Ok(self.quorum(market, committee, current)); // a resend: idempotent
        }
        let newest = self.latest[m][i].map_or(current, |t| t.max(current));
        if observation.timestamp <= newest {
            return Err(SubmitError::StaleObservation {
                timestamp: observation.timestamp.get(),
                newest: newest.get(),
            });
        }
        self.held[m][i] = Some(observation);
        self.latest[m][i] = Some(observation.timestamp);
        Ok(self.quorum(market, committee, current))
    }

    /// The fresh held observations within `max_oracle_age` of the newest, if
    /// they are a quorum (signers increasing).
    fn quorum(
        &self,
        market: MarketId,
        committee: &Committee,
        current: Timestamp,
    ) -> Option<Vec<Observation<V>>> {
        let fresh: Vec<Observation<V>> = self.held[market.index()]
            .iter()
            .flatten()
            .filter(|o| o.timestamp > current)
            .copied()
            .collect();
        let newest = fresh.iter().map(|o| o.timestamp.get()).max()?;
        let age = committee.max_oracle_age().get();
        let set: Vec<Observation<V>> =
            fresh.into_iter().filter(|o| o.timestamp.get() + age >= newest).collect();
        (set.len() >= committee.quorum().get() as usize).then_some(set)
    }

    /// [`Book::offer`], then uses up the quorum it returns, if any.
    fn take_quorum(
        &mut self,
        market: MarketId,
        committee: &Committee,
        observation: Observation<V>,
        current: Timestamp,
    ) -> Result<Option<Vec<Observation<V>>>, SubmitError> {
        let set = self.offer(market, committee, observation, current)?;
        if let Some(set) = &set {
            self.use_up(market, set);
        }
        Ok(set)
    }

    /// Forgets `used` (an update was built from them).
    fn use_up(&mut self, market: MarketId, used: &[Observation<V>]) {
        for o in used {
            self.held[market.index()][o.signer.index()] = None;
        }
    }

    fn held(&self, market: MarketId, current: Timestamp) -> usize {
        self.held[market.index()].iter().flatten().filter(|o| o.timestamp > current).count()
    }
}

/// Observations waiting for a quorum, prices and funding indices apart.
#[derive(Debug, Default)]
pub struct ObservationPool {
    prices: Book<Price>,
    funding: Book<FundingIndex>,
}

/// What offering an observation to the pool gave.
#[derive(Debug)]
pub struct Offered {
    /// The update a quorum now authorises, to submit.
    pub update: Option<Submission>,
    /// What the observation measures (`"price"` or `"index"`).
    pub observes: &'static str,
}

impl ObservationPool {
    /// Checks `request` against `committee` and the market's state and holds
    /// it; if a quorum is now held, the update it authorises (its observations
    /// used up).
    pub fn offer(
        &mut self,
        request: &ObservationRequest,
        committee: &Committee,
        market: &MarketState,
    ) -> Result<Offered, SubmitError> {
        match *request {
            ObservationRequest::PriceObservation {
                market: m,
                member,
                price,
                timestamp,
                signature,
            } => {
                let o = observation(committee, m, &member, price, timestamp, signature)?;
                let set = self.prices.take_quorum(m, committee, o, market.price_ts)?;
                let update = set.and_then(|set| Submission::price_update(m, set));
                Ok(Offered { update, observes: Price::NAME })
            }
            ObservationRequest::FundingObservation {
                market: m,
                member,
                index,
                timestamp,
                signature,
            } => {
                let o = observation(committee, m, &member, index, timestamp, signature)?;
                let set = self.funding.take_quorum(m, committee, o, market.funding_ts)?;
                let update = set.and_then(|set| Submission::funding_tick(m, set));
                Ok(Offered { update, observes: FundingIndex::NAME })
            }
        }
    }

    /// Fresh observations held for the market `request` names, of its kind.
    pub fn held(&self, request: &ObservationRequest, market: &MarketState) -> usize {
        match request {
            ObservationRequest::PriceObservation { market: m, .. } => {
                self.prices.held(*m, market.price_ts)
            }
            ObservationRequest::FundingObservation { market: m, .. } => {
                self.funding.held(*m, market.funding_ts)
            }
        }
    }
}

/// The observation `member` signed, if it is a member of `committee` and the
/// signature verifies.
fn observation<V: Observed>(
    committee: &Committee,
    market: MarketId,
    member: &PublicKey,
    value: V,
    timestamp: Timestamp,
    signature: Signature,
) -> Result<Observation<V>, SubmitError> {
    let signer = committee.index_of(member).ok_or(SubmitError::NotAMember)?;
    let observation = Observation { signer, value, timestamp, signature };
    member.verify(observation.message(market), &signature)?;
    Ok(observation)
}
