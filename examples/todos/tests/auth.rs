//! Signing in and out of the example, the guards of its functions, the sign-in limits, and
//! the plain page's forms with their CSRF field: the real router, a browser that keeps its
//! cookies, the demo users `alice` (staff) and `bob`.

#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use serde_json::json;
use support::{Browser, router};

#[tokio::test]
async fn alice_and_bob_sign_in_and_the_me_context_is_private_and_per_user() {
    let router = router().await;
    let (mut alice, mut bob, mut anonymous) = (
        Browser::new(&router),
        Browser::new(&router),
        Browser::new(&router),
    );
    let signed_in = alice.login("alice").await;
    assert_eq!(
        signed_in.json()["result"],
        json!({"username": "alice", "staff": true})
    );
    assert_eq!(signed_in.header("x-mizan-identity"), "changed");
    assert!(alice.cookies.contains_key("mizan-session"));
    assert!(alice.cookies.contains_key("mizan-csrf"));
    // The name is case-insensitive.
    let bob_reply = bob
        .call("login", json!({"username": "Bob", "password": "bob-demo"}))
        .await;
    assert_eq!(
        bob_reply.json()["result"],
        json!({"username": "bob", "staff": false})
    );

    assert_eq!(
        alice.me().await,
        json!({"username": "alice", "staff": true})
    );
    assert_eq!(bob.me().await, json!({"username": "bob", "staff": false}));
    assert_eq!(anonymous.me().await, json!(null));
    let me = alice.get("/api/mizan/ctx/me/").await;
    assert!(
        me.header("cache-control").starts_with("private"),
        "{:?}",
        me.headers
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_are_the_same_401() {
    let router = router().await;
    let mut browser = Browser::new(&router);
    let wrong = browser
        .call(
            "login",
            json!({"username": "alice", "password": "bob-demo"}),
        )
        .await;
    let unknown = browser
        .call(
            "login",
            json!({"username": "mallory", "password": "alice-demo"}),
        )
        .await;
    for reply in [&wrong, &unknown] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.json(),
            json!({"error": {"code": "unauthorized", "message": "wrong username or password"}})
        );
    }
    assert_eq!(wrong.body, unknown.body);
    assert!(!browser.cookies.contains_key("mizan-session"));
    assert_eq!(browser.me().await, json!(null));
}

#[tokio::test]
async fn anonymous_callers_read_but_do_not_change() {
    let router = router().await;
    let mut anonymous = Browser::new(&router);
    assert_eq!(
        anonymous.get("/api/mizan/ctx/projects/").await.status,
        StatusCode::OK
    );
    for (function, args) in [
        ("add_todo", json!({"project": 1, "title": "Sneaky"})),
        ("toggle_todo", json!({"id": 1})),
        ("delete_todo", json!({"id": 1})),
        ("add_project", json!({"name": "Sneaky"})),
        ("delete_project", json!({"id": 1})),
        ("logout_everywhere", json!({})),
    ] {
        let reply = anonymous.call(function, args).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{function}");
        assert_eq!(reply.code(), "unauthorized", "{function}");
    }
    let form = anonymous.form("/todos/1/toggle", &[]).await;
    assert_eq!(form.status, StatusCode::UNAUTHORIZED);
    let todos = anonymous
        .get("/api/mizan/ctx/todos/?project=1")
        .await
        .json();
    assert_eq!(todos["todo_list"].as_array().unwrap().len(), 2);
    assert_eq!(todos["todo_list"][0]["done"], false);
}

