//! EdDSA over Baby Jubjub with a Poseidon challenge (PROTOCOL §6).
//!
//! # Curve
//!
//! Baby Jubjub as defined by `ark-ed-on-bn254`: the twisted Edwards curve
//! `x² + y² = 1 + d·x²·y²` over the BN254 scalar field, which is the protocol's
//! field [`Fr`]. Its group has order `8·l`, where `l` (a 251-bit prime, the scalar
//! field of `ark_ed_on_bn254`) is the order of the subgroup used here. The base
//! point is `B = EdwardsAffine::generator()`.
//!
//! Because the curve's coordinates live in the protocol field, a point is two
//! protocol field elements ([`PublicKey::to_fields`]), which is what makes it cheap
//! to hash with Poseidon and, later, to check the signature inside the circuit.
//!
//! # Keys
//!
//! A [`SecretKey`] is a 32-byte seed. It is expanded as in Ed25519 but without
//! clamping: `h = SHA-512(seed)`, the secret scalar is `a = h[0..32]` read as a
//! little-endian integer reduced mod `l`, and `h[32..64]` is the nonce prefix.
//! Clamping exists for Curve25519's Montgomery ladder and is meaningless here;
//! reducing 256 bits mod a 251-bit prime leaves `a` with about 251.5 bits of
//! min-entropy. A seed giving `a = 0` is rejected. The public key is `A = a·B`.
//!
//! # Signing and verification
//!
//! The message is a single field element (the Poseidon hash of a transaction's
//! field encoding). With `c = Poseidon(R.x, R.y, A.x, A.y, msg)`:
//!
//! - sign: `r = SHA-512(prefix ‖ msg_le) mod l`, `R = r·B`, `s = r + (c mod l)·a mod l`;
//! - verify: `s·B == R + c·A`.
//!
//! The nonce is derived deterministically so that a broken RNG can never repeat a
//! nonce across messages; 64 hash bytes reduced mod `l` make its bias negligible.
//!
//! In verification `c` is used as the full 254-bit integer, not reduced mod `l`.
//! Both are equivalent because `A` has order `l`, but the unreduced form is what a
//! circuit can compute without non-native arithmetic: it can decompose the Poseidon
//! output into bits and feed them straight into a scalar multiplication.
//!
//! Every [`PublicKey`] and every signature's `R` is checked at construction and
//! decoding to be on the curve and in the order-`l` subgroup (and a public key
//! must not be the identity). Under that invariant the verification equation
//! needs no cofactor multiplication, and a key or `R` with a small-order
//! component, which would let one message have several valid signatures, can
//! never reach [`verify`].
//!
//! Signing uses arkworks' variable-time scalar multiplication; it is meant for
//! clients and tests, not for hardened key custody.
//!
//! # Encodings
//!
//! - [`SecretKey`]: the 32-byte seed, 64 lowercase hex characters.
//! - [`PublicKey`]: arkworks' 32-byte compressed form (`serialize_compressed`):
//!   `y` little-endian with the top bit set when `x` is the lexicographically
//!   larger root; 64 hex characters. Decoding is strict: the bytes must be exactly
//!   what encoding the decoded point produces, so every point has one encoding.
//! - [`Signature`]: compressed `R` (32 bytes) ‖ `s` little-endian (32 bytes),
//!   128 hex characters. `s` must be canonical (`< l`); it is never reduced, so
//!   signatures are not malleable by adding `l` to `s`.
//!
//! With the `serde` traits, keys and signatures are their hex strings.
//!
//! Every failure is a [`SignatureError`] with a stable code ([`SignatureError::code`]).

use std::fmt;

use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, Fq, Fr as Scalar};
use ark_ff::{BigInt, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};

use crate::poseidon;

/// Bytes in a secret-key seed.
pub const SECRET_KEY_LEN: usize = 32;
/// Bytes in an encoded public key (a compressed point).
pub const PUBLIC_KEY_LEN: usize = 32;
/// Bytes in an encoded signature (compressed `R` then `s`).
pub const SIGNATURE_LEN: usize = 64;

