//! The baseline: a hand-written axum handler at the same path doing the same work and
//! answering with the same body and the same headers as Mizan's context endpoint.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::work::{self, Data, Item, Summary, Tag};

#[derive(Deserialize)]
struct Params {
    project: i64,
}

#[derive(Serialize)]
struct Bundle {
    fn_a: Vec<Item>,
    fn_b: Summary,
    fn_c: Vec<Tag>,
}

/// The router: `GET /api/mizan/ctx/bench/?project=3`.
pub(crate) fn router(data: Arc<Data>) -> Router {
    Router::new()
        .route("/api/mizan/ctx/bench/", get(handle))
        .with_state(data)
}

/// A diagnostic variant (`ctx-bench baseline-value`): the same handler, except that each
/// result goes through a `serde_json::Value` and the bundle is a `serde_json::Map`, the
/// way Mizan built a context body before `672496f`. The gap between it and [`router`] is
/// what that intermediate tree costs.
pub(crate) fn router_via_value(data: Arc<Data>) -> Router {
    Router::new()
        .route("/api/mizan/ctx/bench/", get(handle_via_value))
        .with_state(data)
}

/// The reference for the `info` configuration (`ctx-bench baseline-trace`): the baseline
/// behind tower-http's `TraceLayer::new_for_http()`, the request tracing most axum
/// applications add. Its span and events are at DEBUG by default, so an INFO subscriber
/// records nothing per request: what is measured is the instrumentation when filtered.
pub(crate) fn router_traced(data: Arc<Data>) -> Router {
    router(data).layer(TraceLayer::new_for_http())
}

/// A diagnostic variant (`ctx-bench baseline-trace-info`): `TraceLayer` with its span and
/// its response event at INFO, so that an INFO subscriber writes one line per request,
/// as Mizan does while it logs its context requests at INFO.
pub(crate) fn router_traced_info(data: Arc<Data>) -> Router {
    router(data).layer(
        TraceLayer::new_for_http()
            .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
}

async fn handle(
    State(data): State<Arc<Data>>,
    Query(Params { project }): Query<Params>,
    headers: HeaderMap,
) -> Response {
    // The three pieces of work run concurrently, as Mizan runs a context's functions.
    let (fn_a, fn_b, fn_c) = tokio::join!(
        async { work::items(&data, project) },
        async { work::summary(&data, project) },
        async { work::tags(&data, project) },
    );
    match serde_json::to_vec(&Bundle { fn_a, fn_b, fn_c }) {
        Ok(bytes) => respond(bytes, &headers),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn handle_via_value(
    State(data): State<Arc<Data>>,
    Query(Params { project }): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let (fn_a, fn_b, fn_c) = tokio::join!(
        async { serde_json::to_value(work::items(&data, project)) },
        async { serde_json::to_value(work::summary(&data, project)) },
        async { serde_json::to_value(work::tags(&data, project)) },
    );
    let bundle = (|| {
        let mut map = serde_json::Map::new();
        map.insert("fn_a".to_owned(), fn_a?);
        map.insert("fn_b".to_owned(), fn_b?);
        map.insert("fn_c".to_owned(), fn_c?);
        serde_json::to_vec(&map)
    })();
    match bundle {
        Ok(bytes) => respond(bytes, &headers),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The response Mizan gives a context GET: JSON, a strong ETag (304 when it matches
/// `If-None-Match`) and `Cache-Control`.
fn respond(bytes: Vec<u8>, headers: &HeaderMap) -> Response {
    let tag = etag(&bytes);
    let mut response = if not_modified(headers, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(bytes));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r
    };
    let h = response.headers_mut();
    h.insert(ETAG, tag);
    h.insert(CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    response
}

/// A strong ETag: the first 16 bytes of the body's SHA-256 in hex, quoted.
fn etag(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for b in &digest[..16] {
        let _ = write!(tag, "{b:02x}");
    }
    tag.push('"');
    HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` lists `etag` (or `*`).
fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    headers.get_all(IF_NONE_MATCH).iter().any(|v| {
        v.to_str().is_ok_and(|list| {
            list.split(',').map(str::trim).any(|candidate| {
                candidate == "*"
                    || candidate.strip_prefix("W/").unwrap_or(candidate).as_bytes()
                        == etag.as_bytes()
            })
        })
    })
}
