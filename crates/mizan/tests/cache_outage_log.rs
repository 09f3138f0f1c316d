//! A Redis outage of the origin cache is logged once, its end once, and a new outage
//! again (feature `redis`). A test binary of its own: it installs a tracing subscriber,
//! which tests running in parallel on other threads would disturb.

#![cfg(feature = "redis")]

use mizan_test_redis as redis_server;
#[path = "support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mizan::cache::Cache;
use mizan::{Mizan, Result};
use redis_server::{Redis, prefix};

mizan::context!(LIST = "list");

#[mizan::client(context = LIST, cache = 30)]
async fn items() -> Result<u32> {
    Ok(1)
}

/// What the subscriber logged.
#[derive(Clone, Default)]
struct Logged(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logged {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logged {
    fn count(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().expect("log lock"))
            .matches(needle)
            .count()
    }
}

#[tokio::test]
async fn an_outage_is_logged_once_and_its_end_once() {
    let logged = Logged::default();
    let writer = logged.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_env_filter("mizan::cache=info")
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let mut redis = Redis::own();
    let router = Mizan::builder()
        .functions(mizan::functions![items])
        .cache(
            Cache::redis(redis.url.as_str())
                .secret(b"the outage test's secret, 32 bytes or more")
                .prefix(prefix("log"))
                .timeout(Duration::from_millis(200)),
        )
        .build()
        .expect("valid")
        .router();
    let get = || async { support::get(&router, "/api/mizan/ctx/list/").await.status };
    assert_eq!(get().await, 200);
    redis.stop();
    // Several probes fail over 2.5 s (one per second of backoff): one warning.
    for _ in 0..10 {
        assert_eq!(get().await, 200, "served uncached");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(logged.count("is unavailable"), 1, "one warning per outage");
    redis.restart();
    let back = async {
        while logged.count("caching resumed") == 0 {
            assert_eq!(get().await, 200);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), back)
        .await
        .expect("the cache notices Redis is back");
    for _ in 0..3 {
        get().await;
    }
    assert_eq!(
        logged.count("caching resumed"),
        1,
        "one line when it is back"
    );
    redis.stop();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    get().await;
    assert_eq!(
        logged.count("is unavailable"),
        2,
        "a new outage warns again"
    );
}
