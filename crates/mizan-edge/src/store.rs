//! The cache: entries in a byte-bounded `moka` cache, the generation counters purges bump,
//! and the table of in-flight origin fetches that coalesces concurrent misses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_cache_semantics::CachePolicy;
use moka::Expiry;
use moka::future::Cache;
use tokio::sync::watch;

/// One stored response.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Its status.
    pub(crate) status: StatusCode,
    /// Its headers, without hop-by-hop fields, `Set-Cookie` or `X-Mizan-MWT`.
    pub(crate) headers: HeaderMap,
    /// RFC 9111 mode: the request fields its `Vary` selects on (`None` without `Vary`).
    pub(crate) vary_key: Option<String>,
    /// Its body.
    pub(crate) body: Bytes,
    /// RFC 9111 mode: the policy that says whether it is fresh for a request.
    pub(crate) policy: Option<CachePolicy>,
    /// Manifest mode: when it was stored and until when it is fresh.
    pub(crate) stored: Instant,
    /// Manifest mode: its freshness lifetime.
    pub(crate) ttl: Duration,
    /// How long the cache keeps it (freshness plus the time it may be revalidated).
    pub(crate) keep: Duration,
}

impl Entry {
    /// Bytes it holds, roughly: body, headers and bookkeeping.
    pub(crate) fn weight(&self) -> u32 {
        let headers: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 32)
            .sum();
        let policy = if self.policy.is_some() { 1024 } else { 0 };
        u32::try_from(self.body.len() + headers + policy + 256).unwrap_or(u32::MAX)
    }
}

/// The stored variants of one key (several when the origin sends `Vary`).
#[derive(Debug)]
pub(crate) struct Slot {
    /// The variants, newest first.
    pub(crate) variants: Vec<Arc<Entry>>,
}

/// How many variants one key keeps.
pub(crate) const MAX_VARIANTS: usize = 8;

struct SlotExpiry;

impl Expiry<Arc<str>, Arc<Slot>> for SlotExpiry {
    fn expire_after_create(
        &self,
        _key: &Arc<str>,
        value: &Arc<Slot>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        value.variants.iter().map(|e| e.keep).max()
    }

    fn expire_after_update(
        &self,
        _key: &Arc<str>,
        value: &Arc<Slot>,
        _updated_at: std::time::Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        value.variants.iter().map(|e| e.keep).max()
    }
}

/// The outcome of a coalesced fetch: the entry stored, or `None` when the response was not
/// storable (waiters then go to the origin themselves).
pub(crate) type Outcome = Option<Arc<Entry>>;

/// The cache and its bookkeeping.
pub(crate) struct Store {
    pub(crate) cache: Cache<Arc<str>, Arc<Slot>>,
    inflight: Mutex<HashMap<Arc<str>, watch::Receiver<Option<Outcome>>>>,
    /// Bumped by every purge of everything; folded into every manifest-mode key.
    global: AtomicU64,
    /// RFC 9111 URI invalidations, striped by key hash: a fetch whose stripe changed
    /// while it was under way does not store (the invalidation may have been about what it
    /// fetched). Stripes keep unrelated invalidations from stopping every store.
    uri_epochs: Box<[AtomicU64]>,
    /// Per context: its counters (`*`, `=name=value`, `!name`, CACHE_KEYING.md §5).
    tables: RwLock<HashMap<String, HashMap<String, u64>>>,
}

/// How many stripes the URI invalidation epochs have.
const EPOCH_STRIPES: usize = 1024;

/// Counters kept before the tables are dropped and the global generation bumped instead.
const MAX_COUNTERS: usize = 100_000;

/// Either the fetch this request must make, or the one it waits for.
pub(crate) enum Flight {
    /// This request fetches; it must call [`Leader::finish`].
    Leader(Leader),
    /// Another request fetches the same key.
    Follower(watch::Receiver<Option<Outcome>>),
}

/// The right and duty to fetch one key; dropping it without finishing releases the
/// waiters to fetch on their own.
pub(crate) struct Leader {
    store: Arc<Store>,
    key: Arc<str>,
    tx: watch::Sender<Option<Outcome>>,
}

