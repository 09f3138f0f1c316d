//! The `todos` context (one instance per project) and the mutations of todos, for
//! signed-in users.
//!
//! Each mutation scopes its invalidation to the project it changed
//! (`{"context": "todos", "params": {"project": 1}}`), so clients showing another project
//! keep their data. Adding or deleting a todo also changes the counts in the `projects`
//! context; it has no `project` parameter, so the same scope invalidates it whole.

use crate::db::Db;
use axum::response::{IntoResponse, Redirect, Response};
use mizan::{Cx, Error, Result, params};

use super::projects::PROJECTS;
use crate::db;
use crate::model::{Project, Title, Todo};

mizan::context!(
    /// One project and its todos: `GET /api/mizan/ctx/todos/?project=1`.
    pub TODOS = "todos"
);

/// The todos of a project, oldest first.
#[mizan::client(context = TODOS, cache = 5)]
pub async fn todo_list(cx: &Cx, project: i64) -> Result<Vec<Todo>> {
    let pool = cx.state::<Db>()?;
    Ok(db::todos(pool, project).await?)
}

/// The project itself; 404 when there is no such project.
#[mizan::client(context = TODOS, cache = 5)]
pub async fn project_info(cx: &Cx, project: i64) -> Result<Project> {
    let pool = cx.state::<Db>()?;
    db::project(pool, project)
        .await?
        .ok_or_else(|| Error::not_found(format!("no project with id {project}")))
}

/// Adds a todo to a project (404 when there is no such project).
#[mizan::client(auth = true, affects = [TODOS, PROJECTS], affects_params = |a, _| params! { project: a.project })]
pub async fn add_todo(cx: &Cx, project: i64, title: Title) -> Result<Todo> {
    let pool = cx.state::<Db>()?;
    let todo = db::insert_todo(pool, project, title.0.trim())
        .await?
        .ok_or_else(|| Error::not_found(format!("no project with id {project}")))?;
    Ok(todo)
}

/// Marks a todo done, or not done again.
#[mizan::client(auth = true, affects = [TODOS], affects_params = |_, todo| params! { project: todo.project })]
pub async fn toggle_todo(cx: &Cx, id: i64) -> Result<Todo> {
    toggle(cx, id).await
}

/// Deletes a todo and returns it.
#[mizan::client(auth = true, affects = [TODOS, PROJECTS], affects_params = |_, todo| params! { project: todo.project })]
pub async fn delete_todo(cx: &Cx, id: i64) -> Result<Todo> {
    let pool = cx.state::<Db>()?;
    let todo = db::delete_todo(pool, id)
        .await?
        .ok_or_else(|| no_todo(id))?;
    Ok(todo)
}

/// The HTML page's toggle button: `<form method="post" action="/todos/1/toggle">` with
/// the page's `csrf_token` field (a signed-in browser's form posts need it). Toggles, then
/// sends the browser back to `/plain` (303 See Other); the invalidation travels in the
/// `X-Mizan-Invalidate` header.
#[mizan::client(
    route = "/todos/{id}/toggle",
    methods = [POST],
    auth = true,
    affects = [TODOS],
    affects_params = |_, back| params! { project: back.0.project },
)]
pub async fn toggle_todo_form(cx: &Cx, id: i64) -> Result<BackToIndex> {
    Ok(BackToIndex(toggle(cx, id).await?))
}

/// The response of [`toggle_todo_form`]: a redirect to `/plain` that remembers the toggled
/// todo, so `affects_params` can scope the invalidation to its project (a bare
/// `Redirect` carries nothing to scope by).
#[derive(Debug)]
pub struct BackToIndex(pub Todo);

impl IntoResponse for BackToIndex {
    fn into_response(self) -> Response {
        Redirect::to("/plain").into_response()
    }
}

async fn toggle(cx: &Cx, id: i64) -> Result<Todo> {
    let pool = cx.state::<Db>()?;
    db::toggle_todo(pool, id).await?.ok_or_else(|| no_todo(id))
}

fn no_todo(id: i64) -> Error {
    Error::not_found(format!("no todo with id {id}"))
}
