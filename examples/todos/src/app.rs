//! The application, put together in one place so that `main` and the tests build the
//! same thing.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::routing::get;
use mizan::{Builder, Mizan};
use sqlx::SqlitePool;
use tower_http::services::{ServeDir, ServeFile};

use crate::page;

/// The Mizan API: every `#[mizan::client]` function in the program (they register
/// themselves; `.functions(mizan::functions![todo_list, …])` would pick a subset), with the
/// pool as shared state for `cx.state::<SqlitePool>()`.
///
/// Building it fails when the function graph has errors; `mizan check` lists them without
/// starting the server.
pub fn builder(pool: SqlitePool) -> Builder {
    Mizan::builder().state(pool)
}

/// Everything the server answers: Mizan's routes (`/api/mizan/…` and
/// `/todos/{id}/toggle`), the plain HTML page at `/plain`, and the React front end built in
/// `web` (its `index.html` for every other path) — or, when it has not been built, the plain
/// page at `/` too.
pub fn router(api: &Mizan, pool: SqlitePool, web: Option<&Path>) -> Router {
    let pages = Router::new().route("/plain", get(page::index));
    let pages = match web {
        Some(dist) => pages.fallback_service(
            ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html"))),
        ),
        None => pages.route("/", get(page::index)),
    };
    pages.with_state(pool).merge(api.router())
}

/// The built front end: `WEB_DIST` when set, else `web/dist` (what `npm run build` makes),
/// if it holds an `index.html`.
pub fn web_dist() -> Option<PathBuf> {
    let dist = match std::env::var_os("WEB_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("web")
            .join("dist"),
    };
    dist.join("index.html").is_file().then_some(dist)
}
