//! What the SSR tests share: the worker script (built from packages/ssr-worker), fixtures,
//! and a private copy of a fixture bundle for tests that rewrite it.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use mizan_ssr::{Runtime, Ssr, SsrConfig};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `@mizan/ssr-worker`'s worker script, built once (scripts/build-packages.mjs: a no-op when
/// dist is up to date).
pub fn worker_script() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = Command::new("node")
                .arg(repo().join("scripts/build-packages.mjs"))
                .current_dir(repo())
                .status()
                .expect("node runs scripts/build-packages.mjs (npm ci first)");
            assert!(status.success(), "scripts/build-packages.mjs failed");
            repo().join("packages/ssr-worker/dist/worker.js")
        })
        .clone()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A copy of fixture `name` in a directory of its own (for tests that change the bundle).
pub fn private_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mizan-ssr-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let to = dir.join(name);
    std::fs::copy(fixture(name), &to).expect("copy the fixture");
    to
}

/// The test configuration: Node, `workers` workers, a 1 s deadline, a short breaker-free
/// setup (the breaker needs 1,000 failures) unless a test sets one.
pub fn config(bundle: PathBuf, workers: usize) -> SsrConfig {
    SsrConfig::new(bundle)
        .worker_script(worker_script())
        .runtime(Runtime::Node)
        .workers(workers)
        .deadline(Duration::from_secs(1))
        .queue(Duration::from_millis(500), 64)
        .breaker(mizan_ssr::BreakerConfig {
            failures: 1000,
            ..mizan_ssr::BreakerConfig::default()
        })
}

/// Waits until every worker of `ssr` is idle (started and not rendering), up to 20 s.
pub async fn all_idle(ssr: &Ssr) {
    for _ in 0..400 {
        if ssr.metrics().idle as usize == ssr.workers() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the pool did not recover: {:?}", ssr.metrics());
}
