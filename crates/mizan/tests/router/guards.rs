//! The `auth` guard matrix: 401 for anonymous callers, 403 when lacking.

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::json;

use crate::app;
use crate::support::{post, post_as, send};

#[tokio::test]
async fn guard_matrix() {
    let app = app();
    // (function, [anonymous, user, staff, root, editor])
    let matrix: [(&str, [u16; 5]); 4] = [
        ("whoami", [401, 200, 200, 200, 200]),
        ("staff_only", [401, 403, 200, 200, 403]),
        ("super_only", [401, 403, 403, 200, 403]),
        ("editor_only", [401, 403, 403, 403, 200]),
    ];
    for (function, expected) in matrix {
        let uri = format!("/api/mizan/call/{function}/");
        let anon = post(&app, &uri, json!({})).await;
        let mut got = vec![anon.status.as_u16()];
        for token in ["user", "staff", "root", "editor"] {
            got.push(post_as(&app, token, &uri, json!({})).await.status.as_u16());
        }
        assert_eq!(got, expected, "guard of {function}");
    }
}

#[tokio::test]
async fn guard_errors_use_the_protocol_shape() {
    let app = app();
    let r = post(&app, "/api/mizan/call/staff_only/", json!({})).await;
    assert_eq!(r.code(), "unauthorized");
    let r = post_as(&app, "user", "/api/mizan/call/staff_only/", json!({})).await;
    assert_eq!(r.code(), "forbidden");
}

#[tokio::test]
async fn the_identity_reaches_the_function() {
    let r = post_as(&app(), "editor", "/api/mizan/call/whoami/", json!({})).await;
    assert_eq!(r.json()["result"], json!("e1"));
}

#[tokio::test]
async fn an_invalid_token_is_401_even_for_public_functions() {
    let r = post_as(&app(), "forged", "/api/mizan/call/clear_all/", json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn context_guards_apply_to_the_context_get() {
    let app = app();
    let anon = crate::support::get(&app, "/api/mizan/ctx/admin/").await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let user = send(
        &app,
        Request::get("/api/mizan/ctx/admin/")
            .header("authorization", "Bearer user")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(user.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn guards_run_before_arguments_are_used() {
    // A guarded call with garbage arguments is refused for who the caller is, not for
    // what they sent: nothing about the function's arguments leaks to strangers.
    let r = post(&app(), "/api/mizan/call/whoami/", json!({"garbage": 1})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = crate::support::get(&app(), "/api/mizan/ctx/admin/?garbage=1").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// One guard, three paths: the context GET, the call and the view route answer alike for
/// every caller, with a built-in guard and with an async predicate reading state.
#[tokio::test]
async fn every_path_enforces_the_same_guard() {
    let app = app();
    // (guard, [context GET, call, view route], [anonymous, user, staff, root, editor])
    let cases: [(&str, [&str; 3], [u16; 5]); 2] = [
        (
            "staff",
            [
                "GET /api/mizan/ctx/staff_ctx/",
                "POST /api/mizan/call/staff_only/",
                "GET /staff/1",
            ],
            [401, 403, 200, 200, 403],
        ),
        (
            "allow_listed (async, reads state)",
            [
                "GET /api/mizan/ctx/gated/",
                "POST /api/mizan/call/gated_write/",
                "GET /gated/1",
            ],
            [401, 403, 200, 403, 200],
        ),
    ];
    for (guard, paths, expected) in cases {
        for path in paths {
            let (method, uri) = path.split_once(' ').expect("method and uri");
            let mut got = Vec::new();
            for token in [
                None,
                Some("user"),
                Some("staff"),
                Some("root"),
                Some("editor"),
            ] {
                let mut request = Request::builder().method(method).uri(uri);
                if let Some(token) = token {
                    request = request.header("authorization", format!("Bearer {token}"));
                }
                let body = if method == "POST" {
                    request = request.header("content-type", "application/json");
                    Body::from("{}")
                } else {
                    Body::empty()
                };
                let reply = send(&app, request.body(body).expect("request")).await;
                got.push(reply.status.as_u16());
            }
            assert_eq!(got, expected, "{guard} on {path}");
        }
    }
}
