//! A cached context response: its body, its ETag, and whether a function read the caller.

use bytes::Bytes;
use http::HeaderValue;

use crate::router::etag;

/// One cached response.
#[derive(Debug)]
pub(crate) struct Stored {
    /// The strong ETag, `"` + 32 hex digits + `"`.
    pub(crate) etag: HeaderValue,
    pub(crate) body: Bytes,
    /// A function read the caller (its identity) while answering: an entry of a private
    /// context is then one user's answer, and a hit says so (`X-Mizan-Scope: user`).
    pub(crate) read_caller: bool,
}

/// The mark before the ETag's digits of an entry whose functions did not read the caller.
/// An entry without it (also one written before the mark existed) counts as read.
const NOT_READ: u8 = b'n';

impl Stored {
    pub(crate) fn new(body: Bytes, read_caller: bool) -> Self {
        Self {
            etag: etag(&body),
            body,
            read_caller,
        }
    }

    /// The bytes a shared store keeps: `n` when no function read the caller, the ETag's
    /// 32 hex digits, then the body.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let tag = self.etag.as_bytes();
        let digits = tag.get(1..tag.len().saturating_sub(1)).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + digits.len() + self.body.len());
        if !self.read_caller {
            out.push(NOT_READ);
        }
        out.extend_from_slice(digits);
        out.extend_from_slice(&self.body);
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes) back; `None` for anything else (a miss).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (read_caller, bytes) = match bytes.split_first() {
            Some((&NOT_READ, rest)) => (false, rest),
            _ => (true, bytes),
        };
        let (digits, body) = bytes.split_at_checked(32)?;
        if !digits.iter().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut tag = Vec::with_capacity(34);
        tag.push(b'"');
        tag.extend_from_slice(digits);
        tag.push(b'"');
        Some(Self {
            etag: HeaderValue::from_bytes(&tag).ok()?,
            body: Bytes::copy_from_slice(body),
            read_caller,
        })
    }
}

#[cfg(all(test, feature = "redis"))]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_keep_the_body_the_etag_and_whether_the_caller_was_read() {
        for read_caller in [false, true] {
            let stored = Stored::new(Bytes::from_static(b"{\"a\":1}"), read_caller);
            let back = Stored::from_bytes(&stored.to_bytes()).expect("an entry");
            assert_eq!(back.body, stored.body);
            assert_eq!(back.etag, stored.etag);
            assert_eq!(back.read_caller, read_caller);
        }
        // An entry written before the mark existed: digits first, counted as read.
        let legacy = [b"0123456789abcdef0123456789abcdef".as_slice(), b"{}"].concat();
        let back = Stored::from_bytes(&legacy).expect("an entry");
        assert!(back.read_caller);
        assert_eq!(&back.body[..], b"{}");
        assert!(Stored::from_bytes(b"nshort").is_none());
    }
}
