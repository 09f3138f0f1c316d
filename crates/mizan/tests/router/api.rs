//! The functions under test.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::response::Redirect;
use http::StatusCode;
use mizan::{Cx, Error, Identity, Result, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::Barrier;

mizan::context!(pub(crate) TODOS = "todos");
mizan::context!(pub(crate) SLOW = "slow");
mizan::context!(pub(crate) ADMIN = "admin");
mizan::context!(pub(crate) ME = "me");
mizan::context!(pub(crate) GATED = "gated");
mizan::context!(pub(crate) STAFF_CTX = "staff_ctx");

/// Shared state.
#[derive(Default)]
pub(crate) struct Store {
    pub(crate) calls: AtomicU32,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Todo {
    pub(crate) id: i64,
    pub(crate) project: i64,
    pub(crate) title: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Project {
    pub(crate) id: i64,
    pub(crate) verbose: bool,
}

/// A non-empty title of at most 20 characters.
#[derive(Serialize, Deserialize, JsonSchema, garde::Validate)]
#[garde(transparent)]
pub(crate) struct Title(#[garde(length(min = 1, max = 20))] pub(crate) String);

#[derive(Serialize, Deserialize, JsonSchema, garde::Validate)]
pub(crate) struct Item {
    #[garde(length(min = 1))]
    pub(crate) name: String,
    #[garde(range(min = 1))]
    pub(crate) qty: u32,
}

/// The todos of a project.
#[mizan::client(context = TODOS, cache = 30)]
pub(crate) async fn todo_list(cx: &Cx, project: i64) -> Result<Vec<Todo>> {
    cx.state::<Store>()?.calls.fetch_add(1, Ordering::SeqCst);
    Ok(vec![Todo {
        id: 1,
        project,
        title: "first".into(),
    }])
}

/// How many times `todo_list` ran in this app.
#[mizan::client(query)]
pub(crate) async fn runs(cx: &Cx) -> Result<u32> {
    Ok(cx.state::<Store>()?.calls.load(Ordering::SeqCst))
}

/// A project.
#[mizan::client(context = TODOS, cache = 60)]
pub(crate) async fn project_info(project: i64, verbose: Option<bool>) -> Result<Project> {
    if project == 404 {
        return Err(Error::not_found("no such project"));
    }
    Ok(Project {
        id: project,
        verbose: verbose.unwrap_or(false),
    })
}

#[mizan::client(affects = [TODOS], affects_params = |a, _r| params! { project: a.project })]
pub(crate) async fn add_todo(project: i64, title: Title) -> Result<Todo> {
    Ok(Todo {
        id: 2,
        project,
        title: title.0,
    })
}

/// Invalidates through a function target: its context.
#[mizan::client(affects = [todo_list, search])]
pub(crate) async fn clear_all() -> Result<u32> {
    Ok(0)
}

/// Scopes by a parameter `todos` does not have: widens to the whole context.
#[mizan::client(affects = [TODOS], affects_params = |_a, r| params! { nope: r })]
pub(crate) async fn widen(x: i64) -> Result<i64> {
    Ok(x)
}

/// Decides its invalidations at run time.
#[mizan::client(affects = [SLOW])]
pub(crate) async fn runtime(cx: &Cx, project: i64, fail: bool) -> Result<()> {
    cx.invalidate(TODOS.with(params! { project: project }));
    cx.invalidate(&SLOW);
    cx.invalidate(TODOS.with(params! { project: project }));
    if fail {
        return Err(Error::bad_request("asked to fail"));
    }
    Ok(())
}

/// A standalone query.
#[mizan::client(query, cache = 10, rev = 3)]
pub(crate) async fn search(q: String) -> Result<Vec<String>> {
    Ok(vec![q.to_uppercase()])
}

static BARRIER: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(2));

async fn meet() -> Result<&'static str> {
    tokio::time::timeout(Duration::from_secs(10), BARRIER.wait())
        .await
        .map_err(|_| Error::internal("the other function of the context never ran"))?;
    Ok("met")
}

/// Waits for `slow_b`: only passes when both run concurrently.
#[mizan::client(context = SLOW)]
pub(crate) async fn slow_a() -> Result<&'static str> {
    meet().await
}

/// Waits for `slow_a`.
#[mizan::client(context = SLOW)]
pub(crate) async fn slow_b() -> Result<&'static str> {
    meet().await
}

#[mizan::client]
pub(crate) async fn nested(items: Vec<Item>) -> Result<usize> {
    Ok(items.len())
}

