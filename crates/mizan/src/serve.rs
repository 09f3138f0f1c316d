//! Serving a router with the defences `axum::serve` lacks: a deadline for every phase of a
//! connection, a cap on open connections, and graceful shutdown.
//!
//! | phase | deadline | enforced by |
//! |---|---|---|
//! | accept → first bytes (protocol sniff) | [`Server::first_byte_timeout`] | `sniff` (here) |
//! | request head (HTTP/1) | [`Server::header_read_timeout`] | hyper |
//! | request body | [`Server::body_read_timeout`] | `request` (here) |
//! | head → response head | [`Server::request_timeout`] | `request` (here) |
//! | between requests | [`Server::idle_timeout`] | `idle` (here) |
//! | dead HTTP/2 peer | [`Server::http2_keep_alive_interval`] | hyper |

mod idle;
mod request;
mod sniff;

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use self::idle::Activity;
use self::request::Deadlines;

/// Serves `router` on `listener`:
///
/// ```no_run
/// # async fn run(router: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// mizan::serve(listener, router).await
/// # }
/// ```
///
/// Defaults: 10 s for the first bytes, 10 s for a request head, 30 s for a request body,
/// 60 s for a whole request, 60 s idle between requests, HTTP/2 pings every 20 s answered
/// within 20 s, 10 000 open connections, 30 s for in-flight requests at shutdown. Each
/// handler sees `ConnectInfo<SocketAddr>`.
pub fn serve(listener: TcpListener, router: Router) -> Server {
    Server {
        listener,
        router,
        first_byte_timeout: Some(Duration::from_secs(10)),
        header_read_timeout: Some(Duration::from_secs(10)),
        body_read_timeout: Some(Duration::from_secs(30)),
        request_timeout: Some(Duration::from_secs(60)),
        idle_timeout: Some(Duration::from_secs(60)),
        http2_keep_alive_interval: Some(Duration::from_secs(20)),
        http2_keep_alive_timeout: Duration::from_secs(20),
        max_connections: 10_000,
        shutdown_grace: Duration::from_secs(30),
        shutdown: None,
    }
}

/// A server being configured; `.await` it to run.
///
/// Every deadline but [`http2_keep_alive_timeout`](Self::http2_keep_alive_timeout) takes a
/// `Duration`, or `None` to switch it off. docs/serving.md has the full picture.
#[must_use = "a server does nothing until awaited"]
pub struct Server {
    listener: TcpListener,
    router: Router,
    first_byte_timeout: Option<Duration>,
    header_read_timeout: Option<Duration>,
    body_read_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    http2_keep_alive_interval: Option<Duration>,
    http2_keep_alive_timeout: Duration,
    max_connections: usize,
    shutdown_grace: Duration,
    shutdown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Server {
    /// How long a new connection may stay silent: its first bytes (enough to tell HTTP/1
    /// from HTTP/2, at most the 24-byte HTTP/2 preface) must arrive within this, or it is
    /// closed and frees its slot. Default 10 s.
    pub fn first_byte_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.first_byte_timeout = timeout.into();
        self
    }

