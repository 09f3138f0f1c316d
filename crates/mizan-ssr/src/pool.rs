//! The pool: workers waiting for renders, replaced when they fail, recycled when they age,
//! and a breaker that turns SSR off after repeated failures.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::sync::Notify;
use tokio::time::{Instant, timeout_at};

use crate::breaker::Breaker;
use crate::config::{SsrConfig, absolute};
use crate::error::{FallbackReason, SsrError};
use crate::metrics::{Counters, SsrMetrics};
use crate::worker::{Launch, Markup, RenderFailure, Worker, file_hash, socket_dir};

/// A render that produced no page: why, and what the Rust side or the JavaScript said.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) reason: FallbackReason,
    pub(crate) message: String,
    pub(crate) stack: String,
}

impl Failure {
    fn new(reason: FallbackReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            stack: String::new(),
        }
    }
}

/// The bundle's hash, and the file's modification time and length it was computed for.
#[derive(Debug)]
struct Stamp {
    hash: String,
    modified: Option<SystemTime>,
    len: u64,
}

#[derive(Debug)]
pub(crate) struct Pool {
    pub(crate) config: SsrConfig,
    launch: Launch,
    size: usize,
    idle: Mutex<VecDeque<Worker>>,
    /// one permit per worker given back (or started)
    returned: Notify,
    waiting: AtomicUsize,
    /// serial → pid of the ready workers (idle or rendering)
    pids: Mutex<HashMap<u64, u32>>,
    serial: AtomicU64,
    stamp: Mutex<Stamp>,
    /// workers to stop when they come back (a replacement is already in)
    retiring: Mutex<HashSet<u64>>,
    recycling: AtomicBool,
    /// failed starts in a row (the restart backoff)
    start_failures: AtomicU32,
    breaker: Breaker,
    pub(crate) counters: Counters,
}

impl Drop for Pool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.launch.socket_dir);
    }
}

