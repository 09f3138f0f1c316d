//! The application, put together in one place so that `main` and the tests build the
//! same thing.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use mizan::auth::{Auth, Csrf, Sessions};
use mizan::cache::Cache;
use mizan::ws::WebSocket;
use mizan::{Builder, Mizan};
use sqlx::SqlitePool;
use tower_http::services::{ServeDir, ServeFile};

use crate::accounts::Accounts;
use crate::limits::LoginLimits;

/// The Mizan API: every `#[mizan::client]` function in the program (they register
/// themselves; `.functions(mizan::functions![todo_list, …])` would pick a subset), with the
/// pool as shared state for `cx.state::<SqlitePool>()`, the sign-in limits, and Mizan's
/// own authentication: session cookies for the users in the `users` table, an origin
/// cache in memory (32 MiB): the `cache = 5` contexts are answered without a query until
/// they expire or a mutation invalidates them (one process: with several, use
/// `Cache::redis(url).secret(…)`, feature `redis`), and the WebSocket channel
/// (`/api/mizan/ws/`): every change is pushed to the other users' pages that show what it
/// hit.
///
/// Building it fails when the function graph has errors; `mizan check` lists them without
/// starting the server.
pub fn builder(pool: SqlitePool) -> Builder {
    // The example runs on plain http://127.0.0.1:3000, where a browser drops `Secure`
    // cookies, and a plain-HTTP origin would fail the CSRF origin checks of an HTTPS
    // site. Both are for local development only: in production serve over HTTPS and keep
    // the defaults (`Sessions::memory()`, `Csrf::new()`), and use a shared session store
    // (`Sessions::store(RedisStore)`) when there is more than one process.
    let auth = Auth::new()
        .sessions(Sessions::memory().secure(false), Accounts(pool.clone()))
        .csrf(Csrf::new().https(false));
    Mizan::builder()
        .state(pool)
        .state(LoginLimits::default())
        .auth(auth)
        .cache(Cache::memory(32 << 20))
        .websocket(WebSocket::new())
}

/// Everything the server answers: Mizan's routes (`/api/mizan/…`, the plain HTML page at
/// `/plain` and its forms, `/todos/{id}/toggle`), and the React front end built in `web`
/// (its `index.html` for every other path) — or, when it has not been built, a redirect
/// from `/` to the plain page.
pub fn router(api: &Mizan, web: Option<&Path>) -> Router {
    let pages = match web {
        Some(dist) => Router::new().fallback_service(
            ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html"))),
        ),
        None => Router::new().route("/", get(|| async { Redirect::to("/plain") })),
    };
    pages.merge(api.router())
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
