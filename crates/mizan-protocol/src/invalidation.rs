//! What a call invalidates, and the `X-Mizan-Invalidate` header that carries it on the
//! view path.
//!
//! In a JSON body an invalidation is either a context name (`"todos"`: every instance) or
//! `{"context": "todos", "params": {"project": 3}}` (the instances whose parameters match).
//! In the header each item is the name, or the RFC 8785 JSON of the object, percent-encoded
//! with the `encodeURIComponent` set, and items are separated by commas; since commas are
//! encoded inside items, a header that a proxy folded or split still decodes to the same
//! list. Pinned by `spec/vectors/invalidate-header.json`.

use std::collections::HashSet;

use percent_encoding::{percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::{COMPONENT, canonical_json};
use crate::params::Params;

/// The name of the header that carries invalidations on view-path responses.
pub const HEADER_NAME: &str = "x-mizan-invalidate";

/// One invalidation: a whole context, or the instances of a context whose parameters match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Invalidation {
    /// Every instance of the context with this name.
    Context(String),
    /// The instances of `context` whose parameters contain `params`.
    Scoped {
        /// The context name.
        context: String,
        /// The parameters every hit instance has (with equal values).
        params: Params,
    },
}

impl Invalidation {
    /// The context this invalidation hits.
    pub fn context(&self) -> &str {
        match self {
            Invalidation::Context(name) | Invalidation::Scoped { context: name, .. } => name,
        }
    }

    /// Scopes an invalidation of `context` to `params`; an empty or poisoned parameter set
    /// gives the whole context, so an invalidation is never narrower than asked.
    pub fn scoped(context: impl Into<String>, params: Params) -> Self {
        let context = context.into();
        if params.is_empty() || params.is_poisoned() {
            Invalidation::Context(context)
        } else {
            Invalidation::Scoped { context, params }
        }
    }

    /// Whether an instance of `context` with `params` is hit.
    pub fn hits(&self, context: &str, params: &Params) -> bool {
        match self {
            Invalidation::Context(name) => name == context,
            Invalidation::Scoped {
                context: name,
                params: scope,
            } => name == context && scope.matches(params),
        }
    }

    fn header_item(&self) -> String {
        let text = match self {
            Invalidation::Context(name) => name.clone(),
            Invalidation::Scoped { .. } => {
                canonical_json(&serde_json::to_value(self).unwrap_or(Value::Null))
            }
        };
        utf8_percent_encode(&text, COMPONENT).to_string()
    }
}

/// Removes duplicates and scoped entries already covered by an unscoped one for the same
/// context, keeping first-occurrence order.
pub fn normalize(list: Vec<Invalidation>) -> Vec<Invalidation> {
    let whole: HashSet<String> = list
        .iter()
        .filter_map(|i| match i {
            Invalidation::Context(name) => Some(name.clone()),
            Invalidation::Scoped { .. } => None,
        })
        .collect();
    let mut seen = HashSet::new();
    list.into_iter()
        .filter(|i| match i {
            Invalidation::Scoped { context, .. } if whole.contains(context) => false,
            _ => seen.insert(i.header_item()),
        })
        .collect()
}

/// The `X-Mizan-Invalidate` value for a list (visible ASCII, always a valid header
/// value), or `None` when it is empty.
pub fn encode_header(list: &[Invalidation]) -> Option<String> {
    if list.is_empty() {
        return None;
    }
    let items: Vec<String> = list.iter().map(Invalidation::header_item).collect();
    Some(items.join(", "))
}

/// Decodes one `X-Mizan-Invalidate` value.
///
/// # Errors
/// A [`HeaderError`] for an item that is not UTF-8 once decoded or not a valid invalidation.
pub fn decode_header(text: &str) -> Result<Vec<Invalidation>, HeaderError> {
    text.split(',')
        .map(|item| item.trim_matches([' ', '\t']))
        .filter(|item| !item.is_empty())
        .map(|item| {
            let decoded = percent_decode_str(item)
                .decode_utf8()
                .map_err(|_| HeaderError("X-Mizan-Invalidate item is not UTF-8".into()))?;
            if decoded.starts_with('{') {
                serde_json::from_str::<Invalidation>(&decoded)
                    .map_err(|e| HeaderError(format!("X-Mizan-Invalidate item is not valid: {e}")))
            } else {
                Ok(Invalidation::Context(decoded.into_owned()))
            }
        })
        .collect()
}

/// An `X-Mizan-Invalidate` value that could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HeaderError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! params {
        ($($name:ident : $value:expr),* $(,)?) => {
            Params::new()$(.push(::core::stringify!($name), &$value))*
        };
    }

    #[test]
    fn header_round_trips_awkward_params() {
        let list = vec![
            Invalidation::Context("todos".into()),
            Invalidation::scoped(
                "todos",
                params! { project: 3, title: "a, b \"c\" ü 🎉", tags: vec!["x", "y"] },
            ),
        ];
        let header = encode_header(&list).unwrap();
        assert!(header.starts_with("todos, %7B%22context%22"));
        assert!(header.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
        assert_eq!(decode_header(&header).unwrap(), list);
    }

    #[test]
    fn unscoped_covers_scoped() {
        let list = vec![
            Invalidation::scoped("todos", params! { project: 3 }),
            Invalidation::Context("todos".into()),
            Invalidation::Context("todos".into()),
            Invalidation::scoped("projects", params! { id: 1 }),
            Invalidation::scoped("projects", params! { id: 1 }),
        ];
        assert_eq!(
            normalize(list),
            vec![
                Invalidation::Context("todos".into()),
                Invalidation::scoped("projects", params! { id: 1 }),
            ]
        );
    }
}
