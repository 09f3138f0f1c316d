//! `POST {base}/call/{fn}/`: one function with a JSON object of arguments.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::response::Response;
use serde_json::{Map, Value};

use super::Shared;
use super::body::{Media, json_object, media, read};
use super::multipart;
use super::respond::{CLIENT_HEADER, respond};
use super::run::{identify, invoke, traced};
use super::textual::{self, Unknown};
use crate::auth::csrf::{self, Token};
use crate::auth::session::SessionAuth;
use crate::cx::Cx;
use crate::error::{Error, Result};
use crate::registry::FnEntry;

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    name: Result<Path<String>, axum::extract::rejection::PathRejection>,
    request: Request,
) -> Response {
    let name = name.map(|Path(n)| n).unwrap_or_default();
    let span = super::run::request_span!(
        "mizan.call",
        function = %name,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let mut cx = None;
    let fut = async {
        let result = call(&shared, &name, request, &mut cx).await;
        (result, cx)
    };
    traced(&shared, span, fut).await
}

async fn call(
    shared: &Shared,
    name: &str,
    request: Request,
    seen: &mut Option<Cx>,
) -> Result<Response> {
    let Some(entry) = shared.registry.functions.get(name) else {
        return Err(Error::not_found(format!("unknown function `{name}`")));
    };
    let (parts, body) = request.into_parts();
    let validating = validate_only(parts.uri.query())?;
    let (cx, token) = authorize(shared, entry, parts, seen).await?;
    if let Token::InForm(_) = token {
        // A session's multipart call: scripts send the token in the header (a form field
        // is for routes, whose HTML forms cannot set headers).
        return Err(csrf::failed(
            "the CSRF token is missing: a call sends it in the CSRF header",
        ));
    }
    if validating {
        cx.set_validating();
    }
    // Every call says it is JSON, even with an empty body: a cross-site form or a
    // body-less `fetch` cannot send that without a CORS preflight, so it can never run a
    // mutation (zero-argument ones included). A multipart call (files) must carry
    // `X-Mizan-Client`, which a cross-site form cannot send either.
    let headers = cx.request_headers();
    match media(headers) {
        Media::Json => {}
        Media::Multipart if headers.contains_key(&CLIENT_HEADER) => {
            let parts =
                multipart::read(headers, body, shared.upload_limit, shared.body_limit).await?;
            let mut args = Map::new();
            textual::add(entry, parts.text, &mut args, Unknown::Refuse)?;
            textual::add_files(entry, parts.files, &mut args, Unknown::Refuse)?;
            let response = run(shared, entry, cx, args).await;
            // The request's files are forgotten once the function is done with them.
            drop(parts.pending);
            return response;
        }
        Media::Multipart => {
            return Err(Error::unsupported_media_type(
                "a multipart call needs the X-Mizan-Client: 1 header (send JSON otherwise)",
            ));
        }
        Media::None => {
            return Err(Error::unsupported_media_type(
                "a call needs Content-Type: application/json (send {} for no arguments)",
            ));
        }
        Media::Form | Media::Other(_) => {
            return Err(Error::unsupported_media_type(
                "send the arguments as Content-Type: application/json",
            ));
        }
    }
    let bytes = read(cx.request_headers(), body, shared.body_limit).await?;
    let args = json_object(&bytes)?;
    check_known(entry, &args)?;
    run(shared, entry, cx, args).await
}

/// Whether the query string asks for a validate-only call (`?validate=1`, PROTOCOL.md
/// §6.1). Other keys are not the protocol's and are ignored; `validate` with another value
/// or given twice is a 400 rather than a real call the client did not mean.
fn validate_only(query: Option<&str>) -> Result<bool> {
    let mut found = false;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if k != "validate" {
            continue;
        }
        if found || v != "1" {
            return Err(Error::bad_request(
                "`validate` takes the single value `1` (a validate-only call)",
            ));
        }
        found = true;
    }
    Ok(found)
}

/// Resolves the caller, builds the request context and checks the function's guard,
/// before anything about the arguments is looked at (so strangers learn nothing about
/// them).
///
/// With Mizan's `Auth`, an unsafe request passes the CSRF checks first (before the guard,
/// so a forged request learns nothing about it); the returned [`Token`] says whether an
/// HTML form still has to show its token field.
pub(crate) async fn authorize<'s>(
    shared: &Shared,
    entry: &FnEntry,
    parts: http::request::Parts,
    seen: &'s mut Option<Cx>,
) -> Result<(&'s Cx, Token)> {
    let identity = identify(shared, &parts).await?;
    let token = match &shared.csrf {
        // A bearer request carries no ambient credential: exempt.
        Some(csrf) if !parts.headers.contains_key(http::header::AUTHORIZATION) => {
            let secret = identity
                .as_ref()
                .and_then(|i| i.extensions.get::<SessionAuth>())
                .map(|a| a.secret);
            csrf.check(&parts, secret.as_ref())?
        }
        _ => Token::Checked,
    };
    let cx = seen.insert(Cx::new(shared.state.clone(), Some(parts), identity));
    entry.def.guard.check(cx).await?;
    Ok((cx, token))
}

/// Runs and answers one authorized function call with decoded arguments.
pub(crate) async fn run(
    shared: &Shared,
    entry: &FnEntry,
    cx: &Cx,
    args: Map<String, Value>,
) -> Result<Response> {
    let output = invoke(entry.def, cx.clone(), Arc::new(Value::Object(args))).await?;
    Ok(respond(shared, entry, output, cx).await)
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
            Err(Error::bad_field(unknown.clone(), message))
        }
    }
}
