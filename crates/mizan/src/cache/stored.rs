//! A cached context response: its body and its ETag.

use bytes::Bytes;
use http::HeaderValue;

use crate::router::etag;

/// One cached response.
#[derive(Debug)]
pub(crate) struct Stored {
    /// The strong ETag, `"` + 32 hex digits + `"`.
    pub(crate) etag: HeaderValue,
    pub(crate) body: Bytes,
}

impl Stored {
    pub(crate) fn new(body: Bytes) -> Self {
        Self {
            etag: etag(&body),
            body,
        }
    }

    /// The bytes a shared store keeps: the ETag's 32 hex digits, then the body.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let tag = self.etag.as_bytes();
        let digits = tag.get(1..tag.len().saturating_sub(1)).unwrap_or_default();
        let mut out = Vec::with_capacity(digits.len() + self.body.len());
        out.extend_from_slice(digits);
        out.extend_from_slice(&self.body);
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes) back; `None` for anything else (a miss).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
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
        })
    }
}
