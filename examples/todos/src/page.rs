//! `GET /plain`: a plain server-rendered page listing every project and its todos, with
//! a toggle button per todo that posts to the `toggle_todo_form` route, and sign-in and
//! sign-out forms of its own.
//!
//! The page is a Mizan route function rather than a plain axum handler so that it knows
//! the caller (`cx.identity()`) and can give its forms the CSRF token of the caller's
//! session (`cx.csrf_field()`): a form post that a session cookie authenticates is refused
//! (`403 csrf_failed`) without it. Reading the caller makes the page `Cache-Control:
//! private`.

use std::fmt::Write;

use axum::response::{Html, Redirect};
use mizan::{Cx, Result};
use sqlx::SqlitePool;

use crate::api::account::{ME, sign_in};
use crate::db;
use crate::model::Me;

/// Renders the page.
#[mizan::client(route = "/plain", methods = [GET], private)]
pub async fn plain_page(cx: &Cx) -> Result<Html<String>> {
    let pool = cx.state::<SqlitePool>()?;
    let me = cx.identity().map(Me::of);
    let csrf = cx.csrf_field();
    let mut out = String::from(concat!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<title>Mizan todos</title>\n",
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto}",
        "li{margin:.3rem 0}.done span{text-decoration:line-through;color:#777}",
        "form{display:inline}</style>\n</head>\n<body>\n<h1>Mizan todos</h1>\n",
    ));
    match &me {
        Some(me) => {
            let _ = writeln!(
                out,
                "<p id=\"me\">Signed in as <strong>{}</strong>{} \
                 <form method=\"post\" action=\"/plain/logout\">{csrf}<button>Sign out</button></form></p>",
                escape(&me.username),
                if me.staff { " (staff)" } else { "" },
            );
        }
        None => out.push_str(
            "<form id=\"me\" method=\"post\" action=\"/plain/login\">Not signed in. \
             <input name=\"username\" placeholder=\"username\" autocomplete=\"username\" required> \
             <input name=\"password\" type=\"password\" placeholder=\"password\" \
             autocomplete=\"current-password\" required> <button>Sign in</button> \
             <small>(alice / alice-demo, bob / bob-demo)</small></form>\n",
        ),
    }
    for project in db::project_summaries(pool).await? {
        let _ = writeln!(
            out,
            "<h2>{} <small>({} todos)</small></h2>\n<ul>",
            escape(&project.name),
            project.todo_count
        );
        for todo in db::todos(pool, project.id).await? {
            let (class, mark, label) = if todo.done {
                (" class=\"done\"", "☑", "Undo")
            } else {
                ("", "☐", "Done")
            };
            // Only signed-in users may toggle: anonymous visitors see the list alone.
            let button = if me.is_some() {
                format!(
                    " <form method=\"post\" action=\"/todos/{}/toggle\">{csrf}<button>{label}</button></form>",
                    todo.id
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "<li{class}>{mark} <span>{}</span>{button}</li>",
                escape(&todo.title),
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str(
        "<p>The JSON API lives under <code>/api/mizan/</code>: try \
         <a href=\"/api/mizan/ctx/projects/\"><code>/api/mizan/ctx/projects/</code></a>.</p>\n\
         </body>\n</html>\n",
    );
    Ok(Html(out))
}

/// The page's sign-in form: signs in as `login` does (same `401`, same limits), then back
/// to the page.
#[mizan::client(route = "/plain/login", methods = [POST], affects = [ME])]
pub async fn plain_login(cx: &Cx, username: String, password: String) -> Result<Redirect> {
    sign_in(cx, &username, password).await?;
    Ok(Redirect::to("/plain"))
}

/// The page's sign-out form (with the CSRF field, as every signed-in form post).
#[mizan::client(route = "/plain/logout", methods = [POST], affects = [ME])]
pub async fn plain_logout(cx: &Cx) -> Result<Redirect> {
    cx.logout().await?;
    Ok(Redirect::to("/plain"))
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
