//! Run with `cargo run --release -p ws-bench` (in `benches/`); see `benches/README.md`.
//!
//! Two measurements of Mizan's WebSocket channel, each printed as a markdown table with its
//! peer measured side by side in the same run:
//!
//! - **push latency**: client A calls `add_todo` over HTTP (a keep-alive connection); client
//!   B, subscribed to the instance it invalidates, receives the push. The latency is the time
//!   from A reading its response to B reading the push (negative when the push came first),
//!   next to the HTTP call's own round trip; on one instance (in-process bus) and on two
//!   instances sharing a Redis (A on one, B on the other).
//! - **idle connections**: the server's resident memory with `IDLE` idle WebSocket
//!   connections (each subscribed to one context instance), next to the same number of idle
//!   HTTP/1.1 keep-alive connections; the server runs in a child process (`ws-bench serve`).
//!
//! Settings: `CALLS` (default 2000), `IDLE` (10000), `REDIS_URL` (default: a
//! `redis-server` started on a free port; the Redis row is skipped without one).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use futures_util::{SinkExt, StreamExt};
use mizan::ws::{Bus, InProcessBus, RedisBus, WebSocket};
use mizan::{Cx, Mizan, params};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

mizan::context!(TODOS = "todos");

/// The todos of a project (a stand-in: the benchmark measures the push, not the query).
#[mizan::client(context = TODOS)]
async fn todo_list(project: i64) -> mizan::Result<Vec<i64>> {
    Ok(vec![project])
}

/// Adds a todo: invalidates the project's `todos`.
#[mizan::client(affects = [TODOS], affects_params = |a, _| params! { project: a.project })]
async fn add_todo(cx: &Cx, project: i64, title: String) -> mizan::Result<usize> {
    let _ = cx;
    Ok(title.len() + usize::try_from(project).unwrap_or(0))
}

