//! The one error type of Mizan functions and the protocol's error shape.
//!
//! Every failure a client can see is an [`Error`]: a status, a stable machine-readable
//! `code`, a human message and, for argument and validation errors, messages per field.
//! It becomes `{"error": {"code", "message", "fields"?}}` in exactly one place
//! ([`Error::into_response`]). Internal errors keep their cause for the log and show the
//! client only `"internal error"`.

use std::collections::BTreeMap;
use std::fmt;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

/// `Result<T, mizan::Error>`: what every Mizan function returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Messages per field path (`"title"`, `"items/0/name"`: PROTOCOL.md §10.1), as sent in
/// `error.fields`. Build nested paths with [`mizan::protocol::field_path`](crate::protocol::field_path).
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// A failure with its HTTP status and protocol error code.
///
/// Build one with the constructors ([`Error::not_found`], [`Error::validation`], …) or let
/// `?` convert any `std::error::Error` into an internal error (500) whose cause is logged and
/// never sent.
pub struct Error {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Option<FieldErrors>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Rarely set: kept out of line so `Result<T, Error>` stays small.
    extra: Option<Box<Extra>>,
}

/// The rarely set parts of an [`Error`].
#[derive(Debug, Default)]
struct Extra {
    /// The `Allow` header of a 405.
    allow: Option<String>,
    /// The function that failed, for the log.
    function: Option<&'static str>,
    /// The `Retry-After` header, in whole seconds.
    retry_after: Option<u64>,
}

impl Error {
    /// An error with a status and a code of your own, for statuses Mizan has no constructor
    /// for (`409 conflict`, `429 too_many_requests`, …).
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: None,
            source: None,
            extra: None,
        }
    }

    /// 400 `bad_request`: malformed JSON, parameters or arguments.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 400 `bad_request` about one argument or parameter: the message is also given under
    /// `fields`, keyed by its name.
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::bad_request(message.clone())
            .with_fields(FieldErrors::from([(field.into(), vec![message])]))
    }

    /// 400 `bad_request` for a context parameter that could not be read, naming it.
    pub(crate) fn param(e: mizan_protocol::ParamError) -> Self {
        Self::bad_field(e.param, e.message)
    }

    /// 401 `unauthorized`: the function needs an identity and the request has none.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403 `forbidden`: the caller is known but lacks the permission.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405 `method_not_allowed`, with the `Allow` header listing `allow`.
    pub fn method_not_allowed(allow: impl Into<String>) -> Self {
        let allow = allow.into();
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("method not allowed; allowed: {allow}"),
        );
        e.extra.get_or_insert_default().allow = Some(allow);
        e
    }

    /// 408 `body_timeout`: the request body did not arrive within `deadline`
    /// ([`Server::body_read_timeout`](crate::Server::body_read_timeout)).
    pub(crate) fn body_timeout(deadline: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!("the request body did not arrive within {deadline:?}"),
        )
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body is larger than the limit of {limit} bytes"),
        )
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }

    /// 422 `validation`: the input is well-formed but not acceptable; `fields` says why,
    /// per field path.
    pub fn validation(fields: FieldErrors) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "validation failed",
        );
        e.fields = Some(fields);
        e
    }

    /// 422 `validation` with one message for one field.
    pub fn field(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(BTreeMap::from([(path.into(), vec![message.into()])]))
    }

    /// 500 `internal`: the client sees `"internal error"`, the log sees `cause`.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        );
        e.source = Some(cause.into());
        e
    }

    /// 503 `timeout`: the request was not answered within `deadline`
    /// ([`Server::request_timeout`](crate::Server::request_timeout)).
    pub(crate) fn request_timeout(deadline: std::time::Duration) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request was not answered within {deadline:?}"),
        )
    }

    /// Attaches per-field messages (used for 400 argument errors and 422).
    pub fn with_fields(mut self, fields: FieldErrors) -> Self {
        self.fields = Some(fields);
        self
    }

    /// Tells the client when to try again: the response carries `Retry-After` with
    /// `after` in whole seconds, rounded up (a `429` from a rate limit, a `503` during
    /// maintenance).
    ///
    /// ```
    /// use std::time::Duration;
    /// use mizan::Error;
    /// use http::StatusCode;
    ///
    /// let e = Error::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "slow down")
    ///     .with_retry_after(Duration::from_millis(1500)); // Retry-After: 2
    /// ```
    #[must_use]
    pub fn with_retry_after(mut self, after: std::time::Duration) -> Self {
        let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        self.extra.get_or_insert_default().retry_after = Some(seconds.max(1));
        self
    }

    /// Names the function that failed, for the log (never sent).
    pub(crate) fn in_function(mut self, name: &'static str) -> Self {
        self.extra
            .get_or_insert_default()
            .function
            .get_or_insert(name);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The protocol error code (`"not_found"`, `"validation"`, …).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message sent to the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Per-field messages, if any.
    pub fn fields(&self) -> Option<&FieldErrors> {
        self.fields.as_ref()
    }

    /// The body of this error as the protocol's JSON value.
    pub fn to_body(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct Inner<'a> {
            code: &'a str,
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            fields: Option<&'a FieldErrors>,
        }
        // A 500 never carries fields: they would describe internals.
        let fields = if self.status.is_server_error() {
            None
        } else {
            self.fields.as_ref()
        };
        serde_json::json!({ "error": Inner { code: self.code, message: &self.message, fields } })
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.status.as_u16())
            .field("code", &self.code)
            .field("message", &self.message)
            .field("fields", &self.fields)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )?;
        if let Some(function) = self.extra.as_ref().and_then(|x| x.function) {
            write!(f, " in function `{function}`")?;
        }
        if let Some(source) = &self.source {
            write!(f, " (caused by: {source})")?;
        }
        Ok(())
    }
}

