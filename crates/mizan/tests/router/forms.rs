//! Forms: field paths of nested arguments, validate-only calls (`?validate=1`) and the
//! `validate = …` hook.

use std::sync::Mutex;

use http::StatusCode;
use mizan::{Cx, Error, Result};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::app;
use crate::support::{post, post_as};

mizan::context!(pub(crate) MEMBERS = "members");

/// The members signed up so far: what a validate-only call must never change.
#[derive(Default)]
pub(crate) struct Members(pub(crate) Mutex<Vec<String>>);

#[derive(Deserialize, JsonSchema, garde::Validate)]
pub(crate) struct Line {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1, max = 99))]
    qty: u32,
}

#[derive(Deserialize, JsonSchema, garde::Validate)]
pub(crate) struct Order {
    #[garde(length(min = 1), dive)]
    items: Vec<Line>,
    #[garde(skip)]
    note: Option<String>,
}

/// "This email is taken": the async check a form runs as the user types.
async fn email_free(cx: &Cx, email: &String, _name: &String) -> Result<()> {
    let members = cx.state::<Members>()?;
    if members
        .0
        .lock()
        .map_err(|_| Error::internal("poisoned"))?
        .contains(email)
    {
        return Err(Error::field("email", "this email is taken"));
    }
    Ok(())
}

/// How many entries the store holds.
#[mizan::client(context = MEMBERS)]
pub(crate) async fn member_count(cx: &Cx) -> Result<usize> {
    Ok(cx
        .state::<Members>()?
        .0
        .lock()
        .map_err(|_| Error::internal("poisoned"))?
        .len())
}

/// Signs a member up.
#[mizan::client(affects = [MEMBERS], validate = email_free)]
pub(crate) async fn sign_up(cx: &Cx, email: String, name: String) -> Result<usize> {
    if !email.contains('@') {
        return Err(Error::field("email", "is not an email address"));
    }
    let mut members = cx
        .state::<Members>()?
        .0
        .lock()
        .map_err(|_| Error::internal("poisoned"))?;
    members.push(format!("{email} {name}"));
    members.push(email);
    Ok(members.len())
}

/// Places an order (nested validation).
#[mizan::client]
pub(crate) async fn place_order(order: Order) -> Result<usize> {
    Ok(order.items.len() + order.note.map_or(0, |_| 1))
}

/// Only for signed-in callers.
#[mizan::client(auth = true, validate = email_free)]
pub(crate) async fn invite(cx: &Cx, email: String, name: String) -> Result<()> {
    let mut members = cx
        .state::<Members>()?
        .0
        .lock()
        .map_err(|_| Error::internal("poisoned"))?;
    members.push(format!("{email} {name}"));
    Ok(())
}

