//! `cache-bench [--rounds N] [--requests N] [--keys 1000,1000000] [--purges N]`: the
//! origin cache against the uncached context and the hand-written axum handler, in
//! memory and in Redis, and the latency of a purge with few and with many cached keys in
//! Redis, against the `SCAN`-and-delete purge it replaces. `benches/cache.sh` runs it; see
//! `benches/README.md`.
//!
//! Requests go through each router in process (`tower::ServiceExt::oneshot`) on a
//! current-thread runtime, so the thread's CPU time (`/proc/thread-self/schedstat`) is
//! exactly what the framework layer spent per request, Redis client included (the Redis
//! server's own CPU is not counted; its round trip is in the wall time).

#[allow(dead_code)]
#[path = "../baseline.rs"]
mod baseline;
#[path = "../mizan_app.rs"]
mod mizan_app;
#[path = "../work.rs"]
mod work;

use std::net::TcpListener;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;
use mizan::cache::Cache;
use tower::ServiceExt;

use work::Data;

/// The same context as `mizan_app`, with `cache = 600`.
mod cached {
    use std::sync::Arc;

    use mizan::Cx;

    use crate::work::{self, Data, Item, Summary, Tag};

    mizan::context!(pub(crate) BENCH = "bench");

    /// The items of a project.
    #[mizan::client(context = BENCH, cache = 600)]
    pub(crate) async fn fn_a(cx: &Cx, project: i64) -> mizan::Result<Vec<Item>> {
        Ok(work::items(cx.state::<Arc<Data>>()?, project))
    }

    /// The summary of a project.
    #[mizan::client(context = BENCH, cache = 600)]
    pub(crate) async fn fn_b(cx: &Cx, project: i64) -> mizan::Result<Summary> {
        Ok(work::summary(cx.state::<Arc<Data>>()?, project))
    }

    /// The tags of a project.
    #[mizan::client(context = BENCH, cache = 600)]
    pub(crate) async fn fn_c(cx: &Cx, project: i64) -> mizan::Result<Vec<Tag>> {
        Ok(work::tags(cx.state::<Arc<Data>>()?, project))
    }

    /// Changes a project: purges its instance of the context.
    #[mizan::client(affects = [BENCH], affects_params = |a, _| mizan::params! { project: a.project })]
    pub(crate) async fn touch(project: i64) -> mizan::Result<i64> {
        Ok(project)
    }

    pub(crate) fn router(
        data: Arc<Data>,
        cache: mizan::cache::Cache,
    ) -> Result<axum::Router, mizan::BuildError> {
        let app = mizan::Mizan::builder()
            .functions(mizan::functions![fn_a, fn_b, fn_c, touch])
            .state(data)
            .cache(cache)
            .build()?;
        Ok(app.router())
    }
}

const SECRET: &[u8] = b"cache-bench secret, thirty-two bytes or more";
/// Instances the load cycles through (all cached after the warm-up).
const PROJECTS: i64 = 64;

struct Args {
    rounds: usize,
    requests: usize,
    keys: Vec<usize>,
    purges: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        rounds: 5,
        requests: 20_000,
        keys: vec![1_000, 1_000_000],
        purges: 300,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--rounds" => args.rounds = number(&value)?,
            "--requests" => args.requests = number(&value)?,
            "--purges" => args.purges = number(&value)?,
            "--keys" => {
                args.keys = value.split(',').map(number).collect::<Result<_, _>>()?;
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

/// A `redis-server` of our own on a free port, stopped on drop.
struct RedisServer {
    url: String,
    child: Child,
}

impl RedisServer {
    fn start() -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server: {e} (Debian: apt-get install redis-server)"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("redis-server did not start".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            url: format!("redis://127.0.0.1:{port}/"),
            child,
        })
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// This thread's CPU time so far, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

async fn get(router: &Router, project: i64) -> Result<usize, String> {
    let request = Request::get(format!("/api/mizan/ctx/bench/?project={project}"))
        .body(Body::empty())
        .map_err(|e| e.to_string())?;
    let response = router
        .clone()
        .oneshot(request)
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("status {}", response.status()));
    }
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok(body.to_bytes().len())
}

