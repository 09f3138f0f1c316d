//! The axum router: the protocol endpoints under the base path, functions' own routes,
//! and protocol-shaped 404/405 answers.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawPathParams, Request};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, any, get, on, post};

use super::{call, ctx, view};
use crate::auth::IdentityResolver;
use crate::cx::StateMap;
use crate::error::Error;
use crate::registry::Registry;

/// Everything a request handler needs, shared by all of them.
pub(crate) struct Shared {
    pub(crate) registry: Registry,
    pub(crate) state: StateMap,
    /// `None`: every caller is anonymous (no resolver call, no allocation).
    pub(crate) resolver: Option<Arc<dyn IdentityResolver>>,
    pub(crate) base_path: String,
    pub(crate) body_limit: usize,
}

pub(crate) fn build(shared: &Arc<Shared>) -> Router {
    let base = shared.base_path.clone();
    let mut router = Router::new()
        .route(
            &format!("{base}/ctx/{{name}}/"),
            get(ctx::handle).fallback(|| async { Error::method_not_allowed("GET, HEAD") }),
        )
        .route(
            &format!("{base}/call/{{name}}/"),
            post(call::handle).fallback(|| async { Error::method_not_allowed("POST") }),
        )
        .route(&format!("{base}/{{*rest}}"), any(not_found))
        .with_state(Arc::clone(shared));
    if !base.is_empty() {
        // The base itself answers in the protocol's shape too (with "" it is the user's `/`).
        router = router
            .route(&base, any(not_found))
            .route(&format!("{base}/"), any(not_found));
    }

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
    router
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

async fn not_found(request: Request) -> impl IntoResponse {
    let path = request.uri().path();
    let hint = if path.ends_with('/') {
        ""
    } else {
        " (Mizan URLs end with `/`)"
    };
    Error::not_found(format!("no Mizan endpoint at `{path}`{hint}"))
}
