//! The behaviour every backend must show, as scenarios run on the memory backend here and
//! on Redis in `redis.rs`.

use std::sync::Arc;

use axum::body::Body;
use http::{Request, StatusCode};
use mizan::cache::Cache;
use serde_json::json;

use crate::{App, Runs, SECRET};

pub(crate) fn memory() -> Cache {
    Cache::memory(8 << 20)
}

/// A hit is served without running the function; `add_item(1)` purges project 1 and the
/// unfiltered list and spares project 2; `reset_items` purges all; so do the view path's
/// `X-Mizan-Invalidate` and a run-time `cx.invalidate`.
pub(crate) async fn purges(app: &App) {
    let one = app.run("list/?project=1", "", "items").await;
    let two = app.run("list/?project=2", "", "items").await;
    let all = app.run("list/", "", "items").await;
    assert_eq!(app.run("list/?project=1", "", "items").await, one, "a hit");
    assert_eq!(app.run("list/?project=2", "", "items").await, two, "a hit");
    assert_eq!(app.run("list/", "", "items").await, all, "a hit");

    // Scoped: project 1 and the unfiltered list, not project 2.
    let reply = app.call("add_item", json!({ "project": 1 })).await;
    assert_eq!(
        reply.json()["invalidate"],
        json!([{ "context": "list", "params": { "project": 1 } }])
    );
    let one2 = app.run("list/?project=1", "", "items").await;
    let all2 = app.run("list/", "", "items").await;
    assert!(one2 > one, "project 1 was purged");
    assert!(
        all2 > all,
        "the unfiltered list holds project 1's items: purged"
    );
    assert_eq!(
        app.run("list/?project=2", "", "items").await,
        two,
        "project 2 spared"
    );

    // Unscoped: everything.
    app.call("reset_items", json!({})).await;
    let two3 = app.run("list/?project=2", "", "items").await;
    assert!(two3 > two, "an unscoped purge reaches every instance");
    let one3 = app.run("list/?project=1", "", "items").await;
    assert!(one3 > one2);

    // The view path's header purges too.
    let reply = crate::support::send(
        &app.router,
        Request::post("/items/clear")
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.header("x-mizan-invalidate"), Some("list"));
    let one4 = app.run("list/?project=1", "", "items").await;
    assert!(one4 > one3, "X-Mizan-Invalidate purged");

    // A run-time `cx.invalidate` scoped to project 1.
    let two4 = app.run("list/?project=2", "", "items").await;
    app.call("move_item", json!({ "project": 1 })).await;
    assert!(
        app.run("list/?project=1", "", "items").await > one4,
        "cx.invalidate purged"
    );
    assert_eq!(
        app.run("list/?project=2", "", "items").await,
        two4,
        "project 2 spared"
    );

    let stats = app.stats("list");
    assert_eq!(
        (stats.hits, stats.misses, stats.purges),
        (5, 10, 4),
        "{stats:?}"
    );
}

/// Private entries are per identity: two users never see each other's, even on
/// concurrent cold misses; the anonymous caller has an entry of its own.
pub(crate) async fn private_isolation(app: &App) {
    let (ann, bob) = tokio::join!(app.get("mine/", "ann"), app.get("mine/", "bob"));
    assert_eq!(ann.json()["mine"]["who"], "ann");
    assert_eq!(bob.json()["mine"]["who"], "bob");
    assert_eq!(ann.header("cache-control"), Some("private, max-age=30"));
    let ann_run = ann.json()["mine"]["run"].clone();
    for _ in 0..3 {
        let (ann2, bob2, anon) = tokio::join!(
            app.get("mine/", "ann"),
            app.get("mine/", "bob"),
            app.get("mine/", "")
        );
        assert_eq!(ann2.json()["mine"]["who"], "ann");
        assert_eq!(
            ann2.json()["mine"]["run"],
            ann_run,
            "ann's entry is served to ann"
        );
        assert_eq!(
            ann2.header("cache-control"),
            Some("private, max-age=30"),
            "a hit stays private"
        );
        assert_eq!(
            ann2.header("x-mizan-scope"),
            Some("user"),
            "an edge files a caller's entry under that caller only"
        );
        assert_eq!(bob2.json()["mine"]["who"], "bob");
        assert_eq!(anon.json()["mine"]["who"], json!(null));
    }
}

