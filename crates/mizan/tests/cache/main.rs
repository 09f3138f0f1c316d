//! The origin cache through the real router: what is stored and for whom, what purges it
//! (a call's `affects`, a scoped `affects_params`, `X-Mizan-Invalidate` on the view path,
//! `cx.invalidate`), single flight, the stale-write race, guards before the cache, ETag
//! and `Cache-Control` on hits. The memory backend here; the same against a real Redis in
//! `redis.rs` (feature `redis`).
//!
//! Every function returns how many times it ran, so a reply tells a hit from a miss.

#[path = "../support/mod.rs"]
mod support;

mod behaviour;
#[cfg(feature = "redis")]
mod redis;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use http::Request;
use mizan::cache::Cache;
use mizan::{BearerTokens, Cx, Identity, Mizan, Result, State, params};
use serde_json::{Value, json};
use tokio::sync::Notify;

use support::Reply;

mizan::context!(pub(crate) LIST = "list");
mizan::context!(pub(crate) MINE = "mine");
mizan::context!(pub(crate) STAFF = "staff");
mizan::context!(pub(crate) SNEAKY = "sneaky");
mizan::context!(pub(crate) HEADERS = "headers");
mizan::context!(pub(crate) SLOW = "slow");
mizan::context!(pub(crate) LIVE = "live");

/// How many times each function ran, and a gate the slow one waits at.
#[derive(Clone, Default)]
pub(crate) struct Runs {
    count: Arc<AtomicU64>,
    pub(crate) gate: Arc<Gate>,
}

/// How long a gated function waits for its release at most (a failing test ends instead
/// of hanging).
const GATE_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Default)]
pub(crate) struct Gate {
    /// Told when the slow function starts.
    pub(crate) started: Notify,
    /// Waited for by the slow function.
    pub(crate) release: Notify,
}

