//! The session's life: sign-in, fixation, sign-out, revocation, bogus cookies, cookie
//! flags, and what private responses say to caches.

use http::StatusCode;
use serde_json::json;

use crate::{Browser, Table, app, who};

#[tokio::test]
async fn signing_in_sets_an_http_only_session_cookie_and_the_identity_follows() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut browser = Browser::new(&app);
    assert_eq!(who(&browser.me().await), json!(null));
    let login = browser.login("alice").await;
    assert_eq!(login.json()["result"], json!("alice"));
    assert_eq!(login.header("x-mizan-identity"), Some("changed"));
    let session = login
        .cookie_line("mizan-session")
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    let csrf = login.cookie_line("mizan-csrf").expect("a CSRF cookie");
    assert!(!csrf.contains("HttpOnly"), "scripts read it: {csrf}");
    assert_eq!(who(&browser.me().await), json!("alice"));
}

#[tokio::test]
async fn cookies_are_secure_unless_turned_off() {
    let table = Table::with_demo_users();
    let auth = mizan::auth::Auth::new()
        .sessions(mizan::auth::Sessions::memory(), table.clone())
        .csrf(mizan::auth::Csrf::new().https(false));
    let mut browser = Browser::new(&crate::app_with(auth));
    let login = browser.login("bob").await;
    for name in ["mizan-session", "mizan-csrf"] {
        let line = login.cookie_line(name).expect("a cookie");
        assert!(line.contains("Secure"), "{line}");
    }
}

#[tokio::test]
async fn a_session_id_planted_before_sign_in_is_not_the_one_after() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut victim = Browser::new(&app);
    // The attacker makes the victim's browser hold a session id they know.
    let planted = victim.call("plant", json!({})).await;
    assert_eq!(planted.status, StatusCode::OK);
    let before = victim
        .cookies
        .get("mizan-session")
        .cloned()
        .expect("a planted session");
    victim.login("alice").await;
    let after = victim
        .cookies
        .get("mizan-session")
        .cloned()
        .expect("a session");
    assert_ne!(before, after, "sign-in must issue a new session id");
    // The attacker's copy of the old id is not signed in.
    let mut attacker = Browser::new(&app);
    attacker.cookies.insert("mizan-session".into(), before);
    assert_eq!(who(&attacker.me().await), json!(null));
}

#[tokio::test]
async fn signing_out_ends_the_session_everywhere_it_was_copied() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut browser = Browser::new(&app);
    browser.login("bob").await;
    let stolen = browser
        .cookies
        .get("mizan-session")
        .cloned()
        .expect("a session");
    let out = browser.call("logout", json!({})).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(out.header("x-mizan-identity"), Some("changed"));
    assert!(
        !browser.cookies.contains_key("mizan-session"),
        "the cookie is cleared"
    );
    assert!(
        !browser.cookies.contains_key("mizan-csrf"),
        "the CSRF cookie is cleared"
    );
    assert_eq!(who(&browser.me().await), json!(null));
    let mut thief = Browser::new(&app);
    thief.cookies.insert("mizan-session".into(), stolen);
    assert_eq!(who(&thief.me().await), json!(null));
}

#[tokio::test]
async fn a_new_session_key_revokes_every_session_of_the_user() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let (mut laptop, mut phone, mut other) =
        (Browser::new(&app), Browser::new(&app), Browser::new(&app));
    laptop.login("alice").await;
    phone.login("alice").await;
    other.login("bob").await;
    table.rotate("alice"); // a password change
    assert_eq!(who(&laptop.me().await), json!(null));
    assert_eq!(who(&phone.me().await), json!(null));
    assert_eq!(
        who(&other.me().await),
        json!("bob"),
        "other users keep theirs"
    );
    let touch = laptop.call("touch", json!({})).await;
    assert_eq!(touch.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_deleted_user_is_signed_out() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut browser = Browser::new(&app);
    browser.login("bob").await;
    table.0.lock().expect("lock").remove("bob");
    assert_eq!(who(&browser.me().await), json!(null));
}

#[tokio::test]
async fn bogus_truncated_and_oversized_cookies_are_anonymous_never_a_500() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut real = Browser::new(&app);
    real.login("alice").await;
    let good = real
        .cookies
        .get("mizan-session")
        .cloned()
        .expect("a session");
    let cases = [
        "garbage".to_owned(),
        String::new(),
        good[..good.len() / 2].to_owned(),
        format!("{good}x"),
        "A".repeat(4000),
        "%00%ff".to_owned(),
        "%7f;%00".to_owned(),
    ];
    for value in cases {
        let mut browser = Browser::new(&app);
        browser
            .cookies
            .insert("mizan-session".into(), value.clone());
        let reply = browser.me().await;
        assert_eq!(reply.status, StatusCode::OK, "cookie {value:?}");
        assert_eq!(who(&reply), json!(null), "cookie {value:?}");
    }
}

#[tokio::test]
async fn unknown_users_cannot_sign_in() {
    let table = Table::with_demo_users();
    let mut browser = Browser::new(&app(&table));
    let reply = browser.call("login", json!({"username": "mallory"})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(!browser.cookies.contains_key("mizan-session"));
}

#[tokio::test]
async fn private_responses_vary_on_the_credentials_and_are_never_public() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut browser = Browser::new(&app);
    for signed_in in [false, true] {
        if signed_in {
            browser.login("alice").await;
        }
        let reply = browser.me().await;
        let vary = reply
            .header("vary")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            vary.contains("cookie") && vary.contains("authorization"),
            "{vary}"
        );
        let cache = reply.header("cache-control").unwrap_or_default();
        assert!(cache.contains("private"), "{cache}");
        assert!(!cache.contains("public"), "{cache}");
    }
    // Errors too.
    let reply = browser.call("touch", json!({"x": 1})).await;
    let vary = reply
        .header("vary")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(vary.contains("cookie"), "{vary}");
}

#[tokio::test]
async fn a_browser_without_the_current_csrf_cookie_gets_it_again() {
    let table = Table::with_demo_users();
    let app = app(&table);
    let mut browser = Browser::new(&app);
    browser.login("bob").await;
    browser.cookies.remove("mizan-csrf");
    let reply = browser.me().await;
    assert!(
        reply
            .set_cookie("mizan-csrf")
            .is_some_and(|v| !v.is_empty())
    );
    // And with it, nothing is set again.
    let again = browser.me().await;
    assert!(again.set_cookie("mizan-csrf").is_none());
}
