//! The oracle committee (PROTOCOL v2 §3, §6.3): who may move a market's price
//! and funding index, and the rule a quorum of their observations must meet.
//!
//! Each market's parameters hold a [`Committee`]: up to [`ORACLE_N`] member
//! keys (index `i` is member `i`; unused entries hash as `(0, 0)`), a quorum
//! `q` and `max_oracle_age`. A member signs an [`Observation`] of one value at
//! one time: the message is `H(tag, market, value, timestamp)`, with
//! [`crate::tags::PRICE_OBSERVATION`] for prices and [`crate::tags::FUNDING_OBSERVATION`] for
//! funding indices. A `PriceUpdate{market, price, timestamp}` (or a
//! `FundingTick`) is authorised by `k ≥ q` observations ([`check_quorum`]):
//!
//! - signer indices strictly increasing, each naming a member;
//! - every signature valid under the key of the member it names;
//! - the value is the median of the observed values, the lower middle one when
//!   `k` is even ([`median`]);
//! - the timestamp is the smallest observed one, and every observation is at
//!   most `max_oracle_age` seconds newer than it.
//!
//! So fewer than `q` members cannot move the value at all, and with at most
//! `⌊(k − 1)/2⌋` faulty observations among `k`, the median lies within the
//! honest observations' range. The observations authorise the update but are
//! never posted: the public data is the update alone, and the circuit proves
//! the rule (PROTOCOL §6.1).

use halo2_base::halo2_proofs::halo2curves::ff::Field;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::params::ORACLE_N;
use crate::poseidon;
use crate::signature::{PublicKey, SecretKey, Signature, SignatureError};
use crate::types::{FundingIndex, MarketId, OracleIndex, Price, Quorum, Seconds, Timestamp};
use crate::Fr;

/// Field elements a committee contributes to `markets_hash`: each member's key
/// `(x, y)` (unused `(0, 0)`), the quorum, `max_oracle_age`.
pub const COMMITTEE_FIELDS: usize = 2 * ORACLE_N + 2;

/// A market's oracle committee, fixed at genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CommitteeJson", into = "CommitteeJson")]
pub struct Committee {
    members: [Option<PublicKey>; ORACLE_N],
    quorum: Quorum,
    max_oracle_age: Seconds,
}

/// A committee as genesis files spell it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitteeJson {
    members: Vec<PublicKey>,
    quorum: Quorum,
    max_oracle_age: Seconds,
}

/// Why a committee is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitteeError {
    /// No member, or more than [`ORACLE_N`].
    #[error("a committee has 1 to {ORACLE_N} members, not {0}")]
    Size(usize),
    /// The same key twice: one operator would count as two members.
    #[error("member {0} repeats an earlier member's key")]
    Repeated(usize),
    /// More signatures required than there are members.
    #[error("quorum {quorum} is above the {members} members")]
    QuorumAboveMembers {
        /// The quorum.
        quorum: u8,
        /// The number of members.
        members: usize,
    },
}

impl Committee {
    /// A committee of `members` (member `i` is `members[i]`), distinct keys.
    pub fn new(
        members: &[PublicKey],
        quorum: Quorum,
        max_oracle_age: Seconds,
    ) -> Result<Self, CommitteeError> {
        if members.is_empty() || members.len() > ORACLE_N {
            return Err(CommitteeError::Size(members.len()));
        }
        if let Some(i) = (1..members.len()).find(|&i| members[..i].contains(&members[i])) {
            return Err(CommitteeError::Repeated(i));
        }
        if quorum.get() as usize > members.len() {
            return Err(CommitteeError::QuorumAboveMembers {
                quorum: quorum.get(),
                members: members.len(),
            });
        }
        let mut keys = [None; ORACLE_N];
        for (slot, key) in keys.iter_mut().zip(members) {
            *slot = Some(*key);
        }
        Ok(Self { members: keys, quorum, max_oracle_age })
    }

    /// A committee of one member, quorum 1, `max_oracle_age` one hour (tests
    /// and tools that need a market but not a committee).
    pub fn single(key: PublicKey) -> Self {
        let one = Quorum::new(1).expect("1 is a quorum");
        Self::new(&[key], one, Seconds::new(3_600).expect("an hour")).expect("one member")
    }

