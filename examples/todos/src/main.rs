//! Run with `cargo run -p example-todos`
//!
//! Then open <http://127.0.0.1:3000/>, or see `README.md` for `curl` commands.
//! `cargo run -p example-todos -- mizan check` (or `schema`, `openapi`, `manifest`) inspects
//! the API without starting it.
//!
//! Environment:
//! - `DATABASE_URL`: `sqlite://todos.db?mode=rwc` by default (created on first run), or a
//!   PostgreSQL URL `postgres://user:password@host:port/database` (the database must
//!   exist; the schema is created and the demo data seeded on start, by each backend's
//!   migrations in `migrations/sqlite/` or `migrations/postgres/`).
//! - `BIND` (default `127.0.0.1:3000`) or just `PORT`.
//! - `WEB_DIST`: the built front end, default `web/dist` (the React one; `web-vue/dist` or
//!   `web-svelte/dist` for the others).
//! - `MIZAN_SSR`: `0` renders the front end in the browser only; by default its page is
//!   rendered on the server when `npm run build` built its server bundle.
//!   `MIZAN_SSR_RUNTIME`: `node` or `bun` (default Bun when installed).
//! - `LOGIN_ATTEMPTS_PER_MINUTE`: per account, default 5; four times as many per client
//!   address (raise it for test suites that sign in often). Counted per process.
//! - `REDIS_URL` (`redis://127.0.0.1:6379/`): run as one of several instances. Sessions,
//!   the origin cache and the WebSocket bus move to this Redis, so a user signed in on one
//!   instance is signed in on all, a cached context is shared and purged by every instance,
//!   and a change made on one instance is pushed to the pages connected to the others.
//!   Needs `MIZAN_CACHE_SECRET`.
//! - `MIZAN_CACHE_SECRET`: the origin cache's key secret, at least 32 random bytes in hex
//!   (`openssl rand -hex 32`), the same on every instance; used only with `REDIS_URL`.
//! - `MIZAN_MWT_KEYS`: `kid=HEX[,kid=HEX…]`, Mizan Web Token keys (spec/MWT.md), the first
//!   one signing: every signed-in response carries an MWT (cookie `mizan-mwt`, not
//!   `Secure` here, for plain local HTTP) that `mizan edge`, given the same variable, checks
//!   to cache per-user and per-role entries. Secrets of at least 32 bytes, apart from the
//!   cache secret.
//! - `RUST_LOG` (default `info`).
//!
//! `scripts/scale` runs two instances on PostgreSQL and Redis behind `mizan edge`; see
//! `docs/scaling.md`.

use std::env;

use anyhow::Context as _;
use example_todos::config::Shared;
use example_todos::limits::LoginLimits;
use example_todos::{app, db};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let url = env::var("DATABASE_URL").unwrap_or_else(|_| db::DEFAULT_URL.to_owned());
    // Lazy: the `mizan …` commands below never open the database. The URL is not echoed in
    // the error: it may hold a password.
    let pool = db::connect_lazy(&url).context("invalid DATABASE_URL")?;
    let shared = Shared::from_env().await?;
    if shared.redis.is_some() {
        tracing::info!("sessions, origin cache and WebSocket bus in Redis (REDIS_URL)");
    }
    if let Some(keys) = &shared.mwt {
        tracing::info!(
            signing_key = keys.signing_kid(),
            "issuing MWTs (MIZAN_MWT_KEYS)"
        );
    }
    let mut builder = app::builder_with(pool.clone(), shared);
    if let Ok(text) = env::var("LOGIN_ATTEMPTS_PER_MINUTE") {
        let per_minute = text.parse().with_context(|| {
            format!("LOGIN_ATTEMPTS_PER_MINUTE must be a number from 1, not {text:?}")
        })?;
        builder = builder.state(LoginLimits::per_minute(per_minute));
    }
    if let Some(code) = mizan::cli::run_if_requested(&builder) {
        std::process::exit(code);
    }

    db::prepare(&pool)
        .await
        .with_context(|| format!("preparing the {} database", pool.backend()))?;
    let api = builder.build()?;
    let web = app::web_dist();
    if web.is_none() {
        tracing::warn!(
            "no front end is built (scripts/run builds one); / leads to the plain HTML page at /plain"
        );
    }
    let ssr = match &web {
        Some(web) => app::start_ssr(&api, web)
            .await
            .context("starting server-side rendering (MIZAN_SSR=0 turns it off)")?,
        None => None,
    };
    if web.is_some() && ssr.is_none() {
        tracing::info!("the front end renders in the browser (no server bundle, or MIZAN_SSR=0)");
    }
    let router = app::router_with_ssr(&api, web.as_deref(), ssr.as_ref());

    let addr = match env::var("BIND") {
        Ok(addr) => addr,
        Err(_) => format!(
            "127.0.0.1:{}",
            env::var("PORT").as_deref().unwrap_or("3000")
        ),
    };
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    println!(
        "todos example listening on http://{}/",
        listener.local_addr()?
    );

    mizan::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    pool.close().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix (what `kill` and container runtimes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
