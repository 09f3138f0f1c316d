//! The example app end to end: the real router (the same one `main` serves) against a
//! fresh in-memory SQLite database, seeded with project 1 and its todos 1 and 2. Reading
//! is anonymous; changes are made by bob, signed in (see `auth.rs` for signing in).

#![allow(clippy::unwrap_used)]

mod support;

use axum::http::{StatusCode, header};
use example_todos::{app, db};
use serde_json::json;
use support::{Browser, router};

#[tokio::test]
async fn a_context_get_returns_every_function_of_the_context() {
    let router = router().await;
    let mut anonymous = Browser::new(&router);
    let reply = anonymous.get("/api/mizan/ctx/todos/?project=1").await;
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

    let projects = anonymous.get("/api/mizan/ctx/projects/").await;
    assert_eq!(projects.status, StatusCode::OK);
    assert_eq!(
        projects.json(),
        json!({"project_list": [{"id": 1, "name": "Getting started", "todo_count": 2}]})
    );
}

#[tokio::test]
async fn add_todo_invalidates_its_project_and_the_project_list() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let reply = bob
        .call(
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

    let todos = bob.get("/api/mizan/ctx/todos/?project=1").await.json();
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
    let projects = bob.get("/api/mizan/ctx/projects/").await.json();
    assert_eq!(projects["project_list"][0]["todo_count"], 3);
}

#[tokio::test]
async fn an_empty_title_is_a_validation_error_naming_the_field() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let reply = bob
        .call("add_todo", json!({"project": 1, "title": ""}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.json(),
        json!({"error": {
            "code": "validation",
            "message": "validation failed",
            "fields": {"title": ["length is lower than 1"]},
        }})
    );

    let blank = bob
        .call("add_todo", json!({"project": 1, "title": "   "}))
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        blank.json()["error"]["fields"],
        json!({"title": ["must not be only whitespace"]})
    );

    let name = bob.call("add_project", json!({"name": ""})).await;
    assert_eq!(name.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(name.json()["error"]["fields"]["name"].is_array());

    // Nothing was added.
    let todos = bob.get("/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(todos["todo_list"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_unknown_project_is_a_404() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let reply = bob.get("/api/mizan/ctx/todos/?project=99").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.json(),
        json!({"error": {"code": "not_found", "message": "no project with id 99"}})
    );

    let add = bob
        .call("add_todo", json!({"project": 99, "title": "Lost"}))
        .await;
    assert_eq!(add.status, StatusCode::NOT_FOUND);
    assert_eq!(add.json()["error"]["code"], "not_found");

    let toggle = bob.call("toggle_todo", json!({"id": 99})).await;
    assert_eq!(toggle.status, StatusCode::NOT_FOUND);
    assert_eq!(
        toggle.json(),
        json!({"error": {"code": "not_found", "message": "no todo with id 99"}})
    );
}

#[tokio::test]
async fn toggle_and_delete_invalidate_only_what_they_changed() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let other = bob.call("add_project", json!({"name": "Other"})).await;
    assert_eq!(
        other.json(),
        json!({"result": {"id": 2, "name": "Other"}, "invalidate": ["projects"]})
    );

    let toggled = bob.call("toggle_todo", json!({"id": 2})).await;
    assert_eq!(
        toggled.json(),
        json!({
            "result": {"id": 2, "project": 1, "title": "Toggle this todo", "done": true},
            "invalidate": [{"context": "todos", "params": {"project": 1}}],
        })
    );

    let deleted = bob.call("delete_todo", json!({"id": 1})).await;
    assert_eq!(
        deleted.json(),
        json!({
            "result": {"id": 1, "project": 1, "title": "Read the README", "done": false},
            "invalidate": [{"context": "todos", "params": {"project": 1}}, "projects"],
        })
    );
    let todos = bob.get("/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(
        todos["todo_list"],
        json!([{"id": 2, "project": 1, "title": "Toggle this todo", "done": true}])
    );
}

