//! Reading request bodies within the size limit, as JSON or HTML form data.

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// What a body is.
pub(crate) enum Media {
    Json,
    Form,
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
    } else {
        Media::Other(essence)
    }
}

/// Reads the whole body, refusing more than `limit` bytes with a 413.
pub(crate) async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Error::payload_too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(Error::payload_too_large(limit)),
        Err(e) => Err(Error::bad_request(format!(
            "could not read the request body: {e}"
        ))),
    }
}

/// Parses call arguments: a JSON object (a body of zero bytes is `{}`).
pub(crate) fn json_object(bytes: &[u8]) -> Result<Map<String, Value>> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::bad_request(
            "the arguments must be a JSON object: {\"name\": value, …}",
        )),
        Err(e) => Err(Error::bad_request(format!("malformed JSON: {e}"))),
    }
}
