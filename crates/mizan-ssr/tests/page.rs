//! Pages: preloads run through the application's Mizan router with the page's credentials
//! (same guards), their data is embedded under the kernel's keys, and a failed render is the
//! shell with that data (`X-Mizan-SSR: fallback`, never cached).

mod support;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use mizan::{BearerTokens, Cx, Identity, Mizan, Result, params};
use mizan_ssr::{Page, Ssr, SsrConfig};
use serde::Serialize;
use tower::ServiceExt;

mizan::context!(TODOS = "todos");
mizan::context!(SECRETS = "secrets");

#[derive(Serialize, schemars::JsonSchema)]
struct Todo {
    project: i64,
    title: String,
}

/// The todos of a project.
#[mizan::client(context = TODOS)]
async fn todo_list(project: i64) -> Result<Vec<Todo>> {
    Ok(vec![Todo {
        project,
        title: "</script><script>alert(1)</script>".into(),
    }])
}

/// Only for signed-in users: whose secret it is.
#[mizan::client(context = SECRETS, auth = true, private)]
async fn secret(cx: &Cx) -> Result<String> {
    Ok(format!("secret of {}", cx.user()?.id))
}

async fn app(config: SsrConfig) -> Router {
    let api = Mizan::builder()
        .identity(BearerTokens::new().token("alice", Identity::user("alice")))
        .build()
        .expect("valid");
    let ssr = Ssr::start(config.shell(support::fixture("shell.html")))
        .await
        .expect("starts")
        .preloading(&api);
    Router::new()
        .route(
            "/",
            get(ssr.page(|request| {
                let mode = request.uri.query().unwrap_or_default().to_owned();
                Page::new()
                    .preload(TODOS.name(), params! { project: 1 })
                    .preload(SECRETS.name(), params! {})
                    .prop("mode", mode)
            })),
        )
        .merge(api.router())
}

async fn get_page(app: &Router, query: &str, token: Option<&str>) -> (http::HeaderMap, String) {
    let (status, headers, body) = fetch(app, query, token).await;
    assert_eq!(status, StatusCode::OK);
    (headers, body)
}

async fn fetch(
    app: &Router,
    query: &str,
    token: Option<&str>,
) -> (StatusCode, http::HeaderMap, String) {
    let mut request = Request::get(format!("/?{query}"));
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        headers,
        String::from_utf8(body.to_vec()).expect("utf-8"),
    )
}

/// The page data embedded in `page`.
fn page_data(page: &str) -> serde_json::Value {
    let start = page
        .find("<script id=\"mizan-data\" type=\"application/json\">")
        .expect("a data script")
        + "<script id=\"mizan-data\" type=\"application/json\">".len();
    let end = start + page[start..].find("</script>").expect("closed");
    serde_json::from_str(&page[start..end]).expect("JSON")
}

#[tokio::test]
async fn preloads_are_embedded_under_the_kernel_keys_with_the_callers_guards() {
    let app = app(support::config(support::fixture("bundle.mjs"), 1)).await;

    let (headers, page) = get_page(&app, "", Some("alice")).await;
    assert_eq!(headers[mizan_ssr::SSR_HEADER], "rendered");
    assert_eq!(headers[header::CACHE_CONTROL], "private, no-cache");
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let data = page_data(&page);
    let todos = &data["todos?project=1"];
    assert_eq!(todos["context"], "todos");
    assert_eq!(todos["params"], serde_json::json!({"project": 1}));
    assert_eq!(
        todos["data"]["todo_list"][0]["title"],
        "</script><script>alert(1)</script>"
    );
    assert_eq!(todos["stale"], false);
    assert!(
        todos["updatedAt"]
            .as_u64()
            .is_some_and(|t| t > 1_700_000_000_000)
    );
    assert_eq!(data["secrets"]["data"]["secret"], "secret of alice");
    // The worker got the same data (the fixture prints it) and rendered into the outlet.
    assert!(page.contains("<div id=\"root\"><p id=\"who\">"), "{page}");
    assert!(page.contains("<title>/?</title>"), "{page}");

    // Anonymous: the guarded context is left out (the browser fetches it and gets its 401).
    let (_, page) = get_page(&app, "", None).await;
    let data = page_data(&page);
    assert!(data.get("secrets").is_none(), "{data}");
    assert!(data.get("todos?project=1").is_some());
    assert!(!page.contains("secret of"), "{page}");
}

#[tokio::test]
async fn a_failed_render_serves_the_shell_with_the_data_and_is_never_cached() {
    let app = app(support::config(support::fixture("bundle.mjs"), 1)).await;
    // The query becomes the `mode` prop: the fixture throws.
    let (headers, page) = get_page(&app, "throw", Some("alice")).await;
    assert_eq!(headers[mizan_ssr::SSR_HEADER], "fallback");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(page.contains("<div id=\"root\"></div>"), "{page}");
    assert_eq!(
        page_data(&page)["secrets"]["data"]["secret"],
        "secret of alice"
    );
}

#[tokio::test]
async fn strict_mode_serves_the_error_and_its_stack() {
    let app = app(support::config(support::fixture("bundle.mjs"), 1).strict(true)).await;
    let (status, _, body) = fetch(&app, "throw", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("boom from the page"), "{body}");
    assert!(body.contains("bundle.mjs"), "{body}");
}

#[tokio::test]
async fn a_rebuilt_shell_is_picked_up_without_a_restart() {
    let shell = support::private_copy("shell.html");
    let ssr = Ssr::start(support::config(support::fixture("bundle.mjs"), 1).shell(&shell))
        .await
        .expect("starts");
    let app = Router::new().route("/", get(ssr.page(|_| Page::new())));
    let (_, page) = get_page(&app, "", None).await;
    assert!(page.contains("/main.js"), "{page}");
    // A new build names new asset files (modification times are compared: make it differ).
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let rebuilt = std::fs::read_to_string(&shell)
        .expect("read")
        .replace("/main.js", "/main-2.js");
    std::fs::write(&shell, rebuilt).expect("rebuild");
    let (_, page) = get_page(&app, "", None).await;
    assert!(page.contains("/main-2.js"), "{page}");
    // A broken rebuild (no markers) keeps the previous shell.
    std::fs::write(&shell, "<html></html>").expect("break");
    let (_, page) = get_page(&app, "", None).await;
    assert!(page.contains("/main-2.js"), "{page}");
}
