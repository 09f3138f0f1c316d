//! The application, put together in one place so that `main` and the tests build the
//! same thing.

use axum::Router;
use axum::routing::get;
use mizan::{Builder, Mizan};
use sqlx::SqlitePool;

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

/// Everything the server answers: the page at `/` merged with Mizan's routes
/// (`/api/mizan/…` and `/todos/{id}/toggle`).
pub fn router(api: &Mizan, pool: SqlitePool) -> Router {
    Router::new()
        .route("/", get(page::index))
        .with_state(pool)
        .merge(api.router())
}