    /// Member `i`'s key, if the committee has that many members.
    pub fn member(&self, i: OracleIndex) -> Option<&PublicKey> {
        self.members[i.index()].as_ref()
    }

    /// The index of the member whose key is `key`.
    pub fn index_of(&self, key: &PublicKey) -> Option<OracleIndex> {
        OracleIndex::all().find(|&i| self.member(i) == Some(key))
    }

    /// The members, in index order.
    pub fn members(&self) -> impl Iterator<Item = (OracleIndex, &PublicKey)> {
        OracleIndex::all().filter_map(|i| self.member(i).map(|k| (i, k)))
    }

    /// Signatures an update needs.
    pub fn quorum(&self) -> Quorum {
        self.quorum
    }

    /// The largest spread, in seconds, between an update's oldest and newest
    /// observation.
    pub fn max_oracle_age(&self) -> Seconds {
        self.max_oracle_age
    }

    /// Its [`COMMITTEE_FIELDS`] field elements, in `markets_hash` order.
    pub fn fields(&self) -> [Fr; COMMITTEE_FIELDS] {
        let mut out = [Fr::ZERO; COMMITTEE_FIELDS];
        for (i, key) in self.members.iter().enumerate() {
            if let Some(key) = key {
                [out[2 * i], out[2 * i + 1]] = key.to_fields();
            }
        }
        out[2 * ORACLE_N] = self.quorum.to_field();
        out[2 * ORACLE_N + 1] = self.max_oracle_age.to_field();
        out
    }
}

impl TryFrom<CommitteeJson> for Committee {
    type Error = CommitteeError;
    fn try_from(json: CommitteeJson) -> Result<Self, CommitteeError> {
        Committee::new(&json.members, json.quorum, json.max_oracle_age)
    }
}

impl From<Committee> for CommitteeJson {
    fn from(c: Committee) -> Self {
        CommitteeJson {
            members: c.members().map(|(_, k)| *k).collect(),
            quorum: c.quorum,
            max_oracle_age: c.max_oracle_age,
        }
    }
}

/// A value the committee observes: a price or a funding index.
pub trait Observed:
    Copy + Ord + std::fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// Its observations' message tag.
    const TAG: u64;
    /// The JSON name of the value (`"price"`, `"index"`).
    const NAME: &'static str;
    /// Field encoding.
    fn field(self) -> Fr;
}

impl Observed for Price {
    const TAG: u64 = crate::tags::PRICE_OBSERVATION;
    const NAME: &'static str = "price";
    fn field(self) -> Fr {
        self.to_field()
    }
}

impl Observed for FundingIndex {
    const TAG: u64 = crate::tags::FUNDING_OBSERVATION;
    const NAME: &'static str = "index";
    fn field(self) -> Fr {
        self.to_field()
    }
}

/// The message a member signs for `value` observed at `timestamp` in `market`:
/// `H(tag, market, value, timestamp)`.
pub fn message<V: Observed>(market: MarketId, value: V, timestamp: Timestamp) -> Fr {
    poseidon::hash(&[Fr::from(V::TAG), market.to_field(), value.field(), timestamp.to_field()])
}

/// One member's signed observation, as an update carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound = "V: Observed")]
pub struct Observation<V> {
    /// The member (its index in the committee).
    pub signer: OracleIndex,
    /// The observed price or funding index.
    pub value: V,
    /// When it was observed (seconds).
    pub timestamp: Timestamp,
    /// The member's signature over [`message`].
    pub signature: Signature,
}

impl<V: Observed> Observation<V> {
    /// Member `signer` (secret key `key`) observes `value` at `timestamp`.
    pub fn sign(
        key: &SecretKey,
        signer: OracleIndex,
        market: MarketId,
        value: V,
        timestamp: Timestamp,
    ) -> Self {
        let signature = key.sign(message(market, value, timestamp));
        Self { signer, value, timestamp, signature }
    }

    /// Its message in `market`.
    pub fn message(&self, market: MarketId) -> Fr {
        message(market, self.value, self.timestamp)
    }
}

