//! Core hardening: privacy follows what functions read, `Vary`, the view path's cache
//! rules, calls only as JSON, panics in resolvers and guards, deterministic bodies,
//! canonical URLs, scope widening, and the app's own fallback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::response::Redirect;
use axum::routing::get as get_route;
use http::request::Parts;
use http::{Request, StatusCode};
use mizan::{BoxFuture, Cx, Error, FieldErrors, Identity, IdentityResolver, Mizan, Result};
use serde_json::{Map, Value, json};

use crate::support::{get, post, send};
use crate::{app, builder};

mizan::context!(pub(crate) LEAKY = "leaky");
mizan::context!(pub(crate) MAPS = "maps");

/// Reads the caller without declaring `private` or `auth`.
#[mizan::client(context = LEAKY, cache = 30)]
pub(crate) async fn leaky_whoami(cx: &Cx) -> Result<Option<String>> {
    Ok(cx.identity().map(|i| i.id.clone()))
}

/// Reads a request header without declaring it.
#[mizan::client(context = LEAKY, cache = 30)]
pub(crate) async fn leaky_lang(cx: &Cx) -> Result<Option<String>> {
    Ok(cx
        .headers()
        .get("accept-language")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned))
}

#[mizan::client(context = MAPS, cache = 30)]
pub(crate) async fn a_hash_map() -> Result<HashMap<String, i32>> {
    Ok((0..40).map(|i| (format!("key{i}"), i)).collect())
}

#[mizan::client(context = MAPS, cache = 30)]
pub(crate) async fn a_json_map() -> Result<Map<String, Value>> {
    let mut map = Map::new();
    for k in ["zulu", "alpha", "mike"] {
        map.insert(k.to_owned(), json!({"z": 1, "a": 2}));
    }
    Ok(map)
}

/// A page behind a guard, with a typed path parameter.
#[mizan::client(route = "/secret/{id}", methods = [GET], auth = true)]
pub(crate) async fn secret(id: i64) -> Result<axum::response::Html<String>> {
    Ok(axum::response::Html(format!("secret {id}")))
}

