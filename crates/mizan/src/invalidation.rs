//! What a call invalidates, and the `X-Mizan-Invalidate` header that carries it on the
//! view path: the protocol's codec ([`mizan_protocol::invalidation`]) with `http` types.

use http::{HeaderMap, HeaderName, HeaderValue};

pub use mizan_protocol::invalidation::{HeaderError, Invalidation, decode_header, normalize};

use crate::context::Context;
use crate::error::{Error, Result};

/// The header that carries invalidations on view-path responses.
pub static HEADER: HeaderName = HeaderName::from_static(mizan_protocol::invalidation::HEADER_NAME);

/// The `X-Mizan-Invalidate` value for a list, or `None` when it is empty.
pub fn encode_header(list: &[Invalidation]) -> Option<HeaderValue> {
    let text = mizan_protocol::invalidation::encode_header(list)?;
    // Percent-encoded items are visible ASCII, always a valid header value.
    HeaderValue::from_str(&text).ok()
}

/// Decodes every `X-Mizan-Invalidate` field of a header map (a proxy may have split or
/// folded them) into one list.
///
/// # Errors
/// 400 `bad_request` for a value that is not visible ASCII or an item that is not valid.
pub fn decode_headers(headers: &HeaderMap) -> Result<Vec<Invalidation>> {
    let mut out = Vec::new();
    for value in headers.get_all(&HEADER) {
        let text = value
            .to_str()
            .map_err(|_| Error::bad_request("X-Mizan-Invalidate is not visible ASCII"))?;
        out.extend(decode_header(text).map_err(|e| Error::bad_request(e.0))?);
    }
    Ok(out)
}

impl From<&Context> for Invalidation {
    fn from(context: &Context) -> Self {
        Invalidation::Context(context.name().to_owned())
    }
}