/// Why a key or signature was rejected. Each variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The input is not hexadecimal.
    #[error("invalid hex")]
    InvalidHex,
    /// The input has the wrong length for what is being decoded.
    #[error("invalid length")]
    InvalidLength,
    /// The coordinates or bytes do not (canonically) encode a point on the curve.
    #[error("point is not on the curve")]
    PointNotOnCurve,
    /// The point is on the curve but outside the prime-order subgroup.
    #[error("point is not in the prime-order subgroup")]
    PointNotInSubgroup,
    /// The public key is the identity point (or the seed gives a zero scalar).
    #[error("public key is the identity")]
    IdentityKey,
    /// The scalar `s` is not below the subgroup order.
    #[error("scalar is not canonical")]
    NonCanonicalScalar,
    /// The signature does not verify for this key and message.
    #[error("bad signature")]
    BadSignature,
}

impl SignatureError {
    /// Stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidHex => "SIG_INVALID_HEX",
            Self::InvalidLength => "SIG_INVALID_LENGTH",
            Self::PointNotOnCurve => "SIG_POINT_NOT_ON_CURVE",
            Self::PointNotInSubgroup => "SIG_POINT_NOT_IN_SUBGROUP",
            Self::IdentityKey => "SIG_IDENTITY_KEY",
            Self::NonCanonicalScalar => "SIG_NONCANONICAL_SCALAR",
            Self::BadSignature => "SIG_BAD_SIGNATURE",
        }
    }
}

// ---------------------------------------------------------------------------
// Field conversions. `ark_ed_on_bn254::Fq` and halo2curves' `Fr` are the same
// field (asserted by a test), so both directions are exact; going through the
// canonical little-endian integer keeps the two libraries' internal
// representations out of it.

fn le_bytes_to_limbs(bytes: &[u8; 32]) -> [u64; 4] {
    std::array::from_fn(|i| {
        let mut limb = [0u8; 8];
        limb.copy_from_slice(&bytes[8 * i..8 * i + 8]);
        u64::from_le_bytes(limb)
    })
}

fn limbs_to_le_bytes(limbs: &[u64; 4]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, limb) in out.chunks_exact_mut(8).zip(limbs) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    out
}

/// Converts a Baby Jubjub base-field element to the protocol field (same field).
pub fn fq_to_fr(x: Fq) -> Fr {
    let bytes = limbs_to_le_bytes(&x.into_bigint().0);
    Option::from(Fr::from_bytes(&bytes)).expect("Fq and Fr have the same modulus")
}

/// Converts a protocol field element to the Baby Jubjub base field (same field).
pub fn fr_to_fq(x: Fr) -> Fq {
    Fq::from_bigint(BigInt(le_bytes_to_limbs(&x.to_bytes())))
        .expect("Fq and Fr have the same modulus")
}

// ---------------------------------------------------------------------------
// Points.

/// Checks the invariant every key and `R` must satisfy: on the curve and in the
/// order-`l` subgroup.
fn check_subgroup(p: EdwardsAffine) -> Result<EdwardsAffine, SignatureError> {
    if !p.is_on_curve() {
        return Err(SignatureError::PointNotOnCurve);
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(SignatureError::PointNotInSubgroup);
    }
    Ok(p)
}

fn encode_point(p: &EdwardsAffine) -> [u8; 32] {
    let mut out = [0u8; 32];
    p.serialize_compressed(&mut out[..]).expect("a compressed Baby Jubjub point is 32 bytes");
    out
}

/// Decodes and validates a point, remembering the points recently decoded:
/// the same order's `R` arrives with every fill, and its subgroup check is a
/// full scalar multiplication. Only valid points are remembered, so a hit is
/// as good as a check.
fn decode_point(bytes: &[u8; 32]) -> Result<EdwardsAffine, SignatureError> {
    static DECODED: Memo<[u8; 32], EdwardsAffine> = Memo::new();
    if let Some(p) = DECODED.get(bytes) {
        return Ok(p);
    }
    let p = decode_point_uncached(bytes)?;
    DECODED.insert(*bytes, p);
    Ok(p)
}

/// A bounded map of recent results, shared by the process (emptied when it
/// reaches [`Memo::CAPACITY`] entries).
pub(crate) struct Memo<K, V>(
    std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<K, V>>>,
);

impl<K: std::hash::Hash + Eq, V: Copy> Memo<K, V> {
    const CAPACITY: usize = 1 << 16;

    pub(crate) const fn new() -> Self {
        Self(std::sync::LazyLock::new(Default::default))
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(key).copied()
    }

    pub(crate) fn insert(&self, key: K, value: V) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(key, value);
    }
}