#[tokio::test]
async fn nested_field_errors_are_keyed_by_slash_paths() {
    let app = app();
    let r = post(
        &app,
        "/api/mizan/call/place_order/",
        json!({"order": {"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 1}, {"sku": "", "qty": 100}]}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json());
    let fields = r.json()["error"]["fields"].clone();
    let keys: Vec<&str> = fields
        .as_object()
        .expect("fields")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["order/items/2/qty", "order/items/2/sku"], "{fields}");

    let empty = post(
        &app,
        "/api/mizan/call/place_order/",
        json!({"order": {"items": []}}),
    )
    .await;
    assert!(
        empty.json()["error"]["fields"]["order/items"].is_array(),
        "{}",
        empty.json()
    );

    // Decoding errors use the same paths, a missing member included.
    let missing = post(
        &app,
        "/api/mizan/call/place_order/",
        json!({"order": {"items": [{"sku": "a"}]}}),
    )
    .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.json()["error"]["fields"]["order/items/0/qty"].is_array(),
        "{}",
        missing.json()
    );
    let wrong = post(
        &app,
        "/api/mizan/call/place_order/",
        json!({"order": {"items": [{"sku": "a", "qty": 1}, {"sku": "a", "qty": "two"}]}}),
    )
    .await;
    assert!(
        wrong.json()["error"]["fields"]["order/items/1/qty"].is_array(),
        "{}",
        wrong.json()
    );
}

#[tokio::test]
async fn validate_only_checks_without_running_or_invalidating() {
    let app = app();
    let ok = post(
        &app,
        "/api/mizan/call/sign_up/?validate=1",
        json!({"email": "ann@example.com", "name": "Ann"}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.json());
    assert_eq!(ok.json(), json!({"valid": true}));
    assert_eq!(ok.header("cache-control"), Some("no-store"));
    // The function's own check did not run either (it would have refused this email):
    // only decoding, garde and the hook do.
    let unchecked = post(
        &app,
        "/api/mizan/call/sign_up/?validate=1",
        json!({"email": "no-at-sign", "name": "Ann"}),
    )
    .await;
    assert_eq!(unchecked.json(), json!({"valid": true}));

    // Decoding and unknown arguments fail as in a real call.
    let bad = post(
        &app,
        "/api/mizan/call/sign_up/?validate=1",
        json!({"email": 3, "name": "x"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"]["fields"]["email"].is_array());
    let unknown = post(
        &app,
        "/api/mizan/call/sign_up/?validate=1",
        json!({"zzz": 1}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    // garde runs.
    let order = post(
        &app,
        "/api/mizan/call/place_order/?validate=1",
        json!({"order": {"items": [{"sku": "", "qty": 1}]}}),
    )
    .await;
    assert_eq!(order.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(order.json()["error"]["fields"]["order/items/0/sku"].is_array());
}

#[tokio::test]
async fn the_hook_runs_in_both_modes_and_validate_only_changes_nothing() {
    let app = crate::builder()
        .state(Members::default())
        .build()
        .expect("valid")
        .router();
    let args = json!({"email": "bo@example.com", "name": "Bo"});
    let v = post(&app, "/api/mizan/call/sign_up/?validate=1", args.clone()).await;
    assert_eq!(v.json(), json!({"valid": true}));
    let first = post(&app, "/api/mizan/call/sign_up/", args.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json());
    assert_eq!(first.json()["invalidate"], json!(["members"]));
    // The hook now refuses the email, in a validate-only call and in a real one.
    for uri in [
        "/api/mizan/call/sign_up/?validate=1",
        "/api/mizan/call/sign_up/",
    ] {
        let r = post(&app, uri, args.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}");
        assert_eq!(
            r.json()["error"]["fields"],
            json!({"email": ["this email is taken"]})
        );
    }
    // Many validate-only calls later, the store holds exactly what the one real call wrote.
    for i in 0..5 {
        let r = post(
            &app,
            "/api/mizan/call/sign_up/?validate=1",
            json!({"email": format!("n{i}@example.com"), "name": "N"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.json().get("invalidate").is_none());
    }
    let real = post(
        &app,
        "/api/mizan/call/sign_up/",
        json!({"email": "c@example.com", "name": "C"}),
    )
    .await;
    assert_eq!(
        real.json()["result"],
        json!(4),
        "two entries per member: {}",
        real.json()
    );
}

#[tokio::test]
async fn validate_only_obeys_the_guard_and_refuses_other_values() {
    let app = crate::builder()
        .state(Members::default())
        .build()
        .expect("valid")
        .router();
    let args = json!({"email": "x@example.com", "name": "X"});
    let anonymous = post(&app, "/api/mizan/call/invite/?validate=1", args.clone()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let user = post_as(
        &app,
        "user",
        "/api/mizan/call/invite/?validate=1",
        args.clone(),
    )
    .await;
    assert_eq!(user.json(), json!({"valid": true}));
    for query in [
        "validate=0",
        "validate=true",
        "validate=1&validate=1",
        "validate",
    ] {
        let r = post(
            &app,
            &format!("/api/mizan/call/sign_up/?{query}"),
            args.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
    }
    // Keys that are not the protocol's are ignored, as before.
    let other = post(&app, "/api/mizan/call/sign_up/?v=2", args).await;
    assert_eq!(other.status, StatusCode::OK);
}
