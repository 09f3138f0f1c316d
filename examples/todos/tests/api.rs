//! The example app end to end: the real router (the same one `main` serves) against a
//! fresh in-memory SQLite database, seeded with project 1 and its todos 1 and 2.

#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use example_todos::{app, db};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn router() -> Router {
    let pool = db::memory().await.unwrap();
    let api = app::builder(pool.clone()).build().unwrap();
    app::router(&api, pool, None)
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap().to_str().unwrap()
    }
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(router: &Router, uri: &str) -> Reply {
    send(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn call(router: &Router, function: &str, args: Value) -> Reply {
    let request = Request::post(format!("/api/mizan/call/{function}/"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(args.to_string()))
        .unwrap();
    send(router, request).await
}

#[tokio::test]
async fn a_context_get_returns_every_function_of_the_context() {
    let router = router().await;
    let reply = get(&router, "/api/mizan/ctx/todos/?project=1").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({
            "project_info": {"id": 1, "name": "Getting started"},
            "todo_list": [
                {"id": 1, "project": 1, "title": "Read the README", "done": false},
                {"id": 2, "project": 1, "title": "Toggle this todo", "done": false},
            ],
        })
    );
    assert_eq!(
        reply.header("cache-control"),
        "public, max-age=5, s-maxage=5"
    );
    assert!(reply.headers.contains_key(header::ETAG));

    let projects = get(&router, "/api/mizan/ctx/projects/").await;
    assert_eq!(projects.status, StatusCode::OK);
    assert_eq!(
        projects.json(),
        json!({"project_list": [{"id": 1, "name": "Getting started", "todo_count": 2}]})
    );
}

#[tokio::test]
async fn add_todo_invalidates_its_project_and_the_project_list() {
    let router = router().await;
    let reply = call(
        &router,
        "add_todo",
        json!({"project": 1, "title": "  Write tests  "}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({
            "result": {"id": 3, "project": 1, "title": "Write tests", "done": false},
            "invalidate": [{"context": "todos", "params": {"project": 1}}, "projects"],
        })
    );
    assert_eq!(reply.header("cache-control"), "no-store");

    let todos = get(&router, "/api/mizan/ctx/todos/?project=1").await.json();
    let titles: Vec<&str> = todos["todo_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Read the README", "Toggle this todo", "Write tests"]
    );
    let projects = get(&router, "/api/mizan/ctx/projects/").await.json();
    assert_eq!(projects["project_list"][0]["todo_count"], 3);
}

#[tokio::test]
async fn an_empty_title_is_a_validation_error_naming_the_field() {
    let router = router().await;
    let reply = call(&router, "add_todo", json!({"project": 1, "title": ""})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.json(),
        json!({"error": {
            "code": "validation",
            "message": "validation failed",
            "fields": {"title": ["length is lower than 1"]},
        }})
    );

    let blank = call(&router, "add_todo", json!({"project": 1, "title": "   "})).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        blank.json()["error"]["fields"],
        json!({"title": ["must not be only whitespace"]})
    );

    let name = call(&router, "add_project", json!({"name": ""})).await;
    assert_eq!(name.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(name.json()["error"]["fields"]["name"].is_array());

    // Nothing was added.
    let todos = get(&router, "/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(todos["todo_list"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_unknown_project_is_a_404() {
    let router = router().await;
    let reply = get(&router, "/api/mizan/ctx/todos/?project=99").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.json(),
        json!({"error": {"code": "not_found", "message": "no project with id 99"}})
    );

    let add = call(&router, "add_todo", json!({"project": 99, "title": "Lost"})).await;
    assert_eq!(add.status, StatusCode::NOT_FOUND);
    assert_eq!(add.json()["error"]["code"], "not_found");

    let toggle = call(&router, "toggle_todo", json!({"id": 99})).await;
    assert_eq!(toggle.status, StatusCode::NOT_FOUND);
    assert_eq!(
        toggle.json(),
        json!({"error": {"code": "not_found", "message": "no todo with id 99"}})
    );
}

#[tokio::test]
async fn toggle_and_delete_invalidate_only_what_they_changed() {
    let router = router().await;
    let other = call(&router, "add_project", json!({"name": "Other"})).await;
    assert_eq!(
        other.json(),
        json!({"result": {"id": 2, "name": "Other"}, "invalidate": ["projects"]})
    );

    let toggled = call(&router, "toggle_todo", json!({"id": 2})).await;
    assert_eq!(
        toggled.json(),
        json!({
            "result": {"id": 2, "project": 1, "title": "Toggle this todo", "done": true},
            "invalidate": [{"context": "todos", "params": {"project": 1}}],
        })
    );

    let deleted = call(&router, "delete_todo", json!({"id": 1})).await;
    assert_eq!(
        deleted.json(),
        json!({
            "result": {"id": 1, "project": 1, "title": "Read the README", "done": false},
            "invalidate": [{"context": "todos", "params": {"project": 1}}, "projects"],
        })
    );
    let todos = get(&router, "/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(
        todos["todo_list"],
        json!([{"id": 2, "project": 1, "title": "Toggle this todo", "done": true}])
    );
}

#[tokio::test]
async fn the_form_route_toggles_and_redirects_with_the_invalidation_in_a_header() {
    let router = router().await;
    let request = Request::post("/todos/1/toggle")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.header("location"), "/");
    let value = reply.header("x-mizan-invalidate");
    assert_eq!(
        value,
        "%7B%22context%22%3A%22todos%22%2C%22params%22%3A%7B%22project%22%3A1%7D%7D"
    );
    assert_eq!(
        mizan::invalidation::decode_header(value).unwrap(),
        vec![mizan::Invalidation::scoped(
            "todos",
            mizan::params! { project: 1 }
        )]
    );

    let todos = get(&router, "/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(todos["todo_list"][0]["done"], true);

    let wrong = send(
        &router,
        Request::get("/todos/1/toggle").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_page_lists_todos_with_escaped_titles_and_toggle_forms() {
    let router = router().await;
    let added = call(
        &router,
        "add_todo",
        json!({"project": 1, "title": "<script>alert(\"hi\")</script> & more"}),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK);

    let page = get(&router, "/plain").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("Getting started <small>(3 todos)</small>"));
    assert!(html.contains(r#"<form method="post" action="/todos/2/toggle">"#));
    assert!(html.contains("&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; more"));
    assert!(!html.contains("<script>"));
}

#[tokio::test]
async fn mizan_check_finds_nothing_wrong() {
    let pool = db::memory().await.unwrap();
    let (doc, diagnostics) = app::builder(pool).inspect();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    // All eight registered themselves (nothing was dropped by the linker).
    assert_eq!(doc.functions.len(), 8);
    assert_eq!(
        doc.contexts.keys().collect::<Vec<_>>(),
        ["projects", "todos"]
    );
}
