//! The origin cache: context responses of functions with `cache = seconds`, kept in memory
//! or in Redis, keyed by HMAC-SHA256 under a secret of their own, and purged by the
//! invalidations every call produces in time that does not grow with the number of cached
//! entries. Configure it with [`Builder::cache`](crate::Builder::cache); read its counts
//! with [`Mizan::cache_stats`](crate::Mizan::cache_stats).
//!
//! The guide is `docs/caching.md`; the keying and purge contract is
//! `spec/CACHE_KEYING.md`.

mod config;
mod gens;
mod memory;
mod origin;
mod plan;
#[cfg(feature = "redis")]
mod redis;
mod stats;
mod stored;

pub use config::{Cache, CacheConfigError, MIN_SECRET_LEN};
pub(crate) use origin::{ContextSpec, OriginCache, Served};
pub use stats::CacheStats;