impl Leader {
    /// Publishes the outcome to every waiter.
    pub(crate) fn finish(self, outcome: Outcome) {
        let _ = self.tx.send(Some(outcome));
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        self.store
            .inflight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

impl Store {
    /// A cache holding at most `max_bytes`.
    pub(crate) fn new(max_bytes: u64) -> Self {
        let cache = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &Arc<str>, slot: &Arc<Slot>| {
                let body: u32 = slot.variants.iter().map(|e| e.weight()).sum();
                body.saturating_add(u32::try_from(key.len()).unwrap_or(u32::MAX))
            })
            .expire_after(SlotExpiry)
            .build();
        Self {
            cache,
            inflight: Mutex::new(HashMap::new()),
            global: AtomicU64::new(0),
            uri_epochs: (0..EPOCH_STRIPES).map(|_| AtomicU64::new(0)).collect(),
            tables: RwLock::new(HashMap::new()),
        }
    }

    fn stripe(&self, key: &str) -> &AtomicU64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(key, &mut hasher);
        let index =
            usize::try_from(std::hash::Hasher::finish(&hasher) % EPOCH_STRIPES as u64).unwrap_or(0);
        &self.uri_epochs[index]
    }

    /// The invalidation epoch of `key`'s stripe, read before a fetch.
    pub(crate) fn epoch(&self, key: &str) -> u64 {
        self.stripe(key).load(Ordering::SeqCst)
    }

    /// Invalidates `key` (RFC 9111 §4.4): bumps its stripe and drops the entry.
    pub(crate) async fn invalidate_uri(&self, key: &Arc<str>) {
        self.stripe(key).fetch_add(1, Ordering::SeqCst);
        self.cache.invalidate(key).await;
    }

    /// Joins the fetch of `key` in flight, or becomes its leader.
    pub(crate) fn flight(self: &Arc<Self>, key: &Arc<str>) -> Flight {
        let mut inflight = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(rx) = inflight.get(key) {
            return Flight::Follower(rx.clone());
        }
        let (tx, rx) = watch::channel(None);
        inflight.insert(key.clone(), rx);
        Flight::Leader(Leader {
            store: self.clone(),
            key: key.clone(),
            tx,
        })
    }

    /// Purges everything: every manifest-mode key folds the global generation, and the
    /// RFC 9111 entries are dropped.
    pub(crate) fn purge_all(&self) {
        {
            // Under the lock: a reader sees the old global with the old counters or the
            // new one with the cleared ones, never the old global with cleared counters.
            let mut tables = self.tables.write().unwrap_or_else(PoisonError::into_inner);
            self.global.fetch_add(1, Ordering::SeqCst);
            tables.clear();
        }
        for epoch in &self.uri_epochs {
            epoch.fetch_add(1, Ordering::SeqCst);
        }
        self.cache.invalidate_all();
    }

    /// Reads the generations an instance of `context` folds into its storage key: the
    /// global one, `*` and, per name in `reads`, each counter named there (already
    /// spelled `=name=value` or `!name`), joined by `.`.
    pub(crate) fn generations(&self, context: &str, reads: &[String]) -> String {
        let tables = self.tables.read().unwrap_or_else(PoisonError::into_inner);
        let global = self.global.load(Ordering::SeqCst);
        let table = tables.get(context);
        let read = |name: &str| table.and_then(|t| t.get(name)).copied().unwrap_or(0);
        let mut out = format!("{global}.{}", read("*"));
        for counter in reads {
            out.push('.');
            out.push_str(&read(counter).to_string());
        }
        out
    }

    /// Bumps counters of `context` (`*`, `=name=value`, `!name`).
    pub(crate) fn bump(&self, context: &str, counters: &[String]) {
        let mut tables = self.tables.write().unwrap_or_else(PoisonError::into_inner);
        let total: usize = tables.values().map(HashMap::len).sum();
        if total + counters.len() > MAX_COUNTERS {
            // Dropping counters would let old keys come back; bumping the global
            // generation first makes every old key unreachable instead.
            self.global.fetch_add(1, Ordering::SeqCst);
            tables.clear();
        }
        let table = tables.entry(context.to_owned()).or_default();
        for counter in counters {
            *table.entry(counter.clone()).or_insert(0) += 1;
        }
    }
}
