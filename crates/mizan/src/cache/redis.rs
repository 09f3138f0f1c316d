//! The Redis backend (feature `redis`): every process of the app shares its entries and
//! counters. One round trip per lookup, store or purge, each a Lua script so the counters
//! and the entry are read and written atomically (`spec/CACHE_KEYING.md` §5–6):
//!
//! - counters: one hash per context, `{prefix}g:{context}`, field → count;
//! - entries: `{prefix}e:{hmac}:{counters}`, the ETag's hex digits then the body, `EX ttl`.
//!
//! Redis down or slow is never an error for a client: a lookup, store or purge that fails
//! or takes longer than the timeout is reported to the caller, which serves uncached. The
//! first failure of an outage is logged as a warning; for a second after a failure Redis
//! is not asked (requests go uncached at once); the first success is logged as recovered.
//! A purge that failed is kept and replayed before the next lookup succeeds, so an entry
//! it should have purged is never served after Redis comes back.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

use super::plan::WHOLE;
use super::stored::Stored;

/// How long Redis is left alone after a failure.
const BACKOFF: Duration = Duration::from_secs(1);
/// Past this many pending counters for one context, its pending purge becomes whole.
const PENDING_FIELDS: usize = 64;

const GET: &str = r"
local g = redis.call('HMGET', KEYS[1], unpack(ARGV, 2))
for i = 1, #g do if not g[i] then g[i] = '0' end end
local gens = table.concat(g, '.')
local v = redis.call('GET', ARGV[1] .. gens)
if not v then return {gens} end
return {gens, v}
";

const PUT: &str = r"
local g = redis.call('HMGET', KEYS[1], unpack(ARGV, 5))
for i = 1, #g do if not g[i] then g[i] = '0' end end
local gens = table.concat(g, '.')
if gens ~= ARGV[2] then return 0 end
redis.call('SET', ARGV[1] .. gens, ARGV[4], 'EX', ARGV[3])
return 1
";

const PURGE: &str = r"
for i = 2, #ARGV do redis.call('HINCRBY', KEYS[1], ARGV[i], 1) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
";

/// Why a Redis operation did not happen; the request is served uncached.
#[derive(Debug)]
pub(crate) struct Unavailable;

pub(crate) struct Redis {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    connection: RwLock<Option<ConnectionManager>>,
    connecting: tokio::sync::Mutex<()>,
    /// Set during an outage (logged once when set, once when cleared).
    down: AtomicBool,
    /// Until when Redis is not asked, after a failure.
    quiet_until: Mutex<Option<Instant>>,
    /// Purges that failed, by context: counters to bump, and how long the table lives.
    pending: Mutex<BTreeMap<String, (BTreeSet<String>, Duration)>>,
    has_pending: AtomicBool,
    /// Held while pending purges are replayed: lookups wait for the replay.
    flushing: tokio::sync::Mutex<()>,
    get: redis::Script,
    put: redis::Script,
    purge: redis::Script,
}

