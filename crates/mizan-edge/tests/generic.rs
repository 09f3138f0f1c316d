//! Generic RFC 9111 mode (no manifest), against an in-test origin.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{dead_port, edge, origin, reply};

#[tokio::test]
async fn fresh_responses_are_served_with_age_and_others_are_not_stored() {
    let o = origin(|seen, n| match seen.uri.as_str() {
        u if u.starts_with("/max-age") => {
            reply(200, &[("cache-control", "max-age=60")], format!("{n}"))
        }
        u if u.starts_with("/no-store") => reply(
            200,
            &[("cache-control", "no-store, max-age=60")],
            format!("{n}"),
        ),
        u if u.starts_with("/private") => reply(
            200,
            &[("cache-control", "private, max-age=60")],
            format!("{n}"),
        ),
        u if u.starts_with("/cookie") => reply(
            200,
            &[("cache-control", "max-age=60"), ("set-cookie", "a=b")],
            format!("{n}"),
        ),
        _ => reply(200, &[], format!("{n}")),
    })
    .await;
    let (_edge, http) = edge(vec![o.url()], |_| {}).await;
    let a = http.get("/max-age").await;
    let b = http.get("/max-age").await;
    assert_eq!((a.edge(), b.edge()), ("miss", "hit"));
    assert_eq!(a.body, b.body);
    assert!(b.header("age").is_some());
    assert!(b.header("via").unwrap().contains("mizan-edge"));
    for path in ["/no-store", "/private", "/cookie", "/plain"] {
        let first = http.get(path).await;
        let second = http.get(path).await;
        assert_ne!(first.body, second.body, "{path} was stored");
    }
    // Set-Cookie reached the client on the pass.
    assert_eq!(http.get("/cookie").await.header("set-cookie"), Some("a=b"));
}

#[tokio::test]
async fn vary_keeps_one_variant_per_selecting_header() {
    let o = origin(|seen, n| {
        let lang = seen
            .headers
            .get("accept-language")
            .map_or("none", |v| v.to_str().unwrap());
        reply(
            200,
            &[("cache-control", "max-age=60"), ("vary", "accept-language")],
            format!("{lang}-{n}"),
        )
    })
    .await;
    let (_edge, http) = edge(vec![o.url()], |_| {}).await;
    let en = http.get_with("/v", &[("accept-language", "en")]).await;
    let fr = http.get_with("/v", &[("accept-language", "fr")]).await;
    let en2 = http.get_with("/v", &[("accept-language", "en")]).await;
    let fr2 = http.get_with("/v", &[("accept-language", "fr")]).await;
    assert!(en.body.starts_with("en-") && fr.body.starts_with("fr-"));
    assert_eq!(en.body, en2.body);
    assert_eq!(fr.body, fr2.body);
    assert_eq!(o.hits(), 2);
}

#[tokio::test]
async fn stale_entries_are_revalidated_and_304_merges_headers() {
    let o = origin(|seen, n| {
        if seen
            .headers
            .get("if-none-match")
            .is_some_and(|v| v == "\"v1\"")
        {
            return reply(
                304,
                &[
                    ("etag", "\"v1\""),
                    ("cache-control", "max-age=1"),
                    ("x-fresh", &n.to_string()),
                ],
                "",
            );
        }
        reply(
            200,
            &[
                ("etag", "\"v1\""),
                ("cache-control", "max-age=1"),
                ("x-fresh", &n.to_string()),
            ],
            "body",
        )
    })
    .await;
    let (edge_, http) = edge(vec![o.url()], |_| {}).await;
    let first = http.get("/r").await;
    assert_eq!(first.header("x-fresh"), Some("1"));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let second = http.get("/r").await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body, "body");
    assert_eq!(
        second.header("x-fresh"),
        Some("2"),
        "the 304's headers replace the stored ones"
    );
    assert_eq!(o.last().headers.get("if-none-match").unwrap(), "\"v1\"");
    let third = http.get("/r").await;
    assert_eq!(third.edge(), "hit");
    assert_eq!(third.header("x-fresh"), Some("2"));
    // A client's own condition is answered by the edge.
    let conditional = http.get_with("/r", &[("if-none-match", "\"v1\"")]).await;
    assert_eq!(conditional.status, 304);
    assert!(
        edge_
            .metrics_text()
            .contains("mizan_edge_not_modified_total 1")
    );
}