/// Guards run before the cache: a staff entry is never served to a non-staff caller.
pub(crate) async fn guards_first(app: &App) {
    let warm = app.run("staff/", "staff", "staff_report").await;
    assert_eq!(
        app.run("staff/", "staff", "staff_report").await,
        warm,
        "a hit for staff"
    );
    // The entry records that no function read the caller: the hit, like the fresh
    // response, lets an edge share it per role set (no X-Mizan-Scope), in memory and in
    // Redis alike. (`ann`'s entry of `mine`, which reads the identity, says `user`.)
    let hit = app.get("staff/", "staff").await;
    assert_eq!(hit.status, StatusCode::OK);
    assert_eq!(hit.header("x-mizan-scope"), None);
    let public = app.get("list/", "").await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(app.get("list/", "").await.header("x-mizan-scope"), None);
    let user = app.get("staff/", "ann").await;
    assert_eq!(user.status, StatusCode::FORBIDDEN);
    assert_eq!(user.code(), "forbidden");
    let anonymous = app.get("staff/", "").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.json().get("staff_report").is_none());
}

/// Concurrent misses of one key run the function once; a fetch that began before a purge
/// does not leave its result behind.
pub(crate) async fn single_flight_and_stale_write(app: &App) {
    let gate = Arc::clone(&app.runs.gate);
    let router = app.router.clone();
    let fetch = |router: axum::Router| async move {
        crate::support::get(&router, "/api/mizan/ctx/slow/?project=1").await
    };
    let first = tokio::spawn(fetch(router.clone()));
    gate.started.notified().await;
    let others: Vec<_> = (0..8)
        .map(|_| tokio::spawn(fetch(router.clone())))
        .collect();
    settle().await;
    gate.release.notify_waiters();
    let first = first.await.expect("joined");
    assert_eq!(first.json()["slow"]["run"], 1);
    for other in others {
        let other = other.await.expect("joined");
        assert_eq!(other.status, StatusCode::OK);
        assert_eq!(
            other.json()["slow"]["run"],
            1,
            "one run for concurrent misses"
        );
    }
    let stats = app.stats("slow");
    assert_eq!(stats.misses, 1, "{stats:?}");
    assert_eq!(stats.hits, 8, "{stats:?}");

    // The race: a fetch starts, a purge lands, the fetch finishes afterwards.
    app.call("touch_slow", json!({})).await;
    let racing = tokio::spawn(fetch(router.clone()));
    gate.started.notified().await;
    app.call("touch_slow", json!({})).await;
    gate.release.notify_waiters();
    let racing = racing.await.expect("joined");
    assert_eq!(
        racing.json()["slow"]["run"],
        2,
        "the racing fetch answers its caller"
    );
    let after = tokio::spawn(fetch(router.clone()));
    gate.started.notified().await;
    gate.release.notify_waiters();
    let after = after.await.expect("joined");
    assert_eq!(
        after.json()["slow"]["run"],
        3,
        "the result fetched before the purge was not stored after it"
    );
    let hit = fetch(router.clone()).await;
    assert_eq!(hit.json()["slow"]["run"], 3, "the fresh result is stored");
}

/// What is never stored: a public function that read the caller (also on concurrent cold
/// misses by two users), a private one that read the request, one that invalidates.
pub(crate) async fn never_stored(app: &App) {
    let gate = Arc::clone(&app.runs.gate);
    let (r1, r2) = (app.router.clone(), app.router.clone());
    let ann = tokio::spawn(async move { get_as(&r1, "sneaky/", "ann").await });
    gate.started.notified().await;
    let bob = tokio::spawn(async move { get_as(&r2, "sneaky/", "bob").await });
    settle().await;
    gate.release.notify_waiters();
    let ann = ann.await.expect("joined");
    // Bob waited for Ann's flight, got nothing shareable, and runs his own.
    gate.started.notified().await;
    gate.release.notify_waiters();
    let bob = bob.await.expect("joined");
    assert_eq!(ann.json()["sneaky"]["who"], "ann");
    assert_eq!(
        bob.json()["sneaky"]["who"],
        "bob",
        "never another user's answer"
    );
    assert_eq!(ann.header("cache-control"), Some("private, max-age=30"));
    assert_eq!(app.stats("sneaky").stores, 0);

    let fr = app
        .get_with("headers/", "ann", &[("accept-language", "fr")])
        .await;
    let de = app
        .get_with("headers/", "ann", &[("accept-language", "de")])
        .await;
    assert_eq!(fr.json()["language"]["lang"], "fr");
    assert_eq!(
        de.json()["language"]["lang"],
        "de",
        "a header read is never cached"
    );
    assert_eq!(app.stats("headers").stores, 0);

    let live = app.get("live/", "").await;
    assert_eq!(live.header("cache-control"), Some("no-store"));
    assert_eq!(live.header("x-mizan-invalidate"), Some("list"));
    let again = app.get("live/", "").await;
    assert!(again.json()["live"]["run"].as_u64() > live.json()["live"]["run"].as_u64());
}

