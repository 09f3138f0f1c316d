//! The axum router: the protocol endpoints under the base path, functions' own routes,
//! and protocol-shaped 404/405 answers.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawPathParams, Request};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, any, get, on, post};
use http::HeaderValue;

use super::{call, ctx, view};
use crate::auth::IdentityResolver;
use crate::cx::StateMap;
use crate::error::Error;
use crate::registry::Registry;
use crate::sink::Sink;

/// Everything a request handler needs, shared by all of them.
pub(crate) struct Shared {
    pub(crate) registry: Registry,
    pub(crate) state: StateMap,
    /// `None`: every caller is anonymous (no resolver call, no allocation).
    pub(crate) resolver: Option<Arc<dyn IdentityResolver>>,
    /// The resolver's `vary()` headers as one `Vary` value (`None` without a resolver or
    /// when it reads no header).
    pub(crate) vary: Option<HeaderValue>,
    /// The CSRF rules, with Mizan's own `Auth`.
    pub(crate) csrf: Option<crate::auth::Csrf>,
    /// The session layer, with `Auth` sessions.
    pub(crate) sessions: Option<crate::auth::Sessions>,
    pub(crate) base_path: String,
    pub(crate) body_limit: usize,
    /// The largest accepted multipart body (files), in bytes.
    pub(crate) upload_limit: usize,
    /// The longest accepted context query string, in bytes.
    pub(crate) query_limit: usize,
    pub(crate) sink: Sink,
    /// The origin cache, when configured (the sink holds it too, to purge).
    pub(crate) cache: Option<Arc<crate::cache::OriginCache>>,
    /// The WebSocket channel, when [`Builder::websocket`](crate::Builder::websocket)
    /// turned it on.
    pub(crate) ws: Option<Arc<crate::ws::Hub>>,
    /// The MWT names and key ids for the edge manifest, with `Auth::mwt`.
    pub(crate) edge_mwt: Option<mizan_protocol::edge_manifest::EdgeMwt>,
}

pub(crate) fn build(shared: &Arc<Shared>) -> Router {
    let base = shared.base_path.clone();
    let mut router: Router<Arc<Shared>> = Router::new()
        .route(
            &format!("{base}/ctx/{{name}}/"),
            get(ctx::handle).fallback(|| async { Error::method_not_allowed("GET, HEAD") }),
        )
        .route(
            &format!("{base}/call/{{name}}/"),
            post(call::handle).fallback(|| async { Error::method_not_allowed("POST") }),
        );
    if shared.ws.is_some() {
        router = router.route(
            &format!("{base}/ws/"),
            get(crate::ws::handle).fallback(|| async { Error::method_not_allowed("GET") }),
        );
    }
    // Unknown URLs under Mizan's own prefixes answer in the protocol's shape. With an
    // empty base path that is only `/ctx/…` and `/call/…`: everything else is the app's,
    // and its own fallback must run (`/favicon.ico` is not Mizan's 404).
    for kind in ["ctx", "call"] {
        for path in ["", "/", "/{name}", "/{name}/{*rest}"] {
            router = router.route(&format!("{base}/{kind}{path}"), any(not_found));
        }
    }
    if !base.is_empty() {
        for path in ["", "/", "/{*rest}"] {
            router = router.route(&format!("{base}{path}"), any(not_found));
        }
    }
    let mut router = router.with_state(Arc::clone(shared));

    let mut routes: BTreeMap<&'static str, Vec<(&'static str, &'static str)>> = BTreeMap::new();
    for entry in shared.registry.functions.values() {
        if let Some(path) = entry.def.route {
            for m in entry.def.methods {
                routes.entry(path).or_default().push((m, entry.def.name));
            }
        }
    }
    for (path, handlers) in routes {
        let mut allow: Vec<&str> = handlers.iter().map(|(m, _)| *m).collect();
        allow.sort_unstable();
        let allow = allow.join(", ");
        let mut method_router: MethodRouter =
            MethodRouter::new().fallback(move || async move { Error::method_not_allowed(allow) });
        for (method, name) in handlers {
            let shared = Arc::clone(shared);
            method_router = method_router.merge(on(
                filter(method),
                move |params: Result<RawPathParams, _>, request: Request| {
                    view::handle(shared, name, params, request)
                },
            ));
        }
        router = router.route(path, method_router);
    }
    match &shared.sessions {
        Some(sessions) => sessions.apply(router),
        None => router,
    }
}

fn filter(method: &str) -> MethodFilter {
    match method {
        "GET" => MethodFilter::GET,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        _ => MethodFilter::POST,
    }
}

async fn not_found(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    request: Request,
) -> impl IntoResponse {
    let path = request.uri().path();
    // The hint only where a slash is what is missing: `{base}/ctx/<name>` or
    // `{base}/call/<name>`.
    let endpoint = path
        .strip_prefix(shared.base_path.as_str())
        .and_then(|rest| {
            rest.strip_prefix("/ctx/")
                .or_else(|| rest.strip_prefix("/call/"))
        })
        .is_some_and(|name| !name.is_empty() && !name.contains('/'));
    let hint = if endpoint {
        " (Mizan URLs end with `/`)"
    } else {
        ""
    };
    Error::not_found(format!("no Mizan endpoint at `{path}`{hint}"))
}
