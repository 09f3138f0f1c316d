//! Functions exposed at a route of their own (`route = "/todos/{id}/toggle"`): arguments
//! come from the path, the query string and a form or JSON body.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{RawPathParams, Request};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use tracing::{Instrument, field};

use super::Shared;
use super::body::{Media, json_object, media, read};
use super::call::{authorize, check_known, run};
use crate::error::{Error, FieldErrors, Result};
use crate::registry::{Coerce, FnEntry};

pub(crate) async fn handle(
    shared: Arc<Shared>,
    name: &'static str,
    path: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
) -> Response {
    let span = tracing::info_span!(
        "mizan.route",
        function = name,
        path = %request.uri().path(),
        status = field::Empty,
        duration_ms = field::Empty,
    );
    let start = (!span.is_disabled()).then(Instant::now);
    let response = serve(&shared, name, path, request)
        .instrument(span.clone())
        .await
        .unwrap_or_else(IntoResponse::into_response);
    if let Some(start) = start {
        span.record("status", response.status().as_u16());
        span.record("duration_ms", start.elapsed().as_secs_f64() * 1000.0);
        span.in_scope(|| tracing::info!(status = response.status().as_u16(), "mizan route"));
    }
    response
}

async fn serve(
    shared: &Shared,
    name: &'static str,
    path: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
) -> Result<Response> {
    let Some(entry) = shared.registry.functions.get(name) else {
        return Err(Error::not_found(format!("unknown function `{name}`")));
    };
    let path = path.map_err(|e| Error::bad_request(format!("invalid path parameter: {e}")))?;
    let (parts, body) = request.into_parts();
    let identity = authorize(shared, entry, &parts).await?;

    let mut text: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &path {
        text.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    if let Some(q) = parts.uri.query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            text.entry(k.into_owned()).or_default().push(v.into_owned());
        }
    }
    let mut args = Map::new();
    let mut form = false;
    match media(&parts.headers) {
        Media::Json => {
            let bytes = read(&parts.headers, body, shared.body_limit).await?;
            args = json_object(&bytes)?;
            check_known(entry, &args)?;
        }
        Media::Form => {
            form = true;
            let bytes = read(&parts.headers, body, shared.body_limit).await?;
            for (k, v) in form_urlencoded::parse(&bytes) {
                text.entry(k.into_owned()).or_default().push(v.into_owned());
            }
        }
        Media::None => {
            let bytes = read(&parts.headers, body, shared.body_limit).await?;
            if !bytes.is_empty() {
                return Err(Error::unsupported_media_type(
                    "send a form (application/x-www-form-urlencoded) or JSON",
                ));
            }
        }
        Media::Other(other) => {
            return Err(Error::unsupported_media_type(format!(
                "`{other}` is not accepted; send a form (application/x-www-form-urlencoded) or JSON"
            )));
        }
    }
    for (key, values) in text {
        let Some(&how) = entry.coerce.get(&key) else {
            // Forms carry fields of their own (submit buttons, tokens): ignored.
            continue;
        };
        if args.contains_key(&key) {
            return Err(given_twice(&key));
        }
        args.insert(key.clone(), coerce(&key, how, values)?);
    }
    if form {
        absent_checkboxes(entry, &mut args);
    }
    run(shared, entry, parts, identity, args).await
}

fn coerce(key: &str, how: Coerce, mut values: Vec<String>) -> Result<Value> {
    if how == Coerce::Array {
        return Ok(Value::Array(
            values.iter().map(|v| json_or_text(v)).collect(),
        ));
    }
    if values.len() > 1 {
        return Err(given_twice(key));
    }
    let v = values.pop().unwrap_or_default();
    Ok(match how {
        Coerce::Text => Value::String(v),
        Coerce::Bool => match v.as_str() {
            "true" | "on" | "1" => Value::Bool(true),
            "false" | "off" | "0" | "" => Value::Bool(false),
            _ => Value::String(v),
        },
        Coerce::Array | Coerce::Json => json_or_text(&v),
    })
}

fn json_or_text(v: &str) -> Value {
    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()))
}

/// An unchecked HTML checkbox sends nothing: a boolean argument absent from a form is
/// `false`.
fn absent_checkboxes(entry: &FnEntry, args: &mut Map<String, Value>) {
    for (key, how) in &entry.coerce {
        if *how == Coerce::Bool && !args.contains_key(key) {
            args.insert(key.clone(), Value::Bool(false));
        }
    }
}

fn given_twice(key: &str) -> Error {
    let message = format!("argument `{key}` is given more than once");
    Error::bad_request(message.clone())
        .with_fields(FieldErrors::from([(key.to_owned(), vec![message])]))
}
