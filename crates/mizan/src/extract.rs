//! Parameters Mizan fills in itself rather than decoding them from the call's arguments:
//! shared state ([`State`]) and axum extractors. They are not wire arguments and are not in
//! the schema document; each is recorded in the function's definition
//! ([`FunctionDef::injected`](crate::FunctionDef::injected)) so that missing state fails
//! [`Builder::build`](crate::Builder::build) instead of a request.

use std::any::{TypeId, type_name};
use std::future::Future;
use std::ops::{Deref, DerefMut};

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

use crate::cx::Cx;
use crate::error::{Error, Result};

/// Shared state added with [`Builder::state`](crate::Builder::state), as a parameter:
/// `State(db): State<Db>`. Like axum's `State`, the value is cloned for each call (keep
/// it cheap to clone: a pool, an `Arc`).
///
/// A function that takes `State<T>` makes [`Builder::build`](crate::Builder::build) fail
/// with [`BuildError::MissingState`](crate::BuildError::MissingState) when no `T` was
/// added, naming the function and the type.
#[derive(Clone, Copy, Debug, Default)]
pub struct State<T>(pub T);

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for State<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// What a filled-in parameter needs, as recorded in a function's definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Injected {
    /// [`State<T>`]: a value of this type must be added with
    /// [`Builder::state`](crate::Builder::state).
    State {
        /// `TypeId::of::<T>()`.
        type_id: TypeId,
        /// `std::any::type_name::<T>()`, for messages.
        type_name: &'static str,
    },
    /// An axum extractor (`FromRequestParts<()>`) run on the request head.
    Extractor {
        /// `std::any::type_name` of the extractor.
        type_name: &'static str,
    },
}

/// A parameter that Mizan fills in for each call: [`State<T>`] and every axum extractor
/// that implements `FromRequestParts<()>` (`HeaderMap`, `Method`, `Extension<T>`,
/// `TypedHeader<T>`, your own). `#[mizan::client]` uses it for destructured parameters
/// (`State(db): State<Db>`) and parameters marked `#[extract]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be filled in by Mizan",
    label = "Mizan cannot fill in this parameter",
    note = "destructured and `#[extract]` parameters take `mizan::State<T>` (with `T: Clone + Send + Sync + 'static`) or a type implementing `axum::extract::FromRequestParts<()>`"
)]
pub trait FromCx: Sized + Send {
    /// What the parameter needs, for the function's definition.
    fn describe() -> Injected;

    /// Produces the value for one call.
    fn from_cx(cx: &Cx) -> impl Future<Output = Result<Self>> + Send;
}

impl<T: Clone + Send + Sync + 'static> FromCx for State<T> {
    fn describe() -> Injected {
        Injected::State {
            type_id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
        }
    }

    fn from_cx(cx: &Cx) -> impl Future<Output = Result<Self>> + Send {
        let value = cx.state::<T>().map(|v| State(v.clone()));
        async move { value }
    }
}

impl<E> FromCx for E
where
    E: FromRequestParts<()> + Send + 'static,
{
    fn describe() -> Injected {
        Injected::Extractor {
            type_name: type_name::<E>(),
        }
    }

    fn from_cx(cx: &Cx) -> impl Future<Output = Result<Self>> + Send {
        // Extractors take the head mutably; each gets its own copy.
        let parts = cx.parts().cloned();
        async move {
            let Some(mut parts) = parts else {
                return Err(Error::internal(format!(
                    "the extractor `{}` needs an HTTP request head, and this call has none \
                     (take the value from `cx` instead)",
                    type_name::<E>()
                )));
            };
            // The rejection need not be `Send`: it is a response before the next await.
            let response = match E::from_request_parts(&mut parts, &()).await {
                Ok(value) => return Ok(value),
                Err(rejection) => rejection.into_response(),
            };
            Err(rejected(type_name::<E>(), response).await)
        }
    }
}

/// The longest rejection text passed on to the client.
const MAX_MESSAGE: usize = 512;

/// Turns an extractor's rejection into the protocol's error shape. A 4xx keeps its status,
/// and its message when it is short plain text (what axum's own rejections send);
/// anything else is an internal error whose details only reach the log.
async fn rejected(extractor: &str, response: Response) -> Error {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    let text = axum::body::to_bytes(response.into_body(), MAX_MESSAGE)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    if !status.is_client_error() {
        return Error::internal(format!(
            "the extractor `{extractor}` rejected the request with {status}: {text}"
        ));
    }
    let message = if plain && !text.is_empty() {
        text
    } else {
        status
            .canonical_reason()
            .unwrap_or("the request was rejected")
            .to_owned()
    };
    Error::new(status, code(status), message)
}

/// The protocol's code for a client-error status.
fn code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation",
        _ => "rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rejections_keep_4xx_and_hide_the_rest() {
        let e = rejected(
            "X",
            (StatusCode::BAD_REQUEST, "missing header `x`").into_response(),
        )
        .await;
        assert_eq!(
            (e.status(), e.code(), e.message()),
            (StatusCode::BAD_REQUEST, "bad_request", "missing header `x`")
        );
        let e = rejected(
            "X",
            (StatusCode::IM_A_TEAPOT, axum::Json(1)).into_response(),
        )
        .await;
        assert_eq!((e.code(), e.message()), ("rejected", "I'm a teapot"));
        let e = rejected(
            "X",
            (StatusCode::INTERNAL_SERVER_ERROR, "db password is hunter2").into_response(),
        )
        .await;
        assert_eq!((e.code(), e.message()), ("internal", "internal error"));
        let e = rejected("X", StatusCode::FOUND.into_response()).await;
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
