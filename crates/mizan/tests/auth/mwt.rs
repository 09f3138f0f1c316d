//! The Mizan Web Token next to the session and the JWT: issued at sign-in with the caller's
//! scope, kept while fresh, re-issued when the scope changes, cleared at sign-out, and never
//! an identity.

use axum::body::Body;
use http::Request;
use mizan::auth::{Auth, Csrf, MwtKeys, Sessions};
use mizan::protocol::mwt;
use serde_json::json;

use crate::{Browser, Table, app_with, jwt, send, who};

const MWT_SECRET: &[u8] = b"the MWT secret, its own, 32 bytes or more";

fn keys() -> MwtKeys {
    MwtKeys::new("k1", MWT_SECRET).expect("valid keys")
}

fn app(table: &Table) -> axum::Router {
    app_with(
        Auth::new()
            .sessions(Sessions::memory().secure(false), table.clone())
            .jwt(jwt())
            .csrf(Csrf::new().https(false))
            .mwt(keys()),
    )
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[tokio::test]
async fn sign_in_issues_the_scope_and_sign_out_clears_it() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut browser = Browser::new(&app);
    let login = browser.login("alice").await;
    let token = login
        .header("x-mizan-mwt")
        .expect("an MWT header")
        .to_owned();
    let claims = mwt::verify(&token, &keys(), now()).expect("a valid MWT");
    assert_eq!(claims.sub(), "alice");
    assert_eq!(claims.roles(), [mwt::ROLE_STAFF]);
    let line = login.cookie_line("mizan-mwt").expect("an MWT cookie");
    assert!(
        line.contains("HttpOnly") && line.contains("Max-Age="),
        "{line}"
    );
    // Fresh and of the same scope: kept, not re-issued.
    let me = browser.me().await;
    assert_eq!(who(&me), json!("alice"));
    assert!(me.header("x-mizan-mwt").is_none());
    assert!(me.set_cookie("mizan-mwt").is_none());
    // Sign-out clears it.
    let out = browser.call("logout", json!({})).await;
    assert_eq!(out.set_cookie("mizan-mwt").as_deref(), Some(""));
    assert!(!browser.cookies.contains_key("mizan-mwt"));
}

#[tokio::test]
async fn another_users_sign_in_replaces_the_scope() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut browser = Browser::new(&app);
    browser.login("alice").await;
    browser.call("logout", json!({})).await;
    let login = browser.login("bob").await;
    let token = login.header("x-mizan-mwt").expect("an MWT header");
    let claims = mwt::verify(token, &keys(), now()).expect("a valid MWT");
    assert_eq!(claims.sub(), "bob");
    assert!(claims.roles().is_empty());
}

#[tokio::test]
async fn an_mwt_is_never_an_identity() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut alice = Browser::new(&app);
    alice.login("alice").await;
    let stolen = alice.cookies.get("mizan-mwt").cloned().expect("an MWT");
    // Only the MWT, no session: anonymous, and the stray token is cleared.
    let mut thief = Browser::new(&app);
    thief.cookies.insert("mizan-mwt".into(), stolen.clone());
    let reply = thief.me().await;
    assert_eq!(who(&reply), json!(null));
    assert_eq!(reply.set_cookie("mizan-mwt").as_deref(), Some(""));
    let reply = send(
        &app,
        Request::get("/api/mizan/ctx/me/")
            .header("x-mizan-mwt", stolen)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(who(&reply), json!(null));
}

#[tokio::test]
async fn a_bearer_caller_gets_the_scope_in_the_header() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "carol", "exp": now() + 600, "iss": "https://id.test", "aud": "todos", "roles": ["editor"]}),
        &jsonwebtoken::EncodingKey::from_secret(crate::SECRET).expect("a key"),
    )
    .expect("a JWT");
    let reply = send(
        &app,
        Request::get("/api/mizan/ctx/me/")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let scope = reply.header("x-mizan-mwt").expect("an MWT header");
    let claims = mwt::verify(scope, &keys(), now()).expect("a valid MWT");
    assert_eq!(
        (claims.sub(), claims.roles()),
        ("carol", &["editor".to_owned()][..])
    );
    let cache = reply.header("cache-control").unwrap_or_default();
    assert!(!cache.contains("public"), "{cache}");
}
