//! The origin cache at run time: looking a context instance up, running it once for
//! concurrent misses, storing what may be shared, and purging on invalidations.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use mizan_protocol::cache_key::Scope;

use super::config::{Backend, Cache, CacheConfigError};
use super::memory::Memory;
use super::plan::Plan;
use super::stats::{CacheStats, Counters, Event};
use super::stored::Stored;
use crate::auth::Identity;
use crate::invalidation::Invalidation;
use crate::registry::HashMap;

/// How much longer than an entry's lifetime a context's counters are kept after a purge.
const KEEP_MARGIN: Duration = Duration::from_secs(60);

enum Store {
    Memory(Memory),
    #[cfg(feature = "redis")]
    Redis(Box<super::redis::Redis>),
}

/// A cached context with its counters.
struct Cached {
    plan: Plan,
    counters: Counters,
}

/// What a request gets: a stored response, or its own.
pub(crate) enum Served<T> {
    Hit(Arc<Stored>),
    Fresh(T),
}

type Flight = Arc<tokio::sync::OnceCell<Option<Arc<Stored>>>>;

pub(crate) struct OriginCache {
    secret: Vec<u8>,
    store: Store,
    contexts: HashMap<String, Cached>,
    /// Misses being fetched, by entry key and counters: later misses wait for the first.
    flights: Mutex<std::collections::HashMap<String, Flight>>,
}

/// A context the builder describes to the cache.
pub(crate) struct ContextSpec<'a> {
    pub(crate) name: &'a str,
    pub(crate) ttl: u32,
    pub(crate) revs: Vec<(&'a str, u32)>,
    pub(crate) params: Vec<String>,
    pub(crate) private: bool,
}

