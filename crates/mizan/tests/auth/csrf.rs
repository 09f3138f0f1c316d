//! CSRF: the token tied to the session, the origin checks, and HTML forms.

use http::StatusCode;
use serde_json::json;

use crate::{Browser, Reply, Table, app, app_with};

/// A signed-in browser of `app`.
async fn signed_in(app: &axum::Router, user: &str) -> Browser {
    let mut browser = Browser::new(app);
    browser.login(user).await;
    browser
}

/// `touch` with exactly these headers (and the browser's cookies).
async fn touch(browser: &mut Browser, headers: &[(&str, &str)]) -> Reply {
    browser
        .request(
            "POST",
            "/api/mizan/call/touch/",
            Some(("application/json", "{}".into())),
            headers,
        )
        .await
}

fn forbidden(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{what}: {:?}",
        reply.json()
    );
    assert_eq!(reply.code(), "csrf_failed", "{what}");
}

#[tokio::test]
async fn the_token_is_required_and_must_be_this_sessions() {
    let app = app(&Table::with_demo_users());
    let mut alice = signed_in(&app, "alice").await;
    let bob = signed_in(&app, "bob").await;
    let same = ("sec-fetch-site", "same-origin");
    let good = alice.cookies.get("mizan-csrf").cloned().expect("a token");
    let bobs = bob.cookies.get("mizan-csrf").cloned().expect("a token");
    forbidden(&touch(&mut alice, &[same]).await, "missing");
    forbidden(
        &touch(&mut alice, &[same, ("x-mizan-csrf", "not-a-token")]).await,
        "malformed",
    );
    forbidden(
        &touch(&mut alice, &[same, ("x-mizan-csrf", &"A".repeat(86))]).await,
        "wrong",
    );
    forbidden(
        &touch(&mut alice, &[same, ("x-mizan-csrf", &bobs)]).await,
        "another session's",
    );
    let ok = touch(&mut alice, &[same, ("x-mizan-csrf", &good)]).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json());
    // Masked differently on every response, every copy is good.
    let again = alice.me().await;
    assert_eq!(again.status, StatusCode::OK);
    let ok = alice.call("touch", json!({})).await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn the_token_rotates_at_sign_in() {
    let app = app(&Table::with_demo_users());
    let mut browser = signed_in(&app, "bob").await;
    let first = browser.cookies.get("mizan-csrf").cloned().expect("a token");
    browser.call("logout", json!({})).await;
    browser.login("bob").await;
    let reply = touch(
        &mut browser,
        &[("sec-fetch-site", "same-origin"), ("x-mizan-csrf", &first)],
    )
    .await;
    forbidden(&reply, "the previous session's token");
}