/// `?` on any standard error makes an internal error: logged with its cause, sent as 500
/// without it. Like `anyhow::Error`, `Error` itself is not a `std::error::Error` so that
/// this conversion can exist.
impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(cause: E) -> Self {
        Error::internal(cause)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), code = self.code, error = %self, "mizan request failed");
        }
        let body = serde_json::to_vec(&self.to_body()).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let extra = self.extra.unwrap_or_default();
        if let Some(allow) = extra.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
            headers.insert(header::ALLOW, allow);
        }
        if let Some(seconds) = extra.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        res
    }
}

/// Checks a value with its [`garde::Validate`] derive and turns a failure into a 422
/// [`Error::validation`] with messages per field path.
///
/// Arguments whose types derive `garde::Validate` are validated automatically before a
/// function runs; call this for values you build yourself.
pub fn validate<T>(value: &T) -> Result<()>
where
    T: garde::Validate + ?Sized,
    T::Context: Default,
{
    value
        .validate()
        .map_err(|report| Error::validation(report_fields(&report, None)))
}

/// Checks the value of argument `name` with its [`garde::Validate`] derive, giving exactly the
/// 422 a call with that argument gets: messages keyed by field path under `name` (`title`,
/// `items/2/qty`). For a route that takes raw text and validates it itself (a JavaScript-off
/// form that renders its errors rather than answering JSON).
///
/// ```
/// #[derive(garde::Validate)]
/// #[garde(transparent)]
/// struct Title(#[garde(length(min = 1))] String);
///
/// let e = mizan::validate_arg("title", &Title(String::new())).unwrap_err();
/// assert_eq!(e.status(), 422);
/// assert!(e.fields().is_some_and(|f| f.contains_key("title")));
/// ```
pub fn validate_arg<T>(name: &str, value: &T) -> Result<()>
where
    T: garde::Validate + ?Sized,
    T::Context: Default,
{
    value
        .validate()
        .map_err(|report| Error::validation(report_fields(&report, Some(name))))
}

/// Turns a garde report into per-field messages, keyed by field path (`items/2/qty`,
/// PROTOCOL.md §10.1) under the argument `prefix`.
pub(crate) fn report_fields(report: &garde::Report, prefix: Option<&str>) -> FieldErrors {
    use mizan_protocol::field_path::{Segment, encode};
    let mut fields = FieldErrors::new();
    for (path, error) in report.iter() {
        // garde keeps a path innermost first.
        let components: Vec<_> = path.__iter().collect();
        let segments = prefix
            .map(Segment::Key)
            .into_iter()
            .chain(components.iter().rev().map(|(kind, component)| {
                match kind {
                    garde::error::Kind::Index => component
                        .parse()
                        .map_or(Segment::Key(component.as_str()), Segment::Index),
                    _ => Segment::Key(component.as_str()),
                }
            }));
        fields
            .entry(encode(segments))
            .or_default()
            .push(error.message().to_owned());
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = Error::internal(std::io::Error::other("db password is hunter2"));
        let body = e.to_body().to_string();
        assert!(!body.contains("hunter2"));
        assert_eq!(
            body,
            r#"{"error":{"code":"internal","message":"internal error"}}"#
        );
        assert!(e.to_string().contains("hunter2"));
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        let e = Error::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "slow down")
            .with_retry_after(std::time::Duration::from_millis(1500));
        let res = e.into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "2");
        let zero = Error::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "later")
            .with_retry_after(std::time::Duration::ZERO)
            .into_response();
        assert_eq!(zero.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn question_mark_makes_internal_errors() {
        fn parse() -> Result<i32> {
            Ok("x".parse::<i32>()?)
        }
        assert_eq!(parse().unwrap_err().status(), 500);
    }
}
