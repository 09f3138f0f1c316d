//! Hit, miss and purge counts per context.

use std::sync::atomic::{AtomicU64, Ordering};

/// What the origin cache did for one context since start-up
/// ([`Mizan::cache_stats`](crate::Mizan::cache_stats)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Requests answered from the cache (including those that waited for a concurrent
    /// miss of the same key).
    pub hits: u64,
    /// Requests that ran the context's functions because nothing was cached.
    pub misses: u64,
    /// Responses written to the cache.
    pub stores: u64,
    /// Responses that could not be stored: an error, a function that read the caller
    /// without `private`, an invalidation, a sign-in or sign-out (a cookie).
    pub uncacheable: u64,
    /// Purges of this context (scoped or not).
    pub purges: u64,
    /// Requests served uncached because the backend failed or timed out.
    pub errors: u64,
}

/// The live counters of one context.
#[derive(Default)]
pub(crate) struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    stores: AtomicU64,
    uncacheable: AtomicU64,
    purges: AtomicU64,
    errors: AtomicU64,
}

/// One event of the cache, counted and traced.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    Hit,
    Miss,
    Store,
    Uncacheable,
    Purge,
    Error,
}

impl Counters {
    pub(crate) fn record(&self, context: &str, event: Event) {
        let (counter, outcome) = match event {
            Event::Hit => (&self.hits, "hit"),
            Event::Miss => (&self.misses, "miss"),
            Event::Store => (&self.stores, "store"),
            Event::Uncacheable => (&self.uncacheable, "uncacheable"),
            Event::Purge => (&self.purges, "purge"),
            Event::Error => (&self.errors, "error"),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(target: "mizan::cache", context, outcome, "origin cache");
    }

    pub(crate) fn snapshot(&self) -> CacheStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStats {
            hits: get(&self.hits),
            misses: get(&self.misses),
            stores: get(&self.stores),
            uncacheable: get(&self.uncacheable),
            purges: get(&self.purges),
            errors: get(&self.errors),
        }
    }
}