async fn serve(bus: impl Bus, port: u16) -> Result<SocketAddr> {
    let api = Mizan::builder()
        .functions(mizan::functions![todo_list, add_todo])
        .websocket(WebSocket::new().bus(bus))
        .build()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(mizan::serve(listener, api.router()).into_future());
    Ok(addr)
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn subscriber(addr: SocketAddr, project: i64) -> Result<Ws> {
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/api/mizan/ws/")).await?;
    let request = serde_json::json!({"type": "subscribe", "id": "s", "context": "todos", "params": {"project": project}});
    ws.send(Message::text(request.to_string())).await?;
    match ws.next().await {
        Some(Ok(Message::Text(t))) if t.contains("subscribed") => Ok(ws),
        other => bail!("subscribing failed: {other:?}"),
    }
}

/// One HTTP/1.1 keep-alive connection that posts calls.
struct Caller {
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Caller {
    async fn connect(addr: SocketAddr) -> Result<Self> {
        Ok(Self {
            reader: BufReader::new(TcpStream::connect(addr).await?),
            addr,
        })
    }

    /// Posts one call and reads the whole response.
    async fn call(&mut self, body: &str) -> Result<()> {
        let request = format!(
            "POST /api/mizan/call/add_todo/ HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes()).await?;
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse()?;
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).await?;
        Ok(())
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `(push − response, round trip)` in ms per call.
async fn latency(
    caller_addr: SocketAddr,
    subscriber_addr: SocketAddr,
    calls: usize,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut b = subscriber(subscriber_addr, 1).await?;
    let mut a = Caller::connect(caller_addr).await?;
    let (mut push, mut round) = (Vec::new(), Vec::new());
    let body = r#"{"project":1,"title":"x"}"#;
    for i in 0..calls + calls / 10 {
        let sent = Instant::now();
        let (answered, pushed) = tokio::join!(
            async {
                a.call(body).await?;
                anyhow::Ok(Instant::now())
            },
            async {
                loop {
                    match b.next().await {
                        Some(Ok(Message::Text(_))) => return anyhow::Ok(Instant::now()),
                        Some(Ok(_)) => {}
                        other => bail!("the subscriber ended: {other:?}"),
                    }
                }
            }
        );
        let (answered, pushed) = (answered?, pushed?);
        // the first tenth warms up
        if i >= calls / 10 {
            let signed = if pushed >= answered {
                (pushed - answered).as_secs_f64()
            } else {
                -(answered - pushed).as_secs_f64()
            };
            push.push(signed * 1000.0);
            round.push((answered - sent).as_secs_f64() * 1000.0);
        }
    }
    push.sort_by(f64::total_cmp);
    round.sort_by(f64::total_cmp);
    Ok((push, round))
}

fn row(name: &str, push: &[f64], round: &[f64]) {
    println!(
        "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2}× |",
        percentile(push, 0.5),
        percentile(push, 0.99),
        percentile(round, 0.5),
        percentile(round, 0.99),
        percentile(push, 0.99) / percentile(round, 0.99),
    );
}

async fn redis_url() -> Option<(String, Option<tokio::process::Child>)> {
    if let Ok(url) = std::env::var("REDIS_URL") {
        return Some((url, None));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = tokio::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Some((format!("redis://127.0.0.1:{port}/"), Some(child)));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Resident memory of a process, in KiB (`VmRSS` of /proc/<pid>/status).
fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("no value")?
        .parse()?)
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

/// The server's memory with `n` idle WebSocket subscribers, then with `n` idle keep-alive
/// HTTP connections, each against a fresh server process.
async fn idle(n: usize) -> Result<()> {
    let exe = std::env::current_exe()?;
    let mut results = Vec::new();
    for kind in ["websocket", "http"] {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = tokio::process::Command::new(&exe)
            .args(["serve", &port.to_string()])
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().context("the server has a pid")?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        while TcpStream::connect(addr).await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // One of each first, so that lazily built state is in the baseline.
        let warm_ws = subscriber(addr, 0).await?;
        let mut warm_http = Caller::connect(addr).await?;
        warm_http.call(r#"{"project":0,"title":"x"}"#).await?;
        settle().await;
        let before = rss_kib(pid)?;
        let started = Instant::now();
        let mut sockets = Vec::with_capacity(n);
        let mut streams = Vec::with_capacity(n);
        for i in 0..n {
            if kind == "websocket" {
                sockets.push(subscriber(addr, i as i64).await?);
            } else {
                let mut c = Caller::connect(addr).await?;
                c.call(r#"{"project":1,"title":"x"}"#).await?;
                streams.push(c);
            }
        }
        let opened = started.elapsed();
        settle().await;
        let after = rss_kib(pid)?;
        results.push((kind, before, after, opened));
        drop((sockets, streams, warm_ws, warm_http));
        child.kill().await?;
    }
    println!("\n| {n} idle connections | server RSS before | after | per connection | opened in |");
    println!("|---|---|---|---|---|");
    for (kind, before, after, opened) in &results {
        let per = (*after as f64 - *before as f64) * 1024.0 / n as f64;
        println!(
            "| {kind} | {:.1} MiB | {:.1} MiB | {:.1} KiB | {:.1} s |",
            *before as f64 / 1024.0,
            *after as f64 / 1024.0,
            per / 1024.0,
            opened.as_secs_f64()
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let port = args.get(2).context("ws-bench serve <port>")?.parse()?;
        serve(InProcessBus::new(), port).await?;
        std::future::pending::<()>().await;
    }
    let calls: usize = std::env::var("CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let n: usize = std::env::var("IDLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);

    println!(
        "| push latency, {calls} calls | push − response p50 (ms) | p99 (ms) | HTTP call p50 (ms) | p99 (ms) | p99 push / p99 call |"
    );
    println!("|---|---|---|---|---|---|");
    let one = serve(InProcessBus::new(), 0).await?;
    let (push, round) = latency(one, one, calls).await?;
    row("one instance (in-process bus)", &push, &round);
    match redis_url().await {
        Some((url, _server)) => {
            let channel = format!("ws-bench:{}", std::process::id());
            let first = serve(RedisBus::connect_on(&url, &channel).await?, 0).await?;
            let second = serve(RedisBus::connect_on(&url, &channel).await?, 0).await?;
            let (push, round) = latency(first, second, calls).await?;
            row("two instances via Redis", &push, &round);
        }
        None => println!(
            "| two instances via Redis | skipped: no REDIS_URL and no redis-server | | | | |"
        ),
    }
    idle(n).await
}