impl Runs {
    fn next(&self) -> u64 {
        self.count.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// A public list, by project or all of them.
#[mizan::client(context = LIST, cache = 30)]
pub(crate) async fn items(State(runs): State<Runs>, project: Option<i64>) -> Result<Value> {
    Ok(json!({ "project": project, "run": runs.next() }))
}

/// Adds to one project: purges that project's list and the unfiltered one.
#[mizan::client(affects = [LIST], affects_params = |a, _| params! { project: a.project })]
pub(crate) async fn add_item(project: i64) -> Result<i64> {
    Ok(project)
}

/// Purges every list.
#[mizan::client(affects = [LIST])]
pub(crate) async fn reset_items() -> Result<()> {
    Ok(())
}

/// Purges one project's list at run time.
#[mizan::client]
pub(crate) async fn move_item(cx: &Cx, project: i64) -> Result<()> {
    cx.invalidate(LIST.with(params! { project: project }));
    Ok(())
}

/// A form on the view path: purges through `X-Mizan-Invalidate`.
#[mizan::client(route = "/items/clear", methods = [POST], affects = [LIST])]
pub(crate) async fn clear_items() -> Result<axum::response::Redirect> {
    Ok(axum::response::Redirect::to("/items"))
}

/// The caller's own data.
#[mizan::client(context = MINE, private, cache = 30)]
pub(crate) async fn mine(cx: &Cx, State(runs): State<Runs>) -> Result<Value> {
    let who = cx.identity().map(|i| i.id.clone());
    Ok(json!({ "who": who, "run": runs.next() }))
}

/// Staff only.
#[mizan::client(context = STAFF, auth = "staff", cache = 30)]
pub(crate) async fn staff_report(State(runs): State<Runs>) -> Result<Value> {
    Ok(json!({ "run": runs.next() }))
}

/// Reads the caller without declaring `private`: never stored, never shared.
#[mizan::client(context = SNEAKY, cache = 30)]
pub(crate) async fn sneaky(cx: &Cx, State(runs): State<Runs>) -> Result<Value> {
    let gate = &runs.gate;
    let who = cx.identity().map(|i| i.id.clone());
    gate.started.notify_one();
    let _ = tokio::time::timeout(GATE_LIMIT, gate.release.notified()).await;
    Ok(json!({ "who": who, "run": runs.next() }))
}

/// Private, and reads a request header: the answer differs between two requests of one
/// caller, so it is stored for no one.
#[mizan::client(context = HEADERS, private, cache = 30)]
pub(crate) async fn language(cx: &Cx, State(runs): State<Runs>) -> Result<Value> {
    let lang = cx
        .headers()
        .get("accept-language")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(json!({ "lang": lang, "run": runs.next() }))
}

/// Waits at the gate: for single flight and the stale-write race.
#[mizan::client(context = SLOW, cache = 30)]
pub(crate) async fn slow(State(runs): State<Runs>, project: i64) -> Result<Value> {
    let run = runs.next();
    runs.gate.started.notify_one();
    let _ = tokio::time::timeout(GATE_LIMIT, runs.gate.release.notified()).await;
    Ok(json!({ "project": project, "run": run }))
}

/// Purges the slow context.
#[mizan::client(affects = [SLOW])]
pub(crate) async fn touch_slow() -> Result<()> {
    Ok(())
}

/// Invalidates while answering: a one-off response, never stored.
#[mizan::client(context = LIVE, cache = 30)]
pub(crate) async fn live(cx: &Cx, State(runs): State<Runs>) -> Result<Value> {
    cx.invalidate(&LIST);
    Ok(json!({ "run": runs.next() }))
}

/// Every function of this binary, with its cache and the test identities.
pub(crate) fn builder(runs: &Runs, cache: Cache) -> mizan::Builder {
    let tokens = BearerTokens::new()
        .token("ann", Identity::user("ann"))
        .token("bob", Identity::user("bob"))
        .token("staff", Identity::user("sam").with_staff());
    Mizan::builder()
        .functions(mizan::functions![
            items,
            add_item,
            reset_items,
            move_item,
            clear_items,
            mine,
            staff_report,
            sneaky,
            language,
            slow,
            touch_slow,
            live
        ])
        .identity(tokens)
        .state(runs.clone())
        .cache(cache)
}

/// 32 bytes or more.
pub(crate) const SECRET: &[u8] = b"the origin cache test secret, 32+ bytes";

pub(crate) struct App {
    pub(crate) mizan: Mizan,
    pub(crate) router: Router,
    pub(crate) runs: Runs,
}

impl App {
    pub(crate) fn new(cache: Cache) -> Self {
        Self::with_runs(cache, Runs::default())
    }

    pub(crate) fn with_runs(cache: Cache, runs: Runs) -> Self {
        let mizan = builder(&runs, cache)
            .build()
            .expect("the cache test graph is valid");
        let router = mizan.router();
        Self {
            mizan,
            router,
            runs,
        }
    }

    /// `GET {path}` as `token` (anonymous for `""`), with extra headers.
    pub(crate) async fn get_with(&self, path: &str, token: &str, extra: &[(&str, &str)]) -> Reply {
        let mut request = Request::get(format!("/api/mizan/ctx/{path}"));
        if !token.is_empty() {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        support::send(&self.router, request.body(Body::empty()).expect("request")).await
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Reply {
        self.get_with(path, token, &[]).await
    }

    /// The run number a context reply carries for function `f`.
    pub(crate) async fn run(&self, path: &str, token: &str, f: &str) -> u64 {
        let reply = self.get(path, token).await;
        assert_eq!(reply.status, 200, "GET {path}: {:?}", reply.json());
        reply.json()[f]["run"].as_u64().expect("a run number")
    }

    pub(crate) async fn call(&self, function: &str, args: Value) -> Reply {
        let reply =
            support::post(&self.router, &format!("/api/mizan/call/{function}/"), args).await;
        assert_eq!(reply.status, 200, "{function}: {:?}", reply.json());
        reply
    }

    pub(crate) fn stats(&self, context: &str) -> mizan::cache::CacheStats {
        self.mizan
            .cache_stats()
            .get(context)
            .copied()
            .unwrap_or_default()
    }
}
