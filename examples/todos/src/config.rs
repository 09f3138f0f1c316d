//! What several instances of the example share besides the database, read from the
//! environment: Redis (`REDIS_URL`) for sessions, the origin cache and the WebSocket bus,
//! the origin cache's secret (`MIZAN_CACHE_SECRET`), and the MWT keys (`MIZAN_MWT_KEYS`)
//! that let an edge cache (`mizan edge`) key per-user and per-role entries.
//!
//! Without any of them the example is one process: sessions, cache and bus in memory, no
//! MWT. `scripts/scale` sets them all and runs two instances behind `mizan edge`
//! (`docs/scaling.md`).

use mizan::auth::{MwtKeys, RedisStore};
use mizan::protocol::mwt::MwtKeyError;
use mizan::ws::RedisBus;

/// The shortest `MIZAN_CACHE_SECRET`, in bytes (64 hex digits).
pub const MIN_CACHE_SECRET_LEN: usize = mizan::cache::MIN_SECRET_LEN;

/// Why a variable of the environment was refused. The message names the variable, never
/// its secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `REDIS_URL` is set but `MIZAN_CACHE_SECRET` is not.
    #[error(
        "REDIS_URL is set, so the origin cache is shared in Redis and needs MIZAN_CACHE_SECRET: \
         the same {MIN_CACHE_SECRET_LEN} or more random bytes, in hex, for every instance \
         (for example `openssl rand -hex 32`)"
    )]
    MissingCacheSecret,
    /// `MIZAN_CACHE_SECRET` is not hex, or too short.
    #[error("MIZAN_CACHE_SECRET must be at least {MIN_CACHE_SECRET_LEN} bytes in hex ({0})")]
    BadCacheSecret(&'static str),
    /// An entry of `MIZAN_MWT_KEYS` is not `kid=HEX`.
    #[error("MIZAN_MWT_KEYS must be kid=HEX[,kid=HEX…]; entry {0} is not")]
    BadMwtEntry(usize),
    /// `MIZAN_MWT_KEYS` is set but empty.
    #[error("MIZAN_MWT_KEYS is set but names no key")]
    NoMwtKey,
    /// A key id or secret of `MIZAN_MWT_KEYS` was refused.
    #[error("MIZAN_MWT_KEYS: {0}")]
    MwtKey(#[from] MwtKeyError),
    /// Redis did not answer.
    #[error("connecting to REDIS_URL for the {what}: {source}")]
    Redis {
        /// The sessions or the WebSocket bus.
        what: &'static str,
        /// The client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Redis, shared by every instance: the session store, the WebSocket bus, and where the
/// origin cache lives with the secret its keys are computed under.
#[derive(Clone, Debug)]
pub struct Redis {
    /// `REDIS_URL`, for `Cache::redis`.
    pub url: String,
    /// The sessions of every instance (`mizan:session:…`).
    pub sessions: RedisStore,
    /// The WebSocket bus (channel `mizan:bus`, which `mizan edge --redis` reads too).
    pub bus: RedisBus,
    /// `MIZAN_CACHE_SECRET`, decoded.
    pub cache_secret: Vec<u8>,
}

/// What the instances share: Redis when `REDIS_URL` is set, the MWT keys when
/// `MIZAN_MWT_KEYS` is. [`Shared::default`] is neither: one process on its own.
#[derive(Clone, Debug, Default)]
pub struct Shared {
    /// Sessions, cache and bus in Redis; in memory when `None`.
    pub redis: Option<Redis>,
    /// MWTs issued next to the session cookie; none when `None`.
    pub mwt: Option<MwtKeys>,
}

impl Shared {
    /// Reads `REDIS_URL`, `MIZAN_CACHE_SECRET` and `MIZAN_MWT_KEYS`, and connects to Redis
    /// (inside the tokio runtime: the bus runs tasks of its own).
    ///
    /// # Errors
    /// A malformed variable, `REDIS_URL` without `MIZAN_CACHE_SECRET`, or a Redis that
    /// does not answer.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mwt = var("MIZAN_MWT_KEYS")
            .map(|text| parse_mwt_keys(&text))
            .transpose()?;
        let redis = match var("REDIS_URL") {
            None => None,
            Some(url) => {
                let secret = var("MIZAN_CACHE_SECRET").ok_or(ConfigError::MissingCacheSecret)?;
                let cache_secret = parse_cache_secret(&secret)?;
                Some(Redis::connect(url, cache_secret).await?)
            }
        };
        Ok(Self { redis, mwt })
    }
}

impl Redis {
    /// Connects the session store and the bus to the Redis at `url`.
    ///
    /// # Errors
    /// When Redis does not answer.
    pub async fn connect(url: String, cache_secret: Vec<u8>) -> Result<Self, ConfigError> {
        let sessions = RedisStore::connect(&url)
            .await
            .map_err(|e| ConfigError::Redis {
                what: "sessions",
                source: Box::new(e),
            })?;
        let bus = RedisBus::connect(&url)
            .await
            .map_err(|e| ConfigError::Redis {
                what: "WebSocket bus",
                source: Box::new(e),
            })?;
        Ok(Self {
            url,
            sessions,
            bus,
            cache_secret,
        })
    }
}

/// `MIZAN_CACHE_SECRET`: hex, at least [`MIN_CACHE_SECRET_LEN`] bytes.
///
/// # Errors
/// [`ConfigError::BadCacheSecret`].
pub fn parse_cache_secret(text: &str) -> Result<Vec<u8>, ConfigError> {
    let bytes = hex::decode(text.trim()).map_err(|_| ConfigError::BadCacheSecret("not hex"))?;
    if bytes.len() < MIN_CACHE_SECRET_LEN {
        return Err(ConfigError::BadCacheSecret("too short"));
    }
    Ok(bytes)
}

/// `MIZAN_MWT_KEYS`: `kid=HEX` entries separated by commas; the first one signs, the
/// others only verify (a rotation). Secrets are at least 32 bytes (64 hex digits).
///
/// # Errors
/// [`ConfigError::BadMwtEntry`] for an entry that is not `kid=HEX` (its 1-based position,
/// never its text), [`ConfigError::NoMwtKey`] for no entry, [`ConfigError::MwtKey`] for a
/// bad key id, a short secret or a key id given twice.
pub fn parse_mwt_keys(text: &str) -> Result<MwtKeys, ConfigError> {
    let mut keys: Option<MwtKeys> = None;
    for (i, entry) in text
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .enumerate()
    {
        let (kid, secret) = entry
            .split_once('=')
            .ok_or(ConfigError::BadMwtEntry(i + 1))?;
        let secret = hex::decode(secret.trim()).map_err(|_| ConfigError::BadMwtEntry(i + 1))?;
        let kid = kid.trim();
        keys = Some(match keys {
            None => MwtKeys::new(kid, secret)?,
            Some(keys) => keys.with_key(kid, secret)?,
        });
    }
    keys.ok_or(ConfigError::NoMwtKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0101010101010101010101010101010101010101010101010101010101010101";
    const B: &str = "0202020202020202020202020202020202020202020202020202020202020202";

    #[test]
    fn the_first_mwt_key_signs_and_the_others_verify() {
        let keys = parse_mwt_keys(&format!("k2={A}, k1={B}")).expect("valid");
        assert_eq!(keys.signing_kid(), "k2");
        let mut kids: Vec<&str> = keys.kids().collect();
        kids.sort_unstable();
        assert_eq!(kids, ["k1", "k2"]);
    }

    #[test]
    fn bad_mwt_keys_are_refused_without_echoing_secrets() {
        for (text, expected) in [
            ("", "names no key"),
            ("k1", "entry 1 is not"),
            (&format!("k1={A},k2=zz"), "entry 2 is not"),
            ("k1=0102", "MIZAN_MWT_KEYS: "),
            (&format!("k1={A},k1={B}"), "MIZAN_MWT_KEYS: "),
            (&format!("bad kid={A}"), "MIZAN_MWT_KEYS: "),
        ] {
            let error = parse_mwt_keys(text).expect_err(text).to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
            assert!(!error.contains(A) && !error.contains(B), "{error}");
        }
    }

    #[test]
    fn the_cache_secret_is_hex_of_32_bytes_or_more() {
        assert_eq!(parse_cache_secret(A).expect("valid").len(), 32);
        assert!(matches!(
            parse_cache_secret("0102"),
            Err(ConfigError::BadCacheSecret("too short"))
        ));
        assert!(matches!(
            parse_cache_secret("not hex at all"),
            Err(ConfigError::BadCacheSecret("not hex"))
        ));
    }
}
