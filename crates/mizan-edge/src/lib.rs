//! `mizan edge`: a caching reverse proxy in front of Mizan origins.
//!
//! Without a manifest it is a generic RFC 9111 shared cache (freshness, revalidation,
//! `Vary`, invalidation by unsafe methods). With the edge manifest
//! (`spec/EDGE_MANIFEST.md`) the manifest *is* the cache policy: only the contexts and
//! routes it names are stored, keyed by HMAC over the declared parameters and the scope
//! the request's verified MWT names, and purged by the invalidations the origins send
//! (response bodies, `X-Mizan-Invalidate`, the Redis bus). See `docs/edge.md`.
//!
//! ```no_run
//! # async fn run() -> Result<(), mizan_edge::EdgeError> {
//! let config = mizan_edge::EdgeConfig::new(vec!["http://127.0.0.1:3000".into()]);
//! let edge = mizan_edge::start(config).await?;
//! println!("listening on {}", edge.addr());
//! edge.wait().await;
//! # Ok(()) }
//! ```

mod body;
mod bus;
mod error;
mod metrics;
mod origin;
mod policy;
mod proxy;
mod store;
mod ws;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use mizan_protocol::mwt::MwtKeys;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use error::EdgeError;

use crate::metrics::inc;
use crate::policy::Policy;
use crate::proxy::Shared;

/// The default `--cache-bytes`: 256 MiB.
pub const DEFAULT_CACHE_BYTES: u64 = 268_435_456;

/// The default `--bus-channel`.
pub const DEFAULT_BUS_CHANNEL: &str = "mizan:bus";

/// How long a client may take to send a request head (slow-header clients are cut).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the manifest file's modification time is checked.
const MANIFEST_POLL: Duration = Duration::from_secs(1);

/// How the edge runs: the `mizan edge` flags.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EdgeConfig {
    /// The origins (`http://host:port`), used round-robin.
    pub origins: Vec<String>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The edge manifest; `None`: generic RFC 9111 mode.
    pub manifest: Option<PathBuf>,
    /// The Redis URL of the origins' bus.
    pub redis: Option<String>,
    /// The bus channel.
    pub bus_channel: String,
    /// The cache's bound in bytes.
    pub cache_bytes: u64,
    /// Where to serve `GET /metrics`.
    pub metrics: Option<SocketAddr>,
    /// The MWT keys (`MIZAN_MWT_KEYS`); without them no scoped entry is stored.
    pub mwt_keys: Option<MwtKeys>,
}

impl EdgeConfig {
    /// A generic-mode configuration for `origins`, listening on `127.0.0.1:8080`.
    pub fn new(origins: Vec<String>) -> Self {
        Self {
            origins,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            manifest: None,
            redis: None,
            bus_channel: DEFAULT_BUS_CHANNEL.to_owned(),
            cache_bytes: DEFAULT_CACHE_BYTES,
            metrics: None,
            mwt_keys: None,
        }
    }
}

/// Parses `MIZAN_MWT_KEYS` (`kid=HEXSECRET,kid2=HEXSECRET`; the first is the signing
/// key).
///
/// # Errors
/// [`EdgeError::Config`] for a malformed list, bad hex, a short secret or a repeated id.
pub fn parse_mwt_keys(text: &str) -> Result<MwtKeys, EdgeError> {
    let mut keys: Option<MwtKeys> = None;
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (kid, hex) = item
            .split_once('=')
            .ok_or_else(|| EdgeError::Config("MIZAN_MWT_KEYS: an item is not kid=HEX".into()))?;
        let secret = decode_hex(hex.trim()).ok_or_else(|| {
            EdgeError::Config(format!("MIZAN_MWT_KEYS: the secret of {kid:?} is not hex"))
        })?;
        let result = match keys.take() {
            None => MwtKeys::new(kid.trim(), &secret),
            Some(k) => k.with_key(kid.trim(), &secret),
        };
        keys = Some(result.map_err(|e| EdgeError::Config(format!("MIZAN_MWT_KEYS: {e}")))?);
    }
    keys.ok_or_else(|| EdgeError::Config("MIZAN_MWT_KEYS is empty".into()))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A running edge: its addresses, and the tasks that serve them.
pub struct RunningEdge {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    manifest: Option<PathBuf>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningEdge {
    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address `/metrics` is served on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Reloads the manifest file now (what SIGHUP does).
    ///
    /// # Errors
    /// The new manifest's error; the old one stays in force.
    pub fn reload(&self) -> Result<(), EdgeError> {
        reload(&self.shared, self.manifest.as_deref())
    }

    /// The Prometheus text `/metrics` serves.
    pub fn metrics_text(&self) -> String {
        self.shared.metrics.render(
            self.shared.store.cache.entry_count(),
            self.shared.store.cache.weighted_size(),
        )
    }