impl Pool {
    /// Starts the pool: the first worker before returning (its failure is the error), the
    /// others in the background.
    pub(crate) async fn start(config: SsrConfig) -> Result<Arc<Self>, SsrError> {
        let bundle = absolute(&config.bundle);
        let stamp = stamp_of(&bundle).map_err(|source| SsrError::File {
            what: "the server bundle",
            path: bundle.clone(),
            source,
        })?;
        let script = config.script()?;
        if !script.is_file() {
            return Err(SsrError::File {
                what: "the SSR worker script",
                path: script,
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        let launch = Launch {
            program: config.program()?,
            script,
            bundle,
            socket_dir: socket_dir().map_err(|source| SsrError::File {
                what: "the SSR socket directory in",
                path: std::env::temp_dir(),
                source,
            })?,
            start_timeout: config.start_timeout,
        };
        let pool = Arc::new(Self {
            size: config.worker_count(),
            breaker: Breaker::new(config.breaker),
            config,
            launch,
            idle: Mutex::default(),
            returned: Notify::new(),
            waiting: AtomicUsize::new(0),
            pids: Mutex::default(),
            serial: AtomicU64::new(0),
            stamp: Mutex::new(stamp),
            retiring: Mutex::default(),
            recycling: AtomicBool::new(false),
            start_failures: AtomicU32::new(0),
            counters: Counters::default(),
        });
        let first = pool.start_worker().await?;
        pool.give_back(first);
        for _ in 1..pool.size {
            pool.replace();
        }
        Ok(pool)
    }

    /// Renders one page. Runs on a task of its own: a caller that goes away (a closed
    /// connection) does not take a worker down with it.
    pub(crate) async fn render(self: &Arc<Self>, params: Value) -> Result<Markup, Failure> {
        let pool = Arc::clone(self);
        tokio::spawn(async move { pool.render_now(params).await })
            .await
            .unwrap_or_else(|e| Err(Failure::new(FallbackReason::Crash, e.to_string())))
    }

    async fn render_now(self: &Arc<Self>, params: Value) -> Result<Markup, Failure> {
        if self.breaker.is_open() {
            return Err(Failure::new(
                FallbackReason::BreakerOpen,
                "SSR is off for a while after repeated worker failures",
            ));
        }
        let mut worker = self.acquire().await?;
        match worker.render(params, self.config.deadline).await {
            Ok(markup) => {
                Counters::bump(&self.counters.rendered);
                self.finished(worker);
                Ok(markup)
            }
            Err(RenderFailure::Js { message, stack }) => {
                self.finished(worker);
                Err(Failure {
                    reason: FallbackReason::Error,
                    message,
                    stack,
                })
            }
            Err(RenderFailure::Timeout) => {
                let message = format!(
                    "the render took longer than {} ms; worker {} killed",
                    self.config.deadline.as_millis(),
                    worker.pid
                );
                self.lost(worker);
                Err(Failure::new(FallbackReason::Timeout, message))
            }
            Err(RenderFailure::Crash(why)) => {
                let message = format!("worker {} failed: {why}", worker.pid);
                self.lost(worker);
                Err(Failure::new(FallbackReason::Crash, message))
            }
        }
    }

    /// A ready worker running the current bundle, waiting at most the queue wait.
    async fn acquire(self: &Arc<Self>) -> Result<Worker, Failure> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.config.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Failure::new(
                FallbackReason::Busy,
                format!(
                    "{} requests are already waiting for a worker",
                    self.config.max_waiting
                ),
            ));
        }
        let until = Instant::now() + self.config.queue_wait;
        let found = loop {
            let notified = self.returned.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next = self.idle.lock().ok().and_then(|mut idle| idle.pop_front());
            if let Some(worker) = next {
                let current = self.bundle_hash();
                if current.as_deref().is_some_and(|h| h != worker.hash) {
                    // A new bundle was deployed: this worker runs the old one.
                    tracing::info!(
                        pid = worker.pid,
                        "the server bundle changed: replacing an SSR worker"
                    );
                    Counters::bump(&self.counters.recycled);
                    self.retire(worker);
                    self.replace();
                    continue;
                }
                break Some(worker);
            }
            if timeout_at(until, notified).await.is_err() {
                break None;
            }
        };
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        found.ok_or_else(|| {
            if self.pids.lock().map_or(0, |p| p.len()) == 0 {
                Failure::new(FallbackReason::NoWorker, "no SSR worker is running")
            } else {
                Failure::new(
                    FallbackReason::Busy,
                    format!(
                        "no SSR worker was free within {} ms",
                        self.config.queue_wait.as_millis()
                    ),
                )
            }
        })
    }

    /// The hash of the bundle on disk now (recomputed only when the file changed).
    fn bundle_hash(&self) -> Option<String> {
        let mut stamp = self.stamp.lock().ok()?;
        let meta = std::fs::metadata(&self.launch.bundle).ok()?;
        if meta.modified().ok() != stamp.modified || meta.len() != stamp.len {
            *stamp = stamp_of(&self.launch.bundle).ok()?;
        }
        Some(stamp.hash.clone())
    }

    /// A worker that rendered (or whose page threw): back to the pool, or retired.
    fn finished(self: &Arc<Self>, worker: Worker) {
        let retiring = self
            .retiring
            .lock()
            .is_ok_and(|mut r| r.remove(&worker.serial));
        if retiring {
            self.retire(worker);
            return;
        }
        let old = worker.renders >= self.config.max_renders
            || (worker.renders % 8 == 0 && worker.rss().is_some_and(|r| r > self.config.max_rss));
        if old && !self.recycling.swap(true, Ordering::AcqRel) {
            self.recycle(worker.serial);
        }
        self.give_back(worker);
    }

    /// A worker that timed out or crashed: killed, and a replacement started.
    fn lost(self: &Arc<Self>, worker: Worker) {
        Counters::bump(&self.counters.replaced);
        if self.breaker.failure() {
            tracing::error!(
                open_for_s = self.config.breaker.open_for.as_secs(),
                "SSR workers keep failing: server-side rendering is off for a while (fallback pages)"
            );
        }
        self.forget(worker.serial);
        let grace = self.config.kill_grace;
        tokio::spawn(worker.kill(grace));
        self.replace();
    }

