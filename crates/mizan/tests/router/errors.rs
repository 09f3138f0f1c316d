//! Every error status, always in the protocol's shape, never leaking internals.

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::json;

use crate::app;
use crate::support::{Reply, get, post, send};

fn raw(uri: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::post(uri);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(body.into()).expect("request")
}

fn assert_shape(r: &Reply, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.code(), code);
    assert!(r.json()["error"]["message"].is_string());
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn malformed_json_is_400() {
    let r = send(
        &app(),
        raw(
            "/api/mizan/call/add_todo/",
            Some("application/json"),
            "{\"project\": ",
        ),
    )
    .await;
    assert_shape(&r, StatusCode::BAD_REQUEST, "bad_request");
    let r = send(
        &app(),
        raw(
            "/api/mizan/call/add_todo/",
            Some("application/json"),
            "[1, 2]",
        ),
    )
    .await;
    assert_shape(&r, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn bad_arguments_are_400_with_the_field_path() {
    let app = app();
    let r = post(
        &app,
        "/api/mizan/call/add_todo/",
        json!({"project": "x", "title": "a"}),
    )
    .await;
    assert_shape(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert!(r.json()["error"]["fields"]["project"].is_array());

    let r = post(&app, "/api/mizan/call/add_todo/", json!({"project": 1})).await;
    assert_shape(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert!(
        r.json()["error"]["fields"]["title"].is_array(),
        "{}",
        r.json()
    );

    let r = post(
        &app,
        "/api/mizan/call/nested/",
        json!({"items": [{"name": "a", "qty": 1}, {"name": 5, "qty": 1}]}),
    )
    .await;
    assert_shape(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert!(
        r.json()["error"]["fields"]["items/1/name"].is_array(),
        "{}",
        r.json()
    );

    let r = post(
        &app,
        "/api/mizan/call/add_todo/",
        json!({"project": 1, "title": "a", "extra": 1}),
    )
    .await;
    assert_shape(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert!(r.json()["error"]["fields"]["extra"].is_array());
}

#[tokio::test]
async fn validation_is_422_per_field() {
    let app = app();
    let r = post(
        &app,
        "/api/mizan/call/add_todo/",
        json!({"project": 1, "title": ""}),
    )
    .await;
    assert_shape(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        r.json()["error"]["fields"]["title"][0].is_string(),
        "{}",
        r.json()
    );

    let r = post(
        &app,
        "/api/mizan/call/nested/",
        json!({"items": [{"name": "a", "qty": 1}, {"name": "", "qty": 0}]}),
    )
    .await;
    assert_shape(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let fields = &r.json()["error"]["fields"];
    assert!(
        fields["items/1/name"].is_array() && fields["items/1/qty"].is_array(),
        "{fields}"
    );

    let r = post(
        &app,
        "/api/mizan/call/manual_field/",
        json!({"email": "nope"}),
    )
    .await;
    assert_eq!(
        r.json(),
        json!({"error": {"code": "validation", "message": "validation failed", "fields": {"email": ["is not an email address"]}}})
    );
}

#[tokio::test]
async fn unknown_function_is_404_and_wrong_method_405() {
    let app = app();
    let r = post(&app, "/api/mizan/call/nope/", json!({})).await;
    assert_shape(&r, StatusCode::NOT_FOUND, "not_found");
    let r = get(&app, "/api/mizan/call/add_todo/").await;
    assert_shape(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("POST"));
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let big = format!("{{\"email\": \"{}\"}}", "x".repeat(70 * 1024));
    let r = send(
        &app(),
        raw(
            "/api/mizan/call/manual_field/",
            Some("application/json"),
            big.clone(),
        ),
    )
    .await;
    assert_shape(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Also without a Content-Length (a streamed body).
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(big))]);
    let r = send(
        &app(),
        raw(
            "/api/mizan/call/manual_field/",
            Some("application/json"),
            Body::from_stream(stream),
        ),
    )
    .await;
    assert_shape(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn other_media_types_are_415() {
    let r = send(
        &app(),
        raw("/api/mizan/call/add_todo/", Some("text/plain"), "{}"),
    )
    .await;
    assert_shape(
        &r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let r = send(
        &app(),
        raw("/api/mizan/call/add_todo/", None, "{\"project\": 1}"),
    )
    .await;
    assert_shape(
        &r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let r = send(
        &app(),
        raw(
            "/api/mizan/call/clear_all/",
            Some("application/json; charset=utf-8"),
            "{}",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn internal_errors_are_500_without_internals() {
    let r = post(&app(), "/api/mizan/call/fails/", json!({})).await;
    assert_shape(&r, StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert_eq!(
        r.json(),
        json!({"error": {"code": "internal", "message": "internal error"}})
    );
    assert!(!String::from_utf8_lossy(&r.bytes).contains("hunter2"));
}

#[tokio::test]
async fn a_panicking_function_is_a_500_and_the_server_lives_on() {
    let app = app();
    for _ in 0..3 {
        let r = post(&app, "/api/mizan/call/panics/", json!({})).await;
        assert_shape(&r, StatusCode::INTERNAL_SERVER_ERROR, "internal");
        assert!(!String::from_utf8_lossy(&r.bytes).contains("secret"));
    }
    let r = post(&app, "/api/mizan/call/clear_all/", json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn users_choose_their_own_codes() {
    let r = post(&app(), "/api/mizan/call/conflict/", json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.json(),
        json!({"error": {"code": "conflict", "message": "already exists"}})
    );
}
