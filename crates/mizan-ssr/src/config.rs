//! [`SsrConfig`]: where the bundle is, which runtime runs it, and the pool's limits.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::SsrError;

/// Which JavaScript runtime runs the workers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Runtime {
    /// Bun when `bun` is on `PATH` (or in a `node_modules/.bin` above the bundle), else Node.
    #[default]
    Auto,
    /// Bun (`bun` on `PATH` or in `node_modules/.bin`); an error at start when missing.
    Bun,
    /// Node (`node` on `PATH`); an error at start when missing.
    Node,
    /// This program, run as `program <worker script>` (a Node- or Bun-compatible runtime).
    Program(PathBuf),
}

/// When the circuit breaker opens: `failures` worker failures (timeouts, crashes, failed
/// starts) within `window` turn SSR off for `open_for`, every page served as its fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// failures that open it (default 5)
    pub failures: usize,
    /// within this time (default 10 s)
    pub window: Duration,
    /// for this long (default 30 s)
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failures: 5,
            window: Duration::from_secs(10),
            open_for: Duration::from_secs(30),
        }
    }
}

/// The SSR pool's configuration: `SsrConfig::new("web/dist-server/entry-server.js")
/// .shell("web/dist/index.html")`, then [`Ssr::start`](crate::Ssr::start).
#[derive(Debug, Clone)]
pub struct SsrConfig {
    pub(crate) bundle: PathBuf,
    pub(crate) shell: Option<PathBuf>,
    pub(crate) worker_script: Option<PathBuf>,
    pub(crate) runtime: Runtime,
    pub(crate) workers: Option<usize>,
    pub(crate) deadline: Duration,
    pub(crate) queue_wait: Duration,
    pub(crate) max_waiting: usize,
    pub(crate) max_renders: u64,
    pub(crate) max_rss: u64,
    pub(crate) start_timeout: Duration,
    pub(crate) kill_grace: Duration,
    pub(crate) breaker: BreakerConfig,
    pub(crate) strict: bool,
}

impl SsrConfig {
    /// Renders with `bundle`: an ES module whose default export is a renderer
    /// (`reactRenderer`, `vueRenderer` or `svelteRenderer` from `@mizan/ssr-worker`).
    ///
    /// Defaults: [`Runtime::Auto`], one worker per available CPU (cgroup-aware), a 2 s
    /// deadline per render, 250 ms of waiting for a free worker with at most 64 requests
    /// waiting, workers recycled after 10,000 renders or above 512 MiB of RSS, 10 s to start,
    /// 500 ms between TERM and KILL, the default [`BreakerConfig`], and strict mode when the
    /// environment variable `MIZAN_SSR_STRICT` is `1`.
    pub fn new(bundle: impl Into<PathBuf>) -> Self {
        Self {
            bundle: bundle.into(),
            shell: None,
            worker_script: None,
            runtime: Runtime::Auto,
            workers: None,
            deadline: Duration::from_secs(2),
            queue_wait: Duration::from_millis(250),
            max_waiting: 64,
            max_renders: 10_000,
            max_rss: 512 * 1024 * 1024,
            start_timeout: Duration::from_secs(10),
            kill_grace: Duration::from_millis(500),
            breaker: BreakerConfig::default(),
            strict: std::env::var_os("MIZAN_SSR_STRICT").is_some_and(|v| v == "1"),
        }
    }

    /// The HTML page the rendered markup goes into (the client build's `index.html`), with an
    /// `<!--ssr-head-->` marker in its `<head>` and an `<!--ssr-outlet-->` marker where the
    /// markup goes (inside the element the client hydrates). Required by
    /// [`Ssr::page`](crate::Ssr::page).
    #[must_use]
    pub fn shell(mut self, path: impl Into<PathBuf>) -> Self {
        self.shell = Some(path.into());
        self
    }

