//! Manifest mode: the manifest is the cache policy; MWT scopes; purges.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mizan_protocol::mwt::{self, MwtClaims, MwtKeys};
use support::{Http, Origin, Seen, edge, origin, reply};

const SECRET: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const OTHER_SECRET: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1eff";

fn manifest_json() -> serde_json::Value {
    serde_json::json!({
        "format": "mizan-edge-manifest",
        "version": 1,
        "protocol": 1,
        "base_path": "/api/mizan",
        "credentials": { "session_cookie": "sid", "bearer": true },
        "mwt": {
            "cookie": "mizan-mwt",
            "header": "x-mizan-mwt",
            "key_ids": ["k1"],
            "signing_key_id": "k1",
            "leeway": 0
        },
        "contexts": {
            "todos": {
                "path": "/api/mizan/ctx/todos/",
                "params": ["project"],
                "ttl": 60,
                "scope": "public",
                "revs": { "todo_list": 1 },
                "content_type": "application/json"
            },
            "mine": {
                "path": "/api/mizan/ctx/mine/",
                "params": [],
                "ttl": 60,
                "scope": "user",
                "revs": { "my_todos": 0 },
                "content_type": "application/json"
            },
            "staff": {
                "path": "/api/mizan/ctx/staff/",
                "params": [],
                "ttl": 60,
                "scope": "roles",
                "revs": { "staff_list": 0 },
                "content_type": "application/json"
            },
            "live": {
                "path": "/api/mizan/ctx/live/",
                "params": [],
                "ttl": null,
                "scope": "public",
                "revs": { "clock": 0 },
                "content_type": "application/json"
            }
        },
        "routes": [{
            "function": "todo_page",
            "context": "todos",
            "pattern": "/projects/{project}",
            "params": ["page"],
            "ttl": 60,
            "scope": "public",
            "rev": 0,
            "content_type": "text/html"
        }],
        "purges": {
            "add_todo": { "route": null, "contexts": ["todos"], "routes": ["/projects/{project}"] },
            "add_todo_form": {
                "route": { "pattern": "/projects/{project}/add", "methods": ["POST"] },
                "contexts": ["todos"],
                "routes": ["/projects/{project}"]
            }
        }
    })
}

