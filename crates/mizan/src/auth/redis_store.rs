//! Sessions in Redis (feature `redis`): every process of the app sees every session, and a
//! session outlives a restart.
//!
//! `tower-sessions-redis-store` targets an older `tower-sessions-core` and another Redis
//! client, so this small store is Mizan's own, on the `redis` crate that the origin cache
//! shares: one JSON value per session under `{prefix}{id}`, expiring with the session
//! (`EXAT`), written with `SET NX` on creation so two new sessions never share an id, and
//! every command bounded by a timeout. A Redis that is down or slow is a `503` for the
//! requests that need a session, never a hang and never another user's session.

use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

/// A `tower-sessions` store in Redis. Give it to
/// [`Sessions::store`](super::Sessions::store).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use mizan::auth::{RedisStore, Sessions};
/// let store = RedisStore::connect("redis://127.0.0.1:6379/").await?;
/// let sessions = Sessions::store(store);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://host:port/db`); the connection is
    /// re-established by itself after a failure.
    pub async fn connect(url: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            connection,
            prefix: "mizan:session:".into(),
            timeout: Duration::from_secs(2),
        })
    }

    /// The key prefix (default `mizan:session:`).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The longest a command may take before the request gets a 503 (default 2 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn key(&self, id: &Id) -> String {
        format!("{}{id}", self.prefix)
    }

    async fn run<T>(&self, command: impl Future<Output = redis::RedisResult<T>>) -> Result<T> {
        match tokio::time::timeout(self.timeout, command).await {
            Ok(result) => result.map_err(|e| Error::Backend(e.to_string())),
            Err(_) => Err(Error::Backend("Redis did not answer in time".into())),
        }
    }

    /// Writes a record; `only_new` refuses to overwrite (a new id that already exists).
    async fn write(&self, record: &Record, only_new: bool) -> Result<bool> {
        let value = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        let expires = u64::try_from(record.expiry_date.unix_timestamp()).unwrap_or(0);
        let mut options =
            redis::SetOptions::default().with_expiration(redis::SetExpiry::EXAT(expires));
        if only_new {
            options = options.conditional_set(redis::ExistenceCheck::NX);
        }
        let mut connection = self.connection.clone();
        let key = self.key(&record.id);
        let written: Option<String> = self
            .run(connection.set_options(key, value, options))
            .await?;
        Ok(written.is_some())
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A 128-bit random id collides about never; when it does, draw again.
        while !self.write(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.write(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let mut connection = self.connection.clone();
        let value: Option<String> = self.run(connection.get(self.key(id))).await?;
        value
            .map(|v| serde_json::from_str(&v).map_err(|e| Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let mut connection = self.connection.clone();
        self.run(connection.del::<_, ()>(self.key(id))).await
    }
}
