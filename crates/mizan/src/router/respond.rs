//! Turning a successful call into its response: JSON with `invalidate` on the data path,
//! the function's own response with `X-Mizan-Invalidate` on the view path.

use axum::body::Body;
use axum::response::Response;
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde::Serialize;
use serde_json::value::RawValue;

use super::Shared;
use super::run::invalidations;
use crate::cx::Cx;
use crate::error::Error;
use crate::function::{Body as OutputBody, Output};
use crate::invalidation;
use crate::registry::FnEntry;

pub(crate) fn respond(shared: &Shared, entry: &FnEntry, output: Output, cx: &Cx) -> Response {
    let list = invalidations(shared, entry, output.scope.as_ref(), cx);
    match output.body {
        OutputBody::Data(result) => {
            let body = CallBody {
                invalidate: &list,
                result: &result,
            };
            match serde_json::to_vec(&body) {
                Ok(bytes) => {
                    let mut r = Response::new(Body::from(bytes));
                    let h = r.headers_mut();
                    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    r
                }
                Err(e) => axum::response::IntoResponse::into_response(Error::internal(e)),
            }
        }
        OutputBody::View(mut response) => {
            let h = response.headers_mut();
            if let Some(value) = invalidation::encode_header(&list) {
                h.insert(invalidation::HEADER.clone(), value);
            }
            if entry.def.private && !h.contains_key(CACHE_CONTROL) {
                h.insert(CACHE_CONTROL, HeaderValue::from_static("private"));
            }
            response
        }
    }
}

/// `{"invalidate": […], "result": …}` (keys in this order, as a sorted map would give).
#[derive(Serialize)]
struct CallBody<'a> {
    invalidate: &'a [invalidation::Invalidation],
    result: &'a RawValue,
}