#[tokio::test]
async fn only_staff_delete_projects() {
    let router = router().await;
    let (mut alice, mut bob) = (Browser::new(&router), Browser::new(&router));
    bob.login("bob").await;
    let refused = bob.call("delete_project", json!({"id": 1})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "forbidden");

    alice.login("alice").await;
    let deleted = alice.call("delete_project", json!({"id": 1})).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text());
    assert_eq!(
        deleted.json(),
        json!({
            "result": {"id": 1, "name": "Getting started"},
            "invalidate": ["projects", {"context": "todos", "params": {"project": 1}}],
        })
    );
    // Its todos went with it.
    let gone = bob.get("/api/mizan/ctx/todos/?project=1").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let list = bob.get("/api/mizan/ctx/projects/").await.json();
    assert_eq!(list["project_list"], json!([]));
    let again = alice.call("delete_project", json!({"id": 1})).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_mutation_without_the_csrf_header_is_refused() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let forged = bob
        .request(
            "POST",
            "/api/mizan/call/add_project/",
            Some(("application/json", json!({"name": "Forged"}).to_string())),
            &[],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.code(), "csrf_failed");
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let out = bob.call("logout", json!({})).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text());
    assert_eq!(out.header("x-mizan-identity"), "changed");
    assert!(!bob.cookies.contains_key("mizan-session"));
    assert!(!bob.cookies.contains_key("mizan-csrf"));
    assert_eq!(bob.me().await, json!(null));
    let add = bob.call("add_project", json!({"name": "Late"})).await;
    assert_eq!(add.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_user() {
    let router = router().await;
    let (mut laptop, mut phone, mut alice) = (
        Browser::new(&router),
        Browser::new(&router),
        Browser::new(&router),
    );
    laptop.login("bob").await;
    phone.login("bob").await;
    alice.login("alice").await;
    let out = laptop.call("logout_everywhere", json!({})).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text());
    assert_eq!(laptop.me().await, json!(null));
    assert_eq!(phone.me().await, json!(null));
    assert_eq!(alice.me().await["username"], "alice", "other users stay");
    // Signing in again works, with a new session.
    phone.login("bob").await;
    assert_eq!(phone.me().await["username"], "bob");
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account() {
    let router = router().await;
    let mut attacker = Browser::new(&router);
    for attempt in 0..5 {
        let reply = attacker
            .call("login", json!({"username": "alice", "password": "guess"}))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // Even the right password is refused now, before it is checked.
    let limited = attacker
        .call(
            "login",
            json!({"username": "ALICE", "password": "alice-demo"}),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=12).contains(&retry), "Retry-After: {retry}");
    assert_eq!(limited.header("cache-control"), "no-store");
    // Other accounts are not affected.
    Browser::new(&router).login("bob").await;
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_client_address() {
    let router = router().await;
    let mut attacker = Browser::from(&router, "192.0.2.7:50000");
    for n in 0..20 {
        let reply = attacker
            .call(
                "login",
                json!({"username": format!("user{n}"), "password": "guess"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    // Another port of the same host is the same client.
    let mut same = Browser::from(&router, "192.0.2.7:50001");
    let limited = same
        .call("login", json!({"username": "bob", "password": "bob-demo"}))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    // Bob, from elsewhere, signs in.
    Browser::from(&router, "198.51.100.1:40000")
        .login("bob")
        .await;
}

#[tokio::test]
async fn the_plain_page_signs_in_and_its_forms_carry_the_csrf_field() {
    let router = router().await;
    let mut browser = Browser::new(&router);
    let signed_in = browser
        .form(
            "/plain/login",
            &[("username", "alice"), ("password", "alice-demo")],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.text()
    );
    assert_eq!(signed_in.header("location"), "/plain");

    let page = browser.get("/plain").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("cache-control").starts_with("private"));
    let html = page.text();
    assert!(
        html.contains("Signed in as <strong>alice</strong> (staff)"),
        "{html}"
    );
    let token = csrf_field(&html);

    // A form post without the field is refused; with the page's field it goes through.
    let bare = browser.form("/todos/1/toggle", &[]).await;
    assert_eq!(bare.status, StatusCode::FORBIDDEN);
    assert_eq!(bare.code(), "csrf_failed");
    let toggled = browser
        .form("/todos/1/toggle", &[("csrf_token", &token)])
        .await;
    assert_eq!(toggled.status, StatusCode::SEE_OTHER, "{}", toggled.text());
    let todos = browser.get("/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(todos["todo_list"][0]["done"], true);

    // Signing out from the page, with its field.
    let token = csrf_field(&browser.get("/plain").await.text());
    let out = browser
        .form("/plain/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.text());
    assert_eq!(browser.me().await, json!(null));
    assert!(
        browser
            .get("/plain")
            .await
            .text()
            .contains("Not signed in.")
    );
}

/// The value of the page's first `csrf_token` field.
fn csrf_field(html: &str) -> String {
    let start = html
        .find(r#"name="csrf_token" value=""#)
        .unwrap_or_else(|| panic!("no CSRF field in {html}"))
        + r#"name="csrf_token" value=""#.len();
    html[start..].split('"').next().unwrap().to_owned()
}