#[tokio::test]
async fn unsafe_methods_invalidate_the_target_and_location() {
    let o = origin(|seen, n| {
        if seen.method == http::Method::POST {
            return reply(
                201,
                &[
                    ("location", "/other"),
                    ("content-location", "http://elsewhere.example/x"),
                ],
                "",
            );
        }
        reply(200, &[("cache-control", "max-age=60")], format!("{n}"))
    })
    .await;
    let (_edge, http) = edge(vec![o.url()], |_| {}).await;
    let a = http.get("/thing").await;
    let other = http.get("/other").await;
    assert_eq!(http.get("/thing").await.body, a.body);
    assert_eq!(http.get("/other").await.body, other.body);
    assert_eq!(http.send("POST", "/thing", &[], "x").await.status, 201);
    assert_ne!(http.get("/thing").await.body, a.body);
    assert_ne!(http.get("/other").await.body, other.body);
}

#[tokio::test]
async fn hop_by_hop_and_forwarding_headers_are_stripped() {
    let o = origin(|_, _| {
        reply(
            200,
            &[
                ("connection", "x-secret"),
                ("x-secret", "1"),
                ("keep-alive", "timeout=5"),
            ],
            "ok",
        )
    })
    .await;
    let (_edge, http) = edge(vec![o.url()], |_| {}).await;
    let got = http
        .get_with(
            "/h",
            &[
                ("connection", "x-drop-me"),
                ("x-drop-me", "1"),
                ("x-forwarded-host", "evil.example"),
                ("x-forwarded-for", "6.6.6.6"),
                ("forwarded", "for=6.6.6.6;host=evil.example"),
                ("x-original-url", "/admin"),
                ("x-rewrite-url", "/admin"),
                ("x-host", "evil.example"),
                ("x-mizan-invalidate", "todos"),
                ("te", "trailers"),
            ],
        )
        .await;
    let seen = o.last();
    for name in [
        "x-drop-me",
        "x-forwarded-host",
        "forwarded",
        "x-original-url",
        "x-rewrite-url",
        "x-host",
        "x-mizan-invalidate",
        "te",
    ] {
        assert!(
            seen.headers.get(name).is_none(),
            "{name} reached the origin"
        );
    }
    assert_eq!(seen.headers.get("x-forwarded-for").unwrap(), "127.0.0.1");
    assert_eq!(seen.headers.get("x-forwarded-proto").unwrap(), "http");
    assert!(
        seen.headers
            .get("via")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("mizan-edge")
    );
    assert!(got.header("x-secret").is_none());
    assert!(got.header("keep-alive").is_none());
}

#[tokio::test]
async fn origin_down_is_502_and_a_refusing_origin_is_skipped() {
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let (_edge, http) = edge(vec![dead.clone()], |_| {}).await;
    let got = http.get("/x").await;
    assert_eq!(got.status, 502);
    assert!(got.body.contains("bad_gateway"));
    assert!(!got.body.contains("127.0.0.1"), "no internals in the body");

    let o = origin(|_, n| reply(200, &[], format!("{n}"))).await;
    let (_edge, http) = edge(vec![dead, o.url()], |_| {}).await;
    for _ in 0..6 {
        assert_eq!(http.get("/x").await.status, 200);
        assert_eq!(http.send("POST", "/x", &[], "body").await.status, 200);
    }
    assert_eq!(o.hits(), 12);
}

#[tokio::test]
async fn origins_are_used_round_robin() {
    let a = origin(|_, _| reply(200, &[], "a")).await;
    let b = origin(|_, _| reply(200, &[], "b")).await;
    let (_edge, http) = edge(vec![a.url(), b.url()], |_| {}).await;
    for _ in 0..10 {
        http.get("/rr").await;
    }
    assert_eq!((a.hits(), b.hits()), (5, 5));
}

#[tokio::test]
async fn concurrent_misses_make_one_origin_request() {
    let o = origin(|_, n| {
        reply(
            200,
            &[("cache-control", "max-age=60"), ("x-test-delay-ms", "300")],
            format!("{n}"),
        )
    })
    .await;
    let (edge_, http) = edge(vec![o.url()], |_| {}).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let http = http.clone();
        tasks.push(tokio::spawn(async move { http.get("/slow").await.body }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), "1");
    }
    assert_eq!(o.hits(), 1);
    assert!(
        edge_
            .metrics_text()
            .contains("mizan_edge_coalesced_waits_total 19")
    );
}

