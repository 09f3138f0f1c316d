//! Turning a successful call into its response: JSON with `invalidate` on the data path,
//! the function's own response with `X-Mizan-Invalidate` on the view path.

use axum::body::Body;
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, VARY};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::Shared;
use super::run::invalidations;
use crate::auth::Guard;
use crate::cx::Cx;
use crate::error::Error;
use crate::function::{Body as OutputBody, Output};
use crate::invalidation;
use crate::registry::FnEntry;

pub(crate) async fn respond(shared: &Shared, entry: &FnEntry, output: Output, cx: &Cx) -> Response {
    if cx.is_validating() && !matches!(output.body, OutputBody::Valid) {
        // Only `#[client]` builds calls, and its calls stop before the function.
        return axum::response::IntoResponse::into_response(Error::internal(format!(
            "function `{}` ran in a validate-only call",
            entry.def.name
        )));
    }
    if matches!(output.body, OutputBody::Valid) {
        // Nothing ran: no invalidations, nothing for a cache to keep.
        return valid();
    }
    let list = invalidations(shared, entry, output.scope.as_ref(), cx).await;
    match output.body {
        // (answered above)
        OutputBody::Valid => valid(),
        OutputBody::Data(result) => match serde_json::to_vec(&list) {
            // `{"invalidate":[…],"result":…}`: the result is already JSON text.
            Ok(invalidate) => {
                let mut bytes = Vec::with_capacity(invalidate.len() + result.len() + 27);
                bytes.extend_from_slice(b"{\"invalidate\":");
                bytes.extend_from_slice(&invalidate);
                bytes.extend_from_slice(b",\"result\":");
                bytes.extend_from_slice(&result);
                bytes.push(b'}');
                let mut r = Response::new(Body::from(bytes));
                let h = r.headers_mut();
                h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
            Err(e) => axum::response::IntoResponse::into_response(Error::internal(e)),
        },
        OutputBody::View(mut response) => {
            let redirect = response.status().is_redirection();
            if redirect && cx.request_headers().contains_key(&CLIENT_HEADER) {
                response = redirect_for_script(response);
            }
            let h = response.headers_mut();
            if redirect {
                // The answer to a redirect depends on `X-Mizan-Client` (3xx or 204).
                h.append(VARY, HeaderValue::from_static("x-mizan-client"));
            }
            if let Some(value) = invalidation::encode_header(&list) {
                // One-off: a cache must not replay the invalidation (or the change).
                h.insert(invalidation::HEADER.clone(), value);
                h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            } else if entry.def.private
                || !matches!(entry.def.guard, Guard::Public)
                || cx.any_read_caller()
            {
                make_private(entry.def.name, h);
                if cx.any_read_caller() {
                    h.insert(
                        super::ctx::SCOPE_HEADER.clone(),
                        HeaderValue::from_static("user"),
                    );
                }
            }
            response
        }
    }
}

/// `200 {"valid":true}`, `no-store`: the answer of a validate-only call that passed.
fn valid() -> Response {
    let mut r = Response::new(Body::from(&b"{\"valid\":true}"[..]));
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A response that depends on the caller is `private`: added when the function set no
/// `Cache-Control`, and put in place of one that would let a shared cache keep it.
fn make_private(function: &str, h: &mut HeaderMap) {
    let shared_cacheable = h.get_all(CACHE_CONTROL).iter().any(|v| {
        let v = v.to_str().unwrap_or_default().to_ascii_lowercase();
        !v.contains("private") && !v.contains("no-store")
    });
    if shared_cacheable {
        tracing::warn!(
            function,
            "a route response that depends on the caller set a shared Cache-Control; sent private"
        );
        h.remove(CACHE_CONTROL);
    }
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("private"));
    }
}

/// Sent by scripts (the Mizan client) that want a view-path redirect as data: `fetch`
/// follows redirects on its own and a script never sees the 3xx response's headers, so its
/// `X-Mizan-Invalidate` would be lost.
pub(crate) static CLIENT_HEADER: HeaderName = HeaderName::from_static("x-mizan-client");

/// Where a view-path redirect was going, for scripts (`X-Mizan-Client` requests).
pub(crate) static REDIRECT_HEADER: HeaderName = HeaderName::from_static("x-mizan-redirect");

/// A redirect becomes `204 No Content` with `X-Mizan-Redirect: <location>`; its other
/// headers (cookies among them) are kept.
fn redirect_for_script(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    if let Some(location) = parts.headers.remove(LOCATION) {
        parts.headers.insert(REDIRECT_HEADER.clone(), location);
    }
    parts.status = StatusCode::NO_CONTENT;
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.remove(CONTENT_TYPE);
    Response::from_parts(parts, Body::empty())
}