#[tokio::test]
async fn the_form_route_toggles_and_redirects_with_the_invalidation_in_a_header() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let token = bob.cookies["mizan-csrf"].clone();
    let reply = bob.form("/todos/1/toggle", &[("csrf_token", &token)]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(reply.header("location"), "/plain");
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

    let todos = bob.get("/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(todos["todo_list"][0]["done"], true);

    let wrong = bob.get("/todos/1/toggle").await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_page_lists_todos_with_escaped_titles() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let added = bob
        .call(
            "add_todo",
            json!({"project": 1, "title": "<script>alert(\"hi\")</script> & more"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK);

    let page = Browser::new(&router).get("/plain").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("Getting started <small>(3 todos)</small>"));
    assert!(html.contains("&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; more"));
    assert!(!html.contains("<script>"));
    // Anonymous visitors get the sign-in form and no toggle buttons.
    assert!(html.contains(r#"action="/plain/login""#));
    assert!(!html.contains("/toggle"));

    // Without the React build, `/` leads to the page.
    let root = Browser::new(&router).get("/").await;
    assert_eq!(root.status, StatusCode::SEE_OTHER);
    assert_eq!(root.header(header::LOCATION.as_str()), "/plain");
}

#[tokio::test]
async fn validate_only_calls_check_the_title_and_write_nothing() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let token = bob.cookies["mizan-csrf"].clone();
    let mut validate = async |title: &str| {
        bob.request(
            "POST",
            "/api/mizan/call/add_todo/?validate=1",
            Some((
                "application/json",
                json!({"project": 1, "title": title}).to_string(),
            )),
            &[("x-mizan-csrf", &token)],
        )
        .await
    };
    for _ in 0..3 {
        let ok = validate("Valid, but only checked").await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
        assert_eq!(ok.json(), json!({"valid": true}));
        assert_eq!(ok.header("cache-control"), "no-store");
        assert!(!ok.headers.contains_key("x-mizan-invalidate"));
    }
    let blank = validate("   ").await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        blank.json()["error"]["fields"],
        json!({"title": ["must not be only whitespace"]})
    );
    // The database: still the two seeded todos.
    let todos = bob.get("/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(todos["todo_list"].as_array().unwrap().len(), 2);
    let projects = bob.get("/api/mizan/ctx/projects/").await.json();
    assert_eq!(projects["project_list"][0]["todo_count"], 2);
}

#[tokio::test]
async fn the_pages_add_form_goes_back_with_the_same_messages_or_adds() {
    let router = router().await;
    let mut bob = Browser::new(&router);
    bob.login("bob").await;
    let token = bob.cookies["mizan-csrf"].clone();
    let refused = bob
        .form(
            "/plain/todos",
            &[("csrf_token", &token), ("project", "1"), ("title", "  ")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.text());
    assert_eq!(refused.header("location"), "/plain#add-1");
    // The page shows the message once, next to the field, with what was typed.
    let page = bob.get("/plain").await.text();
    assert!(
        page.contains(r#"<p class="field-error">must not be only whitespace</p>"#),
        "{page}"
    );
    assert!(page.contains(r#"value="  " aria-invalid="true""#), "{page}");
    let again = bob.get("/plain").await.text();
    assert!(!again.contains("field-error"));

    // Without the CSRF field: refused before anything.
    let forged = bob
        .form("/plain/todos", &[("project", "1"), ("title", "Forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let added = bob
        .form(
            "/plain/todos",
            &[
                ("csrf_token", &token),
                ("project", "1"),
                ("title", "From the page"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let todos = bob.get("/api/mizan/ctx/todos/?project=1").await.json();
    assert_eq!(todos["todo_list"][2]["title"], "From the page");
}

#[tokio::test]
async fn mizan_check_finds_nothing_wrong() {
    let pool = db::memory().await.unwrap();
    let (doc, diagnostics) = app::builder(pool).inspect();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    // All of them registered themselves (nothing was dropped by the linker).
    let mut names: Vec<&str> = doc.functions.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "add_project",
            "add_todo",
            "current_user",
            "delete_project",
            "delete_todo",
            "login",
            "logout",
            "logout_everywhere",
            "plain_add_todo",
            "plain_login",
            "plain_logout",
            "plain_page",
            "project_info",
            "project_list",
            "todo_list",
            "toggle_todo",
            "toggle_todo_form",
        ]
    );
    assert_eq!(
        doc.contexts.keys().collect::<Vec<_>>(),
        ["me", "projects", "todos"]
    );
}
