//! Run with `cargo run -p example-todos`
//!
//! Then open <http://127.0.0.1:3000/>, or see `README.md` for `curl` commands.
//! `cargo run -p example-todos -- mizan check` (or `schema`, `openapi`) inspects the API
//! without starting it.
//!
//! Environment: `DATABASE_URL` (default `sqlite://todos.db?mode=rwc`, created on first
//! run), `BIND` (default `127.0.0.1:3000`) or just `PORT`, `WEB_DIST` (the built front end:
//! default `web/dist`, the React one; `web-vue/dist` or `web-svelte/dist` for the others),
//! `MIZAN_SSR` (`0` renders the front end in the browser only; by default its page is
//! rendered on the server when `npm run build` built its server bundle), `MIZAN_SSR_RUNTIME`
//! (`node` or `bun`; default Bun when installed), `LOGIN_ATTEMPTS_PER_MINUTE` (per account, default 5; four times as many per client
//! address: raise it for test suites that sign in often), and `RUST_LOG` (default `info`).

use std::env;

use anyhow::Context as _;
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
    anyhow::ensure!(
        url.starts_with("sqlite:"),
        "DATABASE_URL must be a SQLite URL such as {}, not {url:?}",
        db::DEFAULT_URL
    );
    // Lazy: the `mizan …` commands below never open the database.
    let pool = db::connect_lazy(&url).with_context(|| format!("invalid DATABASE_URL {url:?}"))?;
    let mut builder = app::builder(pool.clone());
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
        .with_context(|| format!("preparing the database at {url}"))?;
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
