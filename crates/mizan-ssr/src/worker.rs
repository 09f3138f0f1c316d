//! One worker process: started, handshaken, asked to render, stopped.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::UnixListener;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::process::{Child, Command};
use tokio::time::{Instant, timeout_at};

use crate::error::StartError;
use crate::frame::{self, FrameError};

/// How a worker is started: the same for every worker of a pool.
#[derive(Debug)]
pub(crate) struct Launch {
    pub(crate) program: PathBuf,
    pub(crate) script: PathBuf,
    pub(crate) bundle: PathBuf,
    /// a directory only this process may enter (0700), for the workers' sockets
    pub(crate) socket_dir: PathBuf,
    pub(crate) start_timeout: Duration,
}

/// A running, ready worker. Dropping it kills the process.
#[derive(Debug)]
pub(crate) struct Worker {
    /// unique in the pool
    pub(crate) serial: u64,
    pub(crate) pid: u32,
    /// SHA-256 of the bundle it loaded
    pub(crate) hash: String,
    pub(crate) renders: u64,
    child: Child,
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    next_id: u64,
}

/// Why a render produced no page.
#[derive(Debug)]
pub(crate) enum RenderFailure {
    /// The page's JavaScript threw; the worker is still fine.
    Js { message: String, stack: String },
    /// No answer before the deadline.
    Timeout,
    /// The worker died or broke the protocol.
    Crash(String),
}

/// A rendered page's parts.
#[derive(Debug)]
pub(crate) struct Markup {
    pub(crate) head: String,
    pub(crate) html: String,
}

/// The last lines a worker wrote to stderr (for the error of a worker that exits at start).
type Tail = Arc<Mutex<VecDeque<String>>>;

