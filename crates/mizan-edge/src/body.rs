//! Bodies: what the edge answers with, and reading an origin's body up to a bound.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Empty, Full};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};

/// Any error a body may end with.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of every response the edge sends and of every request it forwards.
pub(crate) type Body = UnsyncBoxBody<Bytes, BoxError>;

/// A body holding `bytes`.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// An empty body.
pub(crate) fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// A streamed incoming body.
pub(crate) fn incoming(body: Incoming) -> Body {
    body.map_err(BoxError::from).boxed_unsync()
}

/// What reading a body up to a bound gave.
pub(crate) enum Read {
    /// The whole body, no longer than the bound.
    Whole(Bytes),
    /// The body is longer: the chunks read so far and the rest, to stream on.
    TooLong(Body),
}

/// Reads `body` whole if it is at most `limit` bytes; otherwise gives back a body that
/// replays what was read and streams the rest.
///
/// # Errors
/// The body's own error (the connection broke).
pub(crate) async fn read_bounded(mut body: Body, limit: usize) -> Result<Read, BoxError> {
    let mut chunks: VecDeque<Bytes> = VecDeque::new();
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        if let Ok(data) = frame.into_data() {
            len = len.saturating_add(data.len());
            chunks.push_back(data);
            if len > limit {
                return Ok(Read::TooLong(
                    Prefixed {
                        prefix: chunks,
                        rest: body,
                    }
                    .boxed_unsync(),
                ));
            }
        }
    }
    if chunks.len() == 1 {
        return Ok(Read::Whole(chunks.pop_front().unwrap_or_default()));
    }
    let mut out = Vec::with_capacity(len);
    for chunk in chunks {
        out.extend_from_slice(&chunk);
    }
    Ok(Read::Whole(Bytes::from(out)))
}

/// Chunks already read, then the rest of a body.
struct Prefixed {
    prefix: VecDeque<Bytes>,
    rest: Body,
}

impl HttpBody for Prefixed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(chunk) = self.prefix.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_empty() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // Only a lower bound: the rest's own hint may count bytes already read. The
        // response keeps the origin's Content-Length, which is what framing uses.
        let mut hint = SizeHint::new();
        hint.set_lower(self.prefix.iter().map(|c| c.len() as u64).sum());
        hint
    }
}
