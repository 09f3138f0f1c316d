//! The example on PostgreSQL, and two instances of it sharing PostgreSQL and Redis: the
//! same queries, ids and answers as on SQLite; seeding once however many instances start
//! at once; a session, a cached context and an MWT that every instance shares.
//!
//! PostgreSQL is found or started by `support::postgres` (`TEST_DATABASE_URL`, the local
//! server on 127.0.0.1:5432, or a throwaway cluster); Redis by `mizan_test_redis`
//! (`REDIS_URL`, or a `redis-server` of the test's own).

#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use example_todos::config::{Redis, Shared, parse_mwt_keys};
use example_todos::db;
use serde_json::json;
use support::{Browser, postgres, router_on};

/// A database of this test's own, or return (skipped, said why) when there is none and
/// `CI` is unset.
macro_rules! database_or_skip {
    () => {
        match postgres::database().await {
            Some(db) => db,
            None => return,
        }
    };
}

#[tokio::test]
async fn the_api_answers_on_postgresql_as_on_sqlite() {
    let test = database_or_skip!();
    let router = router_on(test.db.clone(), Shared::default()).await;
    let mut anonymous = Browser::new(&router);
    let reply = anonymous.get("/api/mizan/ctx/todos/?project=1").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({
            "project_info": {"id": 1, "name": "Getting started"},
            "todo_list": [
                {"id": 1, "project": 1, "title": "Read the README", "done": false},
                {"id": 2, "project": 1, "title": "Toggle this todo", "done": false},
            ],
        })
    );

    // Names are case-insensitive, as SQLite's COLLATE NOCASE makes them there.
    let mut bob = Browser::new(&router);
    let login = bob
        .call("login", json!({"username": "BoB", "password": "bob-demo"}))
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text());
    assert_eq!(bob.me().await, json!({"username": "bob", "staff": false}));

    let added = bob
        .call("add_todo", json!({"project": 1, "title": "On PostgreSQL"}))
        .await;
    assert_eq!(
        added.json()["result"],
        json!({"id": 3, "project": 1, "title": "On PostgreSQL", "done": false})
    );
    let toggled = bob.call("toggle_todo", json!({"id": 3})).await;
    assert_eq!(toggled.json()["result"]["done"], true);
    let projects = anonymous.get("/api/mizan/ctx/projects/").await.json();
    assert_eq!(projects["project_list"][0]["todo_count"], 3);
    let deleted = bob.call("delete_todo", json!({"id": 3})).await;
    assert_eq!(deleted.json()["result"]["title"], "On PostgreSQL");
    let unknown = bob.call("toggle_todo", json!({"id": 3})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let missing = bob
        .call("add_todo", json!({"project": 99, "title": "Nowhere"}))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Sign out everywhere bumps the generation: the session ends.
    let everywhere = bob.call("logout_everywhere", json!({})).await;
    assert_eq!(everywhere.status, StatusCode::OK, "{}", everywhere.text());
    let mut stale = Browser::new(&router);
    stale.cookies = bob.cookies.clone();
    assert_eq!(stale.me().await, json!(null));

    test.drop_database().await;
}

#[tokio::test]
async fn instances_starting_at_once_seed_once() {
    let test = database_or_skip!();
    let other = db::connect_lazy(&test.url).unwrap();
    let (a, b) = tokio::join!(db::prepare(&test.db), db::prepare(&other));
    a.unwrap();
    b.unwrap();
    db::prepare(&test.db).await.unwrap();
    let projects = db::project_summaries(&test.db).await.unwrap();
    assert_eq!(projects.len(), 1, "{projects:?}");
    assert_eq!(projects[0].todo_count, 2);
    for (name, _, staff) in db::DEMO_USERS {
        let user = db::user_by_name(&other, name).await.unwrap().unwrap();
        assert_eq!(user.staff, staff);
    }
    other.close().await;
    test.drop_database().await;
}

#[tokio::test]
async fn two_instances_share_the_session_the_cache_and_the_mwt() {
    let test = database_or_skip!();
    let redis = mizan_test_redis::Redis::start();
    // A cache secret of this test's own: tests sharing one Redis never share entries.
    let secret: Vec<u8> = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_le_bytes()
        .repeat(2);
    let keys = parse_mwt_keys(&format!("k1={}", "ab".repeat(32))).unwrap();
    let instance = || async {
        let shared = Shared {
            redis: Some(
                Redis::connect(redis.url.clone(), secret.clone())
                    .await
                    .unwrap(),
            ),
            mwt: Some(keys.clone()),
        };
        router_on(test.db.clone(), shared).await
    };
    let a = instance().await;
    let b = instance().await;

    let mut bob_on_a = Browser::new(&a);
    let login = bob_on_a.login("bob").await;
    assert!(
        login
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("mizan-mwt=mwt1.k1.")),
        "an MWT is issued at sign-in: {:?}",
        login.headers
    );
    // The session lives in Redis: instance B knows bob.
    let mut bob_on_b = bob_on_a.on(&b);
    assert_eq!(
        bob_on_b.me().await,
        json!({"username": "bob", "staff": false})
    );

    // B caches the todos; a change made on A purges B's entry (the cache is in Redis).
    let first = bob_on_b.get("/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(first["todo_list"].as_array().unwrap().len(), 2);
    let added = bob_on_a
        .call("add_todo", json!({"project": 1, "title": "Made on A"}))
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    let after = bob_on_b.get("/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(after["todo_list"][2]["title"], "Made on A", "{after}");

    // Signing out on B ends the session on A too.
    let logout = bob_on_b.call("logout", json!({})).await;
    assert_eq!(logout.status, StatusCode::OK, "{}", logout.text());
    let mut again_on_a = Browser::new(&a);
    again_on_a.cookies = bob_on_a.cookies.clone();
    assert_eq!(again_on_a.me().await, json!(null));

    drop((a, b));
    test.drop_database().await;
}
