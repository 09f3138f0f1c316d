//! The view path: functions returning HTTP responses, at routes of their own, with their
//! invalidations in `X-Mizan-Invalidate`.

use axum::body::Body;
use http::{Request, StatusCode};
use mizan::Invalidation;
use mizan::invalidation::decode_headers;
use serde_json::json;

use crate::app;
use crate::support::{get, post, send};

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

#[tokio::test]
async fn a_form_post_redirects_with_invalidations_in_the_header() {
    let r = send(
        &app(),
        form("/todos/42/toggle", "done=on&note=hi+there&submit=Save"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/done/42/true/hi there"));
    let list = decode_headers(&r.headers).expect("decodes");
    assert_eq!(list.len(), 1);
    let Invalidation::Scoped { context, params } = &list[0] else {
        panic!("expected a scoped invalidation, got {list:?}");
    };
    assert_eq!(context, "todos");
    // `verbose` is a boolean parameter: the scope's `"a, b"` could match no instance, so
    // it is dropped (widened), never sent as a scope that spares everything.
    assert_eq!(params.get("verbose"), None);
    assert_eq!(params.get("project"), Some(&json!(7)));
}

#[tokio::test]
async fn an_unchecked_checkbox_is_false() {
    let r = send(&app(), form("/todos/1/toggle", "")).await;
    assert_eq!(r.header("location"), Some("/done/1/false/"));
}

#[tokio::test]
async fn view_routes_take_json_too_and_reject_bad_path_params() {
    let app = app();
    let r = send(
        &app,
        Request::post("/todos/5/toggle")
            .header("content-type", "application/json")
            .body(Body::from(json!({"done": true}).to_string()))
            .expect("request"),
    )
    .await;
    assert_eq!(r.header("location"), Some("/done/5/true/"));
    let r = send(&app, form("/todos/abc/toggle", "done=1")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"]["fields"]["id"].is_array());
}

#[tokio::test]
async fn other_methods_on_a_route_are_405() {
    let r = get(&app(), "/todos/5/toggle").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("POST"));
}

#[tokio::test]
async fn view_functions_are_callable_through_the_call_endpoint() {
    let r = post(
        &app(),
        "/api/mizan/call/toggle/",
        json!({"id": 3, "done": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.header("x-mizan-invalidate")
            .is_some_and(|h| h.starts_with("%7B"))
    );
}

#[tokio::test]
async fn data_functions_at_a_route_answer_json() {
    let app = app();
    let r = get(&app, "/api/v2/items/9?tags=a&tags=b").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"result": "9:a+b", "invalidate": ["todos"]})
    );
    let r = send(&app, form("/api/v2/items/9", "tags=x")).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("GET, PUT"));
}

#[tokio::test]
async fn scripts_get_redirects_as_data_so_the_invalidation_header_survives_fetch() {
    // fetch() follows a 303 by itself and never shows its headers to the script; a script
    // that says `X-Mizan-Client` gets the redirect as 204 + X-Mizan-Redirect instead.
    let r = send(
        &app(),
        Request::post("/todos/42/toggle")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-mizan-client", "1")
            .body(Body::from("done=on"))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.header("x-mizan-redirect"), Some("/done/42/true/"));
    assert!(r.header("location").is_none());
    assert!(r.header("x-mizan-invalidate").is_some());
}
