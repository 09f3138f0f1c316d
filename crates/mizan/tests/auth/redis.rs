//! Sessions in a real Redis (feature `redis`): shared by two app processes, deleted at
//! sign-out, expiring, and a Redis outage is a 503 for session requests, never a hang.
//!
//! Uses `REDIS_URL` when set; otherwise starts a `redis-server` of its own on a free port
//! (scripts/test installs Debian's `redis-server` when it is missing).

use std::time::{Duration, Instant};

use http::StatusCode;
use mizan::auth::{Auth, Csrf, RedisStore, Sessions};
use redis::AsyncCommands;
use serde_json::json;

use crate::redis_server::{Redis, prefix};

use crate::{Browser, Table, app_with, who};

async fn app(redis: &Redis, table: &Table, prefix: &str) -> axum::Router {
    let store = RedisStore::connect(&redis.url)
        .await
        .expect("Redis answers")
        .prefix(prefix)
        .timeout(Duration::from_millis(500));
    let auth = Auth::new()
        .sessions(Sessions::store(store).secure(false), table.clone())
        .csrf(Csrf::new().https(false));
    app_with(auth)
}

#[tokio::test]
async fn two_processes_share_sessions_through_redis() {
    let redis = Redis::start();
    let table = Table::with_demo_users();
    let prefix = prefix("share");
    let (one, two) = (
        app(&redis, &table, &prefix).await,
        app(&redis, &table, &prefix).await,
    );
    let mut browser = Browser::new(&one);
    browser.login("alice").await;
    // The same browser, served by the other process.
    browser.app = two.clone();
    assert_eq!(who(&browser.me().await), json!("alice"));
    let stored = browser
        .cookies
        .get("mizan-session")
        .cloned()
        .expect("a session");
    let mut client = redis::Client::open(redis.url.as_str())
        .expect("a client")
        .get_multiplexed_async_connection()
        .await
        .expect("a connection");
    let key = format!("{prefix}{stored}");
    let ttl: i64 = client.ttl(&key).await.expect("TTL");
    assert!(ttl > 0, "the session expires in Redis (TTL {ttl})");
    // Revocation reaches every process.
    table.rotate("alice");
    browser.app = one.clone();
    assert_eq!(who(&browser.me().await), json!(null));
    let exists: bool = client.exists(&key).await.expect("EXISTS");
    assert!(!exists, "a revoked session is deleted");
}

#[tokio::test]
async fn signing_out_deletes_the_session_in_redis() {
    let redis = Redis::start();
    let table = Table::with_demo_users();
    let prefix = prefix("logout");
    let app = app(&redis, &table, &prefix).await;
    let mut browser = Browser::new(&app);
    browser.login("bob").await;
    let id = browser
        .cookies
        .get("mizan-session")
        .cloned()
        .expect("a session");
    let out = browser.call("logout", json!({})).await;
    assert_eq!(out.status, StatusCode::OK);
    let mut client = redis::Client::open(redis.url.as_str())
        .expect("a client")
        .get_multiplexed_async_connection()
        .await
        .expect("a connection");
    let exists: bool = client
        .exists(format!("{prefix}{id}"))
        .await
        .expect("EXISTS");
    assert!(!exists);
}

#[tokio::test]
async fn a_redis_outage_is_a_503_for_session_requests_and_anonymous_ones_still_work() {
    let mut redis = Redis::start();
    if !redis.owned() {
        return; // REDIS_URL names a server this test must not stop.
    }
    let table = Table::with_demo_users();
    let app = app(&redis, &table, &prefix("outage")).await;
    let mut browser = Browser::new(&app);
    browser.login("alice").await;
    redis.stop();
    let started = Instant::now();
    let reply = browser.me().await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        reply.json()
    );
    assert_eq!(reply.code(), "unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A request without a session cookie needs no store.
    let mut anonymous = Browser::new(&app);
    assert_eq!(anonymous.me().await.status, StatusCode::OK);
}
