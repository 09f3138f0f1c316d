//! The application, put together in one place so that `main` and the tests build the
//! same thing.

use std::path::{Path, PathBuf};

use crate::db::Db;
use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use mizan::auth::{Auth, Csrf, Sessions};
use mizan::cache::Cache;
use mizan::ws::WebSocket;
use mizan::{Builder, Mizan, params};
use mizan_ssr::{Page, Runtime, Ssr, SsrConfig};
use tower_http::services::{ServeDir, ServeFile};

use crate::accounts::Accounts;
use crate::api::account::ME;
use crate::api::projects::PROJECTS;
use crate::api::todos::TODOS;
use crate::config::Shared;
use crate::limits::LoginLimits;

/// The Mizan API of one process on its own: [`builder_with`] and nothing shared
/// ([`Shared::default`]): sessions, origin cache and WebSocket bus in memory, no MWT. What
/// the tests serve.
pub fn builder(pool: Db) -> Builder {
    builder_with(pool, Shared::default())
}

/// The Mizan API: every `#[mizan::client]` function in the program (they register
/// themselves; `.functions(mizan::functions![todo_list, …])` would pick a subset), with the
/// database as shared state for `cx.state::<Db>()`, the sign-in limits, and Mizan's own
/// authentication: session cookies for the users in the `users` table, an origin cache
/// (the `cache = 5` contexts are answered without a query until they expire or a mutation
/// invalidates them), and the WebSocket channel (`/api/mizan/ws/`): every change is pushed
/// to the other users' pages that show what it hit.
///
/// `shared` says where the state of several instances lives: with Redis, the sessions
/// (`RedisStore`), the origin cache (`Cache::redis`, under the shared secret) and the
/// WebSocket bus (`RedisBus`, which `mizan edge --redis` also reads to purge); without it,
/// all three in this process's memory (the cache bounded at 32 MiB). With MWT keys, every
/// response that sets or refreshes the session also carries a Mizan Web Token, so that
/// an edge cache can key per-user and per-role entries.
///
/// Building it fails when the function graph has errors; `mizan check` lists them without
/// starting the server.
pub fn builder_with(pool: Db, shared: Shared) -> Builder {
    // The example runs on plain http://127.0.0.1:3000, where a browser drops `Secure`
    // cookies (the session's and the MWT's), and a plain-HTTP origin would fail the CSRF
    // origin checks of an HTTPS site. Both are for local development only: in production
    // serve over HTTPS and keep the defaults (`.secure(true)`, `Csrf::new()`).
    let sessions = match &shared.redis {
        Some(redis) => Sessions::store(redis.sessions.clone()),
        None => Sessions::memory(),
    };
    let mut auth = Auth::new()
        .sessions(sessions.secure(false), Accounts(pool.clone()))
        .csrf(Csrf::new().https(false));
    if let Some(keys) = shared.mwt {
        auth = auth.mwt(keys);
    }
    let (cache, websocket) = match shared.redis {
        Some(redis) => (
            Cache::redis(redis.url).secret(redis.cache_secret),
            WebSocket::new().bus(redis.bus),
        ),
        None => (Cache::memory(32 << 20), WebSocket::new()),
    };
    Mizan::builder()
        .state(pool)
        .state(LoginLimits::default())
        .auth(auth)
        .cache(cache)
        .websocket(websocket)
}

/// Everything the server answers: Mizan's routes (`/api/mizan/…`, the plain HTML page at
/// `/plain` and its forms, `/todos/{id}/toggle`), and the React front end built in `web`
/// (its `index.html` for every other path) — or, when it has not been built, a redirect
/// from `/` to the plain page.
pub fn router(api: &Mizan, web: Option<&Path>) -> Router {
    router_with_ssr(api, web, None)
}

/// [`router`], with the front end's page rendered on the server by `ssr` (see
/// [`start_ssr`]): `GET /` preloads what the page shows first — who is signed in, the
/// projects, and the todos of the project in the URL (`?project=2`, else the first) — so the
/// browser hydrates it without a request for them.
pub fn router_with_ssr(api: &Mizan, web: Option<&Path>, ssr: Option<&Ssr>) -> Router {
    let rendered = match ssr {
        Some(ssr) => Router::new().route(
            "/",
            get(ssr.page(|request| {
                let project = request
                    .uri
                    .query()
                    .and_then(|q| {
                        form_urlencoded::parse(q.as_bytes())
                            .find(|(k, _)| k == "project")
                            .and_then(|(_, v)| v.parse::<i64>().ok())
                    })
                    .filter(|id| *id > 0)
                    .unwrap_or(1);
                Page::new()
                    .preload(ME.name(), params! {})
                    .preload(PROJECTS.name(), params! {})
                    .preload(TODOS.name(), params! { project: project })
            })),
        ),
        None => Router::new(),
    };
    let pages = match web {
        Some(dist) => Router::new().fallback_service(
            ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html"))),
        ),
        None => Router::new().route("/", get(|| async { Redirect::to("/plain") })),
    };
    rendered.merge(pages).merge(api.router())
}

/// Starts server-side rendering for the front end built in `web` when its server bundle
/// exists: `entry-server.js` in the directory named as `web` with `-server` added
/// (`dist-server` beside `dist`, built by `npm run build`). `None` when there is none, or
/// when `MIZAN_SSR=0`. On Bun when it is installed, else Node (`MIZAN_SSR_RUNTIME=node|bun`
/// chooses).
///
/// # Errors
/// When the bundle exists but no worker starts (the JavaScript error says why).
pub async fn start_ssr(api: &Mizan, web: &Path) -> anyhow::Result<Option<Ssr>> {
    let mut server = web.as_os_str().to_owned();
    server.push("-server");
    let bundle = PathBuf::from(server).join("entry-server.js");
    if std::env::var("MIZAN_SSR").is_ok_and(|v| v == "0") || !bundle.is_file() {
        return Ok(None);
    }
    let runtime = match std::env::var("MIZAN_SSR_RUNTIME").as_deref() {
        Ok("node") => Runtime::Node,
        Ok("bun") => Runtime::Bun,
        Ok(other) => anyhow::bail!("MIZAN_SSR_RUNTIME must be node or bun, not {other:?}"),
        Err(_) => Runtime::Auto,
    };
    let config = SsrConfig::new(bundle)
        .shell(web.join("index.html"))
        .runtime(runtime);
    Ok(Some(Ssr::start(config).await?.preloading(api)))
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
