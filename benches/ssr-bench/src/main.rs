//! The SSR benchmark (benches/README.md): for Node and Bun, renders of a 10-, 100- and
//! 1,000-row page through mizan-ssr's bridge (one worker, sequential renders) against the same
//! renderer called in one process of the same runtime (`benches/ssr/inprocess.mjs`), and the
//! time from a worker killed to the pool rendering again. Prints a markdown table.
//!
//! `cargo run --release -p ssr-bench [renders per row] [rows…]` (from benches/); `npm ci` at
//! the repository root first (React, Bun, @mizan/ssr-worker's dist via
//! scripts/build-packages.mjs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use mizan_ssr::{BreakerConfig, RenderInput, Runtime, Ssr, SsrConfig};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The page data of `rows` rows, as benches/ssr/page.mjs's `inputFor` builds it.
fn input(rows: usize) -> RenderInput {
    let todos: Vec<Value> = (0..rows)
        .map(|i| json!({"id": i, "title": format!("Todo number {i} <with> \"quotes\" & more"), "done": i % 3 == 0}))
        .collect();
    let mut input = RenderInput::new(format!("/?rows={rows}"));
    input.data = json!({"todos?project=1": {"context": "todos", "params": {"project": 1}, "data": {"todo_list": todos}, "updatedAt": 1, "stale": false}});
    input
}

struct Stats {
    p50_us: f64,
    p99_us: f64,
    per_s: f64,
}

fn stats(mut times: Vec<Duration>, total: Duration) -> Stats {
    times.sort();
    let at = |q: f64| times[((q * times.len() as f64) as usize).min(times.len() - 1)];
    Stats {
        p50_us: at(0.5).as_secs_f64() * 1e6,
        p99_us: at(0.99).as_secs_f64() * 1e6,
        per_s: times.len() as f64 / total.as_secs_f64(),
    }
}

async fn bridge(ssr: &Ssr, rows: usize, renders: usize) -> anyhow::Result<Stats> {
    for _ in 0..50 {
        ssr.render(input(rows)).await?;
    }
    let mut times = Vec::with_capacity(renders);
    let start = Instant::now();
    for _ in 0..renders {
        let t = Instant::now();
        let out = ssr.render(input(rows)).await?;
        if out.fallback.is_some() {
            bail!("a render fell back: {:?}", out.fallback);
        }
        times.push(t.elapsed());
    }
    Ok(stats(times, start.elapsed()))
}

fn in_process(program: &Path, rows: usize, renders: usize) -> anyhow::Result<Stats> {
    let out = Command::new(program)
        .arg(repo().join("benches/ssr/inprocess.mjs"))
        .args([rows.to_string(), renders.to_string()])
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    if !out.status.success() {
        bail!(
            "inprocess.mjs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: Value = serde_json::from_slice(&out.stdout)?;
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    Ok(Stats {
        p50_us: f("p50_us"),
        p99_us: f("p99_us"),
        per_s: f("per_s"),
    })
}

/// Kills the pool's worker and times until a render succeeds again (renders are issued back
/// to back: each fallback returns at once). The median of five.
async fn recovery(ssr: &Ssr) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let pid = *ssr.worker_pids().first().context("no worker")?;
        let start = Instant::now();
        Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()?;
        loop {
            if ssr.render(input(10)).await?.fallback.is_none() {
                break;
            }
            if start.elapsed() > Duration::from_secs(30) {
                bail!("the pool did not recover in 30 s");
            }
        }
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[2])
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let renders: usize = args.next().map_or(Ok(1000), |a| a.parse())?;
    let mut rows: Vec<usize> = args.map(|a| a.parse()).collect::<Result<_, _>>()?;
    if rows.is_empty() {
        rows = vec![10, 100, 1000];
    }
    let status = Command::new("node")
        .arg(repo().join("scripts/build-packages.mjs"))
        .status()?;
    if !status.success() {
        bail!("scripts/build-packages.mjs failed (npm ci at the repository root first)");
    }
    let bun = repo().join("node_modules/.bin/bun");
    let runtimes = [
        ("Node", Runtime::Node, PathBuf::from("node")),
        ("Bun", Runtime::Bun, bun),
    ];
    println!(
        "| runtime | rows | bridge p50 µs | in-process p50 µs | p50 ratio | bridge p99 µs | in-process p99 µs | p99 ratio | bridge renders/s | in-process renders/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut recoveries = Vec::new();
    for (name, runtime, program) in runtimes {
        let config = SsrConfig::new(repo().join("benches/ssr/page.mjs"))
            .runtime(runtime)
            .workers(1)
            .deadline(Duration::from_secs(30))
            // five kills in a few seconds would open the breaker (by design): not measured here
            .breaker(BreakerConfig {
                failures: 1000,
                ..BreakerConfig::default()
            });
        let ssr = Ssr::start(config).await?;
        for &n in &rows {
            let b = bridge(&ssr, n, renders).await?;
            let p = in_process(&program, n, renders)?;
            println!(
                "| {name} | {n} | {:.0} | {:.0} | {:.2}× | {:.0} | {:.0} | {:.2}× | {:.0} | {:.0} |",
                b.p50_us,
                p.p50_us,
                b.p50_us / p.p50_us,
                b.p99_us,
                p.p99_us,
                b.p99_us / p.p99_us,
                b.per_s,
                p.per_s
            );
        }
        recoveries.push((name, recovery(&ssr).await?));
    }
    println!();
    println!("| runtime | crash to recovered (median of 5) |");
    println!("|---|---:|");
    for (name, t) in recoveries {
        println!("| {name} | {} ms |", t.as_millis());
    }
    Ok(())
}
