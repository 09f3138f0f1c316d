use axum::response::{Html, Redirect};
use mizan::{Cx, Identity, Result, params};

mizan::context!(pub TODOS = "todos");

fn is_editor(who: &Identity) -> bool {
    who.has_role("editor")
}

#[mizan::client(context = TODOS, cache = 30, rev = 2, private, auth = true)]
pub async fn todo_list(cx: &Cx, project: i64) -> Result<Vec<String>> {
    let _ = cx;
    Ok(vec![project.to_string()])
}

#[mizan::client(query)]
pub async fn search(q: String, limit: Option<u32>) -> Result<Vec<String>> {
    Ok(vec![q; limit.unwrap_or(1) as usize])
}

#[mizan::client(
    affects = [TODOS, todo_list, search],
    affects_params = |a, r| params! { project: a.project, len: r.len() },
    auth = is_editor,
)]
pub async fn add_todo(cx: Cx, project: i64, title: String) -> Result<String> {
    cx.invalidate(TODOS.with(params! { project: project }));
    Ok(title)
}

#[mizan::client(route = "/todos/{id}/toggle", methods = [POST, PUT], affects = [TODOS], auth = "staff")]
pub async fn toggle(id: i64) -> Result<Redirect> {
    Ok(Redirect::to(&format!("/{id}")))
}

#[mizan::client(route = "/about", methods = [GET], auth = "superuser")]
pub async fn about() -> Result<Html<&'static str>> {
    Ok(Html("<h1>about</h1>"))
}

fn main() {
    let app = mizan::Mizan::builder()
        .functions(mizan::functions![todo_list, search, add_todo, toggle, about])
        .build()
        .expect("valid");
    let _router: axum::Router = app.router();
}
