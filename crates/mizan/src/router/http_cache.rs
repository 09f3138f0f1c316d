//! Strong ETags and conditional GETs for context responses.

use http::header::IF_NONE_MATCH;
use http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

/// A strong ETag of a body: the first 128 bits of its SHA-256, in hex.
pub(crate) fn etag(body: &[u8]) -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(body);
    // `"` + 32 hex digits + `"`, written in place.
    let mut tag = [b'"'; 34];
    for (i, b) in digest[..16].iter().enumerate() {
        tag[1 + 2 * i] = HEX[usize::from(b >> 4)];
        tag[2 + 2 * i] = HEX[usize::from(b & 15)];
    }
    HeaderValue::from_bytes(&tag).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` matches `etag` (weak comparison, as RFC 9110 requires for it).
pub(crate) fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.as_bytes();
    headers.get_all(IF_NONE_MATCH).iter().any(|v| {
        v.to_str().is_ok_and(|list| {
            list.split(',').map(str::trim).any(|candidate| {
                candidate == "*"
                    || candidate.strip_prefix("W/").unwrap_or(candidate).as_bytes() == ours
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_lists_weak_and_star() {
        let tag = etag(b"{}");
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, &tag));
        let t = tag.to_str().expect("an ETag is ASCII");
        assert_eq!(t.len(), 34, "a quoted 128-bit hex digest: {t}");
        h.insert(
            IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{t}")).expect("a valid header value"),
        );
        assert!(not_modified(&h, &tag));
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, &tag));
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!not_modified(&h, &tag));
    }
}
