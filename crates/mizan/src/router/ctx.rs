//! `GET {base}/ctx/{name}/?{params}`: every function of a context, run concurrently, in
//! one cacheable response.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::future::join_all;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, LOCATION};
use http::{HeaderValue, StatusCode};
use mizan_protocol::Params;
use serde_json::Value;

use super::Shared;
use super::http_cache::{etag, not_modified};
use super::run::{checked, identify, invoke, traced};
use crate::auth::Guard;
use crate::cache::Served;
use crate::cx::Cx;
use crate::error::{Error, Result};
use crate::function::Body as OutputBody;
use crate::invalidation::{self, Invalidation};
use crate::registry::CtxEntry;

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    name: Result<Path<String>, axum::extract::rejection::PathRejection>,
    request: Request,
) -> Response {
    let name = name.map(|Path(n)| n).unwrap_or_default();
    let span = super::run::request_span!(
        "mizan.ctx",
        context = %name,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let mut cx = None;
    let fut = async {
        let result = fetch(&shared, &name, request, &mut cx).await;
        (result, cx)
    };
    traced(&shared, span, fut).await
}

async fn fetch(
    shared: &Shared,
    name: &str,
    request: Request,
    seen: &mut Option<Cx>,
) -> Result<Response> {
    let Some(ctx) = shared.registry.contexts.get(name) else {
        return Err(Error::not_found(format!("unknown context `{name}`")));
    };
    let (parts, _) = request.into_parts();
    let query_len = parts.uri.query().map_or(0, str::len);
    if query_len > shared.query_limit {
        return Err(Error::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!(
                "the query string is {query_len} bytes; the limit is {} bytes",
                shared.query_limit
            ),
        ));
    }
    let identity = identify(shared, &parts).await?;
    let cx = seen.insert(Cx::new(shared.state.clone(), Some(parts), identity));
    for def in &ctx.functions {
        def.guard.check(cx).await?;
    }
    let query = cx.uri().query();
    let params = Params::from_query_with(query.unwrap_or_default(), |p| {
        if ctx.params.contains(p) {
            Ok(())
        } else {
            Err(unknown_param(ctx, p))
        }
    })
    .map_err(Error::param)?;
    // A value its parameter's type cannot hold fails whatever its spelling: answered here,
    // not redirected first.
    check_params(ctx, &params)?;
    // One URL per instance: any other spelling of the same parameters is redirected to the
    // canonical one, so that every cache holds one copy and a purge cannot miss it.
    let canonical = params.to_query();
    if query.unwrap_or_default() != canonical || (query.is_some() && canonical.is_empty()) {
        let path = cx.uri().path();
        let location = if canonical.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{canonical}")
        };
        let mut r = StatusCode::PERMANENT_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert(LOCATION, v);
        }
        return Ok(r);
    }
    // One parameter object for every function: each decodes the keys it declares.
    let args = Arc::new(Value::Object(params.into_map()));
    let cx: &Cx = cx;
    let served = match shared.cache.as_deref().filter(|c| c.caches(name)) {
        Some(cache) => {
            let run = || compute(shared, ctx, cx, args);
            cache
                .serve(name, &canonical, cx.caller(), run, Computed::shareable)
                .await?
        }
        None => Served::Fresh(compute(shared, ctx, cx, args).await?),
    };
    let (body, tag, cache_control, per_user) = match served {
        // An origin-cache entry records whether a function read the caller (only entries
        // of private contexts can have).
        Served::Hit(stored) => (
            stored.body.clone(),
            stored.etag.clone(),
            ctx.cache_control.clone(),
            ctx.private && stored.read_caller,
        ),
        Served::Fresh(computed) => {
            if let Some(value) = invalidation::encode_header(&computed.added) {
                // A query that invalidates something makes its response one-off: a cache
                // must not replay the invalidation to every client (and no ETag is
                // computed for it).
                let mut response = json_response(computed.body);
                let h = response.headers_mut();
                h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                h.insert(invalidation::HEADER.clone(), value);
                return Ok(response);
            }
            let cache_control = if computed.reads_caller {
                ctx.private_cache_control.clone()
            } else {
                ctx.cache_control.clone()
            };
            let tag = etag(&computed.body);
            (computed.body, tag, cache_control, computed.reads_caller)
        }
    };
    let mut response = if not_modified(cx.request_headers(), &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        json_response(body)
    };
    let h = response.headers_mut();
    h.insert(ETAG, tag);
    h.insert(CACHE_CONTROL, cache_control);
    if per_user {
        // An edge never files this response under a public or role scope (PROTOCOL.md §5.2).
        h.insert(SCOPE_HEADER.clone(), HeaderValue::from_static("user"));
    }
    Ok(response)
}

/// A context response as its functions produced it.
struct Computed {
    body: Bytes,
    /// Run-time invalidations, already through the sink (and purged).
    added: Vec<Invalidation>,
    /// A function read the caller (the response is sent private).
    reads_caller: bool,
    /// A function read the request beyond the identity (headers, extensions).
    read_request: bool,
    /// A sign-in or sign-out happened (the response sets cookies).
    auth_event: bool,
}

