//! Field paths: how an error names the value it is about (`spec/PROTOCOL.md` §10.1).
//!
//! A path is the segments from an argument down to the failing value joined with `/`,
//! without a leading slash, each escaped as in a JSON Pointer (RFC 6901: `~` → `~0`,
//! `/` → `~1`): `title`, `items/2/qty`, `tags/0`, `a~1b` for the key `a/b`. Array indices
//! are written in decimal. A form on the client finds its field by the same path.

use std::fmt::Write;

/// One step of a path: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    /// An object member (or the argument's name, first).
    Key(&'a str),
    /// An array element.
    Index(usize),
}

impl<'a> From<&'a str> for Segment<'a> {
    fn from(key: &'a str) -> Self {
        Segment::Key(key)
    }
}

impl From<usize> for Segment<'_> {
    fn from(index: usize) -> Self {
        Segment::Index(index)
    }
}

/// Joins segments into a field path.
///
/// ```
/// use mizan_protocol::field_path::{Segment, encode};
/// assert_eq!(encode([Segment::Key("items"), Segment::Index(2), Segment::Key("qty")]), "items/2/qty");
/// assert_eq!(encode([Segment::Key("a/b~c")]), "a~1b~0c");
/// ```
pub fn encode<'a>(segments: impl IntoIterator<Item = Segment<'a>>) -> String {
    let mut out = String::new();
    for (i, segment) in segments.into_iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        match segment {
            Segment::Key(key) => push_escaped(&mut out, key),
            Segment::Index(index) => {
                let _ = write!(out, "{index}");
            }
        }
    }
    out
}

/// Appends `key`, escaped, to `out`.
fn push_escaped(out: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Splits a field path into its segments, unescaped (an index comes back as its decimal
/// text). The empty path is one empty key, as a JSON Pointer's `/` is.
///
/// ```
/// use mizan_protocol::field_path::decode;
/// assert_eq!(decode("items/2/qty"), ["items", "2", "qty"]);
/// assert_eq!(decode("a~1b~0c"), ["a/b~c"]);
/// ```
pub fn decode(path: &str) -> Vec<String> {
    path.split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        for key in ["~1", "~0", "a/b", "~/~", "", "plain"] {
            let path = encode([Segment::Key(key), Segment::Index(10)]);
            assert_eq!(decode(&path), [key.to_owned(), "10".to_owned()], "{path}");
        }
    }
}
