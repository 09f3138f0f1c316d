//! `GET {base}/ctx/{name}/`.

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::json;

use crate::app;
use crate::support::{get, send};

#[tokio::test]
async fn a_context_bundles_its_functions_in_one_response() {
    let r = get(&app(), "/api/mizan/ctx/todos/?project=3").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.json(),
        json!({
            "project_info": {"id": 3, "verbose": false},
            "todo_list": [{"id": 1, "project": 3, "title": "first"}],
        })
    );
    // Keys are sorted, so equal data gives byte-equal bodies (and ETags).
    assert!(String::from_utf8_lossy(&r.bytes).starts_with("{\"project_info\""));
}

#[tokio::test]
async fn each_function_receives_only_the_parameters_it_declares() {
    let r = get(&app(), "/api/mizan/ctx/todos/?project=3&verbose=true").await;
    assert_eq!(r.json()["project_info"], json!({"id": 3, "verbose": true}));
}

#[tokio::test]
async fn functions_of_a_context_run_concurrently() {
    // slow_a and slow_b each wait at a two-party barrier: run one after the other, the
    // first would wait forever (and fail after 10 s).
    let r = get(&app(), "/api/mizan/ctx/slow/").await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert_eq!(r.json(), json!({"slow_a": "met", "slow_b": "met"}));
}

#[tokio::test]
async fn cache_control_is_the_smallest_cache_of_the_context_and_etag_gives_304() {
    let app = app();
    let r = get(&app, "/api/mizan/ctx/todos/?project=3").await;
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=30, s-maxage=30")
    );
    let etag = r.header("etag").expect("etag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34);

    let again = send(
        &app,
        Request::get("/api/mizan/ctx/todos/?project=3")
            .header("if-none-match", format!("\"nope\", {etag}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.bytes.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert_eq!(
        again.header("cache-control"),
        Some("public, max-age=30, s-maxage=30")
    );

    let other = send(
        &app,
        Request::get("/api/mizan/ctx/todos/?project=4")
            .header("if-none-match", etag.as_str())
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "different params, different ETag"
    );
}

#[tokio::test]
async fn head_is_served_without_a_body() {
    let r = send(
        &app(),
        Request::head("/api/mizan/ctx/todos/?project=3")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.bytes.is_empty());
    assert!(r.header("etag").is_some());
}

#[tokio::test]
async fn each_function_decodes_its_own_parameters_from_the_shared_set() {
    // `verbose` is `project_info`'s alone: `todo_list` receives it too and ignores it.
    let r = get(&app(), "/api/mizan/ctx/todos/?project=3&verbose=true").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({
            "project_info": {"id": 3, "verbose": true},
            "todo_list": [{"id": 1, "project": 3, "title": "first"}],
        })
    );
    let plain = get(&app(), "/api/mizan/ctx/todos/?project=3").await;
    assert_eq!(plain.json()["todo_list"], r.json()["todo_list"]);
    assert_ne!(plain.header("etag"), r.header("etag"));
}

#[tokio::test]
async fn parameter_errors_name_the_parameter() {
    let app = app();
    let bare = get(&app, "/api/mizan/ctx/search/?q=hello").await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    assert!(bare.json()["error"]["fields"]["q"].is_array());

    let unknown = get(&app, "/api/mizan/ctx/todos/?project=1&colour=%22red%22").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.code(), "bad_request");
    let msg = unknown.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(msg.contains("colour") && msg.contains("project"), "{msg}");

    let twice = get(&app, "/api/mizan/ctx/todos/?project=1&project=2").await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);

    let wrong_type = get(&app, "/api/mizan/ctx/todos/?project=%22three%22").await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert!(wrong_type.json()["error"]["fields"]["project"].is_array());

    let missing = get(&app, "/api/mizan/ctx/todos/").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.json()["error"]["fields"]["project"].is_array());
}

#[tokio::test]
async fn a_failing_function_fails_the_context_with_its_error() {
    let r = get(&app(), "/api/mizan/ctx/todos/?project=404").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"error": {"code": "not_found", "message": "no such project"}})
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn a_standalone_query_is_its_own_context() {
    let r = get(&app(), "/api/mizan/ctx/search/?q=%22hi%20there%22").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"search": ["HI THERE"]}));
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=10, s-maxage=10")
    );
}

#[tokio::test]
async fn private_and_guarded_contexts_are_never_publicly_cached() {
    let app = app();
    let me = get(&app, "/api/mizan/ctx/me/").await;
    assert_eq!(me.header("cache-control"), Some("private, max-age=5"));
    let admin = crate::support::send(
        &app,
        Request::get("/api/mizan/ctx/admin/")
            .header("authorization", "Bearer staff")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(admin.status, StatusCode::OK);
    assert_eq!(admin.header("cache-control"), Some("private, max-age=30"));
}

#[tokio::test]
async fn unknown_contexts_and_paths_are_404_in_the_error_shape() {
    let app = app();
    let r = get(&app, "/api/mizan/ctx/nope/").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    let r = get(&app, "/api/mizan/ctx/todos").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("end with `/`")
    );
    let r = get(&app, "/api/mizan/whatever/x/y/").await;
    assert_eq!(r.code(), "not_found");
    for base in ["/api/mizan", "/api/mizan/"] {
        assert_eq!(get(&app, base).await.code(), "not_found", "{base}");
    }
}

#[tokio::test]
async fn post_to_a_context_is_405_with_allow() {
    let r = crate::support::post(&app(), "/api/mizan/ctx/todos/", json!({})).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    assert_eq!(r.code(), "method_not_allowed");
}

#[tokio::test]
async fn a_context_response_that_invalidates_is_never_cached() {
    let r = get(&app(), "/api/mizan/ctx/noisy/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-mizan-invalidate"), Some("todos"));
}
