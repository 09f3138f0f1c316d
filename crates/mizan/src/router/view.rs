//! Functions exposed at a route of their own (`route = "/todos/{id}/toggle"`): arguments
//! come from the path, the query string and a form or JSON body.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawPathParams, Request};
use axum::response::Response;
use serde_json::Map;

use super::Shared;
use super::body::{Media, json_object, media, read};
use super::call::{authorize, check_known, run};
use super::multipart;
use super::run::traced;
use super::textual::{self, Unknown};
use crate::auth::csrf::{self, Token};
use crate::cx::Cx;
use crate::error::{Error, Result};
use crate::upload::Pending;

pub(crate) async fn handle(
    shared: Arc<Shared>,
    name: &'static str,
    path: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
) -> Response {
    let span = super::run::request_span!(
        "mizan.route",
        function = name,
        path = %request.uri().path(),
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let mut cx = None;
    let fut = async {
        let result = serve(&shared, name, path, request, &mut cx).await;
        (result, cx)
    };
    traced(&shared, span, fut).await
}

async fn serve(
    shared: &Shared,
    name: &'static str,
    path: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
    seen: &mut Option<Cx>,
) -> Result<Response> {
    let Some(entry) = shared.registry.functions.get(name) else {
        return Err(Error::not_found(format!("unknown function `{name}`")));
    };
    let (parts, body) = request.into_parts();
    // The guard runs before the path parameters are decoded (spec: strangers learn
    // nothing about them).
    let (cx, token) = authorize(shared, entry, parts, seen).await?;
    let path = path.map_err(|e| Error::bad_request(format!("invalid path parameter: {e}")))?;

    let mut text: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &path {
        text.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    if let Some(q) = cx.uri().query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            text.entry(k.into_owned()).or_default().push(v.into_owned());
        }
    }
    let mut args = Map::new();
    let mut form = false;
    let mut files = BTreeMap::new();
    let mut pending = Pending::default();
    let headers = cx.request_headers();
    match media(headers) {
        Media::Json => {
            let bytes = read(headers, body, shared.body_limit).await?;
            args = json_object(&bytes)?;
            check_known(entry, &args)?;
        }
        Media::Form => {
            form = true;
            let bytes = read(headers, body, shared.body_limit).await?;
            for (k, v) in form_urlencoded::parse(&bytes) {
                text.entry(k.into_owned()).or_default().push(v.into_owned());
            }
        }
        Media::Multipart => {
            form = true;
            let parts =
                multipart::read(headers, body, shared.upload_limit, shared.body_limit).await?;
            for (k, mut v) in parts.text {
                text.entry(k).or_default().append(&mut v);
            }
            files = parts.files;
            pending = parts.pending;
        }
        Media::None => {
            let bytes = read(headers, body, shared.body_limit).await?;
            if !bytes.is_empty() {
                return Err(Error::unsupported_media_type(
                    "send a form (application/x-www-form-urlencoded or multipart/form-data) or JSON",
                ));
            }
        }
        Media::Other(other) => {
            return Err(Error::unsupported_media_type(format!(
                "`{other}` is not accepted; send a form (application/x-www-form-urlencoded or multipart/form-data) or JSON"
            )));
        }
    }
    if let Token::InForm(secret) = token {
        // A session's HTML form without the header: its token field must match.
        let field = shared
            .csrf
            .as_ref()
            .map_or("csrf_token", |c| c.field_name());
        match text.get(field).map(Vec::as_slice) {
            Some([value]) => csrf::verify(value, &secret)?,
            Some(_) => return Err(csrf::failed("the CSRF token field is given more than once")),
            None => {
                return Err(csrf::failed(&format!(
                    "the CSRF token is missing: send it in the form's `{field}` field"
                )));
            }
        }
    }
    // Forms carry fields of their own (submit buttons, tokens): ignored.
    textual::add(entry, text, &mut args, Unknown::Ignore)?;
    textual::add_files(entry, files, &mut args, Unknown::Ignore)?;
    if form {
        textual::absent_checkboxes(entry, &mut args);
    }
    let response = run(shared, entry, cx, args).await;
    // The request's files are forgotten once the function is done with them.
    drop(pending);
    response
}