/// A page that reads the caller without declaring it and asks to be cached publicly.
#[mizan::client(route = "/hello", methods = [GET])]
pub(crate) async fn hello(cx: &Cx) -> Result<([(http::HeaderName, &'static str); 1], String)> {
    let who = cx
        .identity()
        .map_or("stranger", |i| i.id.as_str())
        .to_owned();
    Ok((
        [(http::header::CACHE_CONTROL, "public, max-age=60")],
        format!("hello {who}"),
    ))
}

/// A form route that redirects and invalidates.
#[mizan::client(route = "/bump", methods = [POST], affects = [MAPS])]
pub(crate) async fn bump() -> Result<Redirect> {
    Ok(Redirect::to("/"))
}

/// A page that redirects and invalidates nothing.
#[mizan::client(route = "/elsewhere", methods = [GET])]
pub(crate) async fn elsewhere() -> Result<Redirect> {
    Ok(Redirect::to("/there"))
}

fn explodes(_: &Identity) -> bool {
    panic!("the predicate blew up")
}

#[mizan::client(auth = explodes)]
pub(crate) async fn behind_a_bad_guard() -> Result<()> {
    Ok(())
}

#[mizan::client]
pub(crate) async fn internal_with_fields() -> Result<()> {
    Err(
        Error::internal("db said: column secret_sauce").with_fields(FieldErrors::from([(
            "secret_sauce".into(),
            vec!["x".into()],
        )])),
    )
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn a_context_that_reads_the_caller_is_private_even_undeclared() {
    let app = app();
    let r = send(
        &app,
        Request::get("/api/mizan/ctx/leaky/")
            .header("authorization", bearer("user"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["leaky_whoami"], json!("u1"));
    assert_eq!(r.header("cache-control"), Some("private, max-age=30"));
    // Anonymous too: the answer still depends on who asks.
    let anon = get(&app, "/api/mizan/ctx/leaky/").await;
    assert_eq!(anon.header("cache-control"), Some("private, max-age=30"));
    // A context that reads nothing of the caller stays public.
    let maps = get(&app, "/api/mizan/ctx/maps/").await;
    assert_eq!(
        maps.header("cache-control"),
        Some("public, max-age=30, s-maxage=30")
    );
}

#[tokio::test]
async fn every_response_through_the_resolver_varies_on_what_it_reads() {
    let app = app();
    for r in [
        get(&app, "/api/mizan/ctx/maps/").await,
        get(&app, "/api/mizan/ctx/nope/").await,
        post(&app, "/api/mizan/call/clear_all/", json!({})).await,
        get(&app, "/hello").await,
    ] {
        let vary: Vec<&str> = r
            .headers
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            vary.iter()
                .any(|v| v.to_ascii_lowercase().contains("authorization")),
            "{} lacks Vary: Authorization: {vary:?}",
            r.status
        );
    }
}

#[tokio::test]
async fn view_routes_follow_the_context_rules() {
    let app = app();
    // A page reading the caller cannot be cached publicly, whatever it asked for.
    let r = get(&app, "/hello").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("private"));
    // A guarded route is private.
    let r = send(
        &app,
        Request::get("/secret/7")
            .header("authorization", bearer("user"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("private"));
    // An invalidating response is no-store, and a redirect varies on X-Mizan-Client.
    let r = send(
        &app,
        Request::post("/bump").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.header("x-mizan-invalidate").is_some());
    let vary: Vec<&str> = r
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(vary.contains(&"x-mizan-client"), "{vary:?}");
    for client in [false, true] {
        let mut req = Request::get("/elsewhere");
        if client {
            req = req.header("x-mizan-client", "1");
        }
        let r = send(&app, req.body(Body::empty()).expect("request")).await;
        let vary: Vec<&str> = r
            .headers
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            vary.contains(&"x-mizan-client"),
            "client={client}: {vary:?}"
        );
    }
}

#[tokio::test]
async fn route_guards_run_before_path_parameters_are_decoded() {
    let r = get(&app(), "/secret/not-a-number").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.json());
}

#[tokio::test]
async fn a_call_without_json_content_type_runs_nothing() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&calls);
    let app = builder()
        .on_invalidate(move |e| seen.lock().expect("lock").push(e.source.to_owned()))
        .build()
        .expect("builds")
        .router();
    // A cross-site form can POST with no body and no JSON type: refused, nothing runs.
    for request in [
        Request::post("/api/mizan/call/clear_all/").body(Body::empty()),
        Request::post("/api/mizan/call/clear_all/")
            .header("content-type", "text/plain")
            .body(Body::from("{}")),
        Request::post("/api/mizan/call/clear_all/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::empty()),
    ] {
        let r = send(&app, request.expect("request")).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(r.code(), "unsupported_media_type");
    }
    assert!(calls.lock().expect("lock").is_empty(), "clear_all ran");
    // With the JSON type an empty body is no arguments.
    let r = send(
        &app,
        Request::post("/api/mizan/call/clear_all/")
            .header("content-type", "application/json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(*calls.lock().expect("lock"), vec!["clear_all".to_owned()]);
}

#[tokio::test]
async fn the_sink_sees_exactly_what_the_client_receives() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let app = builder()
        .on_invalidate(move |e| {
            seen.lock()
                .expect("lock")
                .push(serde_json::to_value(e.invalidations).expect("serializes"));
        })
        .build()
        .expect("builds")
        .router();
    let r = post(
        &app,
        "/api/mizan/call/add_todo/",
        json!({"project": 4, "title": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        *events.lock().expect("lock"),
        vec![r.json()["invalidate"].clone()]
    );
}

#[tokio::test]
async fn duplicate_keys_in_a_call_body_are_a_400() {
    let r = send(
        &app(),
        Request::post("/api/mizan/call/add_todo/")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"project": 1, "title": "a", "project": 2}"#))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("duplicate key `project`")
    );
}

#[tokio::test]
async fn internal_errors_never_carry_fields() {
    let r = post(&app(), "/api/mizan/call/internal_with_fields/", json!({})).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        r.json(),
        json!({"error": {"code": "internal", "message": "internal error"}})
    );
}

#[tokio::test]
async fn a_panicking_guard_predicate_is_a_500_for_that_request() {
    let app = app();
    let r = send(
        &app,
        Request::post("/api/mizan/call/behind_a_bad_guard/")
            .header("content-type", "application/json")
            .header("authorization", bearer("user"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.code(), "internal");
    // The server goes on.
    assert_eq!(
        get(&app, "/api/mizan/ctx/maps/").await.status,
        StatusCode::OK
    );
}

struct Exploding;

impl IdentityResolver for Exploding {
    fn resolve<'a>(&'a self, _: &'a Parts) -> BoxFuture<'a, Result<Option<Identity>>> {
        Box::pin(async { panic!("the resolver blew up") })
    }
}

#[tokio::test]
async fn a_panicking_resolver_is_a_500_for_that_request() {
    let app = Mizan::builder()
        .identity(Exploding)
        .state(crate::api::Store::default())
        .build()
        .expect("builds")
        .router();
    let r = get(&app, "/api/mizan/ctx/maps/").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        r.json(),
        json!({"error": {"code": "internal", "message": "internal error"}})
    );
}

#[tokio::test]
async fn map_results_have_sorted_keys_and_a_stable_etag() {
    let app = app();
    let first = get(&app, "/api/mizan/ctx/maps/").await;
    let text = String::from_utf8(first.bytes.clone()).expect("UTF-8");
    assert!(
        text.starts_with(r#"{"a_hash_map":{"key0":0,"key1":1,"key10":10,"#),
        "{text}"
    );
    assert!(
        text.contains(r#""a_json_map":{"alpha":{"a":2,"z":1},"mike":{"a":2,"z":1},"zulu""#),
        "{text}"
    );
    for _ in 0..5 {
        let again = get(&app, "/api/mizan/ctx/maps/").await;
        assert_eq!(again.header("etag"), first.header("etag"));
        assert_eq!(again.bytes, first.bytes);
    }
}

#[tokio::test]
async fn struct_results_have_sorted_keys() {
    // `Project` declares `id` before `verbose`, `Todo` declares `id, project, title`: the
    // body has every object's keys sorted, whatever the declaration order.
    let r = get(&app(), "/api/mizan/ctx/todos/?project=3").await;
    let text = String::from_utf8(r.bytes).expect("UTF-8");
    let value: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        text,
        serde_json::to_string(&value).expect("serializes"),
        "sorted like a BTreeMap"
    );
}

#[tokio::test]
async fn non_canonical_context_urls_redirect_to_the_canonical_one() {
    let app = app();
    for (asked, canonical) in [
        ("?verbose=true&project=3", "?project=3&verbose=true"),
        ("?project=3.0", "?project=3"),
        ("?project=%33", "?project=3"),
        ("?project=3&verbose=null", "?project=3"),
        ("?project=3&", "?project=3"),
    ] {
        let r = get(&app, &format!("/api/mizan/ctx/todos/{asked}")).await;
        assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT, "{asked}");
        assert_eq!(
            r.header("location"),
            Some(format!("/api/mizan/ctx/todos/{canonical}").as_str()),
            "{asked}"
        );
    }
    let r = get(&app, "/api/mizan/ctx/maps/?").await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.header("location"), Some("/api/mizan/ctx/maps/"));
    let r = get(&app, "/api/mizan/ctx/todos/?project=3&verbose=true").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn an_integer_that_would_be_rounded_is_refused_not_redirected() {
    // Read as a double it would become i64::MIN: another parameter, another URL.
    let r = get(&app(), "/api/mizan/ctx/todos/?project=-9223372036854775809").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json()["error"]["fields"]["project"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn query_strings_are_capped_and_unknown_keys_refused_first() {
    let app = app();
    let long = format!(
        "/api/mizan/ctx/todos/?project=3&pad=%22{}%22",
        "x".repeat(5000)
    );
    let r = get(&app, &long).await;
    assert_eq!(r.status, StatusCode::URI_TOO_LONG);
    assert_eq!(r.code(), "uri_too_long");
    // An unknown key is named as unknown, not as "not JSON".
    let r = get(&app, "/api/mizan/ctx/todos/?projcet=oops&project=3").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("unknown parameter `projcet`"),
        "{message}"
    );
}

#[tokio::test]
async fn parameter_hints_say_what_is_wrong_with_what_was_written() {
    let app = app();
    let r = get(&app, "/api/mizan/ctx/todos/?project=01").await;
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("leading zeros") && !message.contains("quoted"),
        "{message}"
    );
    let r = get(&app, "/api/mizan/ctx/todos/").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json()["error"]["message"],
        "missing parameter `project`; context `todos` requires it"
    );
    assert_eq!(
        r.json()["error"]["fields"]["project"][0],
        r.json()["error"]["message"]
    );
}

#[tokio::test]
async fn an_empty_base_path_leaves_the_apps_fallback_alone() {
    let mizan = builder().base_path("").build().expect("builds").router();
    let app: Router = Router::new()
        .route("/", get_route(|| async { "home" }))
        .merge(mizan)
        .fallback(|| async { (StatusCode::NOT_FOUND, "the app's own 404") });
    let r = get(&app, "/favicon.ico").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.bytes, b"the app's own 404");
    assert_eq!(get(&app, "/").await.bytes, b"home");
    assert_eq!(get(&app, "/ctx/maps/").await.status, StatusCode::OK);
    // Mizan's own prefixes still answer in the protocol's shape, with the hint only where
    // the slash is what is missing.
    let r = get(&app, "/ctx/maps").await;
    assert_eq!(r.code(), "not_found");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("end with `/`")
    );
    let r = get(&app, "/ctx/maps/extra/").await;
    assert_eq!(r.code(), "not_found");
    assert!(
        !r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("end with")
    );
}

#[tokio::test]
async fn a_scope_value_of_the_wrong_type_widens() {
    // `widen_typed` scopes `todos` by `project: "3"` (a string, for an integer parameter):
    // it would match no instance, so the key is dropped and the whole context is hit.
    let r = post(&app(), "/api/mizan/call/widen_typed/", json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["invalidate"], json!(["todos"]));
}

#[mizan::client(affects = [crate::api::TODOS], affects_params = |_a, _r| mizan::params! { project: "3" })]
pub(crate) async fn widen_typed() -> Result<()> {
    Ok(())
}

#[test]
fn a_read_only_page_is_not_linted_as_a_mutation() {
    let (_, diagnostics) = Mizan::builder()
        .functions(mizan::functions![secret, elsewhere])
        .inspect();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
}

#[tokio::test]
async fn a_response_that_read_the_caller_says_so_to_the_edge() {
    let app = app();
    // Read at run time: 200 and 304 both carry `X-Mizan-Scope: user`.
    let r = send(
        &app,
        Request::get("/api/mizan/ctx/leaky/")
            .header("authorization", bearer("user"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.header("x-mizan-scope"), Some("user"));
    let etag = r.header("etag").expect("an ETag").to_owned();
    let again = send(
        &app,
        Request::get("/api/mizan/ctx/leaky/")
            .header("authorization", bearer("user"))
            .header("if-none-match", etag)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.header("x-mizan-scope"), Some("user"));
    assert_eq!(
        get(&app, "/api/mizan/ctx/leaky/")
            .await
            .header("x-mizan-scope"),
        Some("user"),
        "anonymous: still read"
    );
    // A private context whose function reads the identity.
    let me = get(&app, "/api/mizan/ctx/me/").await;
    assert_eq!(me.header("x-mizan-scope"), Some("user"));
    // Nothing read: no header, public or guarded alike.
    let maps = get(&app, "/api/mizan/ctx/maps/").await;
    assert_eq!(maps.status, StatusCode::OK);
    assert_eq!(maps.header("x-mizan-scope"), None);
    let admin = send(
        &app,
        Request::get("/api/mizan/ctx/admin/")
            .header("authorization", bearer("staff"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(admin.status, StatusCode::OK);
    assert_eq!(admin.header("x-mizan-scope"), None, "a guard is not a read");
    // The view path: a page that read the caller says so; a guarded one that did not, not.
    assert_eq!(
        get(&app, "/hello").await.header("x-mizan-scope"),
        Some("user")
    );
    let secret = send(
        &app,
        Request::get("/secret/7")
            .header("authorization", bearer("user"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(secret.status, StatusCode::OK);
    assert_eq!(secret.header("x-mizan-scope"), None);
}

#[test]
fn the_edge_manifest_of_the_test_api() {
    let mizan = builder().build().expect("the test graph is valid");
    let manifest = mizan.edge_manifest();
    assert_eq!(manifest.check(), vec![]);
    let schema: Value =
        serde_json::from_str(mizan::protocol::edge_manifest::MANIFEST_SCHEMA).expect("JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("a valid schema");
    let json = serde_json::to_value(&manifest).expect("serializable");
    let problems: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    use mizan::protocol::edge_manifest::EdgeScope;
    let scope = |name: &str| manifest.contexts[name].scope;
    assert_eq!(scope("maps"), EdgeScope::Public);
    assert_eq!(scope("admin"), EdgeScope::Roles);
    assert_eq!(scope("me"), EdgeScope::User);
    assert_eq!(scope("leaky"), EdgeScope::User, "found reading the caller");
    assert_eq!(manifest.contexts["todos"].path, "/api/mizan/ctx/todos/");
    assert_eq!(manifest.mwt, None, "no Auth, no MWT");
    assert!(manifest.purges.contains_key("add_todo"));
    assert!(manifest.purges["toggle"].route.is_some());
}

#[test]
fn the_edge_manifest_names_the_mwt_keys_of_auth() {
    let keys = mizan::auth::MwtKeys::new("k2", [7u8; 32])
        .and_then(|k| k.with_key("k1", [9u8; 32]))
        .expect("keys");
    let mizan = builder()
        .auth(mizan::auth::Auth::new().mwt(keys))
        .build()
        .expect("the test graph is valid");
    let manifest = mizan.edge_manifest();
    let mwt = manifest.mwt.as_ref().expect("the MWT names");
    assert_eq!(mwt.key_ids, ["k1", "k2"]);
    assert_eq!(mwt.signing_key_id, "k2");
    assert_eq!(mwt.cookie, "mizan-mwt");
    assert_eq!(mwt.header, "x-mizan-mwt");
    assert_eq!(mwt.leeway, 60);
    assert_eq!(
        manifest.credentials,
        mizan::protocol::edge_manifest::EdgeCredentials {
            session_cookie: None,
            bearer: false
        }
    );
    assert!(
        !serde_json::to_string(&manifest)
            .expect("JSON")
            .contains("0707")
    );
}

#[test]
fn mizan_manifest_writes_the_edge_manifest_and_check_checks_it() {
    let out = std::env::temp_dir().join(format!("mizan-manifest-{}.json", std::process::id()));
    let path = out.to_string_lossy().into_owned();
    let args = ["manifest".to_owned(), "--out".to_owned(), path];
    assert_eq!(mizan::cli::run(&builder(), &args), 0);
    let text = std::fs::read_to_string(&out).expect("written");
    let _ = std::fs::remove_file(&out);
    let manifest = mizan::protocol::edge_manifest::EdgeManifest::parse(&text).expect("a manifest");
    assert_eq!(
        manifest,
        builder().build().expect("valid").edge_manifest(),
        "the command writes what the built API describes"
    );
    assert_eq!(mizan::cli::run(&builder(), &["check".to_owned()]), 0);
}
