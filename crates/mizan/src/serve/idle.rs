//! The idle timeout: a connection with no request in flight for a while is closed.
//!
//! hyper has no idle timer for HTTP/2 (its keep-alive pings only find dead peers; a live
//! peer that opens no streams answers them forever), and for HTTP/1 its head timer is the
//! only one. So each connection counts its requests in flight here, from the request head
//! until the response body is dropped (sent or abandoned), and the connection task closes
//! the connection gracefully once [`Activity::idle`] completes.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Requests in flight on one connection, and since when there have been none.
pub(super) struct Activity {
    state: Mutex<State>,
    changed: Notify,
}

struct State {
    in_flight: usize,
    idle_since: Instant,
}

impl Activity {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                in_flight: 0,
                idle_since: Instant::now(),
            }),
            changed: Notify::new(),
        })
    }

    /// Marks a request as started; it ends when the returned guard is dropped.
    pub(super) fn start(self: &Arc<Self>) -> InFlight {
        self.update(|s| s.in_flight += 1);
        InFlight(Arc::clone(self))
    }

    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
        self.changed.notify_waiters();
    }

    /// Completes once no request has been in flight for `timeout`; never if `None`.
    pub(super) async fn idle(&self, timeout: Option<Duration>) {
        let Some(timeout) = timeout else {
            return std::future::pending().await;
        };
        loop {
            // Registered before reading the state, so no change between the two is missed.
            let changed = self.changed.notified();
            let deadline = {
                let s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                (s.in_flight == 0).then(|| s.idle_since + timeout)
            };
            match deadline {
                Some(d) if d <= Instant::now() => return,
                Some(d) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(d) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// A request in flight; dropping it ends the request.
pub(super) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|s| {
            s.in_flight -= 1;
            if s.in_flight == 0 {
                s.idle_since = Instant::now();
            }
        });
    }
}

/// A response body that keeps its request in flight until hyper drops it.
pub(super) struct Tracked {
    pub(super) body: Body,
    pub(super) _in_flight: InFlight,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