/// Lets spawned requests run up to where they wait (a Redis round trip included): a
/// pause, not an assertion on time.
async fn settle() {
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

async fn get_as(router: &axum::Router, path: &str, token: &str) -> crate::support::Reply {
    crate::support::send(
        router,
        Request::get(format!("/api/mizan/ctx/{path}"))
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

/// A hit keeps the ETag and answers `If-None-Match` with 304.
pub(crate) async fn etags(app: &App) {
    let first = app.get("list/?project=9", "").await;
    let tag = first.header("etag").expect("an ETag").to_owned();
    assert_eq!(
        first.header("cache-control"),
        Some("public, max-age=30, s-maxage=30")
    );
    let hit = app.get("list/?project=9", "").await;
    assert_eq!(hit.header("etag"), Some(tag.as_str()));
    assert_eq!(hit.bytes, first.bytes);
    assert_eq!(
        hit.header("cache-control"),
        Some("public, max-age=30, s-maxage=30")
    );
    let not_modified = app
        .get_with("list/?project=9", "", &[("if-none-match", &tag)])
        .await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
    assert!(not_modified.bytes.is_empty());
    assert_eq!(not_modified.header("etag"), Some(tag.as_str()));
}

#[tokio::test]
async fn memory_purges() {
    purges(&App::new(memory())).await;
}

#[tokio::test]
async fn memory_private_isolation() {
    private_isolation(&App::new(memory())).await;
}

#[tokio::test]
async fn memory_guards_first() {
    guards_first(&App::new(memory())).await;
}

#[tokio::test]
async fn memory_single_flight_and_stale_write() {
    single_flight_and_stale_write(&App::new(memory())).await;
}

#[tokio::test]
async fn memory_never_stored() {
    never_stored(&App::new(memory())).await;
}

#[tokio::test]
async fn memory_etags() {
    etags(&App::new(memory())).await;
}

#[tokio::test]
async fn two_processes_with_memory_caches_do_not_share() {
    let runs = Runs::default();
    let one = App::with_runs(memory().secret(SECRET), runs.clone());
    let two = App::with_runs(memory().secret(SECRET), runs);
    let first = one.run("list/", "", "items").await;
    assert!(two.run("list/", "", "items").await > first);
}

#[test]
fn a_short_secret_is_refused_at_start_up() {
    let err = crate::builder(&Runs::default(), memory().secret(b"short"))
        .build()
        .expect_err("a 5-byte secret");
    assert!(err.to_string().contains("at least 32"), "{err}");
    let err = crate::builder(&Runs::default(), Cache::memory(0))
        .build()
        .expect_err("zero bytes");
    assert!(err.to_string().contains("more than zero"), "{err}");
    let err = crate::builder(&Runs::default(), memory().prefix("app:"))
        .build()
        .expect_err("a Redis option on memory");
    assert!(
        err.to_string()
            .contains("Cache::prefix applies to the Redis backend"),
        "{err}"
    );
}

#[tokio::test]
async fn stats_and_uncached_contexts() {
    let app = App::new(memory());
    app.run("list/", "", "items").await;
    app.run("list/", "", "items").await;
    let stats = app.mizan.cache_stats();
    let list = stats["list"];
    assert_eq!((list.hits, list.misses, list.stores), (1, 1, 1));
    let plain = Mizan::builder()
        .functions(mizan::functions![crate::items])
        .state(Runs::default())
        .build()
        .expect("valid");
    assert!(plain.cache_stats().is_empty(), "no cache, no stats");
}

use mizan::Mizan;
