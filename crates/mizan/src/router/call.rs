//! `POST {base}/call/{fn}/`: one function with a JSON object of arguments.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::response::Response;
use serde_json::{Map, Value};

use super::Shared;
use super::body::{Media, json_object, media, read};
use super::respond::respond;
use super::run::{identify, invoke, traced};
use crate::auth::csrf::Token;
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
    let (cx, _) = authorize(shared, entry, parts, seen).await?;
    // Every call says it is JSON, even with an empty body: a cross-site form or a
    // body-less `fetch` cannot send that without a CORS preflight, so it can never run a
    // mutation (zero-argument ones included).
    match media(cx.request_headers()) {
        Media::Json => {}
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
