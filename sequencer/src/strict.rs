//! Strict JSON input: every body the API takes is parsed here first, and one
//! whose objects repeat a key, at any depth, is refused (`DUPLICATE_KEY`).
//! serde_json alone keeps the last value of a repeated key, so a proxy, a log
//! pipeline or an auditor reading the first would see another transaction than
//! the one applied (a parser differential).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::SubmitError;

const DUPLICATE: &str = "duplicate JSON key ";

/// A JSON value whose objects have distinct keys.
struct Strict(Value);

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Strict(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!("{DUPLICATE}{key:?}")));
            }
            let Strict(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Strict(Value::Object(object)))
    }
}

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

/// Parses a request body: `MALFORMED_JSON` if it is not JSON, `DUPLICATE_KEY`
/// if an object in it repeats a key.
pub(crate) fn parse(body: &[u8]) -> Result<Value, SubmitError> {
    match serde_json::from_slice::<Strict>(body) {
        Ok(Strict(value)) => Ok(value),
        Err(e) => {
            let text = e.to_string();
            match text.strip_prefix(DUPLICATE) {
                Some(rest) => {
                    let key = rest.split(" at line ").next().unwrap_or(rest);
                    Err(SubmitError::DuplicateKey(key.trim_matches('"').to_string()))
                }
                None => Err(SubmitError::MalformedJson(text)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_at_any_depth_is_refused() {
        let value = parse(br#"{"a":"1","b":{"c":[{"d":null}],"e":true},"f":1.5}"#).unwrap();
        assert_eq!(value["b"]["c"][0]["d"], Value::Null);
        for body in [
            &br#"{"a":"1","a":"2"}"#[..],
            br#"{"x":{"a":"1","b":"2","a":"1"}}"#,
            br#"[{"k":1},{"k":2,"k":3}]"#,
        ] {
            let e = parse(body).unwrap_err();
            assert_eq!(e.code(), "DUPLICATE_KEY", "{e}");
        }
        assert_eq!(
            parse(br#"{"a":"1","a":"1"}"#).unwrap_err().to_string(),
            "duplicate JSON key \"a\""
        );
        assert_eq!(parse(b"{").unwrap_err().code(), "MALFORMED_JSON");
        // Escapes decode before comparison: "\u0061" is "a".
        assert_eq!(parse(br#"{"a":"1","\u0061":"2"}"#).unwrap_err().code(), "DUPLICATE_KEY");
    }
}
