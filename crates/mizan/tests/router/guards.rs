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
