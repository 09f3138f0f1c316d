//! The origins: a keep-alive pooled HTTP/1.1 client, round-robin over the configured
//! origins, skipping one that refuses connections.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::body::{self, Body};
use crate::error::EdgeError;
use crate::metrics::{Metrics, inc};

/// How long an origin may take to send its response head.
const ORIGIN_TIMEOUT: Duration = Duration::from_secs(60);

/// How long an origin that refused a connection is skipped.
const DOWN_FOR: Duration = Duration::from_secs(2);

/// One origin: where requests go.
#[derive(Debug)]
struct Origin {
    scheme: Scheme,
    authority: Authority,
    /// Milliseconds since `Origins::epoch` until which the origin is skipped.
    down_until: AtomicU64,
}

/// A request body as the origin client sends it: replayable (so a refused connection can
/// be retried on the next origin) or streamed once.
pub(crate) enum OutBody {
    /// Bytes held in memory (possibly empty).
    Replayable(Bytes),
    /// A body too large to hold; sent to one origin only.
    Stream(Body),
}

/// Why no origin answered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OriginError {
    /// Every origin refused the connection (or the one tried failed).
    #[error("no origin answered: {0}")]
    Unavailable(String),
    /// The origin sent no response head in time.
    #[error("the origin did not answer in time")]
    Timeout,
}

/// The configured origins and the pooled client that reaches them.
pub(crate) struct Origins {
    list: Vec<Origin>,
    next: AtomicUsize,
    epoch: Instant,
    client: Client<HttpConnector, Body>,
}

impl Origins {
    /// Parses the origin URLs (`http://host:port`; a path other than `/` is refused).
    ///
    /// # Errors
    /// [`EdgeError::Config`] for an empty list, an https origin or a malformed URL.
    pub(crate) fn new(urls: &[String]) -> Result<Self, EdgeError> {
        if urls.is_empty() {
            return Err(EdgeError::Config(
                "at least one --origin is required".into(),
            ));
        }
        let mut list = Vec::with_capacity(urls.len());
        for url in urls {
            let uri: Uri = url
                .parse()
                .map_err(|e| EdgeError::Config(format!("--origin {url}: {e}")))?;
            let scheme = uri.scheme().cloned().unwrap_or(Scheme::HTTP);
            if scheme != Scheme::HTTP {
                return Err(EdgeError::Config(format!(
                    "--origin {url}: only http:// origins are supported (terminate TLS in front of the origin's network, not between edge and origin)"
                )));
            }
            let authority = uri
                .authority()
                .cloned()
                .ok_or_else(|| EdgeError::Config(format!("--origin {url}: no host")))?;
            if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
                return Err(EdgeError::Config(format!(
                    "--origin {url}: an origin is scheme://host:port, without a path"
                )));
            }
            list.push(Origin {
                scheme,
                authority,
                down_until: AtomicU64::new(0),
            });
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(4))
            .pool_max_idle_per_host(256)
            .build(connector);
        Ok(Self {
            list,
            next: AtomicUsize::new(0),
            epoch: Instant::now(),
            client,
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Sends `parts` with `body` to an origin: the next one in turn that is not marked
    /// down; a refused connection marks it down and, with a replayable body, tries the
    /// next.
    ///
    /// # Errors
    /// [`OriginError::Unavailable`] when no origin answered.
    pub(crate) async fn send(
        &self,
        parts: &http::request::Parts,
        path_and_query: &PathAndQuery,
        body: OutBody,
        metrics: &Metrics,
    ) -> Result<Response<Incoming>, OriginError> {
        let n = self.list.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let now = self.now_ms();
        // Up origins first in round-robin order, then the down ones (better to try one
        // than to answer 502 when all are marked).
        let mut order: Vec<usize> = (0..n).map(|i| (start + i) % n).collect();
        order.sort_by_key(|&i| self.list[i].down_until.load(Ordering::Relaxed) > now);
        let mut stream = match body {
            OutBody::Replayable(bytes) => Err(bytes),
            OutBody::Stream(body) => Ok(Some(body)),
        };
        let mut last_error = String::from("no origin");
        let idempotent = matches!(
            parts.method,
            http::Method::GET
                | http::Method::HEAD
                | http::Method::OPTIONS
                | http::Method::PUT
                | http::Method::DELETE
        );
        let mut retried = false;
        let mut order = std::collections::VecDeque::from(order);
        while let Some(i) = order.pop_front() {
            let origin = &self.list[i];
            let uri = Uri::builder()
                .scheme(origin.scheme.clone())
                .authority(origin.authority.clone())
                .path_and_query(path_and_query.clone())
                .build()
                .map_err(|e| OriginError::Unavailable(e.to_string()))?;
            let body = match &mut stream {
                Err(bytes) if bytes.is_empty() => body::empty(),
                Err(bytes) => body::full(bytes.clone()),
                Ok(slot) => match slot.take() {
                    Some(body) => body,
                    None => break,
                },
            };
            let mut request = Request::new(body);
            *request.method_mut() = parts.method.clone();
            *request.uri_mut() = uri;
            *request.version_mut() = http::Version::HTTP_11;
            *request.headers_mut() = parts.headers.clone();
            inc(&metrics.origin_requests);
            let started = Instant::now();
            let Ok(result) =
                tokio::time::timeout(ORIGIN_TIMEOUT, self.client.request(request)).await
            else {
                inc(&metrics.origin_errors);
                tracing::warn!(origin = %origin.authority, "origin timed out");
                return Err(OriginError::Timeout);
            };
            match result {
                Ok(response) => {
                    metrics.observe_origin(started.elapsed());
                    origin.down_until.store(0, Ordering::Relaxed);
                    return Ok(response);
                }
                Err(e) => {
                    inc(&metrics.origin_errors);
                    last_error = format!("{}: {e}", origin.authority);
                    if e.is_connect() {
                        origin.down_until.store(
                            self.now_ms() + DOWN_FOR.as_millis() as u64,
                            Ordering::Relaxed,
                        );
                        tracing::warn!(origin = %origin.authority, error = %e, "origin refused the connection");
                        continue;
                    }
                    // A pooled connection the origin had closed: an idempotent request
                    // with its body at hand is sent once more, on a fresh connection.
                    if idempotent && !retried && stream.is_err() {
                        retried = true;
                        tracing::debug!(origin = %origin.authority, error = %e, "retrying an origin request");
                        order.push_front(i);
                        continue;
                    }
                    tracing::warn!(origin = %origin.authority, error = %e, "origin request failed");
                    break;
                }
            }
        }
        Err(OriginError::Unavailable(last_error))
    }
}
