//! `POST {base}/call/{fn}/`: one function with a JSON object of arguments.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use tracing::{Instrument, field};

use super::Shared;
use super::body::{Media, json_object, media, read};
use super::respond::respond;
use super::run::{identify, invoke};
use crate::auth::Identity;
use crate::cx::Cx;
use crate::error::{Error, FieldErrors, Result};
use crate::registry::FnEntry;

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    name: Result<Path<String>, axum::extract::rejection::PathRejection>,
    request: Request,
) -> Response {
    let name = name.map(|Path(n)| n).unwrap_or_default();
    let span = tracing::info_span!(
        "mizan.call",
        function = %name,
        status = field::Empty,
        duration_ms = field::Empty,
    );
    let start = (!span.is_disabled()).then(Instant::now);
    let response = call(&shared, &name, request)
        .instrument(span.clone())
        .await
        .unwrap_or_else(IntoResponse::into_response);
    if let Some(start) = start {
        span.record("status", response.status().as_u16());
        span.record("duration_ms", start.elapsed().as_secs_f64() * 1000.0);
        span.in_scope(|| tracing::info!(status = response.status().as_u16(), "mizan call"));
    }
    response
}

async fn call(shared: &Shared, name: &str, request: Request) -> Result<Response> {
    let Some(entry) = shared.registry.functions.get(name) else {
        return Err(Error::not_found(format!("unknown function `{name}`")));
    };
    let (parts, body) = request.into_parts();
    let identity = authorize(shared, entry, &parts).await?;
    let args = match media(&parts.headers) {
        Media::Json | Media::None => {
            let bytes = read(&parts.headers, body, shared.body_limit).await?;
            if matches!(media(&parts.headers), Media::None) && !bytes.is_empty() {
                return Err(Error::unsupported_media_type(
                    "send the arguments as Content-Type: application/json",
                ));
            }
            json_object(&bytes)?
        }
        Media::Form | Media::Other(_) => {
            return Err(Error::unsupported_media_type(
                "send the arguments as Content-Type: application/json",
            ));
        }
    };
    check_known(entry, &args)?;
    run(shared, entry, parts, identity, args).await
}

/// Resolves the caller and checks the function's guard, before anything about the
/// arguments is looked at (so strangers learn nothing about them).
pub(crate) async fn authorize(
    shared: &Shared,
    entry: &FnEntry,
    parts: &http::request::Parts,
) -> Result<Option<Identity>> {
    let identity = identify(shared, parts).await?;
    entry.def.guard.check(identity.as_ref())?;
    Ok(identity)
}

/// Runs and answers one authorized function call with decoded arguments.
pub(crate) async fn run(
    shared: &Shared,
    entry: &FnEntry,
    parts: http::request::Parts,
    identity: Option<Identity>,
    args: Map<String, Value>,
) -> Result<Response> {
    let cx = Cx::new(shared.state.clone(), parts, identity);
    let output = invoke(entry.def, cx.clone(), Arc::new(Value::Object(args))).await?;
    Ok(respond(shared, entry, output, &cx))
}

/// Rejects arguments the function does not take.
pub(crate) fn check_known(entry: &FnEntry, args: &Map<String, Value>) -> Result<()> {
    match args.keys().find(|k| !entry.args.contains(k.as_str())) {
        None => Ok(()),
        Some(unknown) => {
            let message = format!(
                "unknown argument `{unknown}`; `{}` takes: {}",
                entry.def.name,
                if entry.def.args.is_empty() {
                    "no arguments".to_owned()
                } else {
                    entry.def.args.join(", ")
                }
            );
            Err(Error::bad_request(message.clone())
                .with_fields(FieldErrors::from([(unknown.clone(), vec![message])])))
        }
    }
}
