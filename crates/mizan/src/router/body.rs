//! Reading request bodies within the size limit, as JSON or HTML form data.

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

use crate::error::{Error, Result};

/// What a body is.
pub(crate) enum Media {
    Json,
    Form,
    /// `multipart/form-data`: fields and files (§6.2).
    Multipart,
    None,
    Other(String),
}

pub(crate) fn media(headers: &HeaderMap) -> Media {
    let Some(ct) = headers.get(CONTENT_TYPE) else {
        return Media::None;
    };
    let ct = ct.to_str().unwrap_or_default();
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Media::Json
    } else if essence == "application/x-www-form-urlencoded" {
        Media::Form
    } else if essence == "multipart/form-data" {
        Media::Multipart
    } else {
        Media::Other(essence)
    }
}

/// A 413 when the body's declared `Content-Length` is over `limit` (before reading it).
pub(crate) fn refuse_declared_over(headers: &HeaderMap, limit: usize) -> Result<()> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Error::payload_too_large(limit));
    }
    Ok(())
}

/// Reads the whole body, refusing more than `limit` bytes with a 413.
pub(crate) async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes> {
    refuse_declared_over(headers, limit)?;
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(Error::payload_too_large(limit)),
        Err(e) => Err(Error::bad_request(format!(
            "could not read the request body: {e}"
        ))),
    }
}

/// Parses call arguments: a JSON object whose objects, at every depth, name each key once
/// (a duplicate is a 400, as in query strings and routes, never "the last one wins").
/// A body of zero bytes is `{}`.
pub(crate) fn json_object(bytes: &[u8]) -> Result<Map<String, Value>> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Unique>(bytes) {
        Ok(Unique(Value::Object(map))) => Ok(map),
        Ok(_) => Err(Error::bad_request(
            "the arguments must be a JSON object: {\"name\": value, …}",
        )),
        Err(e) => Err(Error::bad_request(format!("malformed JSON: {e}"))),
    }
}

/// A JSON value read with every object's keys checked for repeats.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueVisitor).map(Unique)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(Unique(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Unique(value) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_at_every_depth() {
        for body in [
            r#"{"a": 1, "a": 2}"#,
            r#"{"a": {"b": 1, "b": 1}}"#,
            r#"{"a": [{"c": 1, "c": 2}]}"#,
        ] {
            let e = json_object(body.as_bytes()).unwrap_err();
            assert_eq!(e.status(), 400, "{body}");
            assert!(e.message().contains("duplicate key"), "{}", e.message());
        }
        let ok = json_object(br#"{"a": {"b": 1}, "b": [1, 1.5, "x", null, true]}"#).unwrap();
        assert_eq!(
            Value::Object(ok),
            serde_json::json!({"a": {"b": 1}, "b": [1, 1.5, "x", null, true]})
        );
    }
}
