//! The synthetic origin of the edge benchmark (`benches/edge.sh`), and the files the script
//! feeds the edge and the load generator:
//!
//! - `edge-bench origin ADDR`: serves, the way a Mizan origin does,
//!   - `GET /static/{n}`: 2 KiB, `Cache-Control: public, max-age=300` (the generic-mode row
//!     against nginx `proxy_cache`);
//!   - `GET /api/mizan/ctx/pub/?item=N`: a public context (`public, max-age=60, s-maxage=60`);
//!   - `GET /api/mizan/ctx/me/?item=N`: a per-user context: the caller is the session
//!     cookie `sid=u<N>`; `private, max-age=60`, `X-Mizan-Scope: user`, and the MWT issued,
//!     kept or cleared as `spec/MWT.md` §6.3 says (`mwt::refresh`);
//!   - `POST /api/mizan/call/touch` with `{"item":N}`: a mutation whose body invalidates both
//!     contexts' instance `item=N` (`spec/PROTOCOL.md` §7);
//!   - `GET /__stats`: how many requests it served so far (itself excluded), `no-store`.
//! - `edge-bench manifest`: the edge manifest for that origin (JSON on stdout).
//! - `edge-bench tokens N`: `Cookie` header values `sid=u<i>; mizan-mwt=<token>` for users
//!   `0..N`, one a line (for the load generator's user-scoped hits).
//!
//! MWT keys come from `MIZAN_MWT_KEYS` (`kid=HEX,…`, the first signs), as for `mizan edge`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mizan_protocol::mwt::{self, MwtKeys, MwtRefresh};
use serde::Deserialize;
use serde_json::json;

/// The shared state of the origin.
struct Origin {
    keys: MwtKeys,
    served: AtomicU64,
    filler: String,
}

#[derive(Deserialize)]
struct Item {
    item: Option<i64>,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("origin") => {
            let addr = args.get(1).context("edge-bench origin ADDR")?.clone();
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()?
                .block_on(serve(addr))
        }
        Some("manifest") => {
            let keys = keys_from_env()?;
            println!("{}", serde_json::to_string_pretty(&manifest(&keys))?);
            Ok(())
        }
        Some("tokens") => {
            let n: u64 = args.get(1).context("edge-bench tokens N")?.parse()?;
            let keys = keys_from_env()?;
            for user in 0..n {
                let claims = keys.claims_for(format!("u{user}"), role_of(user), now())?;
                println!("sid=u{user}; mizan-mwt={}", mwt::issue(&claims, &keys)?);
            }
            Ok(())
        }
        _ => bail!("usage: edge-bench origin ADDR | manifest | tokens N"),
    }
}

/// `MIZAN_MWT_KEYS="kid=HEXSECRET,kid2=HEXSECRET"`: the first key signs.
fn keys_from_env() -> anyhow::Result<MwtKeys> {
    let spec = std::env::var("MIZAN_MWT_KEYS").context("MIZAN_MWT_KEYS is not set")?;
    let mut keys: Option<MwtKeys> = None;
    for entry in spec.split(',') {
        let (kid, hex) = entry.split_once('=').context("MIZAN_MWT_KEYS: kid=HEX")?;
        let secret = decode_hex(hex)?;
        keys = Some(match keys {
            None => MwtKeys::new(kid, secret)?,
            Some(k) => k.with_key(kid, secret)?,
        });
    }
    keys.context("MIZAN_MWT_KEYS is empty")
}

fn decode_hex(hex: &str) -> anyhow::Result<Vec<u8>> {
    if hex.len() % 2 != 0 {
        bail!("odd hex length");
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).context("bad hex"))
        .collect()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn role_of(user: u64) -> [String; 1] {
    [format!("role{}", user % 3)]
}

fn manifest(keys: &MwtKeys) -> serde_json::Value {
    let kids: Vec<&str> = keys.kids().collect();
    json!({
        "format": "mizan-edge-manifest",
        "version": 1,
        "protocol": 1,
        "base_path": "/api/mizan",
        "credentials": {"session_cookie": "sid", "bearer": true},
        "mwt": {
            "cookie": mwt::COOKIE_NAME,
            "header": "X-Mizan-MWT",
            "key_ids": kids,
            "signing_key_id": keys.signing_kid(),
            "leeway": keys.leeway(),
        },
        "contexts": {
            "pub": {"path": "/api/mizan/ctx/pub/", "params": ["item"], "ttl": 60,
                    "scope": "public", "revs": {"pub_item": 1}, "content_type": "application/json"},
            "me": {"path": "/api/mizan/ctx/me/", "params": ["item"], "ttl": 60,
                   "scope": "user", "revs": {"my_item": 1}, "content_type": "application/json"},
        },
        "routes": [],
        "purges": {
            "touch": {"route": null, "contexts": ["pub", "me"], "routes": []},
        },
    })
}

