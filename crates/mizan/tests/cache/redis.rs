//! The same behaviour on a real Redis (feature `redis`), shared by two app processes, and
//! a Redis killed and restarted under load: no errors to clients, caching resumes.

use std::time::Duration;

use http::StatusCode;
use mizan::cache::Cache;

use mizan_test_redis::{Redis, prefix};

use crate::behaviour;
use crate::{App, Runs, SECRET};

fn cache(redis: &Redis, test: &str) -> Cache {
    Cache::redis(redis.url.as_str())
        .secret(SECRET)
        .prefix(prefix(test))
        .timeout(Duration::from_millis(500))
}

#[tokio::test]
async fn redis_purges() {
    let redis = Redis::start();
    behaviour::purges(&App::new(cache(&redis, "purges"))).await;
}

#[tokio::test]
async fn redis_private_isolation() {
    let redis = Redis::start();
    behaviour::private_isolation(&App::new(cache(&redis, "private"))).await;
}

#[tokio::test]
async fn redis_guards_first() {
    let redis = Redis::start();
    behaviour::guards_first(&App::new(cache(&redis, "guards"))).await;
}

#[tokio::test]
async fn redis_single_flight_and_stale_write() {
    let redis = Redis::start();
    behaviour::single_flight_and_stale_write(&App::new(cache(&redis, "flight"))).await;
}

#[tokio::test]
async fn redis_never_stored() {
    let redis = Redis::start();
    behaviour::never_stored(&App::new(cache(&redis, "never"))).await;
}

#[tokio::test]
async fn redis_etags() {
    let redis = Redis::start();
    behaviour::etags(&App::new(cache(&redis, "etags"))).await;
}

#[tokio::test]
async fn two_processes_share_entries_and_purges() {
    let redis = Redis::start();
    let config = cache(&redis, "share");
    let one = App::new(config.clone());
    let two = App::new(config);
    let first = one.run("list/?project=1", "", "items").await;
    assert_eq!(
        two.run("list/?project=1", "", "items").await,
        first,
        "two hits what one stored"
    );
    assert_eq!(two.stats("list").hits, 1);
    // A purge in one process reaches the other.
    one.call("add_item", serde_json::json!({ "project": 1 }))
        .await;
    assert_eq!(
        two.run("list/?project=1", "", "items").await,
        1,
        "two runs its own"
    );
    // Another secret computes other keys: nothing is shared.
    let other = App::new(
        Cache::redis(redis.url.as_str())
            .secret(b"another secret of thirty-two bytes or more")
            .prefix(prefix("share")),
    );
    assert_eq!(other.run("list/?project=1", "", "items").await, 1);
}

#[test]
fn redis_without_a_secret_is_refused_at_start_up() {
    let err = crate::builder(&Runs::default(), Cache::redis("redis://127.0.0.1:1/"))
        .build()
        .expect_err("no secret");
    assert!(err.to_string().contains("needs a secret"), "{err}");
    let err = crate::builder(&Runs::default(), Cache::redis("not a url").secret(SECRET))
        .build()
        .expect_err("a bad URL");
    assert!(err.to_string().contains("not valid"), "{err}");
}

#[tokio::test]
async fn a_redis_that_is_down_at_start_up_is_served_uncached() {
    // Nothing listens on port 1.
    let app = App::new(
        Cache::redis("redis://127.0.0.1:1/")
            .secret(SECRET)
            .timeout(Duration::from_millis(200)),
    );
    let first = app.run("list/", "", "items").await;
    assert!(app.run("list/", "", "items").await > first);
    app.call("reset_items", serde_json::json!({})).await;
    assert!(app.stats("list").errors >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_under_load() {
    let mut redis = Redis::own();
    let app = App::new(cache(&redis, "outage").timeout(Duration::from_millis(200)));
    let warm = app.run("list/?project=1", "", "items").await;
    assert_eq!(app.run("list/?project=1", "", "items").await, warm);

    let load = |router: axum::Router| async move {
        let mut statuses = Vec::new();
        for i in 0..40 {
            let uri = format!("/api/mizan/ctx/list/?project={}", i % 4);
            statuses.push(crate::support::get(&router, &uri).await.status);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        statuses
    };
    let clients: Vec<_> = (0..4)
        .map(|_| tokio::spawn(load(app.router.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    redis.stop();
    // A purge while Redis is down is kept and replayed when it is back.
    app.call("reset_items", serde_json::json!({})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    redis.restart();
    for client in clients {
        for status in client.await.expect("joined") {
            assert_eq!(status, StatusCode::OK, "no client sees the outage");
        }
    }
    assert!(app.stats("list").errors > 0, "the outage was noticed");

    // Caching resumes: a store, then a hit, once the backoff has passed.
    let resumed = async {
        loop {
            let before = app.stats("list");
            let first = app.run("list/?project=7", "", "items").await;
            let second = app.run("list/?project=7", "", "items").await;
            if second == first && app.stats("list").hits > before.hits {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), resumed)
        .await
        .expect("caching resumes after Redis restarts");
}

#[tokio::test]
async fn a_purge_missed_during_an_outage_is_replayed_before_anything_is_served() {
    let mut redis = Redis::own();
    let app = App::new(cache(&redis, "replay").timeout(Duration::from_millis(200)));
    // Redis keeps its data across this "outage": pause it instead of killing it.
    let warm = app.run("list/?project=1", "", "items").await;
    assert_eq!(app.run("list/?project=1", "", "items").await, warm);
    let mut client = redis::Client::open(redis.url.as_str())
        .expect("a client")
        .get_multiplexed_async_connection()
        .await
        .expect("a connection");
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(1500)
        .arg("ALL")
        .query_async(&mut client)
        .await
        .expect("CLIENT PAUSE");
    app.call("add_item", serde_json::json!({ "project": 1 }))
        .await;
    // Wait for the pause and the backoff to pass; the entry is still in Redis.
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let after = app.run("list/?project=1", "", "items").await;
    assert!(after > warm, "the missed purge was replayed: no stale hit");
    redis.stop();
}
