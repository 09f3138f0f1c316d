//! Bearer JWTs: what verifies, what never does, and the bearer against the cookie.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Request, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::{Browser, RSA_PRIVATE, RSA_PUBLIC, SECRET, Table, app, send, who};

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("seconds")
}

/// Claims that pass, with `changes` applied (a `null` removes the claim).
fn claims(changes: &Value) -> Value {
    let mut claims = json!({
        "sub": "carol", "iss": "https://id.test", "aud": "todos",
        "exp": now() + 600, "roles": ["editor"], "staff": true, "tenant": "acme",
    });
    if let (Some(map), Some(changes)) = (claims.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            if v.is_null() {
                map.remove(k);
            } else {
                map.insert(k.clone(), v.clone());
            }
        }
    }
    claims
}

fn hs256(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET).expect("a key"),
    )
    .expect("a token")
}

fn rs256(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).expect("the test private key"),
    )
    .expect("a token")
}

/// A token with any header, signed by HMAC-SHA256 with `key` (for forgeries).
fn forged(header: &Value, claims: &Value, key: &[u8]) -> String {
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let message = format!("{head}.{body}");
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(key).expect("a key"),
        Algorithm::HS256,
    )
    .expect("a signature");
    format!("{message}.{signature}")
}

async fn me_with(token: &str) -> crate::Reply {
    let app = app(&Table::with_demo_users());
    send(
        &app,
        Request::get("/api/mizan/ctx/me/")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn a_valid_token_is_the_identity_with_its_claims() {
    for token in [
        hs256(&claims(&json!({}))),
        rs256(&claims(&json!({})), Some("rsa-1")),
    ] {
        let reply = me_with(&token).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
        assert_eq!(who(&reply), json!("carol"));
    }
}

#[tokio::test]
async fn alg_none_is_refused() {
    let head = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let body = URL_SAFE_NO_PAD.encode(claims(&json!({})).to_string());
    for token in [format!("{head}.{body}."), format!("{head}.{body}")] {
        assert_eq!(me_with(&token).await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn an_hmac_token_signed_with_the_rsa_public_key_is_refused() {
    // The key-confusion attack: HS256 "signed" with the server's public RSA key, naming
    // the RSA key's kid.
    let token = forged(
        &json!({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}),
        &claims(&json!({})),
        RSA_PUBLIC,
    );
    let reply = me_with(&token).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), "unauthorized");
}

#[tokio::test]
async fn an_algorithm_outside_the_key_is_refused() {
    // HS384 with the right secret: the default key is pinned to HS256.
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS384),
        &claims(&json!({})),
        &EncodingKey::from_secret(SECRET).expect("a key"),
    )
    .expect("a token");
    assert_eq!(me_with(&token).await.status, StatusCode::UNAUTHORIZED);
    // RS256 without a kid: the default key is HMAC.
    let token = rs256(&claims(&json!({})), None);
    assert_eq!(me_with(&token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn exp_is_required_numeric_and_checked_with_the_leeway() {
    let cases = [
        (json!({"exp": "9999999999"}), StatusCode::UNAUTHORIZED),
        (json!({"exp": null}), StatusCode::UNAUTHORIZED),
        (json!({"exp": now() - 120}), StatusCode::UNAUTHORIZED),
        (json!({"exp": now() - 10}), StatusCode::OK),
        (json!({"nbf": now() + 120}), StatusCode::UNAUTHORIZED),
        (json!({"nbf": now() + 10}), StatusCode::OK),
        (json!({"sub": null}), StatusCode::UNAUTHORIZED),
        (json!({"staff": "yes"}), StatusCode::UNAUTHORIZED),
    ];
    for (changes, expected) in cases {
        let token = hs256(&claims(&changes));
        assert_eq!(me_with(&token).await.status, expected, "{changes}");
    }
}

#[tokio::test]
async fn the_issuer_and_audience_are_checked() {
    for changes in [
        json!({"aud": "other"}),
        json!({"aud": null}),
        json!({"iss": "https://evil.test"}),
        json!({"iss": null}),
    ] {
        let token = hs256(&claims(&changes));
        let reply = me_with(&token).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{changes}");
    }
    let token = hs256(&claims(&json!({"aud": ["other", "todos"]})));
    assert_eq!(me_with(&token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_and_hostile_key_ids_are_refused() {
    for kid in ["rsa-2", "../../etc/passwd", "", &"k".repeat(10_000)] {
        let token = rs256(&claims(&json!({})), Some(kid));
        assert_eq!(
            me_with(&token).await.status,
            StatusCode::UNAUTHORIZED,
            "kid {kid:.20}"
        );
    }
}

#[tokio::test]
async fn malformed_headers_and_tokens_are_401s() {
    let app = app(&Table::with_demo_users());
    for value in [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwdw==",
        "bearer a.b.c",
        "Bearer x.y",
        "Token abc",
    ] {
        let reply = send(
            &app,
            Request::get("/api/mizan/ctx/me/")
                .header("authorization", value)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{value}");
    }
}

#[tokio::test]
async fn a_bad_bearer_never_falls_back_to_a_good_cookie() {
    let app = app(&Table::with_demo_users());
    let mut browser = Browser::new(&app);
    browser.login("alice").await;
    assert_eq!(who(&browser.me().await), json!("alice"));
    let reply = browser
        .request(
            "GET",
            "/api/mizan/ctx/me/",
            None,
            &[("authorization", "Bearer forged")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // A good bearer wins over the cookie.
    let token = hs256(&claims(&json!({})));
    let bearer = format!("Bearer {token}");
    let reply = browser
        .request(
            "GET",
            "/api/mizan/ctx/me/",
            None,
            &[("authorization", bearer.as_str())],
        )
        .await;
    assert_eq!(who(&reply), json!("carol"));
}

#[tokio::test]
async fn bearer_requests_need_no_csrf_token() {
    let app = app(&Table::with_demo_users());
    let token = hs256(&claims(&json!({})));
    let reply = send(
        &app,
        Request::post("/api/mizan/call/touch/")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .header("origin", "https://evil.test")
            .header("sec-fetch-site", "cross-site")
            .body(Body::from("{}"))
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    assert_eq!(reply.json()["result"], json!("carol"));
}

#[test]
#[should_panic(expected = "cannot verify")]
fn a_key_pinned_to_another_family_is_a_configuration_error() {
    let _ = mizan::auth::Jwt::new().key(
        "mixed",
        jsonwebtoken::DecodingKey::from_rsa_pem(RSA_PUBLIC).expect("a key"),
        Algorithm::HS256,
    );
}
