//! `GET /plain`: a plain server-rendered page listing every project and its todos, with
//! a toggle button per todo that posts to the `toggle_todo_form` route, an add-a-todo form
//! per project that works with JavaScript off (errors come back on the page, from the same
//! validation as the JSON API's 422), and sign-in and sign-out forms of its own.
//!
//! The page is a Mizan route function rather than a plain axum handler so that it knows
//! the caller (`cx.identity()`) and can give its forms the CSRF token of the caller's
//! session (`cx.csrf_field()`): a form post that a session cookie authenticates is refused
//! (`403 csrf_failed`) without it. Reading the caller makes the page `Cache-Control:
//! private`.

use std::fmt::Write;

use crate::db::Db;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mizan::{Cx, Result, params};

use crate::api::account::{ME, sign_in};
use crate::api::projects::PROJECTS;
use crate::api::todos::{TODOS, add_todo};
use crate::db;
use crate::model::{Me, Title};

/// The cookie that carries a refused add-a-todo form back to the page (one redirect long).
const FLASH: &str = "plain-flash";

/// Renders the page.
#[mizan::client(route = "/plain", methods = [GET], private)]
pub async fn plain_page(cx: &Cx) -> Result<Response> {
    let pool = cx.state::<Db>()?;
    let me = cx.identity().map(Me::of);
    let csrf = cx.csrf_field();
    let flash = Flash::read(cx);
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
        if me.is_some() {
            let (value, errors) = match &flash {
                Some(f) if f.project == project.id => (f.title.as_str(), f.errors.as_slice()),
                _ => ("", &[][..]),
            };
            let invalid = if errors.is_empty() {
                ""
            } else {
                " aria-invalid=\"true\""
            };
            let _ = write!(
                out,
                "<form class=\"add\" id=\"add-{id}\" method=\"post\" action=\"/plain/todos\">{csrf}\
                 <input type=\"hidden\" name=\"project\" value=\"{id}\">\
                 <input name=\"title\" aria-label=\"New todo in project {id}\" placeholder=\"What needs doing?\" \
                 value=\"{}\"{invalid}> <button>Add</button>",
                escape(value),
                id = project.id,
            );
            for message in errors {
                let _ = write!(out, "<p class=\"field-error\">{}</p>", escape(message));
            }
            out.push_str("</form>\n");
        }
    }
    out.push_str(
        "<p>The JSON API lives under <code>/api/mizan/</code>: try \
         <a href=\"/api/mizan/ctx/projects/\"><code>/api/mizan/ctx/projects/</code></a>.</p>\n\
         </body>\n</html>\n",
    );
    let mut response = Html(out).into_response();
    if flash.is_some() {
        // Shown once.
        let clear = format!("{FLASH}=; Path=/plain; Max-Age=0; HttpOnly; SameSite=Lax");
        if let Ok(value) = clear.parse() {
            response.headers_mut().insert(SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// The page's add-a-todo form (JavaScript off): the title is checked by the same rules as
/// `add_todo`'s argument (`mizan::validate_arg`, the same 422 the JSON API answers). Valid:
/// the todo is added and the browser goes back to the page (303). Refused: back to the page
/// too, with the title and the messages in a one-redirect cookie, rendered next to the field.
#[mizan::client(
    route = "/plain/todos",
    methods = [POST],
    auth = true,
    affects = [TODOS, PROJECTS],
    affects_params = |a, _| params! { project: a.project },
)]
pub async fn plain_add_todo(cx: &Cx, project: i64, title: String) -> Result<Response> {
    let back = Redirect::to(&format!("/plain#add-{project}"));
    let checked = Title(title.clone());
    match mizan::validate_arg("title", &checked) {
        Ok(()) => {
            add_todo(cx, project, checked).await?;
            Ok(back.into_response())
        }
        Err(e) => {
            let errors: Vec<String> = e
                .fields()
                .into_iter()
                .flat_map(|f| f.values().flatten().cloned())
                .collect();
            let flash = Flash {
                project,
                title,
                errors,
            };
            Ok(([(SET_COOKIE, flash.cookie())], back).into_response())
        }
    }
}

/// A refused add-a-todo form, carried back to the page.
struct Flash {
    project: i64,
    title: String,
    errors: Vec<String>,
}

impl Flash {
    /// `plain-flash=<project>.<hex title>.<hex messages>`: only text the page escapes.
    fn cookie(&self) -> String {
        format!(
            "{FLASH}={}.{}.{}; Path=/plain; Max-Age=60; HttpOnly; SameSite=Lax",
            self.project,
            hex(&self.title),
            hex(&self.errors.join("\n"))
        )
    }

    fn read(cx: &Cx) -> Option<Self> {
        let cookies = cx.headers().get(COOKIE)?.to_str().ok()?;
        let value = cookies
            .split(';')
            .find_map(|c| c.trim().strip_prefix(FLASH)?.strip_prefix('='))?;
        let mut parts = value.splitn(3, '.');
        let project = parts.next()?.parse().ok()?;
        let title = unhex(parts.next()?)?;
        let errors = unhex(parts.next()?)?;
        Some(Self {
            project,
            title,
            errors: errors.lines().map(str::to_owned).collect(),
        })
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
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