fn decode_point_uncached(bytes: &[u8; 32]) -> Result<EdwardsAffine, SignatureError> {
    // Unchecked, so that a subgroup failure is reported as our own error variant.
    let p = EdwardsAffine::deserialize_compressed_unchecked(&bytes[..])
        .map_err(|_| SignatureError::PointNotOnCurve)?;
    // Arkworks accepts the sign bit on the two points with x = 0, giving them a
    // second encoding; requiring a byte-exact re-encoding keeps encodings unique.
    if encode_point(&p) != *bytes {
        return Err(SignatureError::PointNotOnCurve);
    }
    check_subgroup(p)
}

fn decode_hex<const N: usize>(s: &str) -> Result<[u8; N], SignatureError> {
    if s.len() != 2 * N {
        return Err(SignatureError::InvalidLength);
    }
    // One spelling per value: lowercase only (hex::decode also takes uppercase).
    if !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(SignatureError::InvalidHex);
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|_| SignatureError::InvalidHex)?;
    Ok(out)
}

// ---------------------------------------------------------------------------
// Keys.

/// An EdDSA secret key: a 32-byte seed and its expansion.
#[derive(Clone)]
pub struct SecretKey {
    seed: [u8; SECRET_KEY_LEN],
    scalar: Scalar,
    prefix: [u8; 32],
    public: PublicKey,
}

impl SecretKey {
    /// Draws a fresh key from `rng`.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        loop {
            let mut seed = [0u8; SECRET_KEY_LEN];
            rng.fill_bytes(&mut seed);
            // Only a seed with a zero scalar fails (probability about 2^-251).
            if let Ok(key) = Self::from_bytes(seed) {
                return key;
            }
        }
    }

    /// Expands a seed; fails with [`SignatureError::IdentityKey`] if its scalar is zero.
    pub fn from_bytes(seed: [u8; SECRET_KEY_LEN]) -> Result<Self, SignatureError> {
        let h = Sha512::digest(seed);
        let scalar = Scalar::from_le_bytes_mod_order(&h[..32]);
        let public = PublicKey::from_point(
            EdwardsAffine::generator().mul_bigint(scalar.into_bigint()).into_affine(),
        )?;
        let mut prefix = [0u8; 32];
        prefix.copy_from_slice(&h[32..]);
        Ok(Self { seed, scalar, prefix, public })
    }

    /// The seed.
    pub fn to_bytes(&self) -> [u8; SECRET_KEY_LEN] {
        self.seed
    }

    /// Parses 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, SignatureError> {
        Self::from_bytes(decode_hex(s)?)
    }

    /// The seed as 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.seed)
    }

    /// The matching public key `A = a·B`.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Signs `msg` deterministically.
    pub fn sign(&self, msg: Fr) -> Signature {
        let nonce = Sha512::new().chain_update(self.prefix).chain_update(msg.to_bytes()).finalize();
        let r = Scalar::from_le_bytes_mod_order(&nonce);
        let big_r = EdwardsAffine::generator().mul_bigint(r.into_bigint()).into_affine();
        let c = challenge(&big_r, &self.public, msg);
        let s = r + Scalar::from_le_bytes_mod_order(&c.to_bytes()) * self.scalar;
        Signature { r: big_r, s }
    }
}

impl fmt::Debug for SecretKey {
    // Never print the seed: debug output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey").field("public", &self.public).finish_non_exhaustive()
    }
}

/// An EdDSA public key: a non-identity point of the order-`l` subgroup.
///
/// The point is private so that every value has passed validation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(EdwardsAffine);

impl PublicKey {
    /// Validates a point: on the curve, in the subgroup, not the identity.
    pub fn from_point(p: EdwardsAffine) -> Result<Self, SignatureError> {
        let p = check_subgroup(p)?;
        if p.is_zero() {
            return Err(SignatureError::IdentityKey);
        }
        Ok(Self(p))
    }

    /// Builds and validates a key from affine coordinates in the protocol field.
    pub fn from_xy(x: Fr, y: Fr) -> Result<Self, SignatureError> {
        Self::from_point(EdwardsAffine::new_unchecked(fr_to_fq(x), fr_to_fq(y)))
    }

    /// The affine coordinates `[x, y]` in the protocol field, as hashed into state.
    pub fn to_fields(&self) -> [Fr; 2] {
        [fq_to_fr(self.0.x), fq_to_fr(self.0.y)]
    }

    /// The underlying curve point.
    pub fn point(&self) -> EdwardsAffine {
        self.0
    }

