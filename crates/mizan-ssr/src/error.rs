//! What can go wrong: starting the pool ([`SsrError`]), and why a page was served as its
//! fallback ([`FallbackReason`]).

use std::fmt;
use std::path::PathBuf;

/// An error of [`Ssr::start`](crate::Ssr::start) or, in strict mode, of a render.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SsrError {
    /// Neither Bun nor Node is on `PATH` (or the configured program does not exist).
    #[error("no JavaScript runtime for the SSR workers: {0}")]
    NoRuntime(String),
    /// A file the pool needs is missing or unreadable.
    #[error("{what} {path}: {source}")]
    File {
        /// what the file is for
        what: &'static str,
        /// where it was looked for
        path: PathBuf,
        /// why it could not be read
        source: std::io::Error,
    },
    /// The `@mizan/ssr-worker` package was not found near the bundle.
    #[error(
        "the SSR worker script (@mizan/ssr-worker's dist/worker.js) was not found in a node_modules above {0}; install @mizan/ssr-worker or set SsrConfig::worker_script"
    )]
    NoWorkerScript(PathBuf),
    /// The HTML shell lacks a marker the page is assembled at.
    #[error("the HTML shell {path} has no `{marker}` marker; put it where the {what} goes")]
    Shell {
        /// the shell file
        path: PathBuf,
        /// the missing marker
        marker: &'static str,
        /// what goes there
        what: &'static str,
    },
    /// The first worker did not start.
    #[error("the SSR worker did not start: {0}")]
    Start(#[from] StartError),
    /// A template of [`Ssr::render_template`](crate::Ssr::render_template) failed.
    #[error("template: {0}")]
    Template(String),
    /// A render failed in strict mode (the error a fallback page would have hidden).
    #[error("server-side rendering failed ({reason}): {message}\n{stack}")]
    Render {
        /// why
        reason: FallbackReason,
        /// the JavaScript error's message, or what the Rust side saw
        message: String,
        /// the JavaScript stack, when there is one
        stack: String,
    },
}

/// Why a worker did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The process could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// the runtime's program
        program: String,
        /// the operating system's error
        source: std::io::Error,
    },
    /// The process exited before it was ready.
    #[error("the worker exited at start-up ({0})")]
    Exited(String),
    /// The process was not ready in time.
    #[error("the worker was not ready within {0} ms")]
    Timeout(u128),
    /// The bundle failed to load (its JavaScript error).
    #[error("the server bundle failed to load: {message}\n{stack}")]
    Bundle {
        /// the error's message
        message: String,
        /// its JavaScript stack
        stack: String,
    },
    /// The worker loaded another bundle than the one on disk now (a deploy in progress).
    #[error("the worker loaded a bundle with hash {loaded}, the file's is {expected}")]
    HashMismatch {
        /// the hash the worker reported
        loaded: String,
        /// the hash of the file
        expected: String,
    },
    /// The worker spoke something else than the protocol.
    #[error("the worker broke the protocol at start-up: {0}")]
    Protocol(String),
    /// Local I/O (the socket directory, the socket).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Why a page was served as its fallback (the shell and the preloaded data, rendered in the
/// browser): logged, counted in [`SsrMetrics`](crate::SsrMetrics), and in strict mode the
/// error's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FallbackReason {
    /// The page's JavaScript threw (the worker stays in service).
    Error,
    /// The render did not finish before its deadline: the worker was killed and replaced.
    Timeout,
    /// The worker died during the render, or broke the protocol: it was replaced.
    Crash,
    /// No worker became free within the wait (or too many requests were already waiting).
    Busy,
    /// Too many workers failed recently: SSR is off for a while.
    BreakerOpen,
    /// No worker is running (all are being restarted).
    NoWorker,
}

impl FallbackReason {
    /// Every reason, in the order of [`SsrMetrics::fallbacks`](crate::SsrMetrics::fallbacks).
    pub const ALL: [Self; 6] = [
        Self::Error,
        Self::Timeout,
        Self::Crash,
        Self::Busy,
        Self::BreakerOpen,
        Self::NoWorker,
    ];

    /// A short name for logs and metrics: `error`, `timeout`, `crash`, `busy`, `breaker_open`,
    /// `no_worker`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::Crash => "crash",
            Self::Busy => "busy",
            Self::BreakerOpen => "breaker_open",
            Self::NoWorker => "no_worker",
        }
    }
}

impl fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