impl Redis {
    /// A backend for `url`; nothing is connected until the first request.
    pub(crate) fn new(url: &str, prefix: String, timeout: Duration) -> redis::RedisResult<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
            prefix,
            timeout,
            connection: RwLock::new(None),
            connecting: tokio::sync::Mutex::new(()),
            down: AtomicBool::new(false),
            quiet_until: Mutex::new(None),
            pending: Mutex::new(BTreeMap::new()),
            has_pending: AtomicBool::new(false),
            flushing: tokio::sync::Mutex::new(()),
            get: redis::Script::new(GET),
            put: redis::Script::new(PUT),
            purge: redis::Script::new(PURGE),
        })
    }

    fn quiet(&self) -> bool {
        let until = *self
            .quiet_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        until.is_some_and(|u| Instant::now() < u)
    }

    fn failed(&self, what: &str, error: &str) {
        *self
            .quiet_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + BACKOFF);
        tracing::debug!(target: "mizan::cache", operation = what, error, "Redis failed");
        // The next probe connects afresh, whatever state the connection manager is in.
        *self
            .connection
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "mizan::cache",
                operation = what,
                error,
                "the Redis origin cache is unavailable; serving uncached until it answers again"
            );
        }
    }

    fn succeeded(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!(target: "mizan::cache", "the Redis origin cache answers again; caching resumed");
        }
    }

    /// A connection, connecting once (bounded by the timeout) when there is none.
    async fn connection(&self) -> Result<ConnectionManager, Unavailable> {
        if let Some(c) = self
            .connection
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Ok(c);
        }
        let _one = self.connecting.lock().await;
        if let Some(c) = self
            .connection
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Ok(c);
        }
        if self.quiet() {
            return Err(Unavailable);
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        let connect = ConnectionManager::new_with_config(self.client.clone(), config);
        match tokio::time::timeout(self.timeout * 2, connect).await {
            Ok(Ok(c)) => {
                *self
                    .connection
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Some(c.clone());
                Ok(c)
            }
            Ok(Err(e)) => {
                self.failed("connect", &e.to_string());
                Err(Unavailable)
            }
            Err(_) => {
                self.failed("connect", "timed out");
                Err(Unavailable)
            }
        }
    }

    /// Runs one script invocation within the timeout.
    async fn run<T: redis::FromRedisValue>(
        &self,
        what: &str,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, Unavailable> {
        if self.quiet() {
            return Err(Unavailable);
        }
        let mut connection = self.connection().await?;
        match tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection)).await {
            Ok(Ok(value)) => {
                self.succeeded();
                Ok(value)
            }
            Ok(Err(e)) => {
                self.failed(what, &e.to_string());
                Err(Unavailable)
            }
            Err(_) => {
                self.failed(what, "timed out");
                Err(Unavailable)
            }
        }
    }

    fn table(&self, context: &str) -> String {
        format!("{}g:{context}", self.prefix)
    }

    fn entry_base(&self, key: &str) -> String {
        format!("{}e:{key}:", self.prefix)
    }

    /// Replays purges that failed; until they are done nothing is served from Redis.
    async fn flush_pending(&self) -> Result<(), Unavailable> {
        if !self.has_pending.load(Ordering::Acquire) {
            return Ok(());
        }
        let _one = self.flushing.lock().await;
        if !self.has_pending.load(Ordering::Acquire) {
            return Ok(());
        }
        let pending =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        let mut rest = pending.into_iter();
        while let Some((context, (fields, keep))) = rest.next() {
            let fields: Vec<String> = fields.into_iter().collect();
            if self.purge_now(&context, &fields, keep).await.is_err() {
                self.remember(&context, &fields, keep);
                for (c, (f, k)) in rest {
                    self.remember(&c, &f.into_iter().collect::<Vec<_>>(), k);
                }
                return Err(Unavailable);
            }
        }
        let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        // Purges that failed meanwhile stay pending.
        self.has_pending
            .store(!pending.is_empty(), Ordering::Release);
        Ok(())
    }

    fn remember(&self, context: &str, fields: &[String], keep: Duration) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let (set, k) = pending.entry(context.to_owned()).or_default();
        set.extend(fields.iter().cloned());
        if set.len() > PENDING_FIELDS {
            *set = BTreeSet::from([WHOLE.to_owned()]);
        }
        *k = (*k).max(keep);
        self.has_pending.store(true, Ordering::Release);
    }

    async fn purge_now(
        &self,
        context: &str,
        fields: &[String],
        keep: Duration,
    ) -> Result<(), Unavailable> {
        let mut script = self.purge.key(self.table(context));
        script.arg(keep.as_secs().max(1));
        for f in fields {
            script.arg(f);
        }
        self.run::<i64>("purge", &script).await.map(|_| ())
    }

    /// The counters `fields` read now, and the entry stored under `key` at those counters.
    pub(crate) async fn get(
        &self,
        context: &str,
        key: &str,
        fields: &[String],
    ) -> Result<(String, Option<Stored>), Unavailable> {
        self.flush_pending().await?;
        let mut script = self.get.key(self.table(context));
        script.arg(self.entry_base(key));
        for f in fields {
            script.arg(f);
        }
        let mut reply: Vec<Vec<u8>> = self.run("get", &script).await?;
        let value = (reply.len() == 2).then(|| reply.pop()).flatten();
        let gens = reply
            .pop()
            .and_then(|g| String::from_utf8(g).ok())
            .ok_or(Unavailable)?;
        Ok((gens, value.and_then(|v| Stored::from_bytes(&v))))
    }

    /// Stores `stored` unless a purge bumped one of `fields` since `gens` was read.
    pub(crate) async fn put(
        &self,
        context: &str,
        key: &str,
        fields: &[String],
        gens: &str,
        stored: &Stored,
        ttl: Duration,
    ) -> Result<bool, Unavailable> {
        let mut script = self.put.key(self.table(context));
        script
            .arg(self.entry_base(key))
            .arg(gens)
            .arg(ttl.as_secs().max(1))
            .arg(stored.to_bytes());
        for f in fields {
            script.arg(f);
        }
        self.run::<i64>("put", &script).await.map(|n| n == 1)
    }

    /// Bumps `fields` of `context`; a failure is kept and replayed (see the module docs).
    pub(crate) async fn purge(
        &self,
        context: &str,
        fields: &[String],
        keep: Duration,
    ) -> Result<(), Unavailable> {
        let result = self.purge_now(context, fields, keep).await;
        if result.is_err() {
            self.remember(context, fields, keep);
        }
        result
    }
}
