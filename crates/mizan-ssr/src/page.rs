//! [`Page`]: what a server-rendered page needs — its preloaded contexts, props and identity —
//! and how the preloads run: through the application's own Mizan router, with the page
//! request's credentials, so the same guards and the same cache apply.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use futures_util::future::join_all;
use http::request::Parts;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use mizan_protocol::Params;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

/// The largest preloaded context response embedded in a page.
const MAX_PRELOAD: usize = 16 * 1024 * 1024;

/// One server-rendered page: `Page::new().preload(TODOS.name(), params!{project: 1})
/// .props(json!({"title": "Todos"}))`.
///
/// Everything a render needs goes to the worker with the render call (spec/SSR.md): props,
/// identity and the preloaded data. A worker keeps nothing between requests.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub(crate) preloads: Vec<(String, Params)>,
    pub(crate) props: Map<String, Value>,
    pub(crate) identity: Value,
}

impl Page {
    /// A page with no preloads, no props and no identity.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs context `context` with `params` before the render (concurrently with the other
    /// preloads) and embeds its data, keyed as `@mizan/runtime` keys the entry, so the browser
    /// starts with it and makes no request for it. The context runs as a GET of the page's own
    /// caller: guards and caching apply as to the browser's request. A context the caller may
    /// not read (or one that fails) is left out: the browser fetches it and shows the error.
    /// Give every parameter, defaults included, as the client's descriptor has them.
    #[must_use]
    pub fn preload(mut self, context: impl Into<String>, params: Params) -> Self {
        self.preloads.push((context.into(), params));
        self
    }

    /// A prop for the page component (`input.props[name]` in the server bundle).
    #[must_use]
    pub fn prop(mut self, name: impl Into<String>, value: impl serde::Serialize) -> Self {
        self.props.insert(
            name.into(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    /// Who the page is for, as the server bundle should see it (`input.identity`): e.g. the
    /// user's name and roles. Never a secret: the worker is a separate process.
    #[must_use]
    pub fn identity(mut self, identity: impl serde::Serialize) -> Self {
        self.identity = serde_json::to_value(identity).unwrap_or(Value::Null);
        self
    }
}

/// The Mizan API the preloads run against.
#[derive(Debug, Clone)]
pub(crate) struct Preloader {
    pub(crate) router: Router,
    /// e.g. `/api/mizan`
    pub(crate) base: String,
}

impl Preloader {
    /// The page data: entry key → `{context, params, data, updatedAt, stale}`.
    pub(crate) async fn run(&self, parts: &Parts, preloads: &[(String, Params)]) -> Value {
        let fetched = join_all(
            preloads
                .iter()
                .map(|(name, params)| self.one(parts, name, params)),
        )
        .await;
        Value::Object(fetched.into_iter().flatten().collect())
    }

    async fn one(&self, parts: &Parts, name: &str, params: &Params) -> Option<(String, Value)> {
        let query = params.to_query();
        let (key, uri) = if query.is_empty() {
            (name.to_owned(), format!("{}/ctx/{name}/", self.base))
        } else {
            (
                format!("{name}?{query}"),
                format!("{}/ctx/{name}/?{query}", self.base),
            )
        };
        let mut request = Request::builder().method(Method::GET).uri(&uri);
        for (k, v) in &parts.headers {
            if k != header::CONTENT_LENGTH
                && k != header::TRANSFER_ENCODING
                && k != header::CONTENT_TYPE
            {
                request = request.header(k, v);
            }
        }
        let Ok(mut request) = request.body(Body::empty()) else {
            tracing::warn!(uri, "SSR preload: not a valid request");
            return None;
        };
        // What the server put there for the page (the peer's address, …): rate limits and
        // identity resolution see the page's request.
        *request.extensions_mut() = parts.extensions.clone();
        let Ok(response) = self.router.clone().oneshot(request).await;
        if response.status() != StatusCode::OK {
            tracing::debug!(
                uri,
                status = response.status().as_u16(),
                "SSR preload left out"
            );
            return None;
        }
        let bytes = Limited::new(response.into_body(), MAX_PRELOAD)
            .collect()
            .await
            .ok()?
            .to_bytes();
        let data: Value = serde_json::from_slice(&bytes).ok()?;
        let updated_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Some((
            key,
            json!({
                "context": name,
                "params": Value::Object(params.as_map().clone()),
                "data": data,
                "updatedAt": updated_at,
                "stale": false,
            }),
        ))
    }
}
