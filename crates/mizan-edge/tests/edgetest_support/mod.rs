//! Shared by the leak and purge tests (`leak.rs`, `purge.rs`): a seeded RNG, the MWT keys, a
//! tiny hyper origin server, an HTTP client with a connection pool, and an edge started in
//! this process with a manifest built in the test.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use mizan_edge::{EdgeConfig, RunningEdge};
use mizan_protocol::edge_manifest::EdgeManifest;
use mizan_protocol::mwt::MwtKeys;
use tokio::net::TcpListener;

/// splitmix64: a seeded generator, so a failing run can be replayed.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent` %.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The deployment's MWT keys: `k1` signs.
pub fn keys() -> MwtKeys {
    MwtKeys::new("k1", [0x11u8; 32]).expect("a valid key")
}

/// Keys under the same key id with another secret: what a forger without the secret has.
pub fn wrong_keys() -> MwtKeys {
    MwtKeys::new("k1", [0x22u8; 32]).expect("a valid key")
}

/// A key id the edge does not hold.
pub fn unknown_keys() -> MwtKeys {
    MwtKeys::new("kx", [0x11u8; 32]).expect("a valid key")
}

/// Serves `handler` on a free port of 127.0.0.1 until the test ends.
pub async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let handler = Arc::clone(&handler);
                    async move { Ok::<_, Infallible>(handler(request).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Starts an edge in this process in front of `origin` with `manifest` (written to a
/// temporary file, as `--manifest` reads it) and `keys`.
pub async fn start_edge(
    origin: SocketAddr,
    manifest: &EdgeManifest,
    keys: MwtKeys,
) -> (RunningEdge, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("manifest.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(manifest).expect("the manifest serializes"),
    )
    .expect("write the manifest");
    let mut config = EdgeConfig::new(vec![format!("http://{origin}")]);
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.manifest = Some(path);
    config.mwt_keys = Some(keys);
    let edge = mizan_edge::start(config).await.expect("the edge starts");
    (edge, dir)
}

/// A pooled HTTP/1 client.
pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A client that keeps up to `idle` connections per host.
pub fn client(idle: usize) -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(idle)
        .build_http()
}

/// Sends `request` and reads the whole answer.
pub async fn send(
    client: &HttpClient,
    request: Request<Full<Bytes>>,
) -> Result<(StatusCode, HeaderMap, Bytes), String> {
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((parts.status, parts.headers, body))
}

/// A response with `status`, `headers` and `body`.
pub fn respond(
    status: StatusCode,
    headers: &[(&str, String)],
    body: String,
) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}