fn keys(secret: &str) -> MwtKeys {
    mizan_edge::parse_mwt_keys(&format!("k1={secret}")).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(sub: &str, roles: &[&str], exp: u64, secret: &str) -> String {
    let claims = MwtClaims::new(sub, roles.iter().copied(), exp).unwrap();
    mwt::issue(&claims, &keys(secret)).unwrap()
}

fn json(n: usize, extra: &str) -> String {
    format!("{{\"n\":{n}{extra}}}")
}

/// The usual origin: contexts answer JSON with the request number; `/call/add_todo/`
/// answers an invalidation in its body; `/projects/{p}` answers HTML.
fn standard(seen: &Seen, n: usize) -> http::Response<http_body_util::Full<bytes::Bytes>> {
    let path = seen.uri.split('?').next().unwrap();
    match path {
        "/api/mizan/call/add_todo/" => reply(
            200,
            &[
                ("content-type", "application/json"),
                ("cache-control", "no-store"),
            ],
            r#"{"invalidate":[{"context":"todos","params":{"project":3}}],"result":null}"#,
        ),
        p if p.starts_with("/api/mizan/ctx/todos/") => reply(
            200,
            &[
                ("content-type", "application/json"),
                ("cache-control", "public, max-age=60, s-maxage=60"),
            ],
            json(n, ""),
        ),
        p if p.starts_with("/api/mizan/ctx/") => reply(
            200,
            &[
                ("content-type", "application/json"),
                ("cache-control", "private, max-age=60"),
            ],
            json(n, ""),
        ),
        p if p.starts_with("/projects/") && p.ends_with("/add") => reply(
            303,
            &[
                ("location", "/projects/3"),
                ("x-mizan-invalidate", "todos"),
                ("cache-control", "no-store"),
            ],
            "",
        ),
        p if p.starts_with("/projects/") => reply(
            200,
            &[
                ("content-type", "text/html; charset=utf-8"),
                ("cache-control", "public, max-age=60"),
            ],
            format!("<p>{n}</p>"),
        ),
        _ => reply(
            200,
            &[
                ("content-type", "text/plain"),
                ("cache-control", "max-age=60"),
            ],
            format!("{n}"),
        ),
    }
}

struct Setup {
    origin: Origin,
    http: Http,
    edge: mizan_edge::RunningEdge,
    dir: tempfile::TempDir,
}

async fn setup_with<F>(handler: F, manifest: serde_json::Value) -> Setup
where
    F: Fn(&Seen, usize) -> http::Response<http_body_util::Full<bytes::Bytes>>
        + Send
        + Sync
        + 'static,
{
    let origin = origin(handler).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edge-manifest.json");
    std::fs::write(&path, manifest.to_string()).unwrap();
    let (edge, http) = edge(vec![origin.url()], |c| {
        c.manifest = Some(path);
        c.mwt_keys = Some(keys(SECRET));
    })
    .await;
    Setup {
        origin,
        http,
        edge,
        dir,
    }
}

async fn setup() -> Setup {
    setup_with(standard, manifest_json()).await
}

const TODOS: &str = "/api/mizan/ctx/todos/?project=3";

#[tokio::test]
async fn manifest_contexts_and_routes_are_cached_and_nothing_else() {
    let s = setup().await;
    let a = s.http.get(TODOS).await;
    let b = s.http.get(TODOS).await;
    assert_eq!((a.edge(), b.edge()), ("miss", "hit"));
    assert_eq!(a.body, b.body);
    assert!(b.header("age").is_some());
    // Another instance is another entry.
    assert_ne!(
        s.http.get("/api/mizan/ctx/todos/?project=4").await.body,
        a.body
    );
    // Not in the manifest, though the origin says max-age: passes.
    let x = s.http.get("/elsewhere").await;
    let y = s.http.get("/elsewhere").await;
    assert_eq!((x.edge(), y.edge()), ("pass", "pass"));
    assert_ne!(x.body, y.body);
    // A context without ttl passes.
    assert_eq!(s.http.get("/api/mizan/ctx/live/").await.edge(), "pass");
    // A route: stored, undeclared params stripped from key and forwarded URL.
    let r1 = s.http.get("/projects/3?page=2&utm_source=x").await;
    let r2 = s.http.get("/projects/3?utm_source=y&page=2").await;
    assert_eq!((r1.edge(), r2.edge()), ("miss", "hit"));
    assert_eq!(s.origin.last().uri, "/projects/3?page=2");
    assert_ne!(s.http.get("/projects/3?page=3").await.body, r1.body);
    // HEAD is answered from a GET entry.
    let head = s.http.send("HEAD", TODOS, &[], "").await;
    assert_eq!(head.edge(), "hit");
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn context_queries_must_be_declared_and_canonical() {
    let s = setup().await;
    for path in [
        "/api/mizan/ctx/todos/?project=3&other=1",
        "/api/mizan/ctx/todos/?project=3.0",
        "/api/mizan/ctx/todos/?project=%7B%22b%22%3A1%2C%22a%22%3A2%7D",
        "/api/mizan/ctx/todos/?project=not-json",
    ] {
        let a = s.http.get(path).await;
        let b = s.http.get(path).await;
        assert_eq!((a.edge(), b.edge()), ("pass", "pass"), "{path}");
    }
    let canonical = "/api/mizan/ctx/todos/?project=%7B%22a%22%3A2%2C%22b%22%3A1%7D";
    s.http.get(canonical).await;
    assert_eq!(s.http.get(canonical).await.edge(), "hit");
}

#[tokio::test]
async fn ambiguous_paths_and_get_bodies_pass() {
    let s = setup().await;
    for path in [
        "/api/mizan/ctx/todos/;x?project=3",
        "/api/mizan/ctx/todos%2F?project=3",
        "/api/mizan/ctx/%2e%2e/ctx/todos/?project=3",
        "/api/mizan//ctx/todos/?project=3",
        "/projects/3%2F4",
        "/projects/3%23",
        "/projects/3%5C",
    ] {
        let a = s.http.get(path).await;
        let b = s.http.get(path).await;
        assert_eq!((a.edge(), b.edge()), ("pass", "pass"), "{path}");
    }
    let a = s.http.send("GET", TODOS, &[], "a body").await;
    assert_eq!(a.edge(), "pass");
    assert_eq!(
        s.http.send("GET", TODOS, &[], "a body").await.edge(),
        "pass"
    );
}

#[tokio::test]
async fn never_store_rules() {
    type Rule<'a> = (&'a str, &'a [(&'a str, &'a str)], u16);
    let rules: &[Rule<'_>] = &[
        (
            "set-cookie",
            &[
                ("content-type", "application/json"),
                ("set-cookie", "sid=1"),
            ],
            200,
        ),
        (
            "no-store",
            &[
                ("content-type", "application/json"),
                ("cache-control", "no-store"),
            ],
            200,
        ),
        ("status", &[("content-type", "application/json")], 404),
        ("status500", &[("content-type", "application/json")], 500),
        ("content-type", &[("content-type", "text/html")], 200),
        (
            "scope-user",
            &[
                ("content-type", "application/json"),
                ("x-mizan-scope", "user"),
            ],
            200,
        ),
        (
            "private",
            &[
                ("content-type", "application/json"),
                ("cache-control", "private, max-age=60"),
            ],
            200,
        ),
        (
            "vary",
            &[
                ("content-type", "application/json"),
                ("vary", "accept-language"),
            ],
            200,
        ),
        (
            "invalidates",
            &[
                ("content-type", "application/json"),
                ("x-mizan-invalidate", "live"),
            ],
            200,
        ),
        (
            "no-cache",
            &[
                ("content-type", "application/json"),
                ("cache-control", "no-cache"),
            ],
            200,
        ),
        (
            "max-age-0",
            &[
                ("content-type", "application/json"),
                ("cache-control", "max-age=0"),
            ],
            200,
        ),
    ];
    for (name, headers, status) in rules {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let status = *status;
        let s = setup_with(
            move |_, n| {
                let h: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                reply(status, &h, json(n, ""))
            },
            manifest_json(),
        )
        .await;
        let a = s.http.get(TODOS).await;
        let b = s.http.get(TODOS).await;
        assert_ne!(a.body, b.body, "rule {name}: stored");
        if *name == "set-cookie" {
            assert_eq!(
                b.header("set-cookie"),
                Some("sid=1"),
                "the client still gets its cookie"
            );
        }
    }
}

#[tokio::test]
async fn forwarding_headers_and_client_invalidations_are_stripped() {
    let s = setup().await;
    s.http.get(TODOS).await;
    s.http
        .get_with(
            "/elsewhere",
            &[
                ("x-forwarded-host", "evil.example"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-for", "6.6.6.6"),
                ("forwarded", "for=6.6.6.6"),
                ("x-original-url", "/admin"),
                ("x-rewrite-url", "/admin"),
                ("x-host", "evil.example"),
                ("x-mizan-invalidate", "todos"),
            ],
        )
        .await;
    let seen = s.origin.last();
    for name in [
        "x-forwarded-host",
        "forwarded",
        "x-original-url",
        "x-rewrite-url",
        "x-host",
        "x-mizan-invalidate",
    ] {
        assert!(
            seen.headers.get(name).is_none(),
            "{name} reached the origin"
        );
    }
    assert_eq!(seen.headers.get("x-forwarded-for").unwrap(), "127.0.0.1");
    assert_eq!(seen.headers.get("x-forwarded-proto").unwrap(), "http");
    // The client's X-Mizan-Invalidate purged nothing.
    let posted = s
        .http
        .send("POST", "/elsewhere", &[("x-mizan-invalidate", "todos")], "")
        .await;
    assert_eq!(posted.status, 200);
    assert_eq!(s.http.get(TODOS).await.edge(), "hit");
}

#[tokio::test]
async fn mwt_scopes() {
    let s = setup().await;
    let alice = token("alice", &["staff"], now() + 300, SECRET);
    let bob = token("bob", &["staff"], now() + 300, SECRET);
    let carol = token("carol", &["admin", "staff"], now() + 300, SECRET);
    let mine = "/api/mizan/ctx/mine/";
    // Per user: alice's entry serves alice, never bob.
    let a1 = s.http.get_with(mine, &[("x-mizan-mwt", &alice)]).await;
    let a2 = s
        .http
        .get_with(mine, &[("cookie", &format!("mizan-mwt={alice}"))])
        .await;
    assert_eq!((a1.edge(), a2.edge()), ("miss", "hit"));
    let b1 = s.http.get_with(mine, &[("x-mizan-mwt", &bob)]).await;
    assert_eq!(b1.edge(), "miss");
    assert_ne!(b1.body, a1.body);
    // Per role set: alice and bob share, carol does not.
    let staff = "/api/mizan/ctx/staff/";
    let sa = s.http.get_with(staff, &[("x-mizan-mwt", &alice)]).await;
    let sb = s.http.get_with(staff, &[("x-mizan-mwt", &bob)]).await;
    let sc = s.http.get_with(staff, &[("x-mizan-mwt", &carol)]).await;
    assert_eq!((sa.edge(), sb.edge(), sc.edge()), ("miss", "hit", "miss"));
    assert_eq!(sa.body, sb.body);
    // No token, a forged one, an expired one, one under another key, one of an unknown
    // kid, two header fields: no scope, so the origin answers.
    let forged = {
        let mut t = alice.clone();
        let last = t.pop().unwrap();
        t.push(if last == 'A' { 'B' } else { 'A' });
        t
    };
    let expired = token("alice", &["staff"], now() - 10, SECRET);
    let wrong_key = token("alice", &["staff"], now() + 300, OTHER_SECRET);
    let unknown_kid = {
        let claims = MwtClaims::new("alice", ["staff"], now() + 300).unwrap();
        mwt::issue(
            &claims,
            &mizan_edge::parse_mwt_keys(&format!("k9={SECRET}")).unwrap(),
        )
        .unwrap()
    };
    for (name, headers) in [
        ("none", vec![]),
        ("forged", vec![("x-mizan-mwt", forged.as_str())]),
        ("expired", vec![("x-mizan-mwt", expired.as_str())]),
        ("wrong key", vec![("x-mizan-mwt", wrong_key.as_str())]),
        ("unknown kid", vec![("x-mizan-mwt", unknown_kid.as_str())]),
        (
            "two fields",
            vec![
                ("x-mizan-mwt", alice.as_str()),
                ("x-mizan-mwt", alice.as_str()),
            ],
        ),
    ] {
        let before = s.origin.hits();
        let got = s.http.get_with(mine, &headers).await;
        assert_eq!(got.edge(), "pass", "{name}");
        assert_ne!(got.body, a1.body, "{name} got alice's entry");
        assert_eq!(s.origin.hits(), before + 1, "{name}");
    }
    // A public context ignores tokens.
    let p1 = s.http.get_with(TODOS, &[("x-mizan-mwt", &alice)]).await;
    let p2 = s.http.get(TODOS).await;
    assert_eq!((p1.edge(), p2.edge()), ("miss", "hit"));
}

#[tokio::test]
async fn scoped_responses_are_filed_under_the_origin_vouched_token() {
    let alice = token("alice", &["staff"], now() + 300, SECRET);
    let bob = token("bob", &["staff"], now() + 300, SECRET);
    let issued = alice.clone();
    // The origin found the request's token (bob's, stale cookie) wrong: the session is
    // alice's, so it answers alice's data and issues alice's token.
    let s = setup_with(
        move |_, n| {
            reply(
                200,
                &[
                    ("content-type", "application/json"),
                    ("cache-control", "private, max-age=60"),
                    ("x-mizan-mwt", &issued),
                    (
                        "set-cookie",
                        &format!("mizan-mwt={issued}; Path=/; HttpOnly"),
                    ),
                ],
                json(n, ",\"for\":\"alice\""),
            )
        },
        manifest_json(),
    )
    .await;
    let mine = "/api/mizan/ctx/mine/";
    let first = s.http.get_with(mine, &[("x-mizan-mwt", &bob)]).await;
    assert_eq!(first.edge(), "miss");
    assert_eq!(
        first.header("x-mizan-mwt"),
        Some(alice.as_str()),
        "the client gets its token"
    );
    assert!(first.header("set-cookie").is_some());
    // Bob's key holds nothing; alice's holds the response, without the token headers.
    assert_eq!(
        s.http.get_with(mine, &[("x-mizan-mwt", &bob)]).await.edge(),
        "miss"
    );
    let hit = s.http.get_with(mine, &[("x-mizan-mwt", &alice)]).await;
    assert_eq!(hit.edge(), "hit");
    assert!(hit.body.contains("alice"));
    assert!(hit.header("x-mizan-mwt").is_none(), "X-Mizan-MWT replayed");
    assert!(hit.header("set-cookie").is_none(), "Set-Cookie replayed");
}

#[tokio::test]
async fn x_mizan_scope_user_files_a_public_context_under_the_user() {
    let s = setup_with(
        |seen, n| {
            let who = seen
                .headers
                .get("x-mizan-mwt")
                .map_or("nobody".to_owned(), |t| {
                    t.to_str().unwrap()[..20].to_owned()
                });
            reply(
                200,
                &[
                    ("content-type", "application/json"),
                    ("cache-control", "private, max-age=60"),
                    ("x-mizan-scope", "user"),
                ],
                json(n, &format!(",\"who\":\"{who}\"")),
            )
        },
        manifest_json(),
    )
    .await;
    let alice = token("alice", &["staff"], now() + 300, SECRET);
    let bob = token("bob", &["staff"], now() + 300, SECRET);
    let a1 = s.http.get_with(TODOS, &[("x-mizan-mwt", &alice)]).await;
    let a2 = s.http.get_with(TODOS, &[("x-mizan-mwt", &alice)]).await;
    assert_eq!((a1.edge(), a2.edge()), ("miss", "hit"));
    assert_eq!(a1.body, a2.body);
    let b = s.http.get_with(TODOS, &[("x-mizan-mwt", &bob)]).await;
    assert_eq!(b.edge(), "miss");
    let anon = s.http.get(TODOS).await;
    assert_eq!(anon.edge(), "miss");
    assert_eq!(
        s.http.get(TODOS).await.edge(),
        "miss",
        "no public copy of a per-user response"
    );
}

#[tokio::test]
async fn a_cleared_token_stores_nothing() {
    let s = setup_with(
        |_, n| {
            reply(
                200,
                &[
                    ("content-type", "application/json"),
                    ("set-cookie", "mizan-mwt=; Path=/; Max-Age=0"),
                ],
                json(n, ""),
            )
        },
        manifest_json(),
    )
    .await;
    let alice = token("alice", &["staff"], now() + 300, SECRET);
    let mine = "/api/mizan/ctx/mine/";
    s.http.get_with(mine, &[("x-mizan-mwt", &alice)]).await;
    assert_eq!(
        s.http
            .get_with(mine, &[("x-mizan-mwt", &alice)])
            .await
            .edge(),
        "miss"
    );
}

#[tokio::test]
async fn a_vary_on_the_credentials_is_covered_by_the_scope() {
    // What a Mizan origin sends on every context of an API with sessions or bearer tokens.
    let s = setup_with(
        |_, n| {
            reply(
                200,
                &[
                    ("content-type", "application/json"),
                    ("cache-control", "public, max-age=60, s-maxage=60"),
                    ("vary", "authorization, cookie"),
                ],
                json(n, ""),
            )
        },
        manifest_json(),
    )
    .await;
    let a = s.http.get(TODOS).await;
    let b = s.http.get(TODOS).await;
    assert_eq!((a.edge(), b.edge()), ("miss", "hit"));
    assert_eq!(a.body, b.body);
}

#[tokio::test]
async fn credentialed_requests_to_public_contexts() {
    // The origin answers a credentialed request without `public`: not stored.
    let s = setup_with(
        |seen, n| {
            let cc = if seen.headers.contains_key("authorization")
                || seen.headers.contains_key("cookie")
            {
                "max-age=60"
            } else {
                "public, max-age=60"
            };
            reply(
                200,
                &[("content-type", "application/json"), ("cache-control", cc)],
                json(n, ""),
            )
        },
        manifest_json(),
    )
    .await;
    let a = s
        .http
        .get_with(TODOS, &[("authorization", "Bearer x")])
        .await;
    let b = s.http.get_with(TODOS, &[("cookie", "sid=abc")]).await;
    assert_eq!((a.edge(), b.edge()), ("miss", "miss"));
    let c = s.http.get(TODOS).await;
    assert_eq!(c.edge(), "miss");
    // The public entry answers the credentialed request.
    let d = s
        .http
        .get_with(TODOS, &[("authorization", "Bearer x")])
        .await;
    assert_eq!(d.edge(), "hit");
    assert_eq!(d.body, c.body);
}

#[tokio::test]
async fn purges_from_bodies_and_headers_are_scoped() {
    let s = setup().await;
    let p3 = s.http.get(TODOS).await;
    let p4 = s.http.get("/api/mizan/ctx/todos/?project=4").await;
    let all = s.http.get("/api/mizan/ctx/todos/").await;
    let route3 = s.http.get("/projects/3").await;
    let route4 = s.http.get("/projects/4").await;
    // `add_todo` invalidates {"context":"todos","params":{"project":3}} in its body.
    let call = s
        .http
        .send(
            "POST",
            "/api/mizan/call/add_todo/",
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    assert_eq!(call.status, 200);
    assert!(call.body.contains("invalidate"));
    assert_ne!(s.http.get(TODOS).await.body, p3.body, "project 3 purged");
    assert_eq!(
        s.http.get("/api/mizan/ctx/todos/?project=4").await.body,
        p4.body,
        "project 4 kept"
    );
    assert_ne!(
        s.http.get("/api/mizan/ctx/todos/").await.body,
        all.body,
        "the unfiltered list purged"
    );
    assert_ne!(
        s.http.get("/projects/3").await.body,
        route3.body,
        "the route of project 3 purged"
    );
    assert_eq!(
        s.http.get("/projects/4").await.body,
        route4.body,
        "the route of project 4 kept"
    );
    // A view-path response's X-Mizan-Invalidate purges the whole context.
    let p4 = s.http.get("/api/mizan/ctx/todos/?project=4").await;
    let form = s.http.send("POST", "/projects/3/add", &[], "title=x").await;
    assert_eq!(form.status, 303);
    assert_ne!(
        s.http.get("/api/mizan/ctx/todos/?project=4").await.body,
        p4.body
    );
    assert!(s.edge.metrics_text().contains("mizan_edge_purges_total 2"));
}

#[tokio::test]
async fn a_response_fetched_across_a_purge_is_not_stored() {
    let slow = Arc::new(AtomicBool::new(true));
    let slow2 = slow.clone();
    let s = setup_with(
        move |seen, n| {
            if seen.uri.starts_with("/api/mizan/ctx/") && slow2.swap(false, Ordering::SeqCst) {
                return reply(
                    200,
                    &[
                        ("content-type", "application/json"),
                        ("x-test-delay-ms", "400"),
                    ],
                    json(n, ""),
                );
            }
            standard(seen, n)
        },
        manifest_json(),
    )
    .await;
    let http = s.http.clone();
    let slow_get = tokio::spawn(async move { http.get(TODOS).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.http
        .send("POST", "/api/mizan/call/add_todo/", &[], "{}")
        .await;
    let first = slow_get.await.unwrap();
    assert_eq!(first.edge(), "miss");
    let next = s.http.get(TODOS).await;
    assert_eq!(next.edge(), "miss", "the pre-purge response was stored");
    assert_ne!(next.body, first.body);
}

#[tokio::test]
async fn concurrent_misses_coalesce() {
    let s = setup_with(
        |seen, n| {
            let mut r = standard(seen, n);
            r.headers_mut()
                .insert("x-test-delay-ms", "300".parse().unwrap());
            r
        },
        manifest_json(),
    )
    .await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let http = s.http.clone();
        tasks.push(tokio::spawn(async move { http.get(TODOS).await.body }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), json(1, ""));
    }
    assert_eq!(s.origin.hits(), 1);
}

#[tokio::test]
async fn reload_swaps_the_manifest_and_keeps_connections() {
    let s = setup().await;
    s.http.get(TODOS).await;
    assert_eq!(s.http.get(TODOS).await.edge(), "hit");
    // A bad manifest is refused and the old one stays.
    let path = s.dir.path().join("edge-manifest.json");
    std::fs::write(&path, "{\"format\":\"nope\"}").unwrap();
    assert!(s.edge.reload().is_err());
    assert_eq!(s.http.get(TODOS).await.edge(), "hit");
    // A new manifest without the todos context: todos passes from now on; the keep-alive
    // connection of the client keeps working.
    let mut m = manifest_json();
    m["contexts"]["todos"]["ttl"] = serde_json::Value::Null;
    std::fs::write(&path, m.to_string()).unwrap();
    s.edge.reload().unwrap();
    assert_eq!(s.http.get(TODOS).await.edge(), "pass");
    // The file poller picks up a change on its own.
    std::fs::write(&path, manifest_json().to_string()).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if s.http.get(TODOS).await.edge() != "pass" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the change was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        s.edge
            .metrics_text()
            .contains("mizan_edge_reload_failures_total 1")
    );
}

#[tokio::test]
async fn websocket_upgrades_pass_through() {
    use futures_util::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::Message;
    // A WebSocket echo origin.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_text() {
                        ws.send(Message::text(format!("echo {}", msg.to_text().unwrap())))
                            .await
                            .unwrap();
                    }
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    std::fs::write(&path, manifest_json().to_string()).unwrap();
    let (edge, _http) = edge(vec![format!("http://{addr}")], |c| c.manifest = Some(path)).await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/api/mizan/ws/", edge.addr()))
            .await
            .unwrap();
    ws.send(Message::text("hi")).await.unwrap();
    let got = ws.next().await.unwrap().unwrap();
    assert_eq!(got.to_text().unwrap(), "echo hi");
    assert!(
        edge.metrics_text()
            .contains("mizan_edge_websocket_upgrades_total 1")
    );
}

#[tokio::test]
async fn bus_events_purge() {
    let redis = mizan_test_redis::Redis::start();
    let channel = format!("mizan-edge-test:{}", now() ^ u64::from(std::process::id()));
    let origin = origin(standard).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    std::fs::write(&path, manifest_json().to_string()).unwrap();
    let (edge, http) = edge(vec![origin.url()], |c| {
        c.manifest = Some(path);
        c.redis = Some(redis.url.clone());
        c.bus_channel = channel.clone();
    })
    .await;
    // Wait until subscribed (the first connection purges everything).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !edge
        .metrics_text()
        .contains("mizan_edge_bus_reconnects_total 1")
    {
        assert!(std::time::Instant::now() < deadline, "never subscribed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let p3 = http.get(TODOS).await;
    let p4 = http.get("/api/mizan/ctx/todos/?project=4").await;
    let event = r#"{"kind":"invalidate","source":"add_todo","caller":"7","invalidate":[{"context":"todos","params":{"project":3}}]}"#;
    let _: i64 = redis::cmd("PUBLISH")
        .arg(&channel)
        .arg(event)
        .query_async(&mut conn)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while http.get(TODOS).await.body == p3.body {
        assert!(
            std::time::Instant::now() < deadline,
            "the bus event did not purge"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        http.get("/api/mizan/ctx/todos/?project=4").await.body,
        p4.body
    );
    // `resync` purges everything.
    let _: i64 = redis::cmd("PUBLISH")
        .arg(&channel)
        .arg(r#"{"kind":"resync"}"#)
        .query_async(&mut conn)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while http.get("/api/mizan/ctx/todos/?project=4").await.body == p4.body {
        assert!(std::time::Instant::now() < deadline, "resync did not purge");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        edge.metrics_text()
            .contains("mizan_edge_bus_events_total 2")
    );
}

#[tokio::test]
async fn a_bus_reconnection_purges_everything() {
    let mut redis = mizan_test_redis::Redis::own();
    let origin = origin(standard).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    std::fs::write(&path, manifest_json().to_string()).unwrap();
    let (edge, http) = edge(vec![origin.url()], |c| {
        c.manifest = Some(path);
        c.redis = Some(redis.url.clone());
    })
    .await;
    let wait_for = |needle: &'static str| {
        let edge = &edge;
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while !edge.metrics_text().contains(needle) {
                assert!(std::time::Instant::now() < deadline, "never saw {needle}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    wait_for("mizan_edge_bus_reconnects_total 1").await;
    let first = http.get(TODOS).await;
    assert_eq!(http.get(TODOS).await.edge(), "hit");
    // The bus goes away and comes back: events may have been lost meanwhile.
    redis.restart();
    wait_for("mizan_edge_bus_reconnects_total 2").await;
    let after = http.get(TODOS).await;
    assert_eq!(after.edge(), "miss");
    assert_ne!(after.body, first.body);
}

#[tokio::test]
async fn an_expired_entry_is_revalidated_with_its_etag() {
    let s = setup_with(
        |seen, n| {
            if seen
                .headers
                .get("if-none-match")
                .is_some_and(|v| v == "\"t1\"")
            {
                return reply(
                    304,
                    &[
                        ("etag", "\"t1\""),
                        ("cache-control", "public, max-age=1"),
                        ("x-round", &n.to_string()),
                    ],
                    "",
                );
            }
            reply(
                200,
                &[
                    ("content-type", "application/json"),
                    ("cache-control", "public, max-age=1"),
                    ("etag", "\"t1\""),
                    ("x-round", &n.to_string()),
                ],
                json(n, ""),
            )
        },
        manifest_json(),
    )
    .await;
    let first = s.http.get(TODOS).await;
    assert_eq!(s.http.get(TODOS).await.edge(), "hit");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let revalidated = s.http.get(TODOS).await;
    assert_eq!(revalidated.status, 200);
    assert_eq!(
        revalidated.body, first.body,
        "the stored body, not the 304's"
    );
    assert_eq!(revalidated.header("x-round"), Some("2"), "the 304's fields");
    assert_eq!(
        s.origin.last().headers.get("if-none-match").unwrap(),
        "\"t1\""
    );
    let hit = s.http.get(TODOS).await;
    assert_eq!(hit.edge(), "hit");
    assert_eq!(hit.header("x-round"), Some("2"));
    assert_eq!(s.origin.hits(), 2);
    assert!(
        s.edge
            .metrics_text()
            .contains("mizan_edge_not_modified_total 1")
    );
}