    /// The 32-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        encode_point(&self.0)
    }

    /// Decodes and validates a 32-byte compressed encoding.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, SignatureError> {
        Self::from_point(decode_point(bytes)?)
    }

    /// The encoding as 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Parses and validates 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, SignatureError> {
        Self::from_bytes(&decode_hex(s)?)
    }

    /// Checks `sig` on `msg` under this key; see [`verify`].
    pub fn verify(&self, msg: Fr, sig: &Signature) -> Result<(), SignatureError> {
        verify(self, msg, sig)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

// ---------------------------------------------------------------------------
// Signatures.

/// An EdDSA signature `(R, s)`: `R` in the order-`l` subgroup, `s < l`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature {
    r: EdwardsAffine,
    s: Scalar,
}

impl Signature {
    /// The commitment point `R`.
    pub fn r(&self) -> EdwardsAffine {
        self.r
    }

    /// The response scalar `s`.
    pub fn s(&self) -> Scalar {
        self.s
    }

    /// Compressed `R` (32 bytes) followed by `s` little-endian (32 bytes).
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        out[..32].copy_from_slice(&encode_point(&self.r));
        out[32..].copy_from_slice(&limbs_to_le_bytes(&self.s.into_bigint().0));
        out
    }

    /// Decodes strictly: `R` must be a canonical subgroup point and `s < l`.
    pub fn from_bytes(bytes: &[u8; SIGNATURE_LEN]) -> Result<Self, SignatureError> {
        let mut r_bytes = [0u8; 32];
        r_bytes.copy_from_slice(&bytes[..32]);
        let mut s_bytes = [0u8; 32];
        s_bytes.copy_from_slice(&bytes[32..]);
        let r = decode_point(&r_bytes)?;
        let s = Scalar::from_bigint(BigInt(le_bytes_to_limbs(&s_bytes)))
            .ok_or(SignatureError::NonCanonicalScalar)?;
        Ok(Self { r, s })
    }

    /// The encoding as 128 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Parses and validates 128 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, SignatureError> {
        Self::from_bytes(&decode_hex(s)?)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex())
    }
}

/// The challenge `c = Poseidon(R.x, R.y, A.x, A.y, msg)`.
///
/// Exposed so the circuit can be tested against the same value.
pub fn challenge(r: &EdwardsAffine, pk: &PublicKey, msg: Fr) -> Fr {
    let [ax, ay] = pk.to_fields();
    poseidon::hash(&[fq_to_fr(r.x), fq_to_fr(r.y), ax, ay, msg])
}

/// Checks `s·B == R + c·A`, with `c` the full (unreduced) challenge integer.
///
/// Verification is a pure function of `(pk, msg, sig)`, so successes are
/// remembered ([`VERIFIED`]): the sequencer checks a submission's
/// signatures up front (outside its lock, in parallel) and the native rule
/// checks them again under the lock, which then costs a lookup.
pub fn verify(pk: &PublicKey, msg: Fr, sig: &Signature) -> Result<(), SignatureError> {
    let entry = (*pk, halo2_base::halo2_proofs::halo2curves::ff::PrimeField::to_repr(&msg), *sig);
    if VERIFIED.get(&entry).is_some() {
        return Ok(());
    }
    verify_uncached(pk, msg, sig)?;
    VERIFIED.insert(entry, ());
    Ok(())
}

/// The signatures recently found valid: `(key, message bytes, signature)`.
/// Only [`verify`] inserts, after the full check, so a hit is as good as a
/// check. Bounded like every [`Memo`].
static VERIFIED: Memo<CacheEntry, ()> = Memo::new();

type CacheEntry = (PublicKey, [u8; 32], Signature);

/// [`verify`] without the cache.
fn verify_uncached(pk: &PublicKey, msg: Fr, sig: &Signature) -> Result<(), SignatureError> {
    // No cofactor clearing: `PublicKey` and `Signature` can only hold points of the
    // order-`l` subgroup, so `c·A = (c mod l)·A` and the equation is the plain one.
    let c = fr_to_fq(challenge(&sig.r, pk, msg)).into_bigint();
    let lhs = EdwardsAffine::generator().mul_bigint(sig.s.into_bigint());
    let rhs = sig.r.into_group() + pk.0.mul_bigint(c);
    if lhs == rhs {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

// ---------------------------------------------------------------------------
// Serde: hex strings, so JSON and config files carry the same text as the CLI.

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::from_hex(&s).map_err(|e| serde::de::Error::custom(format!("{}: {e}", e.code())))
    }
}