    /// Stops a worker gracefully (it is out of the pool already).
    fn retire(&self, worker: Worker) {
        self.forget(worker.serial);
        tokio::spawn(worker.shutdown(self.config.kill_grace * 4));
    }

    fn forget(&self, serial: u64) {
        if let Ok(mut pids) = self.pids.lock() {
            pids.remove(&serial);
        }
    }

    fn give_back(&self, worker: Worker) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push_back(worker);
        }
        self.returned.notify_one();
    }

    /// Starts a worker (counted, registered), or says why it did not start.
    async fn start_worker(&self) -> Result<Worker, SsrError> {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let hash = self.bundle_hash().unwrap_or_default();
        match Worker::start(&self.launch, serial, &hash).await {
            Ok(worker) => {
                Counters::bump(&self.counters.started);
                self.start_failures.store(0, Ordering::Release);
                if let Ok(mut pids) = self.pids.lock() {
                    pids.insert(serial, worker.pid);
                }
                Ok(worker)
            }
            Err(e) => {
                Counters::bump(&self.counters.failed_starts);
                self.start_failures.fetch_add(1, Ordering::AcqRel);
                self.breaker.failure();
                Err(e.into())
            }
        }
    }

    /// Starts a worker in the background, retrying with backoff until one is ready (or the
    /// pool is gone), and puts it in the pool.
    fn replace(self: &Arc<Self>) {
        let pool = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(this) = Weak::upgrade(&pool) else {
                    return;
                };
                let failures = this.start_failures.load(Ordering::Acquire);
                let delay = restart_delay(failures);
                drop(this);
                tokio::time::sleep(delay).await;
                let Some(this) = Weak::upgrade(&pool) else {
                    return;
                };
                match this.start_worker().await {
                    Ok(worker) => return this.give_back(worker),
                    Err(e) => tracing::error!("an SSR worker did not start: {e}"),
                }
            }
        });
    }

    /// Recycles worker `old`: a replacement starts first; once it is ready, `old` leaves the
    /// pool (now if idle, else when its render ends).
    fn recycle(self: &Arc<Self>, old: u64) {
        let pool = Arc::downgrade(self);
        tokio::spawn(async move {
            let Some(this) = Weak::upgrade(&pool) else {
                return;
            };
            let started = this.start_worker().await;
            match started {
                Ok(replacement) => {
                    Counters::bump(&this.counters.recycled);
                    this.give_back(replacement);
                    let idle_old = this.idle.lock().ok().and_then(|mut idle| {
                        let at = idle.iter().position(|w| w.serial == old)?;
                        idle.remove(at)
                    });
                    match idle_old {
                        Some(worker) => this.retire(worker),
                        None => {
                            if let Ok(mut r) = this.retiring.lock() {
                                r.insert(old);
                            }
                        }
                    }
                }
                Err(e) => tracing::error!("an SSR worker's replacement did not start: {e}"),
            }
            this.recycling.store(false, Ordering::Release);
        });
    }

    pub(crate) fn metrics(&self) -> SsrMetrics {
        let idle = self.idle.lock().map_or(0, |i| i.len() as u64);
        self.counters.snapshot(idle)
    }

    pub(crate) fn pids(&self) -> Vec<u32> {
        self.pids
            .lock()
            .map(|p| p.values().copied().collect())
            .unwrap_or_default()
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }
}

/// The wait before restart attempt `failures` (in a row): none for the first, then 100 ms
/// doubling up to 5 s.
fn restart_delay(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(100u64 << failures.min(6).saturating_sub(1)).min(Duration::from_secs(5))
}

fn stamp_of(path: &std::path::Path) -> std::io::Result<Stamp> {
    let meta = std::fs::metadata(path)?;
    Ok(Stamp {
        hash: file_hash(path)?,
        modified: meta.modified().ok(),
        len: meta.len(),
    })
}