    /// The worker script; by default `@mizan/ssr-worker/dist/worker.js` in the nearest
    /// `node_modules` above the bundle.
    #[must_use]
    pub fn worker_script(mut self, path: impl Into<PathBuf>) -> Self {
        self.worker_script = Some(path.into());
        self
    }

    /// The runtime (default [`Runtime::Auto`]).
    #[must_use]
    pub fn runtime(mut self, runtime: Runtime) -> Self {
        self.runtime = runtime;
        self
    }

    /// How many workers (at least 1; default: the available CPUs, cgroup-aware).
    #[must_use]
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers.max(1));
        self
    }

    /// The longest a render may take (default 2 s): past it the page is served as its
    /// fallback and the worker is killed and replaced.
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The longest a request waits for a free worker (default 250 ms), and how many requests
    /// may wait at once (default 64); beyond either, the page is served as its fallback.
    #[must_use]
    pub fn queue(mut self, wait: Duration, max_waiting: usize) -> Self {
        self.queue_wait = wait;
        self.max_waiting = max_waiting;
        self
    }

    /// Replace a worker after `renders` renders or when its resident memory passes
    /// `rss_bytes` (default 10,000 and 512 MiB); one at a time, the replacement started first.
    #[must_use]
    pub fn recycle(mut self, renders: u64, rss_bytes: u64) -> Self {
        self.max_renders = renders.max(1);
        self.max_rss = rss_bytes;
        self
    }

    /// How long a worker may take to start (default 10 s).
    #[must_use]
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// The circuit breaker's thresholds.
    #[must_use]
    pub fn breaker(mut self, breaker: BreakerConfig) -> Self {
        self.breaker = breaker;
        self
    }

    /// Strict mode, for development and tests: a failed render is an error with the
    /// JavaScript stack (a 500 page from [`Ssr::page`](crate::Ssr::page)) instead of a
    /// fallback page.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The number of workers the pool runs.
    pub(crate) fn worker_count(&self) -> usize {
        self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        })
    }

    /// The program that runs the workers.
    pub(crate) fn program(&self) -> Result<PathBuf, SsrError> {
        let near = self.bundle.parent().unwrap_or(Path::new("."));
        let bun = || find_bin("bun", near);
        let node = || find_on_path("node");
        match &self.runtime {
            Runtime::Auto => bun().or_else(node).ok_or_else(|| {
                SsrError::NoRuntime("neither `bun` nor `node` is on PATH".into())
            }),
            Runtime::Bun => bun().ok_or_else(|| {
                SsrError::NoRuntime(
                    "`bun` is neither on PATH nor in a node_modules/.bin above the bundle (npm install bun)"
                        .into(),
                )
            }),
            Runtime::Node => node()
                .ok_or_else(|| SsrError::NoRuntime("`node` is not on PATH".into())),
            Runtime::Program(path) => {
                if path.is_file() {
                    Ok(path.clone())
                } else {
                    find_on_path(&path.to_string_lossy()).ok_or_else(|| {
                        SsrError::NoRuntime(format!("{} does not exist", path.display()))
                    })
                }
            }
        }
    }

    /// The worker script.
    pub(crate) fn script(&self) -> Result<PathBuf, SsrError> {
        if let Some(script) = &self.worker_script {
            return Ok(script.clone());
        }
        let start = absolute(&self.bundle);
        start
            .ancestors()
            .map(|dir| dir.join("node_modules/@mizan/ssr-worker/dist/worker.js"))
            .find(|p| p.is_file())
            .ok_or(SsrError::NoWorkerScript(start))
    }
}

/// `path` made absolute against the working directory.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// A program on `PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A program on `PATH`, else in a `node_modules/.bin` above `near` (npm-installed Bun).
fn find_bin(name: &str, near: &Path) -> Option<PathBuf> {
    find_on_path(name).or_else(|| {
        absolute(near)
            .ancestors()
            .map(|dir| dir.join("node_modules/.bin").join(name))
            .find(|p| p.is_file())
    })
}