    /// Waits until the edge stops (it runs until the process ends).
    pub async fn wait(mut self) {
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEdge {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn reload(shared: &Shared, path: Option<&std::path::Path>) -> Result<(), EdgeError> {
    let Some(path) = path else {
        return Err(EdgeError::Config("no --manifest to reload".into()));
    };
    match Policy::load(path, shared.mwt.as_ref()) {
        Ok(policy) => {
            shared.policy.store(Some(Arc::new(policy)));
            inc(&shared.metrics.reloads);
            tracing::info!(manifest = %path.display(), "manifest reloaded");
            Ok(())
        }
        Err(e) => {
            inc(&shared.metrics.reload_failures);
            tracing::error!(error = %e, "the new manifest is refused; the old one stays");
            Err(e)
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, EdgeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| EdgeError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// Binds the listeners and starts serving; returns once connections are accepted.
///
/// # Errors
/// A bad configuration, an unreadable manifest, an address in use.
pub async fn start(config: EdgeConfig) -> Result<RunningEdge, EdgeError> {
    let origins = origin::Origins::new(&config.origins)?;
    let policy = match &config.manifest {
        Some(path) => Some(Arc::new(Policy::load(path, config.mwt_keys.as_ref())?)),
        None => None,
    };
    if let (Some(policy), None) = (&policy, &config.mwt_keys)
        && policy.manifest.mwt.is_some()
    {
        tracing::warn!(
            "the manifest names MWT keys but MIZAN_MWT_KEYS is not set: no roles or user entry will be stored"
        );
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| EdgeError::Config(format!("no randomness for the cache secret: {e}")))?;
    let shared = Arc::new(Shared {
        origins,
        store: Arc::new(store::Store::new(config.cache_bytes)),
        metrics: metrics::Metrics::default(),
        manifest_mode: policy.is_some(),
        policy: ArcSwapOption::new(policy),
        mwt: config.mwt_keys.clone(),
        secret,
        user_overrides: std::sync::atomic::AtomicBool::new(false),
    });
    let listener = bind(config.listen).await?;
    let addr = listener.local_addr().map_err(|source| EdgeError::Listen {
        addr: config.listen.to_string(),
        source,
    })?;
    let mut tasks = Vec::new();
    let mut metrics_addr = None;
    if let Some(maddr) = config.metrics {
        let mlistener = bind(maddr).await?;
        metrics_addr = mlistener.local_addr().ok();
        tasks.push(tokio::spawn(serve_metrics(mlistener, shared.clone())));
    }
    if let Some(url) = &config.redis {
        let client = redis::Client::open(url.as_str())
            .map_err(|e| EdgeError::Config(format!("--redis {url}: {e}")))?;
        tasks.push(tokio::spawn(bus::run(
            shared.clone(),
            client,
            config.bus_channel.clone(),
        )));
    }
    if let Some(path) = config.manifest.clone() {
        tasks.push(tokio::spawn(watch_manifest(shared.clone(), path)));
    }
    tasks.push(tokio::spawn(serve(listener, shared.clone())));
    Ok(RunningEdge {
        addr,
        metrics_addr,
        shared,
        manifest: config.manifest,
        tasks,
    })
}

/// Polls the manifest's modification time and reloads on change; on Unix SIGHUP too.
async fn watch_manifest(shared: Arc<Shared>, path: PathBuf) {
    let modified = |p: &std::path::Path| -> Option<(SystemTime, u64)> {
        let meta = std::fs::metadata(p).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    };
    let mut last = modified(&path);
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let signalled = {
            let sleep = tokio::time::sleep(MANIFEST_POLL);
            match hup.as_mut() {
                Some(hup) => tokio::select! {
                    _ = hup.recv() => true,
                    () = sleep => false,
                },
                None => {
                    sleep.await;
                    false
                }
            }
        };
        #[cfg(not(unix))]
        let signalled = {
            tokio::time::sleep(MANIFEST_POLL).await;
            false
        };
        let now = modified(&path);
        if signalled || now != last {
            last = now;
            let _ = reload(&shared, Some(&path));
        }
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(shared.handle(request, peer).await) }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            if let Err(e) = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

async fn serve_metrics(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let shared = shared.clone();
                async move {
                    let response = if request.uri().path() == "/metrics" {
                        let text = shared.metrics.render(
                            shared.store.cache.entry_count(),
                            shared.store.cache.weighted_size(),
                        );
                        let mut r = Response::new(body::full(text));
                        r.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static("text/plain; version=0.0.4"),
                        );
                        r
                    } else {
                        let mut r = Response::new(body::full("not found\n"));
                        *r.status_mut() = StatusCode::NOT_FOUND;
                        r
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