#[tokio::test]
async fn uncacheable_coalesced_misses_each_go_to_the_origin() {
    let o = origin(|_, n| {
        reply(
            200,
            &[("cache-control", "no-store"), ("x-test-delay-ms", "200")],
            format!("{n}"),
        )
    })
    .await;
    let (_edge, http) = edge(vec![o.url()], |_| {}).await;
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let http = http.clone();
        tasks.push(tokio::spawn(async move { http.get("/slow").await.body }));
    }
    let mut bodies: Vec<String> = Vec::new();
    for t in tasks {
        bodies.push(t.await.unwrap());
    }
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 5);
}

#[tokio::test]
async fn large_bodies_stream_through_unstored() {
    let big = "x".repeat(9 * 1024 * 1024);
    let body = big.clone();
    let o = origin(move |_, _| reply(200, &[("cache-control", "max-age=60")], body.clone())).await;
    let (_edge, http) = edge(vec![o.url()], |_| {}).await;
    assert_eq!(http.get("/big").await.body.len(), big.len());
    assert_eq!(http.get("/big").await.body.len(), big.len());
    assert_eq!(o.hits(), 2);
}

#[tokio::test]
async fn metrics_are_served_as_prometheus_text() {
    let o = origin(|_, _| reply(200, &[("cache-control", "max-age=60")], "m")).await;
    let (edge_, http) = edge(vec![o.url()], |c| {
        c.metrics = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    http.get("/m").await;
    http.get("/m").await;
    let metrics = support::Http::new(edge_.metrics_addr().unwrap());
    let text = metrics.get("/metrics").await;
    assert_eq!(text.status, 200);
    for line in [
        "mizan_edge_hits_total 1",
        "mizan_edge_misses_total 1",
        "mizan_edge_entries ",
        "mizan_edge_stored_bytes ",
        "mizan_edge_origin_requests_total 1",
        "mizan_edge_origin_latency_seconds_count 1",
        "mizan_edge_purges_total 0",
        "mizan_edge_bus_events_total 0",
        "mizan_edge_coalesced_waits_total 0",
        "mizan_edge_stale_revalidations_total 0",
    ] {
        assert!(text.body.contains(line), "{line} missing in\n{}", text.body);
    }
    assert_eq!(metrics.get("/other").await.status, 404);
}

#[tokio::test]
async fn directives_are_case_insensitive_and_bad_ages_are_stale() {
    let o = origin(|seen, n| match seen.uri.as_str() {
        "/upper" => reply(
            200,
            &[("cache-control", "NO-STORE, MAX-AGE=60")],
            format!("{n}"),
        ),
        "/bad-age" => reply(
            200,
            &[("cache-control", "max-age=3600"), ("age", "abc")],
            format!("{n}"),
        ),
        "/two-ages" => reply(
            200,
            &[
                ("cache-control", "max-age=3600"),
                ("age", "1"),
                ("age", "2"),
            ],
            format!("{n}"),
        ),
        _ => reply(
            200,
            &[
                ("cache-control", "max-age=3600"),
                ("date", "Sun, 29 Nov 2026 10:00:00 GMT"),
            ],
            format!("{n}"),
        ),
    })
    .await;
    let (_edge, http) = edge(vec![o.url()], |_| {}).await;
    for path in ["/upper", "/bad-age", "/two-ages"] {
        let a = http.get(path).await;
        let b = http.get(path).await;
        assert_ne!(a.body, b.body, "{path} was stored");
    }
    http.get("/dated").await;
    let hit = http.get("/dated").await;
    assert_eq!(hit.edge(), "hit");
    assert_eq!(hit.header("date"), Some("Sun, 29 Nov 2026 10:00:00 GMT"));
}

#[tokio::test]
async fn an_unrelated_invalidation_does_not_stop_a_store() {
    let o = origin(|seen, n| {
        if seen.method == http::Method::POST {
            return reply(204, &[], "");
        }
        reply(
            200,
            &[("cache-control", "max-age=60"), ("x-test-delay-ms", "300")],
            format!("{n}"),
        )
    })
    .await;
    let (_edge, http) = edge(vec![o.url()], |_| {}).await;
    let slow = {
        let http = http.clone();
        tokio::spawn(async move { http.get("/slow").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(http.send("POST", "/elsewhere", &[], "x").await.status, 204);
    slow.await.unwrap();
    assert_eq!(http.get("/slow").await.edge(), "hit");
    // An invalidation of the URI itself while it is fetched does stop the store.
    let slow = {
        let http = http.clone();
        tokio::spawn(async move { http.get("/slow2").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    http.send("POST", "/slow2", &[], "x").await;
    slow.await.unwrap();
    assert_eq!(http.get("/slow2").await.edge(), "miss");
}