/// The lower median of `values` (the middle one of the sorted values, the
/// lower middle one for an even count); `None` for no values.
pub fn median<V: Ord + Copy>(values: impl IntoIterator<Item = V>) -> Option<V> {
    let mut v: Vec<V> = values.into_iter().collect();
    v.sort_unstable();
    v.get(v.len().checked_sub(1)? / 2).copied()
}

/// The value and timestamp a set of observations authorises: their lower
/// median and their smallest timestamp.
pub fn aggregate<V: Observed>(observations: &[Observation<V>]) -> Option<(V, Timestamp)> {
    let value = median(observations.iter().map(|o| o.value))?;
    let timestamp = observations.iter().map(|o| o.timestamp).min()?;
    Some((value, timestamp))
}

/// Why observations do not authorise an update (PROTOCOL §6.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OracleError {
    /// Fewer observations than the quorum.
    #[error("{got} observations, the quorum is {quorum}")]
    QuorumNotMet {
        /// Observations carried.
        got: usize,
        /// The market's quorum.
        quorum: u8,
    },
    /// Signer indices not strictly increasing (a member signed twice, or the
    /// list is out of order).
    #[error("observation {0}'s signer is not after the previous one's")]
    SignersNotIncreasing(usize),
    /// A signer index names no member of the committee.
    #[error("signer {0} is not a member of the committee")]
    NotAMember(u8),
    /// A member's signature does not verify under its key.
    #[error("member {signer}'s signature: {error}")]
    Signature {
        /// The member.
        signer: u8,
        /// Why.
        error: SignatureError,
    },
    /// The value is not the (lower) median of the observations.
    #[error("the value is not the median of the observations")]
    NotMedian,
    /// The timestamp is not the smallest observed one.
    #[error("the timestamp {claimed} is not the earliest observation's {earliest}")]
    NotEarliest {
        /// The update's timestamp.
        claimed: u64,
        /// The smallest observed one.
        earliest: u64,
    },
    /// An observation is more than `max_oracle_age` newer than the update's
    /// timestamp: the quorum's observations are too far apart to be one reading.
    #[error(
        "the oldest observation ({timestamp}) is more than {max_age} s older than member \
         {signer}'s ({at})"
    )]
    TooOld {
        /// The member.
        signer: u8,
        /// Its observation's timestamp.
        at: u64,
        /// The update's timestamp.
        timestamp: u64,
        /// The market's `max_oracle_age`.
        max_age: u64,
    },
}

impl OracleError {
    /// Every code observations can be refused with (a bad signature has the
    /// signature's own `SIG_*` code).
    pub const CODES: &'static [&'static str] = &[
        "ORACLE_QUORUM_NOT_MET",
        "ORACLE_SIGNERS_NOT_INCREASING",
        "ORACLE_NOT_A_MEMBER",
        "ORACLE_NOT_MEDIAN",
        "ORACLE_NOT_EARLIEST",
        "ORACLE_OBSERVATION_TOO_OLD",
    ];

    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            OracleError::QuorumNotMet { .. } => "ORACLE_QUORUM_NOT_MET",
            OracleError::SignersNotIncreasing(_) => "ORACLE_SIGNERS_NOT_INCREASING",
            OracleError::NotAMember(_) => "ORACLE_NOT_A_MEMBER",
            OracleError::Signature { error, .. } => error.code(),
            OracleError::NotMedian => "ORACLE_NOT_MEDIAN",
            OracleError::NotEarliest { .. } => "ORACLE_NOT_EARLIEST",
            OracleError::TooOld { .. } => "ORACLE_OBSERVATION_TOO_OLD",
        }
    }
}

