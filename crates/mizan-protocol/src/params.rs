//! Parameters of a context instance and their canonical URL form.
//!
//! The rule (spec/PROTOCOL.md, "Parameters"): every value is written as its RFC 8785 (JCS)
//! canonical JSON and percent-encoded with JavaScript's `encodeURIComponent` set; pairs are
//! sorted by key in UTF-16 code-unit order; `null` values are dropped (absent and `null` are
//! the same parameter set). Equal parameters therefore always give byte-equal query strings,
//! which is what cache keys and ETags are derived from. Pinned by
//! `spec/vectors/params-encode.json`, `params-decode.json` and `invalidation-match.json`.

use std::fmt;

use percent_encoding::utf8_percent_encode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::canonical::{COMPONENT, canonical_json, integral_floats, utf16_cmp};

/// A set of named JSON parameters: what identifies one instance of a context
/// (`{"project": 3}`) and what scopes an invalidation to instances.
///
/// Build one with `mizan::params!` or [`Params::insert`].
#[derive(Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Params {
    map: Map<String, Value>,
    /// Set when a value given to `mizan::params!` could not be serialized.
    #[serde(skip)]
    poisoned: bool,
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `name = value`; a value that is `null` (or serializes to it) is dropped.
    ///
    /// # Errors
    /// When `value` cannot be serialized to JSON.
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        value: impl Serialize,
    ) -> Result<(), serde_json::Error> {
        let name = name.into();
        let value = serde_json::to_value(value)?;
        if value.is_null() {
            self.map.remove(&name);
        } else {
            self.map.insert(name, value);
        }
        Ok(())
    }

    /// Adds `name = value` for `mizan::params!`: a value that cannot be
    /// serialized marks the set as poisoned instead of failing.
    #[doc(hidden)]
    pub fn push(mut self, name: &str, value: impl Serialize) -> Self {
        if self.insert(name, value).is_err() {
            self.poisoned = true;
        }
        self
    }

    /// Whether a value given to `mizan::params!` failed to serialize; an
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

    /// Parses a query string (canonical or not): each value must be JSON. Every name is
    /// offered to `accept` as soon as it is read, so an unknown parameter is refused before
    /// its value is parsed; `accept` returns the message for a name it refuses.
    ///
    /// # Errors
    /// A [`ParamError`] naming the parameter: refused by `accept`, given twice, or not JSON.
    pub fn from_query_with(
        query: &str,
        mut accept: impl FnMut(&str) -> Result<(), String>,
    ) -> Result<Self, ParamError> {
        let mut map = Map::new();
        let mut nulls = false;
        for (name, raw) in form_urlencoded::parse(query.as_bytes()) {
            accept(&name).map_err(|message| ParamError::new(&name, message))?;
            if map.contains_key(name.as_ref()) {
                return Err(ParamError::about(&name, "appears more than once"));
            }
            let mut value: Value = serde_json::from_str(&raw)
                .map_err(|e| ParamError::about(&name, &not_json(&name, &raw, &e)))?;
            if let Some(literal) = inexact_integer(&raw) {
                return Err(ParamError::about(
                    &name,
                    &format!(
                        "holds the integer {literal}, which no JSON number (a double) holds \
                         exactly; send it as a string"
                    ),
                ));
            }
            // `3.0` and `3` are the same parameter (equal canonical forms).
            integral_floats(&mut value);
            nulls |= value.is_null();
            map.insert(name.into_owned(), value);
        }
        if nulls {
            // `null` is absent (kept until here so a repeated name is still caught).
            map.retain(|_, v| !v.is_null());
        }
        Ok(Self {
            map,
            poisoned: false,
        })
    }

    /// [`from_query_with`](Self::from_query_with) accepting every name.
    ///
    /// # Errors
    /// A [`ParamError`] naming the parameter: given twice, or not JSON.
    pub fn from_query(query: &str) -> Result<Self, ParamError> {
        Self::from_query_with(query, |_| Ok(()))
    }

    /// Whether an instance with parameters `instance` is hit by an invalidation scoped to
    /// `self`: unless `instance` holds a parameter of `self` with a different value
    /// (values compared as canonical JSON). A parameter the instance lacks is a hit: the
    /// unfiltered list `{"project": 3}` is hit by `{"project": 3, "done": false}`, because
    /// it certainly changed. A scope never leaves an affected instance stale.
    pub fn matches(&self, instance: &Params) -> bool {
        self.map.iter().all(|(k, v)| {
            instance
                .map
                .get(k)
                .is_none_or(|w| v == w || canonical_json(v) == canonical_json(w))
        })
    }

    /// Removes one parameter, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name)
    }
}

