//! `POST {base}/call/{fn}/` and the invalidations it returns.

use axum::Router;
use http::StatusCode;
use serde_json::json;

use crate::support::{get, post};
use crate::{app, builder};

#[tokio::test]
async fn a_mutation_returns_its_result_and_scoped_invalidations() {
    let r = post(
        &app(),
        "/api/mizan/call/add_todo/",
        json!({"project": 3, "title": "milk"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(
        r.json(),
        json!({
            "result": {"id": 2, "project": 3, "title": "milk"},
            "invalidate": [{"context": "todos", "params": {"project": 3}}],
        })
    );
}

#[tokio::test]
async fn a_function_target_invalidates_its_context() {
    let r = post(&app(), "/api/mizan/call/clear_all/", json!({})).await;
    assert_eq!(r.json()["invalidate"], json!(["todos", "search"]));
}

#[tokio::test]
async fn scoping_by_a_parameter_the_context_lacks_widens_to_the_whole_context() {
    let r = post(&app(), "/api/mizan/call/widen/", json!({"x": 1})).await;
    assert_eq!(r.json()["invalidate"], json!(["todos"]));
}

#[tokio::test]
async fn run_time_invalidations_are_added_and_normalized() {
    let r = post(
        &app(),
        "/api/mizan/call/runtime/",
        json!({"project": 5, "fail": false}),
    )
    .await;
    assert_eq!(
        r.json()["invalidate"],
        json!(["slow", {"context": "todos", "params": {"project": 5}}])
    );
}

#[tokio::test]
async fn a_failed_call_invalidates_nothing() {
    let r = post(
        &app(),
        "/api/mizan/call/runtime/",
        json!({"project": 5, "fail": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json().get("invalidate").is_none());
}

#[tokio::test]
async fn queries_can_be_called_one_by_one() {
    let r = post(&app(), "/api/mizan/call/todo_list/", json!({"project": 9})).await;
    assert_eq!(
        r.json(),
        json!({"result": [{"id": 1, "project": 9, "title": "first"}], "invalidate": []})
    );
}

#[tokio::test]
async fn shared_state_reaches_functions() {
    // `todo_list` counts its runs in the shared `Store`; `runs` reads the count back.
    let app = app();
    let runs = |r: crate::support::Reply| r.json()["runs"].clone();
    assert_eq!(runs(get(&app, "/api/mizan/ctx/runs/").await), json!(0));
    let _ = get(&app, "/api/mizan/ctx/todos/?project=1").await;
    let r = post(&app, "/api/mizan/call/todo_list/", json!({"project": 1})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(runs(get(&app, "/api/mizan/ctx/runs/").await), json!(2));
    // Another app has its own state.
    assert_eq!(
        runs(get(&crate::app(), "/api/mizan/ctx/runs/").await),
        json!(0)
    );
}

#[tokio::test]
async fn the_base_path_is_configurable() {
    let app = builder().base_path("/rpc").build().expect("valid").router();
    assert_eq!(
        get(&app, "/rpc/ctx/search/?q=%22a%22").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, "/api/mizan/ctx/search/?q=%22a%22").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(mizan::Mizan::builder().base_path("rpc/").build().is_err());
}

#[tokio::test]
async fn the_router_composes_with_user_routes_and_layers() {
    let app = Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .merge(app())
        .layer(axum::middleware::map_response(
            |mut r: axum::response::Response| async move {
                r.headers_mut()
                    .insert("x-layer", http::HeaderValue::from_static("1"));
                r
            },
        ));
    let health = get(&app, "/health").await;
    assert_eq!(health.bytes, b"ok");
    let ctx = get(&app, "/api/mizan/ctx/search/?q=%22a%22").await;
    assert_eq!(ctx.header("x-layer"), Some("1"));
}

#[tokio::test]
async fn integral_numbers_written_as_floats_are_integers() {
    // JSON Schema counts 3.0 as an integer; so does Mizan.
    let r = post(
        &app(),
        "/api/mizan/call/add_todo/",
        json!({"project": 3.0, "title": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["result"]["project"], json!(3));
    let r = post(
        &app(),
        "/api/mizan/call/add_todo/",
        json!({"project": 3.5, "title": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn run_time_scopes_follow_the_same_rule_as_affects_params() {
    let r = post(&app(), "/api/mizan/call/runtime_widen/", json!({})).await;
    assert_eq!(r.json()["invalidate"], json!(["todos", "slow"]));
}
