//! Serde helpers: field elements as 0x-prefixed big-endian hex (64 digits).

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use serde::{Deserialize, Deserializer, Serializer};

/// `0x` + 64 hex digits, big-endian (the way block explorers print roots).
pub fn to_hex(f: &Fr) -> String {
    let mut bytes = f.to_repr();
    bytes.reverse();
    format!("0x{}", hex::encode(bytes))
}

/// Parses [`to_hex`]'s format; rejects non-canonical values (≥ p).
pub fn from_hex(s: &str) -> Result<Fr, String> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let raw = hex::decode(digits).map_err(|e| format!("invalid hex field element: {e}"))?;
    if raw.len() != 32 {
        return Err(format!("field element must be 32 bytes, got {}", raw.len()));
    }
    let mut le = [0u8; 32];
    for (i, b) in raw.iter().rev().enumerate() {
        le[i] = *b;
    }
    Option::from(Fr::from_repr(le)).ok_or_else(|| "field element not below the modulus".into())
}

/// Serialize one field element as hex.
pub fn serialize<S: Serializer>(f: &Fr, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_hex(f))
}

/// Deserialize one field element from hex.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
    let s = String::deserialize(d)?;
    from_hex(&s).map_err(serde::de::Error::custom)
}

/// The same for `Vec<Fr>`.
pub mod vec {
    use super::*;
    use serde::ser::SerializeSeq;

    /// Serialize a vector of field elements as hex strings.
    pub fn serialize<S: Serializer>(v: &[Fr], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for f in v {
            seq.serialize_element(&to_hex(f))?;
        }
        seq.end()
    }

    /// Deserialize a vector of field elements from hex strings.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fr>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter().map(|s| from_hex(s).map_err(serde::de::Error::custom)).collect()
    }
}