impl OriginCache {
    pub(crate) fn new<'a>(
        config: &Cache,
        contexts: impl IntoIterator<Item = ContextSpec<'a>>,
    ) -> Result<Self, CacheConfigError> {
        let secret = config.checked_secret()?;
        #[cfg_attr(not(feature = "redis"), allow(unused_variables))]
        let (prefix, timeout) = config.redis_options()?;
        let store = match &config.backend {
            Backend::Memory { max_bytes: 0 } => return Err(CacheConfigError::ZeroMemory),
            Backend::Memory { max_bytes } => Store::Memory(Memory::new(*max_bytes)),
            #[cfg(feature = "redis")]
            Backend::Redis { url } => Store::Redis(Box::new(
                super::redis::Redis::new(url, prefix, timeout)
                    .map_err(|e| CacheConfigError::RedisUrl(e.to_string()))?,
            )),
        };
        let contexts = contexts
            .into_iter()
            .map(|c| {
                let plan = Plan::new(c.name, c.ttl, &c.revs, c.params, c.private);
                let cached = Cached {
                    plan,
                    counters: Counters::default(),
                };
                (c.name.to_owned(), cached)
            })
            .collect();
        Ok(Self {
            secret,
            store,
            contexts,
            flights: Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// Whether `context` is cached here.
    pub(crate) fn caches(&self, context: &str) -> bool {
        self.contexts.contains_key(context)
    }

    /// Serves an instance of `context` (`query` canonical) for `caller`: from the cache,
    /// or by `compute` — run once for concurrent misses of one key. `shareable` gives the
    /// body to store when the result may be served to everyone of the entry's scope (its
    /// flag: the scope is one caller's), with whether a function read the caller.
    pub(crate) async fn serve<T, E, F, Fut>(
        &self,
        context: &str,
        query: &str,
        caller: Option<&Identity>,
        compute: F,
        shareable: impl Fn(&T, bool) -> Option<(Bytes, bool)>,
    ) -> Result<Served<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let Some(cached) = self.contexts.get(context) else {
            return compute().await.map(Served::Fresh);
        };
        let plan = &cached.plan;
        let scope = plan.scope(caller);
        let private = !matches!(scope, Scope::Public);
        let key = plan.key(&self.secret, query, scope);
        let fields = plan.read_fields(query);
        let gens = match self.get(context, &key, &fields).await {
            Ok((_, Some(hit))) => {
                cached.counters.record(context, Event::Hit);
                return Ok(Served::Hit(hit));
            }
            Ok((gens, None)) => gens,
            Err(()) => {
                cached.counters.record(context, Event::Error);
                return compute().await.map(Served::Fresh);
            }
        };
        let flight_key = format!("{key}:{gens}");
        let flight = self.join(&flight_key);
        // Left however this request ends (a client that goes away mid-fetch included).
        let _leave = Leave {
            cache: self,
            key: &flight_key,
            flight: &flight,
        };
        let mut compute = Some(compute);
        let mut mine: Option<Result<T, E>> = None;
        let shared = flight
            .get_or_init(|| async {
                cached.counters.record(context, Event::Miss);
                let compute = compute.take()?;
                let result = compute().await;
                let body = result.as_ref().ok().and_then(|t| shareable(t, private));
                mine = Some(result);
                let Some((body, read_caller)) = body else {
                    cached.counters.record(context, Event::Uncacheable);
                    return None;
                };
                let stored = Arc::new(Stored::new(body, read_caller));
                if self.put(plan, &key, &fields, &gens, &stored).await {
                    cached.counters.record(context, Event::Store);
                }
                Some(stored)
            })
            .await
            .clone();
        if let Some(result) = mine {
            return result.map(Served::Fresh);
        }
        match (shared, compute) {
            (Some(stored), _) => {
                cached.counters.record(context, Event::Hit);
                Ok(Served::Hit(stored))
            }
            // The first request's answer was its own (or failed): run ours.
            (None, Some(compute)) => {
                cached.counters.record(context, Event::Miss);
                compute().await.map(Served::Fresh)
            }
            (None, None) => unreachable!("a request that ran the flight keeps its result"),
        }
    }

    /// Joins the flight of `key`, starting it when there is none.
    fn join(&self, key: &str) -> Flight {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(flights.entry(key.to_owned()).or_default())
    }

    /// Drops the flight of `key` from the map if it is still `flight` (later misses start
    /// a new one; those waiting keep theirs).
    fn leave(&self, key: &str, flight: &Flight) {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        if flights.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            flights.remove(key);
        }
    }

    /// The counters and the entry of `key`; `Err` when the backend failed.
    async fn get(
        &self,
        context: &str,
        key: &str,
        fields: &[String],
    ) -> Result<(String, Option<Arc<Stored>>), ()> {
        match &self.store {
            Store::Memory(m) => Ok(m.get(context, key, fields)),
            #[cfg(feature = "redis")]
            Store::Redis(r) => r
                .get(context, key, fields)
                .await
                .map(|(gens, stored)| (gens, stored.map(Arc::new)))
                .map_err(|_| ()),
        }
    }

    async fn put(
        &self,
        plan: &Plan,
        key: &str,
        fields: &[String],
        gens: &str,
        stored: &Arc<Stored>,
    ) -> bool {
        match &self.store {
            Store::Memory(m) => m.put(&plan.name, key, fields, gens, Arc::clone(stored), plan.ttl),
            #[cfg(feature = "redis")]
            Store::Redis(r) => r
                .put(&plan.name, key, fields, gens, stored, plan.ttl)
                .await
                .unwrap_or(false),
        }
    }

    /// Purges what `list` invalidates, before the response that carries it is sent.
    pub(crate) async fn purge(&self, list: &[Invalidation]) {
        for invalidation in list {
            let Some(cached) = self.contexts.get(invalidation.context()) else {
                continue;
            };
            let plan = &cached.plan;
            let fields = plan.purge_fields(invalidation);
            let keep = plan.ttl * 2 + KEEP_MARGIN;
            cached.counters.record(&plan.name, Event::Purge);
            match &self.store {
                Store::Memory(m) => m.purge(&plan.name, &fields, keep),
                #[cfg(feature = "redis")]
                Store::Redis(r) => {
                    if r.purge(&plan.name, &fields, keep).await.is_err() {
                        cached.counters.record(&plan.name, Event::Error);
                    }
                }
            }
        }
    }

    /// The counts of every cached context.
    pub(crate) fn stats(&self) -> BTreeMap<String, CacheStats> {
        self.contexts
            .iter()
            .map(|(name, c)| (name.clone(), c.counters.snapshot()))
            .collect()
    }
}

/// Leaves a flight when dropped.
struct Leave<'a> {
    cache: &'a OriginCache,
    key: &'a str,
    flight: &'a Flight,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.cache.leave(self.key, self.flight);
    }
}
