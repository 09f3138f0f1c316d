//! Origin cache keys: HMAC-SHA256, under a cache secret of its own, over an unambiguous
//! encoding of what makes two context responses the same. The contract is
//! `spec/CACHE_KEYING.md`, pinned by `spec/vectors/cache-key.json`.
//!
//! ```text
//! encoding = field(version) field(name) field(revs) field(query) field(scope)
//! field(x)  = u32 big-endian byte length of x, then the UTF-8 bytes of x
//! key       = lowercase hex of HMAC-SHA256(secret, encoding)
//! ```

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whose entry it is: the whole world's, or one caller's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Shared by every caller: the response depends on nothing about who asks.
    Public,
    /// A private response for a caller without an identity.
    Anonymous,
    /// A private response for the identity with this stable id (never a token).
    User(&'a str),
    /// A response shared by the callers with exactly this role set: the canonical JSON of
    /// the sorted role names (`["admin","editor"]`), as an edge derives it from a verified
    /// MWT (spec/MWT.md §7).
    Roles(&'a str),
}

impl Scope<'_> {
    /// The scope field's text: `public`, `anonymous`, `user:` followed by the id, or
    /// `roles:` followed by the role set's canonical JSON.
    pub fn text(&self) -> String {
        match self {
            Scope::Public => "public".to_owned(),
            Scope::Anonymous => "anonymous".to_owned(),
            Scope::User(id) => format!("user:{id}"),
            Scope::Roles(roles) => format!("roles:{roles}"),
        }
    }
}

/// What a cache key is computed from.
#[derive(Clone, Copy, Debug)]
pub struct KeyInput<'a> {
    /// The protocol version ([`PROTOCOL_VERSION`](crate::PROTOCOL_VERSION)).
    pub version: u32,
    /// The context's wire name (a standalone query is its own context).
    pub name: &'a str,
    /// Every function of the context with its `rev`, in any order: bumping one `rev`, or
    /// adding or removing a function, changes every key of the context.
    pub revs: &'a [(&'a str, u32)],
    /// The canonical query string of the parameters ([`Params::to_query`](crate::Params::to_query),
    /// without `?`; empty without parameters).
    pub query: &'a str,
    /// Public, or whose.
    pub scope: Scope<'a>,
}

/// The revs field: `name=rev` pairs sorted by name (byte order; names are
/// `[A-Za-z0-9_-]`), joined by `&`.
pub fn revs_text(revs: &[(&str, u32)]) -> String {
    let mut sorted = revs.to_vec();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    let mut out = String::new();
    for (i, (name, rev)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        let _ = write!(out, "{name}={rev}");
    }
    out
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    // A field longer than 4 GiB cannot occur (queries are bounded by the query limit);
    // saturating keeps the function total.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The canonical encoding of `input`: five length-prefixed fields, so no two inputs share
/// an encoding whatever bytes a field holds.
pub fn encoding(input: &KeyInput<'_>) -> Vec<u8> {
    let revs = revs_text(input.revs);
    encoding_with(input, &revs)
}

/// [`encoding`] with the revs field already written ([`revs_text`]), for callers that
/// compute it once per context.
pub fn encoding_with(input: &KeyInput<'_>, revs: &str) -> Vec<u8> {
    let scope = input.scope.text();
    let version = input.version.to_string();
    let mut out = Vec::with_capacity(
        20 + version.len() + input.name.len() + revs.len() + input.query.len() + scope.len(),
    );
    field(&mut out, version.as_bytes());
    field(&mut out, input.name.as_bytes());
    field(&mut out, revs.as_bytes());
    field(&mut out, input.query.as_bytes());
    field(&mut out, scope.as_bytes());
    out
}

/// The cache key of an encoding under `secret`: lowercase hex of its HMAC-SHA256.
pub fn key_of(secret: &[u8], encoding: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(encoding);
    let tag = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(64);
    for b in tag {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 15)]));
    }
    hex
}

/// The cache key of `input` under `secret`.
pub fn cache_key(secret: &[u8], input: &KeyInput<'_>) -> String {
    key_of(secret, &encoding(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_length_prefixed() {
        let input = KeyInput {
            version: 1,
            name: "t",
            revs: &[("b", 2), ("a", 0)],
            query: "p=3",
            scope: Scope::User("u"),
        };
        let e = encoding(&input);
        let expected: Vec<u8> = [
            &[0, 0, 0, 1][..],
            b"1",
            &[0, 0, 0, 1],
            b"t",
            &[0, 0, 0, 7],
            b"a=0&b=2",
            &[0, 0, 0, 3],
            b"p=3",
            &[0, 0, 0, 6],
            b"user:u",
        ]
        .concat();
        assert_eq!(e, expected);
        assert_eq!(cache_key(b"k", &input).len(), 64);
    }
}