impl Worker {
    /// Starts a worker and waits for its `ready` (or `failed`) message.
    pub(crate) async fn start(
        launch: &Launch,
        serial: u64,
        expected_hash: &str,
    ) -> Result<Self, StartError> {
        let deadline = Instant::now() + launch.start_timeout;
        let socket = launch.socket_dir.join(format!("w{serial}.sock"));
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)?;
        let mut child = Command::new(&launch.program)
            .arg(&launch.script)
            .env("MIZAN_SSR_SOCKET", &socket)
            .env("MIZAN_SSR_BUNDLE", &launch.bundle)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| StartError::Spawn {
                program: launch.program.display().to_string(),
                source,
            })?;
        let pid = child.id().unwrap_or_default();
        let tail = Tail::default();
        if let Some(out) = child.stdout.take() {
            tokio::spawn(forward(out, pid, false, Tail::default()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(forward(err, pid, true, Arc::clone(&tail)));
        }
        let exited = |status: std::io::Result<ExitStatus>, tail: &Tail| {
            let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
            let lines = tail
                .lock()
                .map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n"));
            StartError::Exited(match lines {
                Ok(lines) if !lines.is_empty() => format!("{status}; stderr:\n{lines}"),
                _ => status,
            })
        };
        let timed_out = || StartError::Timeout(launch.start_timeout.as_millis());

        let stream = tokio::select! {
            accepted = timeout_at(deadline, listener.accept()) => match accepted {
                Ok(Ok((stream, _))) => stream,
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => return Err(timed_out()),
            },
            status = child.wait() => {
                // Give the stderr forwarder a moment to take the last lines.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Err(exited(status, &tail));
            }
        };
        drop(listener);
        let _ = std::fs::remove_file(&socket);
        let (mut reader, writer) = stream.into_split();
        let first = tokio::select! {
            frame = timeout_at(deadline, frame::read(&mut reader)) => frame.map_err(|_| timed_out())?,
            status = child.wait() => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Err(exited(status, &tail));
            }
        };
        let message = match first {
            Ok(frame) => frame.message,
            Err(FrameError::Closed) => {
                let status = tokio::time::timeout(Duration::from_secs(1), child.wait())
                    .await
                    .unwrap_or_else(|_| Err(std::io::Error::other("still running")));
                return Err(exited(status, &tail));
            }
            Err(e) => return Err(StartError::Protocol(e.to_string())),
        };
        let params = &message["params"];
        match message["method"].as_str() {
            Some("ready") => {
                let hash = params["bundleHash"].as_str().unwrap_or_default().to_owned();
                if hash != expected_hash {
                    return Err(StartError::HashMismatch {
                        loaded: hash,
                        expected: expected_hash.to_owned(),
                    });
                }
                tracing::debug!(
                    pid,
                    runtime = params["runtime"].as_str(),
                    version = params["version"].as_str(),
                    "SSR worker ready"
                );
                Ok(Self {
                    serial,
                    pid,
                    hash,
                    renders: 0,
                    child,
                    reader,
                    writer,
                    next_id: 1,
                })
            }
            Some("failed") => Err(StartError::Bundle {
                message: text(&params["message"]),
                stack: text(&params["stack"]),
            }),
            _ => Err(StartError::Protocol(format!(
                "expected `ready`, got {}",
                truncate(&message.to_string())
            ))),
        }
    }

    /// Asks for one render; `deadline` bounds the whole exchange. After anything but `Ok` or
    /// [`RenderFailure::Js`], the worker must not be used again.
    pub(crate) async fn render(
        &mut self,
        mut params: Value,
        deadline: Duration,
    ) -> Result<Markup, RenderFailure> {
        let until = Instant::now() + deadline;
        let id = self.next_id;
        self.next_id += 1;
        // The worker aborts a little before the Rust side gives up, so that a render that
        // can be aborted (React) ends in an error reply and the worker stays in service.
        let margin = (deadline / 10).clamp(Duration::from_millis(10), Duration::from_millis(200));
        params["deadlineMs"] = json!(deadline.saturating_sub(margin).as_millis() as u64);
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "render", "params": params});
        match timeout_at(until, frame::write(&mut self.writer, &request, &[])).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(RenderFailure::Crash(e.to_string())),
            Err(_) => return Err(RenderFailure::Timeout),
        }
        loop {
            let frame = match timeout_at(until, frame::read(&mut self.reader)).await {
                Ok(Ok(frame)) => frame,
                Ok(Err(e)) => return Err(RenderFailure::Crash(e.to_string())),
                Err(_) => return Err(RenderFailure::Timeout),
            };
            let message = frame.message;
            if message["id"].as_u64() != Some(id) {
                // A late answer to an earlier request, or an id never sent: never given to
                // this caller.
                tracing::warn!(
                    pid = self.pid,
                    message = truncate(&message.to_string()),
                    "dropped an SSR worker message whose id is not pending"
                );
                continue;
            }
            if let Some(error) = message.get("error") {
                let data = &error["data"];
                return Err(RenderFailure::Js {
                    message: data
                        .get("message")
                        .map_or_else(|| text(&error["message"]), text),
                    stack: text(&data["stack"]),
                });
            }
            let Some(result) = message.get("result") else {
                return Err(RenderFailure::Crash(
                    "a reply with neither result nor error".into(),
                ));
            };
            let html = String::from_utf8(frame.blob)
                .map_err(|_| RenderFailure::Crash("the HTML is not UTF-8".into()))?;
            self.renders += 1;
            return Ok(Markup {
                head: text(&result["head"]),
                html,
            });
        }
    }

    /// The worker's resident memory, when the system tells (Linux).
    pub(crate) fn rss(&self) -> Option<u64> {
        rss_of(self.pid)
    }

    /// Stops the worker: SIGTERM, then SIGKILL after `grace`.
    pub(crate) async fn kill(mut self, grace: Duration) {
        terminate(self.pid);
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.start_kill();
            let _ = self.child.wait().await;
        }
    }

    /// Asks the worker to exit once idle; kills it if it has not after `grace`.
    pub(crate) async fn shutdown(mut self, grace: Duration) {
        let bye = json!({"jsonrpc": "2.0", "method": "shutdown"});
        let _ = frame::write(&mut self.writer, &bye, &[]).await;
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            self.kill(grace).await;
        }
    }
}

/// SIGTERM to `pid`.
fn terminate(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
}

/// The resident memory of a process, from `/proc/<pid>/status`.
fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A JSON string member as text (empty when absent).
fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// At most 300 characters of `s`, for a log line.
fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}

/// Sends a worker's output to the log, line by line (stdout at INFO, stderr at WARN): the
/// application's `console.log` lands there, never in the protocol.
async fn forward(out: impl AsyncRead + Unpin, pid: u32, stderr: bool, tail: Tail) {
    let mut lines = BufReader::new(out).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if stderr {
            tracing::warn!(target: "mizan_ssr::worker", pid, "{line}");
            if let Ok(mut tail) = tail.lock() {
                if tail.len() == 20 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        } else {
            tracing::info!(target: "mizan_ssr::worker", pid, "{line}");
        }
    }
}

/// Creates the pool's private socket directory (mode 0700) under the system's temp dir.
pub(crate) fn socket_dir() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    for attempt in 0u32..100 {
        let dir = base.join(format!(
            "mizan-ssr-{}-{}",
            std::process::id(),
            nanos().wrapping_add(attempt)
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("cannot create a socket directory"))
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

/// The SHA-256 (hex) of a file.
pub(crate) fn file_hash(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path)?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