/// The first integer literal in a JSON text that is read as a rounded number
/// (`-9223372036854775809`), if any (§4.2): one beyond the 64-bit integers and that no
/// double holds exactly. Literals of fewer than 16 digits always fit.
fn inexact_integer(json: &str) -> Option<&str> {
    let bytes = json.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string, escapes included.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || b".eE+-".contains(&bytes[i]))
                {
                    i += 1;
                }
                let token = &json[start..i];
                let digits = token.trim_start_matches('-');
                if digits.len() >= 16
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && token.parse::<i64>().is_err()
                    && token.parse::<u64>().is_err()
                    && token
                        .parse::<f64>()
                        .is_ok_and(|f| f.is_finite() && format!("{f:.0}") != token)
                {
                    return Some(token);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Says what is wrong with a parameter value that is not JSON, and how to write it.
fn not_json(name: &str, raw: &str, error: &serde_json::Error) -> String {
    let looks_numeric = raw
        .trim_start_matches('-')
        .starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+');
    if raw.is_empty() {
        format!("has no value; give a JSON value (`{name}=1`, `{name}=%22text%22`) or leave it out")
    } else if raw.starts_with(['{', '[', '"']) {
        format!("is not valid JSON: {error}")
    } else if looks_numeric && raw.parse::<f64>().is_ok() {
        format!(
            "is `{raw}`, which is not a JSON number: JSON numbers have no leading zeros, `+` or \
             bare `.` (write `{}`)",
            normalize_number(raw)
        )
    } else {
        format!("is `{raw}`, which is not JSON; strings are quoted: `{name}=%22{raw}%22`")
    }
}

/// `01` → `1`, `+2` → `2`, `.5` → `0.5`, `1.` → `1`: what a number means in JSON.
fn normalize_number(raw: &str) -> String {
    let f: f64 = raw.parse().unwrap_or_default();
    serde_json::Number::from_f64(f).map_or_else(
        || raw.to_owned(),
        |n| {
            let mut v = Value::Number(n);
            integral_floats(&mut v);
            canonical_json(&v)
        },
    )
}

/// A parameter that could not be read, naming it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    /// The parameter.
    pub param: String,
    /// What is wrong, a whole sentence naming the parameter.
    pub message: String,
}

impl ParamError {
    /// An error about `param` with a message of its own.
    pub fn new(param: &str, message: String) -> Self {
        Self {
            param: param.to_owned(),
            message,
        }
    }

    fn about(param: &str, what: &str) -> Self {
        Self::new(param, format!("parameter `{param}` {what}"))
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
        assert_eq!(e.param, "title");
        assert!(e.message.contains("`title=%22hello%22`"), "{}", e.message);
    }

    #[test]
    fn integers_a_double_cannot_hold_are_refused() {
        for bad in [
            "-9223372036854775809",
            "[1,18446744073709551617]",
            "{\"a\":[99999999999999999999]}",
        ] {
            let q = format!("x={}", utf8_percent_encode(bad, COMPONENT));
            let e = Params::from_query(&q).unwrap_err();
            assert!(
                e.message.contains("send it as a string"),
                "{bad}: {}",
                e.message
            );
        }
        for good in [
            "100000000000000000000",
            "9007199254740993",
            "18446744073709551615",
            "\"9223372036854775809\"",
            "1.5e300",
            "-0",
        ] {
            let q = format!("x={}", utf8_percent_encode(good, COMPONENT));
            assert!(Params::from_query(&q).is_ok(), "{good}");
        }
    }

    #[test]
    fn leading_zeros_are_told_as_such() {
        let e = Params::from_query("team=01").unwrap_err();
        assert_eq!(e.param, "team");
        assert!(e.message.contains("leading zeros"), "{}", e.message);
        assert!(e.message.contains("`1`"), "{}", e.message);
    }

    #[test]
    fn unknown_names_are_refused_before_their_value_is_read() {
        let e = Params::from_query_with("other=not-json", |n| {
            if n == "project" {
                Ok(())
            } else {
                Err(format!("unknown `{n}`"))
            }
        })
        .unwrap_err();
        assert_eq!(e.message, "unknown `other`");
    }
}