impl serde::Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::from_hex(&s).map_err(|e| serde::de::Error::custom(format!("{}: {e}", e.code())))
    }
}

/// Secret keys by their owner keys: how tests, benches and tools sign
/// ([`crate::tx::SignedTx::exact`]). Each public key is computed once, when the ring is made.
#[derive(Debug, Clone, Default)]
pub struct KeyRing(Vec<(PublicKey, SecretKey)>);

impl KeyRing {
    /// A ring of `keys`.
    pub fn new(keys: impl IntoIterator<Item = SecretKey>) -> Self {
        Self(keys.into_iter().map(|k| (k.public_key(), k)).collect())
    }

    /// The secret key of `owner`, if the ring holds it.
    pub fn get(&self, owner: &PublicKey) -> Option<&SecretKey> {
        self.0.iter().find(|(pk, _)| pk == owner).map(|(_, k)| k)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_remembered_signature_covers_only_its_own_key_message_and_signature() {
        let (a, b) =
            (SecretKey::from_bytes([3; 32]).unwrap(), SecretKey::from_bytes([4; 32]).unwrap());
        let (msg, other) = (Fr::from(41), Fr::from(42));
        let sig = a.sign(msg);
        // Twice: the second is answered from the memo.
        assert_eq!(a.public_key().verify(msg, &sig), Ok(()));
        assert_eq!(a.public_key().verify(msg, &sig), Ok(()));
        assert_eq!(a.public_key().verify(other, &sig), Err(SignatureError::BadSignature));
        assert_eq!(b.public_key().verify(msg, &sig), Err(SignatureError::BadSignature));
        assert_eq!(a.public_key().verify(msg, &a.sign(other)), Err(SignatureError::BadSignature));
    }
    use super::*;
    use ark_ec::twisted_edwards::TECurveConfig;
    use ark_ed_on_bn254::EdwardsConfig;
    use ark_ff::{AdditiveGroup, Field, UniformRand};
    use halo2_base::halo2_proofs::halo2curves::ff::Field as _;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use serde::Deserialize;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(0x5167_0001)
    }

    fn random_msg(rng: &mut StdRng) -> Fr {
        Fr::random(&mut *rng)
    }

    /// A curve point of order 2, 4 or 8: a random curve point times `l`.
    fn low_order_point(rng: &mut StdRng) -> EdwardsAffine {
        loop {
            let y = Fq::rand(rng);
            if let Some(p) = EdwardsAffine::get_point_from_y_unchecked(y, false) {
                let t = p.mul_bigint(Scalar::MODULUS).into_affine();
                if !t.is_zero() {
                    assert!(t.is_on_curve());
                    assert!(t.mul_bigint([8u64]).into_affine().is_zero());
                    return t;
                }
            }
        }
    }

    /// Compressed encoding of any curve point, bypassing all validation.
    fn raw_encoding(p: &EdwardsAffine) -> [u8; 32] {
        encode_point(p)
    }

    #[test]
    fn ark_base_field_is_the_protocol_field() {
        // p - 1 ends in a zero bit, so adding one to the low limb cannot carry.
        let mut modulus = le_bytes_to_limbs(&(-Fr::ONE).to_bytes());
        modulus[0] += 1;
        assert_eq!(modulus, Fq::MODULUS.0);
        assert_eq!(fq_to_fr(-Fq::ONE), -Fr::ONE);
        let mut rng = rng();
        for _ in 0..100 {
            let x = Fr::random(&mut rng);
            assert_eq!(fq_to_fr(fr_to_fq(x)), x);
            let y = Fq::rand(&mut rng);
            assert_eq!(fr_to_fq(fq_to_fr(y)), y);
        }
    }

    #[test]
    fn generator_is_not_identity_and_has_prime_order_l() {
        let b = EdwardsAffine::generator();
        assert!(!b.is_zero());
        assert!(b.is_on_curve());
        assert!(b.mul_bigint(Scalar::MODULUS).into_affine().is_zero());
        assert_eq!(b, EdwardsConfig::GENERATOR);
    }

