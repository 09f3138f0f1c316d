//! Parameters of a context instance and their canonical URL form.
//!
//! The rule (spec/PROTOCOL.md, "Parameters"): every value is written as its RFC 8785 (JCS)
//! canonical JSON and percent-encoded with JavaScript's `encodeURIComponent` set; pairs are
//! sorted by key in UTF-16 code-unit order; `null` values are dropped (absent and `null` are
//! the same parameter set). Equal parameters therefore always give byte-equal query strings,
//! which is what cache keys and ETags are derived from. Pinned by
//! `spec/vectors/params-encode.json`, `params-decode.json` and `invalidation-match.json`.

use std::cmp::Ordering;
use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, FieldErrors, Result};

/// Characters `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// A set of named JSON parameters: what identifies one instance of a context
/// (`{"project": 3}`) and what scopes an invalidation to instances.
///
/// Build one with [`params!`](crate::params!) or [`Params::insert`].
#[derive(Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Params {
    map: Map<String, Value>,
    /// Set when a value given to [`params!`](crate::params!) could not be serialized.
    #[serde(skip)]
    poisoned: bool,
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `name = value`; a value that is `null` (or serializes to it) is dropped.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Serialize) -> Result<()> {
        let name = name.into();
        let value = serde_json::to_value(value).map_err(|e| {
            Error::internal(e).with_fields(FieldErrors::from([(name.clone(), vec![])]))
        })?;
        if value.is_null() {
            self.map.remove(&name);
        } else {
            self.map.insert(name, value);
        }
        Ok(())
    }

    /// Adds `name = value` for [`params!`](crate::params!): a value that cannot be
    /// serialized marks the set as poisoned instead of failing.
    #[doc(hidden)]
    pub fn push(mut self, name: &str, value: impl Serialize) -> Self {
        if self.insert(name, value).is_err() {
            tracing::error!(param = name, "params!: value could not be serialized");
            self.poisoned = true;
        }
        self
    }

    /// Whether a value given to [`params!`](crate::params!) failed to serialize; an
    /// invalidation scoped by a poisoned set widens to the whole context.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// The value of one parameter.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The parameters as a JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The parameters as a JSON object, by value.
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    /// Builds parameters from a JSON object, dropping `null` values.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self {
            map: map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
            poisoned: false,
        }
    }

    /// The canonical query string (without `?`); empty when there are no parameters.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&String, &Value)> = self.map.iter().collect();
        pairs.sort_by(|a, b| utf16_cmp(a.0, b.0));
        let mut out = String::new();
        for (name, value) in pairs {
            if !out.is_empty() {
                out.push('&');
            }
            out.extend(utf8_percent_encode(name, COMPONENT));
            out.push('=');
            out.extend(utf8_percent_encode(&canonical_json(value), COMPONENT));
        }
        out
    }

    /// Parses a query string (canonical or not): each value must be JSON.
    ///
    /// Errors are 400 `bad_request` naming the parameter in `fields`.
    pub fn from_query(query: &str) -> Result<Self> {
        let mut map = Map::new();
        for (name, raw) in form_urlencoded::parse(query.as_bytes()) {
            if map.contains_key(name.as_ref()) {
                return Err(param_error(&name, "appears more than once"));
            }
            let value: Value = serde_json::from_str(&raw).map_err(|e| {
                param_error(
                    &name,
                    &format!("is not JSON ({e}); strings are quoted, e.g. {name}=%22text%22"),
                )
            })?;
            let mut value = value;
            // `3.0` and `3` are the same parameter (equal canonical forms).
            integral_floats(&mut value);
            map.insert(name.into_owned(), value);
        }
        Ok(Self::from_map(map))
    }

    /// Whether an instance with parameters `instance` is hit by an invalidation scoped to
    /// `self`: every parameter of `self` is present in `instance` with an equal value
    /// (equal canonical JSON).
    pub fn matches(&self, instance: &Params) -> bool {
        self.map.iter().all(|(k, v)| {
            instance
                .map
                .get(k)
                .is_some_and(|w| canonical_json(v) == canonical_json(w))
        })
    }
}

/// Deserializes from a JSON object, dropping `null` values like [`Params::from_map`]:
/// a scope received as `{"project": 3, "done": null}` is `{"project": 3}`.
impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::<String, Value>::deserialize(deserializer).map(Params::from_map)
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Params({})",
            canonical_json(&Value::Object(self.map.clone()))
        )
    }
}

fn param_error(name: &str, what: &str) -> Error {
    let message = format!("parameter `{name}` {what}");
    Error::bad_request(message.clone())
        .with_fields(FieldErrors::from([(name.to_owned(), vec![message])]))
}

/// Turns numbers with a zero fraction (`3.0`) into integers, as JSON Schema and the
/// canonical form (`3`) count them; beyond ±2^53 a double is left as it is.
pub(crate) fn integral_floats(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *value = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats),
        Value::Object(map) => map.values_mut().for_each(integral_floats),
        _ => {}
    }
}

/// Orders strings by UTF-16 code units, as JavaScript's default sort and RFC 8785 do.
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// RFC 8785 (JCS) canonical JSON of a value: no whitespace, object keys sorted by UTF-16
/// code units at every depth, strings escaped as `JSON.stringify` does, numbers written as
/// JavaScript's `Number.prototype.toString` writes them (`1e+21`, `0.1`, `-0` as `0`).
///
/// One deliberate exception (spec/PROTOCOL.md, "64-bit integers"): an integer beyond
/// ±(2^53−1) is written with its exact digits rather than rounded to a double, so that
/// distinct 64-bit ids never share a canonical form (and a cache key).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| utf16_cmp(a.0, b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

fn write_number(n: &serde_json::Number, out: &mut String) {
    use std::fmt::Write as _;
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else {
        // A `serde_json::Number` that is not an integer is a finite double.
        let f = n.as_f64().unwrap_or_default();
        if f == 0.0 {
            out.push('0');
        } else {
            out.push_str(ryu_js::Buffer::new().format_finite(f));
        }
    }
}

/// A JSON string as ECMAScript's `JSON.stringify` writes it (RFC 8785 §3.2.2.2).
fn write_string(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds [`Params`] from `name: value` pairs: `params! { project: a.project }`.
///
/// Values are serialized with serde; `null` values are dropped. A value that cannot be
/// serialized poisons the set, and an invalidation scoped by it widens to the whole
/// context (never narrower than asked) with an error in the log.
#[macro_export]
macro_rules! params {
    ($($name:ident : $value:expr),* $(,)?) => {
        $crate::Params::new()$(.push(::core::stringify!($name), &$value))*
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_query_sorts_and_quotes() {
        let p = Params::from_map(
            json!({"title": "a b", "project": 3, "done": false, "none": null})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(p.to_query(), "done=false&project=3&title=%22a%20b%22");
        assert_eq!(Params::from_query(&p.to_query()).ok(), Some(p));
    }

    #[test]
    fn bare_strings_are_rejected_with_the_parameter_named() {
        let e = Params::from_query("title=hello").unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.fields().is_some_and(|f| f.contains_key("title")));
    }
}