/// Checks that `observations` authorise setting `market`'s value to `value` at
/// `timestamp` under `committee` (the rule in the module documentation), in
/// this order: signer order and membership, quorum, signatures, median,
/// earliest timestamp, age.
pub fn check_quorum<V: Observed>(
    committee: &Committee,
    market: MarketId,
    observations: &[Observation<V>],
    value: V,
    timestamp: Timestamp,
) -> Result<(), OracleError> {
    for (i, pair) in observations.windows(2).enumerate() {
        if pair[1].signer <= pair[0].signer {
            return Err(OracleError::SignersNotIncreasing(i + 1));
        }
    }
    let mut keys = Vec::with_capacity(observations.len());
    for o in observations {
        keys.push(committee.member(o.signer).ok_or(OracleError::NotAMember(o.signer.get()))?);
    }
    if observations.len() < committee.quorum().get() as usize {
        return Err(OracleError::QuorumNotMet {
            got: observations.len(),
            quorum: committee.quorum().get(),
        });
    }
    for (o, key) in observations.iter().zip(keys) {
        key.verify(o.message(market), &o.signature)
            .map_err(|error| OracleError::Signature { signer: o.signer.get(), error })?;
    }
    let (median, earliest) = aggregate(observations).expect("at least the quorum, ≥ 1");
    if value != median {
        return Err(OracleError::NotMedian);
    }
    if timestamp != earliest {
        return Err(OracleError::NotEarliest {
            claimed: timestamp.get(),
            earliest: earliest.get(),
        });
    }
    let max_age = committee.max_oracle_age().get();
    if let Some(late) = observations.iter().find(|o| o.timestamp.get() > timestamp.get() + max_age)
    {
        return Err(OracleError::TooOld {
            signer: late.signer.get(),
            at: late.timestamp.get(),
            timestamp: timestamp.get(),
            max_age,
        });
    }
    Ok(())
}