    /// How long a client may take to send an HTTP/1 request head before the connection is
    /// closed. hyper starts this timer when the connection is ready for the next request,
    /// so on a kept-alive connection it also bounds the wait between requests. Default 10 s.
    pub fn header_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.header_read_timeout = timeout.into();
        self
    }

    /// How long after its head a request body may take to arrive in full. A body still
    /// arriving then (however steadily it trickles) is cut off: the response is
    /// 408 `body_timeout` and an HTTP/1 connection is closed. Default 30 s.
    pub fn body_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.body_read_timeout = timeout.into();
        self
    }

    /// How long after its head a request may take to get a response head (reading the body
    /// and running the handler). Past it the handler is cancelled and the response is
    /// 503 `timeout`. A response body that is already streaming is not cut off.
    /// Default 60 s.
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.request_timeout = timeout.into();
        self
    }

    /// How long a connection may have no request in flight before it is closed gracefully
    /// (HTTP/1 closes, HTTP/2 sends GOAWAY). For HTTP/1 the smaller of this and
    /// [`header_read_timeout`](Self::header_read_timeout) applies. Default 60 s.
    pub fn idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.idle_timeout = timeout.into();
        self
    }

    /// How often an HTTP/2 connection pings a peer that has sent nothing since the last
    /// ping, to find dead peers. Default 20 s.
    pub fn http2_keep_alive_interval(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.http2_keep_alive_interval = interval.into();
        self
    }

    /// How long an HTTP/2 peer has to answer a keep-alive ping before the connection is
    /// closed. Default 20 s.
    pub fn http2_keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.http2_keep_alive_timeout = timeout;
        self
    }

    /// How many connections may be open at once; further ones wait to be accepted.
    /// Default 10 000; at least 1.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.clamp(1, Semaphore::MAX_PERMITS);
        self
    }

    /// Stops accepting when `signal` completes, then waits (up to the grace period) for
    /// open connections to finish.
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    /// How long shutdown waits for in-flight requests before closing the rest. Default 30 s.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The address being served.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    async fn run(self) -> io::Result<()> {
        let mut builder = ConnBuilder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(self.http2_keep_alive_interval)
            .keep_alive_timeout(self.http2_keep_alive_timeout);
        let conn = Arc::new(Conn {
            builder,
            router: self.router,
            first_byte_timeout: self.first_byte_timeout,
            idle_timeout: self.idle_timeout,
            deadlines: Deadlines {
                body: self.body_read_timeout,
                request: self.request_timeout,
            },
        });
        let permits = Arc::new(Semaphore::new(self.max_connections));
        let (stop, stopped) = watch::channel(());
        let mut connections = JoinSet::new();
        let mut shutdown = self
            .shutdown
            .unwrap_or_else(|| Box::pin(std::future::pending()));
        loop {
            while connections.try_join_next().is_some() {}
            let permit = tokio::select! {
                p = Arc::clone(&permits).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let conn = Arc::clone(&conn);
            let stopped = stopped.clone();
            connections.spawn(async move {
                if let Err(e) = conn.serve(stream, peer, stopped).await {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                drop(permit);
            });
        }
        drop(self.listener);
        drop(stop);
        let drained = async { while connections.join_next().await.is_some() {} };
        if tokio::time::timeout(self.shutdown_grace, drained)
            .await
            .is_err()
        {
            tracing::warn!("graceful shutdown timed out; closing remaining connections");
            connections.shutdown().await;
        }
        Ok(())
    }
}

/// What every connection task shares.
struct Conn {
    builder: ConnBuilder<TokioExecutor>,
    router: Router,
    first_byte_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    deadlines: Deadlines,
}

impl Conn {
    /// Serves one connection until it ends, goes idle or the server shuts down (the
    /// `stopped` sender is dropped).
    async fn serve(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        mut stopped: watch::Receiver<()>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let _ = stream.set_nodelay(true);
        let sniffed = tokio::select! {
            sniffed = sniff::first_bytes(stream, self.first_byte_timeout) => sniffed?,
            _ = stopped.changed() => None,
        };
        let Some(io) = sniffed else {
            return Ok(());
        };

        let activity = Activity::new();
        let service = hyper::service::service_fn({
            let conn = Arc::clone(&self);
            let activity = Arc::clone(&activity);
            move |req: Request<Incoming>| {
                let in_flight = activity.start();
                let router = conn.router.clone();
                let deadlines = conn.deadlines;
                async move {
                    let res = request::handle(router, req, peer, deadlines, in_flight).await;
                    Ok::<_, std::convert::Infallible>(res)
                }
            }
        });
        let mut connection = pin!(
            self.builder
                .serve_connection_with_upgrades(TokioIo::new(io), service)
        );
        let went_idle = tokio::select! {
            ended = connection.as_mut() => return ended,
            () = activity.idle(self.idle_timeout) => true,
            _ = stopped.changed() => false,
        };
        connection.as_mut().graceful_shutdown();
        if went_idle {
            // An HTTP/2 peer that never acknowledges the GOAWAY's ping would hold the
            // graceful close open; give it one more idle period at most. (At shutdown the
            // server's grace period bounds it instead.)
            let backstop = self.idle_timeout.unwrap_or_default();
            if let Ok(ended) = tokio::time::timeout(backstop, connection).await {
                return ended;
            }
            return Ok(());
        }
        connection.await
    }
}

impl IntoFuture for Server {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
