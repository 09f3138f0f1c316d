//! Counters of the pool ([`SsrMetrics`]).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::FallbackReason;

/// What the pool has done since it started (see [`Ssr::metrics`](crate::Ssr::metrics)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SsrMetrics {
    /// pages rendered by a worker
    pub rendered: u64,
    /// pages served as their fallback, by reason, in the order of [`FallbackReason::ALL`]
    pub fallbacks: [u64; 6],
    /// workers started (the first ones, replacements and recycled ones)
    pub started: u64,
    /// workers that failed to start
    pub failed_starts: u64,
    /// workers replaced after a timeout or crash
    pub replaced: u64,
    /// workers recycled (renders or memory)
    pub recycled: u64,
    /// workers ready now
    pub idle: u64,
}

impl SsrMetrics {
    /// The fallbacks for one reason.
    pub fn fallbacks_for(&self, reason: FallbackReason) -> u64 {
        FallbackReason::ALL
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| self.fallbacks[i])
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) rendered: AtomicU64,
    pub(crate) fallbacks: [AtomicU64; 6],
    pub(crate) started: AtomicU64,
    pub(crate) failed_starts: AtomicU64,
    pub(crate) replaced: AtomicU64,
    pub(crate) recycled: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn fallback(&self, reason: FallbackReason) {
        if let Some(i) = FallbackReason::ALL.iter().position(|r| *r == reason) {
            Self::bump(&self.fallbacks[i]);
        }
    }

    pub(crate) fn snapshot(&self, idle: u64) -> SsrMetrics {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SsrMetrics {
            rendered: load(&self.rendered),
            fallbacks: std::array::from_fn(|i| load(&self.fallbacks[i])),
            started: load(&self.started),
            failed_starts: load(&self.failed_starts),
            replaced: load(&self.replaced),
            recycled: load(&self.recycled),
            idle,
        }
    }
}