#[tokio::test]
async fn sec_fetch_site_decides_first() {
    let app = app(&Table::with_demo_users());
    let mut alice = signed_in(&app, "alice").await;
    let token = alice.cookies.get("mizan-csrf").cloned().expect("a token");
    for (site, ok) in [
        ("cross-site", false),
        ("same-site", false),
        ("same-origin", true),
        ("none", true),
    ] {
        let reply = touch(
            &mut alice,
            &[("sec-fetch-site", site), ("x-mizan-csrf", &token)],
        )
        .await;
        if ok {
            assert_eq!(reply.status, StatusCode::OK, "{site}");
        } else {
            forbidden(&reply, site);
        }
    }
    // A trusted origin may be same-site or cross-site.
    let reply = touch(
        &mut alice,
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "https://app.trusted.test"),
            ("x-mizan-csrf", &token),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn the_origin_must_be_the_sites_own_or_trusted() {
    let app = app(&Table::with_demo_users());
    let mut alice = signed_in(&app, "alice").await;
    let token = alice.cookies.get("mizan-csrf").cloned().expect("a token");
    for (origin, ok) in [
        ("http://site.test", true),
        ("http://site.test:80", true),
        ("https://app.trusted.test", true),
        ("https://a.b.trusted.test", true),
        ("https://evil.org", false),
        ("null", false),
        ("https://site.test", false),
        ("http://site.test:8080", false),
        ("http://site.test.evil.org", false),
        ("https://trusted.test", false),
        ("http://app.trusted.test", false),
        ("site.test", false),
        ("http://", false),
        ("http://site.test/path", false),
    ] {
        let reply = touch(&mut alice, &[("origin", origin), ("x-mizan-csrf", &token)]).await;
        if ok {
            assert_eq!(reply.status, StatusCode::OK, "{origin}: {:?}", reply.json());
        } else {
            forbidden(&reply, origin);
        }
    }
}

/// The same app served over HTTPS.
fn https_app() -> axum::Router {
    let auth = mizan::auth::Auth::new()
        .sessions(mizan::auth::Sessions::memory(), Table::with_demo_users())
        .csrf(mizan::auth::Csrf::new());
    app_with(auth)
}

#[tokio::test]
async fn over_https_an_http_origin_fails_and_the_referer_stands_in_for_a_missing_origin() {
    let app = https_app();
    let mut alice = Browser::new(&app);
    let login = alice
        .request(
            "POST",
            "/api/mizan/call/login/",
            Some(("application/json", json!({"username": "alice"}).to_string())),
            &[("origin", "https://site.test")],
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{:?}", login.json());
    let token = alice.cookies.get("mizan-csrf").cloned().expect("a token");
    let t = ("x-mizan-csrf", token.as_str());
    forbidden(
        &touch(&mut alice, &[("origin", "http://site.test"), t]).await,
        "http on https",
    );
    let ok = touch(&mut alice, &[("origin", "https://site.test"), t]).await;
    assert_eq!(ok.status, StatusCode::OK);
    // No Origin, no Sec-Fetch-Site: the Referer decides.
    let ok = touch(&mut alice, &[("referer", "https://site.test/todos?x=1"), t]).await;
    assert_eq!(ok.status, StatusCode::OK);
    forbidden(
        &touch(&mut alice, &[("referer", "https://evil.org/page"), t]).await,
        "referer",
    );
    forbidden(
        &touch(&mut alice, &[("referer", "http://site.test/"), t]).await,
        "http referer",
    );
    forbidden(
        &touch(&mut alice, &[("referer", "not a url"), t]).await,
        "malformed referer",
    );
    forbidden(&touch(&mut alice, &[t]).await, "neither header over https");
}

#[tokio::test]
async fn a_cross_site_html_form_post_with_the_victims_cookie_is_rejected() {
    let app = app(&Table::with_demo_users());
    let mut victim = signed_in(&app, "alice").await;
    // The attacker's page posts a form to the victim's site; the browser adds the cookie.
    for headers in [
        vec![
            ("origin", "https://evil.org"),
            ("sec-fetch-site", "cross-site"),
        ],
        vec![("origin", "https://evil.org")],
        vec![("sec-fetch-site", "cross-site")],
    ] {
        let reply = victim
            .request(
                "POST",
                "/rename",
                Some(("application/x-www-form-urlencoded", "name=pwned".into())),
                &headers,
            )
            .await;
        forbidden(&reply, &format!("{headers:?}"));
    }
}

#[tokio::test]
async fn a_same_origin_html_form_needs_the_field_its_page_rendered() {
    let app = app(&Table::with_demo_users());
    let mut alice = signed_in(&app, "alice").await;
    let same = [("sec-fetch-site", "same-origin")];
    let form = "application/x-www-form-urlencoded";
    let reply = alice
        .request("POST", "/rename", Some((form, "name=x".into())), &same)
        .await;
    forbidden(&reply, "a form without its field");
    let page = alice.request("GET", "/form", None, &same).await;
    let html = page.json()["result"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let token = html
        .split("value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a csrf_token field in {html:?} ({:?})", page.status))
        .to_owned();
    assert!(html.contains(r#"name="csrf_token""#), "{html}");
    let body = format!("name=x&csrf_token={token}");
    let reply = alice
        .request("POST", "/rename", Some((form, body)), &same)
        .await;
    assert!(
        reply.status.is_success(),
        "{:?} {:?}",
        reply.status,
        reply.json()
    );
    let body = "name=x&csrf_token=AAAA".to_owned();
    let reply = alice
        .request("POST", "/rename", Some((form, body)), &same)
        .await;
    forbidden(&reply, "a wrong field");
}

#[tokio::test]
async fn anonymous_requests_fail_only_on_explicit_cross_site_signals() {
    let app = app(&Table::with_demo_users());
    let login = |headers: Vec<(&'static str, &'static str)>| {
        let app = app.clone();
        async move {
            let mut browser = Browser::new(&app);
            browser
                .request(
                    "POST",
                    "/api/mizan/call/login/",
                    Some(("application/json", json!({"username": "bob"}).to_string())),
                    &headers,
                )
                .await
        }
    };
    // Login CSRF: a cross-site page signing the browser in to another account.
    forbidden(
        &login(vec![("sec-fetch-site", "cross-site")]).await,
        "cross-site login",
    );
    forbidden(
        &login(vec![("origin", "https://evil.org")]).await,
        "evil origin login",
    );
    // A non-browser client sends none of these headers.
    assert_eq!(login(vec![]).await.status, StatusCode::OK);
    assert_eq!(
        login(vec![("origin", "http://site.test")]).await.status,
        StatusCode::OK
    );
}

/// A validate-only call of `touch` with exactly these headers.
async fn validate_touch(browser: &mut Browser, headers: &[(&str, &str)]) -> Reply {
    browser
        .request(
            "POST",
            "/api/mizan/call/touch/?validate=1",
            Some(("application/json", "{}".into())),
            headers,
        )
        .await
}

#[tokio::test]
async fn validate_only_calls_pass_the_same_checks() {
    let app = app(&Table::with_demo_users());
    let mut alice = signed_in(&app, "alice").await;
    let same = ("sec-fetch-site", "same-origin");
    let token = alice.cookies.get("mizan-csrf").cloned().expect("a token");
    let t = ("x-mizan-csrf", token.as_str());
    forbidden(
        &validate_touch(&mut alice, &[same]).await,
        "validate-only without the token",
    );
    forbidden(
        &validate_touch(&mut alice, &[("sec-fetch-site", "cross-site"), t]).await,
        "validate-only from another site",
    );
    let ok = validate_touch(&mut alice, &[same, t]).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json());
    assert_eq!(ok.json(), json!({"valid": true}));
    // The guard too: a stranger is refused before anything is validated.
    let mut stranger = Browser::new(&app);
    let anonymous = validate_touch(&mut stranger, &[same]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_multipart_call_needs_the_token_in_the_header() {
    let app = app(&Table::with_demo_users());
    let mut alice = signed_in(&app, "alice").await;
    let body = "--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAl\r\n--b--\r\n";
    let token = alice.cookies.get("mizan-csrf").cloned().expect("a token");
    let multipart = ("multipart/form-data; boundary=b", body.to_owned());
    let same = ("sec-fetch-site", "same-origin");
    let client = ("x-mizan-client", "1");
    let without = alice
        .request(
            "POST",
            "/api/mizan/call/rename/",
            Some(multipart.clone()),
            &[same, client],
        )
        .await;
    forbidden(&without, "a multipart call without the header token");
    let with = alice
        .request(
            "POST",
            "/api/mizan/call/rename/",
            Some(multipart),
            &[same, client, ("x-mizan-csrf", &token)],
        )
        .await;
    assert_eq!(with.status, StatusCode::OK, "{:?}", with.json());
}