/// Wall and CPU nanoseconds per request over `n` requests.
async fn measure(router: &Router, n: usize) -> Result<(f64, f64), String> {
    let (t0, c0) = (Instant::now(), thread_cpu_ns());
    for i in 0..n {
        get(router, i as i64 % PROJECTS).await?;
    }
    let wall = t0.elapsed().as_nanos() as f64 / n as f64;
    let cpu = (thread_cpu_ns() - c0) as f64 / n as f64;
    Ok((wall, cpu))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

async fn gets(args: &Args, redis: &RedisServer) -> Result<String, String> {
    let data = Arc::new(Data::new());
    let servers: Vec<(&str, Router)> = vec![
        (
            "baseline (hand-written axum)",
            baseline::router(Arc::clone(&data)),
        ),
        (
            "mizan, no cache",
            mizan_app::router(Arc::clone(&data)).map_err(|e| e.to_string())?,
        ),
        (
            "mizan, memory cache (hit)",
            cached::router(Arc::clone(&data), Cache::memory(64 << 20))
                .map_err(|e| e.to_string())?,
        ),
        (
            "mizan, Redis cache (hit)",
            cached::router(
                Arc::clone(&data),
                Cache::redis(redis.url.as_str())
                    .secret(SECRET)
                    .prefix("bench:get:"),
            )
            .map_err(|e| e.to_string())?,
        ),
    ];
    // The same bytes from every server.
    let sizes: Vec<usize> = futures_join(&servers).await?;
    if sizes.windows(2).any(|w| w[0] != w[1]) {
        return Err(format!(
            "the servers answer different bodies: {sizes:?} bytes"
        ));
    }
    let mut wall: Vec<Vec<f64>> = vec![Vec::new(); servers.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); servers.len()];
    for round in 0..args.rounds {
        for k in 0..servers.len() {
            // Each round starts with the next server.
            let i = (k + round) % servers.len();
            let router = &servers[i].1;
            measure(router, args.requests / 10).await?; // warm-up: every instance cached
            let (w, c) = measure(router, args.requests).await?;
            wall[i].push(w);
            cpu[i].push(c);
            eprintln!(
                "  round {} {:<30} {:>8.2} µs wall {:>8.2} µs CPU per request",
                round + 1,
                servers[i].0,
                w / 1e3,
                c / 1e3
            );
        }
    }
    // Ratios within a round, then the median.
    let ratio = |a: &[f64], b: &[f64]| median(a.iter().zip(b).map(|(x, y)| x / y).collect());
    let mut out = String::new();
    out.push_str(&format!(
        "## Origin cache: context GET, cached against uncached and the hand-written handler\n\n\
         `GET /api/mizan/ctx/bench/?project=0..{PROJECTS}` ({}-byte bodies), {} requests per server and round after {} warm-up \
         requests (every instance cached), in process on one thread; median of {} rounds, ratios within a round.\n\n\
         | server | wall µs / request | CPU µs / request | CPU / baseline | CPU / mizan no cache | wall / baseline |\n\
         |---|---:|---:|---:|---:|---:|\n",
        sizes[0], args.requests, args.requests / 10, args.rounds
    ));
    for (i, (name, _)) in servers.iter().enumerate() {
        out.push_str(&format!(
            "| {name} | {:.2} | {:.2} | {:.3}× | {:.3}× | {:.3}× |\n",
            median(wall[i].clone()) / 1e3,
            median(cpu[i].clone()) / 1e3,
            ratio(&cpu[i], &cpu[0]),
            ratio(&cpu[i], &cpu[1]),
            ratio(&wall[i], &wall[0]),
        ));
    }
    Ok(out)
}

async fn futures_join(servers: &[(&str, Router)]) -> Result<Vec<usize>, String> {
    let mut sizes = Vec::new();
    for (_, router) in servers {
        sizes.push(get(router, 3).await?);
    }
    Ok(sizes)
}

/// Fills Redis with `n` entries shaped like the cache's (`{prefix}e:{64 hex}:{counters}`),
/// small values, pipelined.
async fn fill(
    connection: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
    n: usize,
) -> Result<(), String> {
    let value = vec![b'x'; 64];
    let mut i = 0;
    while i < n {
        let mut pipe = redis::pipe();
        for j in i..(i + 2_000).min(n) {
            pipe.cmd("SET")
                .arg(format!("{prefix}e:{j:064x}:0.0"))
                .arg(&value)
                .arg("EX")
                .arg(3600)
                .ignore();
        }
        pipe.query_async::<()>(connection)
            .await
            .map_err(|e| e.to_string())?;
        i += 2_000;
    }
    Ok(())
}