    #[test]
    fn sign_then_verify_succeeds_for_many_random_keys_and_messages() {
        let mut rng = rng();
        for _ in 0..50 {
            let sk = SecretKey::generate(&mut rng);
            let pk = sk.public_key();
            for _ in 0..4 {
                let msg = random_msg(&mut rng);
                let sig = sk.sign(msg);
                assert_eq!(verify(&pk, msg, &sig), Ok(()));
                assert_eq!(pk.verify(msg, &sig), Ok(()));
            }
        }
        // Edge messages.
        let sk = SecretKey::generate(&mut rng);
        for msg in [Fr::ZERO, Fr::ONE, -Fr::ONE] {
            assert_eq!(verify(&sk.public_key(), msg, &sk.sign(msg)), Ok(()));
        }
    }

    #[test]
    fn signing_is_deterministic_and_message_dependent() {
        let mut rng = rng();
        let sk = SecretKey::generate(&mut rng);
        let msg = random_msg(&mut rng);
        assert_eq!(sk.sign(msg), sk.sign(msg));
        assert_ne!(sk.sign(msg).r(), sk.sign(msg + Fr::ONE).r());
    }

    #[test]
    fn tampered_message_is_rejected() {
        let mut rng = rng();
        let sk = SecretKey::generate(&mut rng);
        let msg = random_msg(&mut rng);
        let sig = sk.sign(msg);
        let err = verify(&sk.public_key(), msg + Fr::ONE, &sig).unwrap_err();
        assert_eq!(err, SignatureError::BadSignature);
        assert_eq!(err.code(), "SIG_BAD_SIGNATURE");
    }

    #[test]
    fn tampered_s_is_rejected() {
        let mut rng = rng();
        let sk = SecretKey::generate(&mut rng);
        let msg = random_msg(&mut rng);
        let mut sig = sk.sign(msg);
        sig.s += Scalar::ONE;
        assert_eq!(verify(&sk.public_key(), msg, &sig), Err(SignatureError::BadSignature));
    }

    #[test]
    fn tampered_r_is_rejected_even_when_a_valid_subgroup_point() {
        let mut rng = rng();
        let sk = SecretKey::generate(&mut rng);
        let msg = random_msg(&mut rng);
        let sig = sk.sign(msg);
        let other_r = (sig.r + EdwardsAffine::generator()).into_affine();
        // Still decodable: the rejection comes from the equation, not the encoding.
        let mut bytes = sig.to_bytes();
        bytes[..32].copy_from_slice(&encode_point(&other_r));
        let forged = Signature::from_bytes(&bytes).expect("R' is a valid subgroup point");
        assert_eq!(verify(&sk.public_key(), msg, &forged), Err(SignatureError::BadSignature));
    }

    #[test]
    fn signature_under_another_key_is_rejected() {
        let mut rng = rng();
        let sk = SecretKey::generate(&mut rng);
        let other = SecretKey::generate(&mut rng);
        let msg = random_msg(&mut rng);
        let sig = sk.sign(msg);
        assert_eq!(verify(&other.public_key(), msg, &sig), Err(SignatureError::BadSignature));
    }

    #[test]
    fn order_two_point_is_rejected_as_public_key() {
        let t = EdwardsAffine::new_unchecked(Fq::ZERO, -Fq::ONE);
        assert!(t.is_on_curve());
        let err = PublicKey::from_xy(Fr::ZERO, -Fr::ONE).unwrap_err();
        assert_eq!(err, SignatureError::PointNotInSubgroup);
        assert_eq!(err.code(), "SIG_POINT_NOT_IN_SUBGROUP");
        assert_eq!(
            PublicKey::from_hex(&hex::encode(raw_encoding(&t))),
            Err(SignatureError::PointNotInSubgroup)
        );
    }

    #[test]
    fn public_key_with_low_order_component_is_rejected() {
        let mut rng = rng();
        for _ in 0..10 {
            let a = SecretKey::generate(&mut rng).public_key().point();
            let t = low_order_point(&mut rng);
            // The small-order point alone, and a valid key shifted by it.
            for p in [t, (a + t).into_affine()] {
                let [x, y] = [fq_to_fr(p.x), fq_to_fr(p.y)];
                assert_eq!(PublicKey::from_xy(x, y), Err(SignatureError::PointNotInSubgroup));
                assert_eq!(
                    PublicKey::from_hex(&hex::encode(raw_encoding(&p))),
                    Err(SignatureError::PointNotInSubgroup)
                );
            }
        }
    }

    #[test]
    fn identity_public_key_is_rejected() {
        let err = PublicKey::from_xy(Fr::ZERO, Fr::ONE).unwrap_err();
        assert_eq!(err, SignatureError::IdentityKey);
        assert_eq!(err.code(), "SIG_IDENTITY_KEY");
        let id = EdwardsAffine::zero();
        assert_eq!(
            PublicKey::from_hex(&hex::encode(raw_encoding(&id))),
            Err(SignatureError::IdentityKey)
        );
        assert_eq!(PublicKey::from_point(id), Err(SignatureError::IdentityKey));
    }

