//! The schema document of a real API checked against `spec/schema-document.schema.json`,
//! and the schema rejecting broken documents.

use std::path::{Path, PathBuf};

use axum::response::Redirect;
use mizan::{Cx, Identity, Mizan, Result, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

fn spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn validator(schema: &Value, name: &str) -> jsonschema::Validator {
    if let Err(e) = jsonschema::meta::validate(schema) {
        panic!("{name} is not a valid JSON Schema: {e}");
    }
    jsonschema::draft202012::new(schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

// A small API with every kind of function and option, for the schema document.

mizan::context!(pub(crate) TODOS = "todos");

/// A todo.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Todo {
    id: i64,
    title: String,
    done: bool,
}

/// Filters for the todo list.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Filter {
    done: Option<bool>,
    tags: Vec<String>,
}

/// The todos of a project.
///
/// Fetched with the rest of `todos`.
#[mizan::client(context = TODOS, cache = 30)]
pub(crate) async fn todo_list(_cx: &Cx, project: i64, filter: Option<Filter>) -> Result<Vec<Todo>> {
    let _ = (project, filter);
    Ok(Vec::new())
}

#[mizan::client(context = TODOS, cache = 60)]
pub(crate) async fn todo_count(project: i64) -> Result<u64> {
    let _ = project;
    Ok(0)
}

/// Who is asking.
#[mizan::client(query, auth = true, private = true)]
pub(crate) async fn me(cx: &Cx) -> Result<String> {
    Ok(cx.user()?.id.clone())
}

fn is_editor(identity: &Identity) -> bool {
    identity.has_role("editor")
}

#[mizan::client(
    affects = [TODOS],
    affects_params = |a, _r| params! { project: a.project },
    auth = "staff",
    rev = 2
)]
pub(crate) async fn add_todo(project: i64, title: String) -> Result<Todo> {
    Ok(Todo {
        id: project,
        title,
        done: false,
    })
}

#[mizan::client(affects = [todo_list], auth = is_editor, route = "/todos/{id}/toggle", methods = [POST, PUT])]
pub(crate) async fn toggle(id: i64) -> Result<Redirect> {
    Ok(Redirect::to(&format!("/todos/{id}")))
}

#[mizan::client(route = "/ping")]
pub(crate) async fn ping() -> Result<String> {
    Ok("pong".into())
}

/// No users: the document only needs the auth settings.
struct NoUsers;

impl mizan::auth::Users for NoUsers {
    fn load<'a>(&'a self, _: &'a str) -> mizan::BoxFuture<'a, Result<Option<mizan::auth::User>>> {
        Box::pin(async { Ok(None) })
    }
}

fn app() -> Mizan {
    let auth = mizan::auth::Auth::new()
        .sessions(mizan::auth::Sessions::memory(), NoUsers)
        .jwt(mizan::auth::Jwt::hs256(
            b"the document test secret, 32 bytes",
        ));
    Mizan::builder()
        .functions(mizan::functions![
            todo_list, todo_count, me, add_todo, toggle, ping
        ])
        .auth(auth)
        .build()
        .expect("the test graph is valid")
}

/// Breaks a schema document in one way.
type Breaks = fn(&mut Map<String, Value>);

#[test]
fn schema_document_follows_its_schema() {
    let schema = validator(
        &read_json(&spec().join("schema-document.schema.json")),
        "schema-document.schema.json",
    );
    let document = serde_json::to_value(app().schema()).expect("the document serializes");
    let problems = errors(&schema, &document);
    assert!(problems.is_empty(), "{problems:#?}\n{document:#}");

    // What the test API must show, so the check above covers every shape.
    assert_eq!(document["contexts"]["todos"]["cache"], 30);
    assert_eq!(document["contexts"]["me"]["implicit"], true);
    assert_eq!(document["functions"]["toggle"]["path"], "view");
    assert_eq!(document["functions"]["toggle"]["result"], Value::Null);
    assert_eq!(
        document["functions"]["toggle"]["auth"],
        "predicate:is_editor"
    );
    assert_eq!(document["functions"]["ping"]["args"]["type"], "object");
    assert_eq!(
        document["auth"],
        json!({
            "session_cookie": "mizan-session",
            "bearer": true,
            "csrf": {"cookie": "mizan-csrf", "header": "x-mizan-csrf", "form_field": "csrf_token"},
            "identity_header": "x-mizan-identity",
        })
    );

    // And the schema rejects what it should.
    let broken: [(&str, Breaks); 8] = [
        ("an auth section without its CSRF names", |d| {
            d["auth"]["csrf"] = json!({});
        }),
        ("another format", |d| {
            d.insert("format".into(), json!("other"));
        }),
        ("an unknown version", |d| {
            d.insert("version".into(), json!(2));
        }),
        ("a base path ending with /", |d| {
            d.insert("base_path".into(), json!("/api/"));
        }),
        ("a query without a context", |d| {
            d["functions"]["todo_list"]["context"] = Value::Null;
        }),
        ("an rpc function without a result schema", |d| {
            d["functions"]["add_todo"]["result"] = Value::Null;
        }),
        ("an unknown function option", |d| {
            d["functions"]["ping"]["live"] = json!(true);
        }),
        ("a definition that is not a JSON Schema", |d| {
            d["$defs"]["Todo"]["type"] = json!(5);
        }),
    ];
    for (what, breaks) in broken {
        let mut doc = document.as_object().cloned().expect("an object");
        breaks(&mut doc);
        assert!(
            !errors(&schema, &Value::Object(doc)).is_empty(),
            "a document with {what} is rejected"
        );
    }
}

#[test]
fn openapi_declares_the_session_csrf_and_bearer_schemes() {
    let openapi = app().openapi();
    let schemes = &openapi["components"]["securitySchemes"];
    assert_eq!(schemes["mizanSession"]["in"], "cookie");
    assert_eq!(schemes["mizanSession"]["name"], "mizan-session");
    assert_eq!(schemes["mizanCsrf"]["in"], "header");
    assert_eq!(schemes["mizanBearer"]["bearerFormat"], "JWT");
    // A guarded mutation: the session with the CSRF header, or a bearer.
    assert_eq!(
        openapi["paths"]["/api/mizan/call/add_todo/"]["post"]["security"],
        json!([{"mizanSession": [], "mizanCsrf": []}, {"mizanBearer": []}])
    );
    // A guarded context GET: no CSRF header on a safe method.
    assert_eq!(
        openapi["paths"]["/api/mizan/ctx/me/"]["get"]["security"],
        json!([{"mizanSession": []}, {"mizanBearer": []}])
    );
    // A public function: none.
    assert_eq!(
        openapi["paths"]["/api/mizan/call/ping/"]["post"]["security"],
        json!([])
    );
}
