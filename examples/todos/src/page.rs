//! `GET /`: a plain server-rendered page listing every project and its todos, with a
//! toggle button per todo that posts to the `toggle_todo_form` route. It reads the
//! database directly; it is an ordinary axum route next to Mizan's.

use std::fmt::Write;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sqlx::SqlitePool;

use crate::db;

/// Renders the page.
pub async fn index(State(pool): State<SqlitePool>) -> Response {
    match render(&pool).await {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering the index page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

async fn render(pool: &SqlitePool) -> Result<String, sqlx::Error> {
    let mut out = String::from(concat!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<title>Mizan todos</title>\n",
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto}",
        "li{margin:.3rem 0}.done span{text-decoration:line-through;color:#777}",
        "form{display:inline}</style>\n</head>\n<body>\n<h1>Mizan todos</h1>\n",
    ));
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
            let _ = writeln!(
                out,
                "<li{class}>{mark} <span>{}</span> \
                 <form method=\"post\" action=\"/todos/{}/toggle\"><button>{label}</button></form></li>",
                escape(&todo.title),
                todo.id
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str(
        "<p>The JSON API lives under <code>/api/mizan/</code>: try \
         <a href=\"/api/mizan/ctx/projects/\"><code>/api/mizan/ctx/projects/</code></a>.</p>\n\
         </body>\n</html>\n",
    );
    Ok(out)
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