/// The observations every member in `keys` signs of `value` at `timestamp`
/// (tests, benches, tools): members whose secret key `keys` does not know
/// sign nothing.
pub fn sign_all<V: Observed>(
    committee: &Committee,
    keys: &crate::signature::KeyRing,
    market: MarketId,
    value: V,
    timestamp: Timestamp,
) -> Vec<Observation<V>> {
    committee
        .members()
        .filter_map(|(i, pk)| {
            keys.get(pk).map(|k| Observation::sign(k, i, market, value, timestamp))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::key;

    fn committee(q: u8) -> Committee {
        let members: Vec<_> = (1..=4).map(|i| key(i).public_key()).collect();
        Committee::new(&members, Quorum::new(q as i128).unwrap(), Seconds::new(60).unwrap())
            .unwrap()
    }

    fn obs(signer: u8, units: u32, ts: u64) -> Observation<Price> {
        let m = MarketId::new(0).unwrap();
        Observation::sign(
            &key(signer + 1),
            OracleIndex::new(signer as i128).unwrap(),
            m,
            Price::from_units(units),
            Timestamp::new(ts as i128).unwrap(),
        )
    }

    fn check(c: &Committee, o: &[Observation<Price>], units: u32, ts: u64) -> Result<(), String> {
        let m = MarketId::new(0).unwrap();
        check_quorum(c, m, o, Price::from_units(units), Timestamp::new(ts as i128).unwrap())
            .map_err(|e| e.code().to_string())
    }

    #[test]
    fn the_lower_median_and_the_earliest_timestamp_pass() {
        let c = committee(3);
        let set = [obs(0, 100, 10), obs(1, 300, 12), obs(2, 200, 11), obs(3, 900, 13)];
        assert_eq!(check(&c, &set, 200, 10), Ok(()));
        assert_eq!(check(&c, &set[..3], 200, 10), Ok(()));
        assert_eq!(median([4, 1, 3, 2]), Some(2));
        assert_eq!(median([5]), Some(5));
        assert_eq!(median::<u8>([]), None);
    }

    #[test]
    fn each_rule_has_its_code() {
        let c = committee(3);
        let set = [obs(0, 100, 10), obs(1, 300, 12), obs(2, 200, 11)];
        assert_eq!(check(&c, &set[..2], 100, 10).unwrap_err(), "ORACLE_QUORUM_NOT_MET");
        let repeated = [obs(0, 100, 10), obs(0, 100, 10), obs(2, 200, 11)];
        assert_eq!(check(&c, &repeated, 100, 10).unwrap_err(), "ORACLE_SIGNERS_NOT_INCREASING");
        let small = committee(1);
        let three = Committee::new(
            &[key(1).public_key(), key(2).public_key(), key(3).public_key()],
            Quorum::new(1).unwrap(),
            Seconds::new(60).unwrap(),
        )
        .unwrap();
        assert_eq!(check(&three, &[obs(3, 100, 10)], 100, 10).unwrap_err(), "ORACLE_NOT_A_MEMBER");
        let mut forged = set;
        forged[1].value = Price::from_units(301);
        assert_eq!(check(&c, &forged, 200, 10).unwrap_err(), "SIG_BAD_SIGNATURE");
        assert_eq!(check(&c, &set, 201, 10).unwrap_err(), "ORACLE_NOT_MEDIAN");
        assert_eq!(check(&c, &set, 100, 10).unwrap_err(), "ORACLE_NOT_MEDIAN");
        assert_eq!(check(&c, &set, 200, 11).unwrap_err(), "ORACLE_NOT_EARLIEST");
        assert_eq!(check(&c, &set, 200, 9).unwrap_err(), "ORACLE_NOT_EARLIEST");
        let spread = [obs(0, 100, 10), obs(1, 300, 71), obs(2, 200, 11)];
        assert_eq!(check(&c, &spread, 200, 10).unwrap_err(), "ORACLE_OBSERVATION_TOO_OLD");
        let edge = [obs(0, 100, 10), obs(1, 300, 70), obs(2, 200, 11)];
        assert_eq!(check(&c, &edge, 200, 10), Ok(()));
        assert_eq!(check(&small, &[obs(0, 7, 5)], 7, 5), Ok(()));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// With at most `⌊(k − 1)/2⌋` arbitrary outliers among `k`
        /// observations, the median the rule accepts lies within the honest
        /// observations' range, and the rule accepts exactly the aggregate.
        #[test]
        fn a_minority_of_outliers_cannot_move_the_median_out_of_the_honest_range(
            k in 3usize..=4,
            honest in proptest::collection::vec(1u32..1_000_000, 4),
            outliers in proptest::collection::vec(proptest::prelude::any::<u32>(), 1),
            positions in proptest::collection::vec(0usize..4, 1),
            times in proptest::collection::vec(0u64..60, 4),
        ) {
            let faulty = (k - 1) / 2;
            let mut values: Vec<u32> = honest[..k].to_vec();
            let mut is_honest = vec![true; k];
            for (o, p) in outliers.iter().zip(&positions).take(faulty) {
                values[p % k] = *o;
                is_honest[p % k] = false;
            }
            let set: Vec<_> = (0..k).map(|i| obs(i as u8, values[i], 1_000 + times[i])).collect();
            let (median, earliest) = aggregate(&set).unwrap();
            let honest_values: Vec<u32> =
                (0..k).filter(|&i| is_honest[i]).map(|i| values[i]).collect();
            let lo = Price::from_units(*honest_values.iter().min().unwrap());
            let hi = Price::from_units(*honest_values.iter().max().unwrap());
            proptest::prop_assert!(lo <= median && median <= hi);
            let c = committee(3);
            let m = MarketId::new(0).unwrap();
            proptest::prop_assert_eq!(check_quorum(&c, m, &set, median, earliest), Ok(()));
        }
    }

    #[test]
    fn committees_are_validated_and_round_trip_through_json() {
        let (a, b) = (key(1).public_key(), key(2).public_key());
        let q = |x| Quorum::new(x).unwrap();
        let age = Seconds::new(60).unwrap();
        assert_eq!(Committee::new(&[], q(1), age), Err(CommitteeError::Size(0)));
        assert_eq!(Committee::new(&[a, a], q(1), age), Err(CommitteeError::Repeated(1)));
        assert!(matches!(
            Committee::new(&[a, b], q(3), age),
            Err(CommitteeError::QuorumAboveMembers { .. })
        ));
        let c = committee(3);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Committee>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Committee>(&json.replace("\"3\"", "\"0\"")).is_err());
        let fields = Committee::new(&[a], q(1), age).unwrap().fields();
        assert_eq!(&fields[2..8], &[Fr::ZERO; 6]);
        assert_eq!(fields[8], Fr::from(1));
        assert_eq!(fields[9], Fr::from(60));
    }
}