#[mizan::client]
pub(crate) async fn fails() -> Result<()> {
    Err(std::io::Error::other("connection string postgres://admin:hunter2@db").into())
}

#[mizan::client]
pub(crate) async fn panics() -> Result<()> {
    panic!("secret panic message");
}

#[mizan::client]
pub(crate) async fn conflict() -> Result<()> {
    Err(Error::new(
        StatusCode::CONFLICT,
        "conflict",
        "already exists",
    ))
}

#[mizan::client]
pub(crate) async fn manual_field(email: String) -> Result<()> {
    if !email.contains('@') {
        return Err(Error::field("email", "is not an email address"));
    }
    Ok(())
}

#[mizan::client(auth = true)]
pub(crate) async fn whoami(cx: &Cx) -> Result<String> {
    Ok(cx.user()?.id.clone())
}

#[mizan::client(auth = "staff")]
pub(crate) async fn staff_only() -> Result<()> {
    Ok(())
}

#[mizan::client(auth = "superuser")]
pub(crate) async fn super_only() -> Result<()> {
    Ok(())
}

fn is_editor(who: &Identity) -> bool {
    who.has_role("editor")
}

#[mizan::client(auth = is_editor)]
pub(crate) async fn editor_only() -> Result<()> {
    Ok(())
}

#[mizan::client(context = ADMIN, auth = "staff", cache = 30)]
pub(crate) async fn admin_stats() -> Result<u32> {
    Ok(7)
}

#[mizan::client(context = ME, private, cache = 5)]
pub(crate) async fn my_profile(cx: &Cx) -> Result<Option<String>> {
    Ok(cx.identity().map(|i| i.id.clone()))
}

/// Who may see the gated functions: state read by an async guard predicate.
#[derive(Clone, Default)]
pub(crate) struct AllowList(pub(crate) Vec<&'static str>);

/// An async predicate reading state and the identity through `Cx`.
async fn allow_listed(cx: Cx) -> Result<bool> {
    let list = cx.state::<AllowList>()?;
    Ok(cx
        .identity()
        .is_some_and(|who| list.0.contains(&who.id.as_str())))
}

#[mizan::client(context = GATED, auth = allow_listed)]
pub(crate) async fn gated_read() -> Result<u8> {
    Ok(1)
}

#[mizan::client(auth = allow_listed, affects = [GATED])]
pub(crate) async fn gated_write() -> Result<u8> {
    Ok(2)
}

#[mizan::client(route = "/gated/{id}", methods = [GET], auth = allow_listed)]
pub(crate) async fn gated_page(id: i64) -> Result<String> {
    Ok(format!("page {id}"))
}

#[mizan::client(context = STAFF_CTX, auth = "staff")]
pub(crate) async fn staff_read() -> Result<u8> {
    Ok(3)
}

#[mizan::client(route = "/staff/{id}", methods = [GET], auth = "staff")]
pub(crate) async fn staff_page(id: i64) -> Result<String> {
    Ok(format!("staff {id}"))
}

/// A form route on the view path.
#[mizan::client(
    route = "/todos/{id}/toggle",
    methods = [POST],
    affects = [TODOS],
    affects_params = |_a, _r| params! { project: 7, verbose: "a, b" }
)]
pub(crate) async fn toggle(id: i64, done: bool, note: Option<String>) -> Result<Redirect> {
    Ok(Redirect::to(&format!(
        "/done/{id}/{done}/{}",
        note.unwrap_or_default()
    )))
}

/// A data function at a route of its own.
#[mizan::client(route = "/api/v2/items/{id}", methods = [GET, PUT], affects = [TODOS])]
pub(crate) async fn item(id: i64, tags: Vec<String>) -> Result<String> {
    Ok(format!("{id}:{}", tags.join("+")))
}

mizan::context!(pub(crate) NOISY = "noisy");

/// A query that invalidates something (unusual): its response must not be cached.
#[mizan::client(context = NOISY, cache = 30)]
pub(crate) async fn noisy(cx: &Cx) -> Result<u8> {
    cx.invalidate(&TODOS);
    Ok(1)
}

/// Scopes a run-time invalidation by a parameter `todos` does not have.
#[mizan::client(affects = [TODOS])]
pub(crate) async fn runtime_widen(cx: &Cx) -> Result<()> {
    cx.invalidate(TODOS.with(params! { owner: 1 }));
    cx.invalidate(SLOW.with(params! { owner: 1 }));
    Ok(())
}
