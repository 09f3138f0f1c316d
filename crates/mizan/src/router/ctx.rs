//! `GET {base}/ctx/{name}/?{params}`: every function of a context, run concurrently, in
//! one cacheable response.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use futures_util::future::join_all;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG};
use http::{HeaderValue, StatusCode};
use serde_json::Value;
use tracing::{Instrument, field};

use super::Shared;
use super::http_cache::{etag, not_modified};
use super::run::{checked, identify, invoke};
use crate::cx::Cx;
use crate::error::{Error, FieldErrors, Result};
use crate::function::Body as OutputBody;
use crate::invalidation::{self, normalize};
use mizan_protocol::Params;

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    name: Result<Path<String>, axum::extract::rejection::PathRejection>,
    request: Request,
) -> Response {
    let name = name.map(|Path(n)| n).unwrap_or_default();
    let span = tracing::info_span!(
        "mizan.ctx",
        context = %name,
        status = field::Empty,
        duration_ms = field::Empty,
    );
    let start = (!span.is_disabled()).then(Instant::now);
    let response = fetch(&shared, &name, request)
        .instrument(span.clone())
        .await
        .unwrap_or_else(IntoResponse::into_response);
    if let Some(start) = start {
        span.record("status", response.status().as_u16());
        span.record("duration_ms", start.elapsed().as_secs_f64() * 1000.0);
        span.in_scope(|| tracing::info!(status = response.status().as_u16(), "mizan context"));
    }
    response
}

async fn fetch(shared: &Shared, name: &str, request: Request) -> Result<Response> {
    let Some(ctx) = shared.registry.contexts.get(name) else {
        return Err(Error::not_found(format!("unknown context `{name}`")));
    };
    let (parts, _) = request.into_parts();
    let identity = identify(shared, &parts).await?;
    for def in &ctx.functions {
        def.guard.check(identity.as_ref())?;
    }
    let params = Params::from_query(parts.uri.query().unwrap_or_default()).map_err(Error::param)?;
    if let Some(unknown) = params
        .as_map()
        .keys()
        .find(|k| !ctx.params.contains(k.as_str()))
    {
        let takes = if ctx.param_list.is_empty() {
            "no parameters".to_owned()
        } else {
            format!("parameters: {}", ctx.param_list)
        };
        let message = format!(
            "unknown parameter `{unknown}`; context `{}` takes {takes}",
            ctx.name
        );
        return Err(Error::bad_request(message.clone())
            .with_fields(FieldErrors::from([(unknown.clone(), vec![message])])));
    }
    let cx = Cx::new(shared.state.clone(), parts, identity);
    // One parameter object for every function: each decodes the keys it declares.
    let args = Arc::new(Value::Object(params.into_map()));
    let calls = ctx
        .functions
        .iter()
        .map(|def| invoke(def, cx.clone(), Arc::clone(&args)));
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
    // `{"fn_a":<result>,"fn_b":<result>}`, functions in name order, results as serialized;
    // sized once. Names need no escaping: they match `[A-Za-z0-9_-]`.
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
    let tag = etag(&bytes);
    let mut response = if not_modified(cx.headers(), &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(bytes));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r
    };
    let h = response.headers_mut();
    h.insert(ETAG, tag);
    let added: Vec<_> = cx
        .take_invalidations()
        .into_iter()
        .map(|i| checked(shared, name, i))
        .collect();
    match invalidation::encode_header(&normalize(added)) {
        // A query that invalidates something makes its response one-off: a cache must not
        // replay the invalidation to every client.
        Some(value) => {
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(invalidation::HEADER.clone(), value);
        }
        None => {
            h.insert(CACHE_CONTROL, ctx.cache_control.clone());
        }
    }
    Ok(response)
}
