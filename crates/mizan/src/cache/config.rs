//! `Cache`: how the origin cache is configured on the [`Builder`](crate::Builder).

use std::time::Duration;

/// The shortest cache secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// Why the origin cache configuration was refused at [`Builder::build`](crate::Builder::build).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheConfigError {
    /// A shared backend (Redis) needs a secret every process shares.
    #[error(
        "the Redis origin cache needs a secret shared by every process: Cache::redis(url).secret(...) with at least {MIN_SECRET_LEN} random bytes (keep it apart from the session, JWT and MWT secrets)"
    )]
    MissingSecret,
    /// The secret is shorter than [`MIN_SECRET_LEN`].
    #[error("the origin cache secret is {0} bytes; it needs at least {MIN_SECRET_LEN}")]
    ShortSecret(usize),
    /// The memory bound is zero.
    #[error("Cache::memory(0): the memory bound must be more than zero bytes")]
    ZeroMemory,
    /// The Redis URL does not parse.
    #[error("the origin cache's Redis URL is not valid: {0}")]
    RedisUrl(String),
    /// An option of the Redis backend was set on the memory backend.
    #[error(
        "Cache::{0} applies to the Redis backend (Cache::redis); the memory backend has no shared namespace and no round trips"
    )]
    RedisOnly(&'static str),
}

/// Where cached context responses live.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    /// In this process, bounded by bytes.
    Memory { max_bytes: u64 },
    /// In Redis, shared by every process.
    #[cfg(feature = "redis")]
    Redis { url: String },
}

/// The origin cache: context responses of functions with `cache = seconds`, stored at the
/// origin and served without running the functions until they expire or are invalidated.
///
/// ```
/// use mizan::cache::Cache;
/// // In memory, at most 64 MiB; without `.secret`, a random key per process.
/// let cache = Cache::memory(64 << 20);
/// # let _ = mizan::Mizan::builder().cache(cache);
/// ```
///
/// See the caching guide (`docs/caching.md`) and `spec/CACHE_KEYING.md`.
#[derive(Clone)]
pub struct Cache {
    pub(crate) backend: Backend,
    pub(crate) secret: Option<Vec<u8>>,
    prefix: Option<String>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("backend", &self.backend)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Cache {
    /// An in-process cache holding at most `max_bytes` of keys and bodies (least recently
    /// and least frequently used entries go first).
    ///
    /// Without [`secret`](Self::secret), a random secret is drawn for the process: its keys
    /// live only in this process's memory, so no other process needs to compute them.
    pub fn memory(max_bytes: u64) -> Self {
        Self {
            backend: Backend::Memory { max_bytes },
            secret: None,
            prefix: None,
            timeout: None,
        }
    }

    /// A cache in the Redis at `url` (`redis://host:port/db`), shared by every process of
    /// the app (feature `redis`). It needs a [`secret`](Self::secret) every process shares.
    ///
    /// If Redis is down or slower than the [`timeout`](Self::timeout), requests are served
    /// uncached (never failed), a warning is logged once per outage, and caching resumes
    /// when Redis answers again.
    #[cfg(feature = "redis")]
    pub fn redis(url: impl Into<String>) -> Self {
        Self {
            backend: Backend::Redis { url: url.into() },
            secret: None,
            prefix: None,
            timeout: None,
        }
    }

    /// The secret cache keys are computed under (HMAC-SHA256), at least 32 bytes; keep it
    /// apart from the session, JWT and MWT secrets.
    #[must_use]
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secret = Some(secret.as_ref().to_vec());
        self
    }

    /// The key prefix in Redis (default `mizan:cache:`). Redis only: on the memory
    /// backend, `build()` fails.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// How long one Redis round trip may take before the request is served uncached
    /// (default 250 ms). Redis only: on the memory backend, `build()` fails.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The Redis key prefix and round-trip timeout; an error on the memory backend when
    /// either was set.
    pub(crate) fn redis_options(&self) -> Result<(String, Duration), CacheConfigError> {
        if matches!(self.backend, Backend::Memory { .. }) {
            if self.prefix.is_some() {
                return Err(CacheConfigError::RedisOnly("prefix"));
            }
            if self.timeout.is_some() {
                return Err(CacheConfigError::RedisOnly("timeout"));
            }
        }
        Ok((
            self.prefix
                .clone()
                .unwrap_or_else(|| DEFAULT_PREFIX.to_owned()),
            self.timeout.unwrap_or(DEFAULT_TIMEOUT),
        ))
    }

    /// The secret to use: the configured one, checked, or a random one for memory.
    pub(crate) fn checked_secret(&self) -> Result<Vec<u8>, CacheConfigError> {
        match (&self.secret, &self.backend) {
            (Some(s), _) if s.len() < MIN_SECRET_LEN => Err(CacheConfigError::ShortSecret(s.len())),
            (Some(s), _) => Ok(s.clone()),
            (None, Backend::Memory { .. }) => {
                let mut s = vec![0; MIN_SECRET_LEN];
                getrandom::fill(&mut s).map_err(|_| CacheConfigError::MissingSecret)?;
                Ok(s)
            }
            #[cfg(feature = "redis")]
            (None, Backend::Redis { .. }) => Err(CacheConfigError::MissingSecret),
        }
    }
}

/// The default Redis round-trip timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);
/// The default Redis key prefix.
const DEFAULT_PREFIX: &str = "mizan:cache:";