/// The seed's purge: walk the keyspace with `SCAN MATCH` and delete what matches.
async fn scan_purge(
    connection: &mut redis::aio::MultiplexedConnection,
    pattern: &str,
) -> Result<usize, String> {
    let mut cursor: u64 = 0;
    let mut deleted = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(connection)
            .await
            .map_err(|e| e.to_string())?;
        if !keys.is_empty() {
            deleted += keys.len();
            redis::cmd("UNLINK")
                .arg(&keys)
                .query_async::<()>(connection)
                .await
                .map_err(|e| e.to_string())?;
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}

async fn purges(args: &Args, redis: &RedisServer) -> Result<String, String> {
    let data = Arc::new(Data::new());
    let client = redis::Client::open(redis.url.as_str()).map_err(|e| e.to_string())?;
    // Filling and walking a million keys takes longer than the default response timeout.
    let config =
        redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(120)));
    let mut connection = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for (k, &n) in args.keys.iter().enumerate() {
        let _: () = redis::cmd("FLUSHDB")
            .query_async(&mut connection)
            .await
            .map_err(|e| e.to_string())?;
        let prefix = format!("bench:purge{k}:");
        let router = cached::router(
            Arc::clone(&data),
            Cache::redis(redis.url.as_str())
                .secret(SECRET)
                .prefix(prefix.clone()),
        )
        .map_err(|e| e.to_string())?;
        // Real entries for every project, then filler up to n keys.
        for project in 0..PROJECTS {
            get(&router, project).await?;
        }
        fill(
            &mut connection,
            &prefix,
            n.saturating_sub(PROJECTS as usize),
        )
        .await?;
        let keys: usize = redis::cmd("DBSIZE")
            .query_async(&mut connection)
            .await
            .map_err(|e| e.to_string())?;
        let mut latencies = Vec::with_capacity(args.purges);
        for i in 0..args.purges {
            let request = Request::post("/api/mizan/call/touch/")
                .header("content-type", "application/json")
                .body(Body::from(format!(
                    "{{\"project\":{}}}",
                    i as i64 % PROJECTS
                )))
                .map_err(|e| e.to_string())?;
            let t0 = Instant::now();
            let response = router
                .clone()
                .oneshot(request)
                .await
                .map_err(|e| e.to_string())?;
            let _ = response.into_body().collect().await;
            latencies.push(t0.elapsed().as_nanos() as f64 / 1e3);
        }
        latencies.sort_by(f64::total_cmp);
        let p50 = latencies[latencies.len() / 2];
        let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
        let t0 = Instant::now();
        let deleted = scan_purge(&mut connection, &format!("{prefix}e:*")).await?;
        let scan = t0.elapsed().as_nanos() as f64 / 1e3;
        eprintln!(
            "  {keys} keys: purge call p50 {p50:.1} µs p99 {p99:.1} µs; SCAN purge {scan:.0} µs ({deleted} deleted)"
        );
        rows.push((keys, p50, p99, scan));
    }
    let mut out = format!(
        "## Origin cache: purge latency in Redis, by cached keys\n\n\
         A call whose `affects_params` purges one project (`POST /api/mizan/call/touch/`, in process), {} calls \
         per size, against the `SCAN MATCH`+`UNLINK` purge of the seed (one walk over the same keyspace). \
         Keys: {PROJECTS} real entries plus filler entries of the cache's shape.\n\n\
         | keys in Redis | purge call p50 | p99 | SCAN purge | p50 / first row | SCAN / first row |\n\
         |---:|---:|---:|---:|---:|---:|\n",
        args.purges
    );
    let (_, first_p50, _, first_scan) = rows.first().copied().unwrap_or((0, 1.0, 1.0, 1.0));
    for (keys, p50, p99, scan) in rows {
        out.push_str(&format!(
            "| {keys} | {p50:.1} µs | {p99:.1} µs | {:.1} ms | {:.2}× | {:.0}× |\n",
            scan / 1e3,
            p50 / first_p50,
            scan / first_scan
        ));
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "{e}\nusage: cache-bench [--rounds N] [--requests N] [--keys 1000,1000000] [--purges N]"
            );
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let redis = RedisServer::start()?;
        let mut report = gets(&args, &redis).await?;
        report.push('\n');
        report.push_str(&purges(&args, &redis).await?);
        Ok::<_, String>(report)
    });
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cache-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
