//! The per-request deadlines: one for the request body, one for the whole request.
//!
//! Neither comes from tower-http: its `RequestBodyTimeoutLayer` restarts its timer after
//! every frame, so a client trickling a byte at a time is never cut off, and its
//! `TimeoutLayer` answers with an empty body rather than the protocol's error shape.

use std::error::Error as StdError;
use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, Version, header};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use tokio::time::Sleep;
use tower::ServiceExt;

use super::idle::{InFlight, Tracked};
use crate::Error;

/// The deadlines of one request, both counted from its head.
#[derive(Clone, Copy)]
pub(super) struct Deadlines {
    pub(super) body: Option<Duration>,
    pub(super) request: Option<Duration>,
}

/// Runs `req` through `router` under `deadlines`.
///
/// A body that is not in by its deadline fails the handler's read and turns the response,
/// whatever the handler made of that failure, into 408 `body_timeout`; an HTTP/1 connection
/// is then closed, since the rest of the body is still on the wire. A request not answered
/// by its deadline is dropped (cancelling the handler) and answered 503 `timeout`. Both
/// deadlines end with the response head: a streaming response body is not cut off.
pub(super) async fn handle(
    router: Router,
    req: Request<Incoming>,
    peer: SocketAddr,
    deadlines: Deadlines,
    in_flight: InFlight,
) -> Response {
    let version = req.version();
    let body_timed_out = Arc::new(AtomicBool::new(false));
    let mut req = req.map(|body| {
        Body::new(DeadlineBody {
            inner: body,
            deadline: deadlines.body.map(|d| Box::pin(tokio::time::sleep(d))),
            timed_out: Arc::clone(&body_timed_out),
        })
    });
    req.extensions_mut().insert(ConnectInfo(peer));

    let handled = router.oneshot(req);
    let res = match deadlines.request {
        Some(d) => tokio::time::timeout(d, handled).await.ok(),
        None => Some(handled.await),
    };
    let mut res = match res {
        Some(Ok(res)) => res,
        Some(Err(never)) => match never {},
        None => Error::request_timeout(deadlines.request.unwrap_or_default()).into_response(),
    };
    if body_timed_out.load(Ordering::Relaxed) {
        res = Error::body_timeout(deadlines.body.unwrap_or_default()).into_response();
        if version <= Version::HTTP_11 {
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
    res.map(|body| {
        Body::new(Tracked {
            body,
            _in_flight: in_flight,
        })
    })
}

/// A request body that fails once its deadline passes, and says so in `timed_out`.
struct DeadlineBody {
    inner: Incoming,
    deadline: Option<Pin<Box<Sleep>>>,
    timed_out: Arc<AtomicBool>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn StdError + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let Some(deadline) = &mut this.deadline else {
            return Poll::Pending;
        };
        ready!(deadline.as_mut().poll(cx));
        this.timed_out.store(true, Ordering::Relaxed);
        Poll::Ready(Some(Err(Box::new(BodyTimedOut))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The error a handler sees when reading a body past its deadline.
#[derive(Debug)]
struct BodyTimedOut;

impl fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request body did not arrive before its deadline")
    }
}

impl StdError for BodyTimedOut {}