impl Computed {
    /// The body the origin cache may keep for everyone of the entry's scope, with whether
    /// a function read the caller: never one that invalidates or signs in or out (it sets
    /// cookies); under a public scope only if no function read the caller; under a
    /// caller's scope only if none read the request beyond the identity.
    fn shareable(&self, private: bool) -> Option<(Bytes, bool)> {
        let read = if private {
            self.read_request
        } else {
            self.reads_caller
        };
        (self.added.is_empty() && !self.auth_event && !read)
            .then(|| (self.body.clone(), self.reads_caller))
    }
}

/// Runs every function of the context and assembles the response body.
async fn compute(shared: &Shared, ctx: &CtxEntry, cx: &Cx, args: Arc<Value>) -> Result<Computed> {
    let calls = ctx
        .functions
        .iter()
        .enumerate()
        .map(|(i, def)| invoke(def, cx.for_function(i), Arc::clone(&args)));
    let mut outputs = Vec::with_capacity(ctx.functions.len());
    for (def, output) in ctx.functions.iter().zip(join_all(calls).await) {
        let OutputBody::Data(json) = output?.body else {
            return Err(Error::internal(format!(
                "context function `{}` returned a response",
                def.name
            )));
        };
        outputs.push((def.name, json));
    }
    let body = Bytes::from(assemble(&outputs));
    let added: Vec<_> = cx
        .take_invalidations()
        .into_iter()
        .map(|i| checked(shared, &ctx.name, i))
        .collect();
    let added = shared
        .sink
        .emit(&ctx.name, cx.caller().map(|i| i.id.as_str()), added)
        .await;
    Ok(Computed {
        body,
        added,
        reads_caller: reads_caller(shared, ctx, cx),
        read_request: cx.read_request(),
        auth_event: cx.auth_event().is_some(),
    })
}

/// `{"fn_a":<result>,"fn_b":<result>}`: functions in name order, results as serialized,
/// sized once. Names need no escaping: they match `[A-Za-z0-9_-]`.
fn assemble(outputs: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let size: usize = outputs.iter().map(|(n, r)| n.len() + r.len() + 4).sum();
    let mut bytes = Vec::with_capacity(size + 2);
    bytes.push(b'{');
    for (i, (name, json)) in outputs.iter().enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        bytes.push(b'"');
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b"\":");
        bytes.extend_from_slice(json);
    }
    bytes.push(b'}');
    bytes
}

/// `X-Mizan-Scope: user`: a function read the caller while answering (spec/EDGE_MANIFEST.md).
pub(crate) static SCOPE_HEADER: http::HeaderName =
    http::HeaderName::from_static(mizan_protocol::edge_manifest::SCOPE_HEADER);

fn json_response(body: Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Whether the response depends on the caller: declared (a private or guarded function),
/// or found out (a function read the identity, the headers or the extensions). A function
/// found out without declaring it is logged once, by name.
fn reads_caller(shared: &Shared, ctx: &CtxEntry, cx: &Cx) -> bool {
    if !cx.any_read_caller() {
        return false;
    }
    for (i, def) in ctx.functions.iter().enumerate() {
        let declared = def.private || !matches!(def.guard, Guard::Public);
        if declared || !cx.read_caller(i) {
            continue;
        }
        let first = shared
            .registry
            .functions
            .get(def.name)
            .is_some_and(|e| !e.warned_private.swap(true, Ordering::Relaxed));
        if first {
            tracing::warn!(
                function = def.name,
                context = ctx.name,
                "function reads the caller (identity, headers or extensions) without \
                 `private = true` or `auth`: its context responses are sent private; \
                 declare `private = true` so the schema and every cache know"
            );
        }
    }
    true
}

/// Checks decoded parameters against the context: each value of a type its parameter
/// admits, every required parameter present. (Unknown names are refused while decoding.)
pub(crate) fn check_params(ctx: &CtxEntry, params: &Params) -> Result<()> {
    if let Some((name, value, types)) = params.as_map().iter().find_map(|(k, v)| {
        let types = ctx.param_types.get(k)?;
        (!types.admits(v)).then_some((k, v, types))
    }) {
        let wanted = types.describe();
        return Err(Error::bad_field(
            name.clone(),
            format!("parameter `{name}` must be {wanted}, not `{value}`"),
        ));
    }
    if let Some(missing) = ctx.required.iter().find(|p| params.get(p).is_none()) {
        return Err(Error::bad_field(
            missing.clone(),
            format!(
                "missing parameter `{missing}`; context `{}` requires it",
                ctx.name
            ),
        ));
    }
    Ok(())
}

pub(crate) fn unknown_param(ctx: &CtxEntry, param: &str) -> String {
    let takes = if ctx.param_list.is_empty() {
        "no parameters".to_owned()
    } else {
        format!("parameters: {}", ctx.param_list)
    };
    format!(
        "unknown parameter `{param}`; context `{}` takes {takes}",
        ctx.name
    )
}
