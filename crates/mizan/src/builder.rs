//! Putting an API together: which functions, what state, who is calling, where it lives.

use std::fmt;
use std::sync::Arc;

use axum::Router;

use crate::auth::IdentityResolver;
use crate::cx::StateMap;
use crate::function::{FunctionDef, Registration};
use crate::registry::{self, Registry};
use crate::router::{self, Shared};
use crate::schema::{Diagnostic, Level, SchemaDocument, openapi};
use crate::sink::{InvalidationEvent, Sink};

/// Why [`Builder::build`] failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The function graph has errors (unknown targets, duplicate names, conflicting context
    /// parameters, …), each naming the source file and line.
    #[error("the Mizan function graph has errors:\n{}", render(.0))]
    Graph(Vec<Diagnostic>),
    /// The base path is not `""` or a path starting with `/` without a trailing `/`.
    #[error("invalid base path {0:?}: use \"\" or a path like \"/api/mizan\" (no trailing slash)")]
    BasePath(String),
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Configures a Mizan API. Start with [`Mizan::builder`].
pub struct Builder {
    functions: Option<Vec<&'static FunctionDef>>,
    state: StateMap,
    resolver: Option<Arc<dyn IdentityResolver>>,
    base_path: String,
    body_limit: usize,
    query_limit: usize,
    sink: Sink,
}

impl Builder {
    /// Serves exactly these functions instead of every `#[client]` function in the binary:
    /// `.functions(mizan::functions![todo_list, add_todo])`.
    #[must_use]
    pub fn functions(mut self, functions: Vec<&'static FunctionDef>) -> Self {
        self.functions = Some(functions);
        self
    }

    /// Adds shared state that functions read with [`Cx::state`](crate::Cx::state); one
    /// value per type.
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Sets how callers are identified (default: everyone is anonymous, as with
    /// [`Anonymous`](crate::Anonymous)).
    #[must_use]
    pub fn identity(mut self, resolver: impl IdentityResolver) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// Sets where the endpoints live (default `/api/mizan`); `""` serves them at the root.
    #[must_use]
    pub fn base_path(mut self, base_path: impl Into<String>) -> Self {
        self.base_path = base_path.into();
        self
    }

    /// Sets the largest accepted request body (default 1 MiB); larger ones get 413.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets the longest accepted context query string (default 4 KiB); longer ones get
    /// `414 uri_too_long`.
    #[must_use]
    pub fn query_limit(mut self, bytes: usize) -> Self {
        self.query_limit = bytes;
        self
    }

    /// Calls `listener` with every non-empty list of invalidations a request produces
    /// (a call's `affects` and `cx.invalidate`, a query's run-time invalidations), as the
    /// client receives it, before the response is sent. The HTTP body and header are
    /// written from the same list; later a WebSocket push or an edge purge listens here.
    /// A listener that panics is logged and skipped.
    #[must_use]
    pub fn on_invalidate(
        mut self,
        listener: impl Fn(&InvalidationEvent<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.sink.listeners.push(Arc::new(listener));
        self
    }

    fn defs(&self) -> Vec<&'static FunctionDef> {
        match &self.functions {
            Some(list) => list.clone(),
            None => {
                let mut all: Vec<&'static FunctionDef> =
                    inventory::iter::<Registration>().map(|r| r.0).collect();
                all.sort_by_key(|d| (d.name, d.file, d.line));
                all
            }
        }
    }

    /// The schema document and every lint finding, without failing: what `mizan check`
    /// and `mizan schema` print.
    pub fn inspect(&self) -> (SchemaDocument, Vec<Diagnostic>) {
        registry::inspect(&self.defs(), &self.base_path)
    }

    /// Checks the graph and builds the API. Warnings are logged; errors fail with every
    /// diagnostic.
    pub fn build(self) -> Result<Mizan, BuildError> {
        let base = &self.base_path;
        if !(base.is_empty() || (base.starts_with('/') && !base.ends_with('/')))
            || base.contains(['{', '}', '?', '#'])
        {
            return Err(BuildError::BasePath(self.base_path));
        }
        let (registry, warnings) =
            Registry::build(&self.defs(), &self.base_path).map_err(BuildError::Graph)?;
        for w in &warnings {
            tracing::warn!("{w}");
        }
        Ok(Mizan {
            shared: Arc::new(Shared {
                registry,
                state: self.state,
                vary: self.resolver.as_ref().and_then(|r| vary_value(&r.vary())),
                resolver: self.resolver,
                base_path: self.base_path,
                body_limit: self.body_limit,
                query_limit: self.query_limit,
                sink: self.sink,
            }),
        })
    }
}

/// The `Vary` value for the headers a resolver reads.
fn vary_value(headers: &[http::HeaderName]) -> Option<http::HeaderValue> {
    let names: Vec<&str> = headers.iter().map(http::HeaderName::as_str).collect();
    if names.is_empty() {
        return None;
    }
    http::HeaderValue::from_str(&names.join(", ")).ok()
}

/// A built Mizan API: its router and its documents.
#[derive(Clone)]
pub struct Mizan {
    shared: Arc<Shared>,
}

impl Mizan {
    /// A builder with the defaults: every registered function, anonymous callers,
    /// `/api/mizan`, 1 MiB bodies.
    pub fn builder() -> Builder {
        Builder {
            functions: None,
            state: StateMap::default(),
            resolver: None,
            base_path: crate::DEFAULT_BASE_PATH.to_owned(),
            body_limit: crate::DEFAULT_BODY_LIMIT,
            query_limit: crate::DEFAULT_QUERY_LIMIT,
            sink: Sink::default(),
        }
    }

    /// The endpoints as a plain [`axum::Router`]: merge it with your routes and wrap it in
    /// any tower layer.
    ///
    /// Merge it into your app **once**: two copies of the same routes overlap, and axum
    /// panics when merging overlapping routes. To serve the API under two prefixes, build
    /// it twice with different [`base_path`](Builder::base_path)s.
    pub fn router(&self) -> Router {
        router::build(&self.shared)
    }

    /// The schema document.
    pub fn schema(&self) -> &SchemaDocument {
        &self.shared.registry.document
    }

    /// The OpenAPI 3.1 document.
    pub fn openapi(&self) -> serde_json::Value {
        openapi(self.schema())
    }
}

impl fmt::Debug for Mizan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mizan")
            .field("base_path", &self.shared.base_path)
            .field("functions", &self.shared.registry.functions.len())
            .field("contexts", &self.shared.registry.contexts.len())
            .finish()
    }
}