async fn serve(addr: String) -> anyhow::Result<()> {
    let state = Arc::new(Origin {
        keys: keys_from_env()?,
        served: AtomicU64::new(0),
        filler: "x".repeat(1900),
    });
    let app = Router::new()
        .route("/static/{n}", get(static_file))
        .route("/api/mizan/ctx/pub/", get(ctx_pub))
        .route("/api/mizan/ctx/me/", get(ctx_me))
        .route("/api/mizan/call/touch", post(touch))
        .route("/__stats", get(stats))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("origin listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

fn json_response(cache_control: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, cache_control),
        ],
        body,
    )
        .into_response()
}

async fn static_file(State(o): State<Arc<Origin>>, Path(n): Path<u64>) -> Response {
    o.served.fetch_add(1, Ordering::Relaxed);
    let body = json!({"static": n, "filler": o.filler}).to_string();
    json_response("public, max-age=300", body)
}

async fn ctx_pub(State(o): State<Arc<Origin>>, Query(q): Query<Item>) -> Response {
    o.served.fetch_add(1, Ordering::Relaxed);
    let body = json!({"pub_item": {"item": q.item, "filler": o.filler}}).to_string();
    json_response("public, max-age=60, s-maxage=60", body)
}

/// The caller of a request: the user id of its `sid` cookie.
fn caller(headers: &HeaderMap) -> Option<u64> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("sid=u"))
        .find_map(|id| id.parse().ok())
}

async fn ctx_me(
    State(o): State<Arc<Origin>>,
    Query(q): Query<Item>,
    headers: HeaderMap,
) -> Response {
    o.served.fetch_add(1, Ordering::Relaxed);
    let user = caller(&headers);
    let body = json!({"my_item": {"item": q.item, "user": user.map(|u| format!("u{u}")), "filler": o.filler}})
        .to_string();
    let mut response = json_response("private, max-age=60", body);
    response
        .headers_mut()
        .insert("x-mizan-scope", HeaderValue::from_static("user"));
    let now = now();
    let wanted = match user {
        Some(u) => match o.keys.claims_for(format!("u{u}"), role_of(u), now) {
            Ok(c) => Some(c),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        None => None,
    };
    let header_tokens: Vec<&str> = headers
        .get_all(mwt::HEADER_NAME)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let cookies: Vec<&str> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let presented = mwt::presented(&header_tokens, &cookies);
    let set = match mwt::refresh(presented, wanted.as_ref(), &o.keys, now) {
        MwtRefresh::Keep => None,
        MwtRefresh::Clear => Some((mwt::clear_cookie(false), None)),
        MwtRefresh::Issue(claims) => match mwt::issue(&claims, &o.keys) {
            Ok(token) => Some((
                mwt::set_cookie(&token, claims.exp().saturating_sub(now), false),
                Some(token),
            )),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
    };
    if let Some((cookie, token)) = set {
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.insert(header::SET_COOKIE, v);
        }
        if let Some(v) = token.and_then(|t| HeaderValue::from_str(&t).ok()) {
            h.insert(mwt::HEADER_NAME, v);
        }
    }
    response
}

async fn touch(State(o): State<Arc<Origin>>, body: Bytes) -> Response {
    o.served.fetch_add(1, Ordering::Relaxed);
    let item = serde_json::from_slice::<Item>(&body)
        .ok()
        .and_then(|i| i.item);
    let Some(item) = item else {
        return (StatusCode::BAD_REQUEST, "item required").into_response();
    };
    let body = json!({
        "result": null,
        "invalidate": [
            {"context": "pub", "params": {"item": item}},
            {"context": "me", "params": {"item": item}},
        ],
    })
    .to_string();
    json_response("no-store", body)
}

async fn stats(State(o): State<Arc<Origin>>) -> Response {
    let body = json!({"served": o.served.load(Ordering::Relaxed)}).to_string();
    json_response("no-store", body)
}