    #[test]
    fn point_off_curve_is_rejected_by_from_xy() {
        let err = PublicKey::from_xy(Fr::ONE, Fr::ONE).unwrap_err();
        assert_eq!(err, SignatureError::PointNotOnCurve);
        assert_eq!(err.code(), "SIG_POINT_NOT_ON_CURVE");
        // A valid key with one coordinate nudged is off the curve too.
        let [x, y] = SecretKey::generate(&mut rng()).public_key().to_fields();
        assert_eq!(PublicKey::from_xy(x + Fr::ONE, y), Err(SignatureError::PointNotOnCurve));
    }

    #[test]
    fn non_canonical_point_encodings_are_rejected() {
        // y = p (not reduced).
        let p_bytes = limbs_to_le_bytes(&Fq::MODULUS.0);
        assert_eq!(PublicKey::from_bytes(&p_bytes), Err(SignatureError::PointNotOnCurve));
        // A y with no x on the curve: find one by search.
        let mut y = Fq::from(2u64);
        while EdwardsAffine::get_point_from_y_unchecked(y, false).is_some() {
            y += Fq::ONE;
        }
        let bytes = limbs_to_le_bytes(&y.into_bigint().0);
        assert_eq!(PublicKey::from_bytes(&bytes), Err(SignatureError::PointNotOnCurve));
        // The identity with the x-sign bit set decodes in arkworks but is a second encoding.
        let mut id = raw_encoding(&EdwardsAffine::zero());
        id[31] |= 0x80;
        assert!(EdwardsAffine::deserialize_compressed_unchecked(&id[..]).is_ok());
        let mut sig_bytes = SecretKey::generate(&mut rng()).sign(Fr::ONE).to_bytes();
        sig_bytes[..32].copy_from_slice(&id);
        assert_eq!(Signature::from_bytes(&sig_bytes), Err(SignatureError::PointNotOnCurve));
    }

    #[test]
    fn signature_with_r_outside_subgroup_is_rejected_at_decoding() {
        let mut rng = rng();
        let sk = SecretKey::generate(&mut rng);
        let msg = random_msg(&mut rng);
        let sig = sk.sign(msg);
        let bad_r = (sig.r + low_order_point(&mut rng)).into_affine();
        let mut bytes = sig.to_bytes();
        bytes[..32].copy_from_slice(&raw_encoding(&bad_r));
        assert_eq!(Signature::from_bytes(&bytes), Err(SignatureError::PointNotInSubgroup));
        assert_eq!(
            Signature::from_hex(&hex::encode(bytes)),
            Err(SignatureError::PointNotInSubgroup)
        );
    }

    #[test]
    fn non_canonical_s_is_rejected() {
        let mut rng = rng();
        let sk = SecretKey::generate(&mut rng);
        let sig = sk.sign(random_msg(&mut rng));
        // s + l still fits in 32 bytes (l < 2^252), so only the canonicity check stops it.
        let mut s_plus_l = sig.s.into_bigint();
        let carry = ark_ff::BigInteger::add_with_carry(&mut s_plus_l, &Scalar::MODULUS);
        assert!(!carry);
        let mut bytes = sig.to_bytes();
        bytes[32..].copy_from_slice(&limbs_to_le_bytes(&s_plus_l.0));
        let err = Signature::from_bytes(&bytes).unwrap_err();
        assert_eq!(err, SignatureError::NonCanonicalScalar);
        assert_eq!(err.code(), "SIG_NONCANONICAL_SCALAR");
        // l itself (s = 0 written non-canonically) too.
        bytes[32..].copy_from_slice(&limbs_to_le_bytes(&Scalar::MODULUS.0));
        assert_eq!(Signature::from_bytes(&bytes), Err(SignatureError::NonCanonicalScalar));
    }

    #[test]
    fn keys_and_signatures_round_trip_through_hex_and_bytes() {
        let mut rng = rng();
        for _ in 0..20 {
            let sk = SecretKey::generate(&mut rng);
            let sk_hex = sk.to_hex();
            assert_eq!(sk_hex.len(), 64);
            let sk2 = SecretKey::from_hex(&sk_hex).unwrap();
            assert_eq!(sk2.to_bytes(), sk.to_bytes());
            assert_eq!(sk2.public_key(), sk.public_key());

            let pk = sk.public_key();
            let pk_hex = pk.to_hex();
            assert_eq!(pk_hex.len(), 64);
            assert_eq!(PublicKey::from_hex(&pk_hex), Ok(pk));
            assert_eq!(PublicKey::from_bytes(&pk.to_bytes()), Ok(pk));
            let [x, y] = pk.to_fields();
            assert_eq!(PublicKey::from_xy(x, y), Ok(pk));

            let msg = random_msg(&mut rng);
            let sig = sk.sign(msg);
            let sig_hex = sig.to_hex();
            assert_eq!(sig_hex.len(), 128);
            let sig2 = Signature::from_hex(&sig_hex).unwrap();
            assert_eq!(sig2, sig);
            assert_eq!(Signature::from_bytes(&sig.to_bytes()), Ok(sig));
            assert_eq!(verify(&pk, msg, &sig2), Ok(()));
        }
    }

    #[test]
    fn serde_reads_the_hex_strings() {
        use serde::de::value::{Error as DeError, StrDeserializer};
        let mut rng = rng();
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        let sig = sk.sign(Fr::ONE);
        fn de(s: &str) -> StrDeserializer<'_, DeError> {
            StrDeserializer::new(s)
        }
        assert_eq!(PublicKey::deserialize(de(&pk.to_hex())).unwrap(), pk);
        assert_eq!(Signature::deserialize(de(&sig.to_hex())).unwrap(), sig);
        let err = PublicKey::deserialize(de("zz")).unwrap_err();
        assert!(err.to_string().contains("SIG_INVALID_LENGTH"), "{err}");
    }

    #[test]
    fn invalid_hex_is_rejected_with_invalid_hex_code() {
        let bad64 = "g".repeat(64);
        let bad128 = "0x".repeat(64);
        for err in [
            SecretKey::from_hex(&bad64).unwrap_err(),
            PublicKey::from_hex(&bad64).unwrap_err(),
            Signature::from_hex(&bad128).unwrap_err(),
        ] {
            assert_eq!(err, SignatureError::InvalidHex);
            assert_eq!(err.code(), "SIG_INVALID_HEX");
        }
    }

    #[test]
    fn wrong_length_is_rejected_with_invalid_length_code() {
        let mut rng = rng();
        let sk = SecretKey::generate(&mut rng);
        let pk_hex = sk.public_key().to_hex();
        let sig_hex = sk.sign(Fr::ONE).to_hex();
        let cases = [
            SecretKey::from_hex("").unwrap_err(),
            SecretKey::from_hex(&sk.to_hex()[..62]).unwrap_err(),
            PublicKey::from_hex(&pk_hex[..63]).unwrap_err(),
            PublicKey::from_hex(&format!("{pk_hex}00")).unwrap_err(),
            PublicKey::from_hex(&sig_hex).unwrap_err(),
            Signature::from_hex(&pk_hex).unwrap_err(),
            Signature::from_hex(&sig_hex[..127]).unwrap_err(),
        ];
        for err in cases {
            assert_eq!(err, SignatureError::InvalidLength);
            assert_eq!(err.code(), "SIG_INVALID_LENGTH");
        }
    }

    #[test]
    fn debug_output_never_shows_the_seed() {
        let sk = SecretKey::from_bytes([7u8; 32]).unwrap();
        let shown = format!("{sk:?}");
        assert!(!shown.contains(&sk.to_hex()), "{shown}");
        assert!(shown.contains(&sk.public_key().to_hex()));
    }

    #[test]
    fn every_error_has_its_documented_code() {
        let expected = [
            (SignatureError::InvalidHex, "SIG_INVALID_HEX"),
            (SignatureError::InvalidLength, "SIG_INVALID_LENGTH"),
            (SignatureError::PointNotOnCurve, "SIG_POINT_NOT_ON_CURVE"),
            (SignatureError::PointNotInSubgroup, "SIG_POINT_NOT_IN_SUBGROUP"),
            (SignatureError::IdentityKey, "SIG_IDENTITY_KEY"),
            (SignatureError::NonCanonicalScalar, "SIG_NONCANONICAL_SCALAR"),
            (SignatureError::BadSignature, "SIG_BAD_SIGNATURE"),
        ];
        for (err, code) in expected {
            assert_eq!(err.code(), code);
        }
    }
}
