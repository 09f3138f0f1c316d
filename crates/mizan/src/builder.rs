//! Putting an API together: which functions, what state, who is calling, where it lives.

use std::any::TypeId;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use axum::Router;
use mizan_protocol::edge_manifest::{EdgeManifest, EdgeMwt};

use crate::api::{self, Api};
use crate::auth::IdentityResolver;
use crate::cx::StateMap;
use crate::extract::Injected;
use crate::function::{FunctionDef, Registration, Target};
use crate::registry::{self, Registry};
use crate::router::{self, Shared};
use crate::schema::{Diagnostic, Level, SchemaDocument, Source, openapi};
use crate::sink::{InvalidationEvent, Sink};

/// Why [`Builder::build`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The function graph has errors (unknown targets, duplicate names, conflicting context
    /// parameters, …), each naming the source file and line.
    #[error("the Mizan function graph has errors:\n{}", render(.0))]
    Graph(Vec<Diagnostic>),
    /// The WebSocket configuration has mistakes (a channel added twice or with an invalid
    /// name, `client_publish` for a channel not added), or a `websocket = true` function
    /// returns an HTTP response.
    #[error("the WebSocket channel is misconfigured:\n{}", .0.join("\n"))]
    WebSocket(Vec<String>),
    /// The base path is not `""` or a path starting with `/` without a trailing `/`.
    #[error("invalid base path {0:?}: use \"\" or a path like \"/api/mizan\" (no trailing slash)")]
    BasePath(String),
    /// A served function takes [`State<T>`](crate::State) and no `T` was added with
    /// [`Builder::state`].
    #[error(
        "function `{function}` ({file}:{line}) takes `State<{state}>`, and no `{state}` was added with mizan::Builder::state"
    )]
    MissingState {
        /// The function's wire name.
        function: &'static str,
        /// Where the function is defined.
        file: &'static str,
        /// The line of its `#[client]` attribute.
        line: u32,
        /// The missing state type (`std::any::type_name`).
        state: &'static str,
    },
    /// The origin cache configuration is refused (a missing or short secret, a bad URL).
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheConfigError),
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
    api: Option<Api>,
    state: StateMap,
    state_types: HashSet<TypeId>,
    resolver: Option<Arc<dyn IdentityResolver>>,
    csrf: Option<crate::auth::Csrf>,
    sessions: Option<crate::auth::Sessions>,
    auth_doc: Option<mizan_protocol::schema::AuthDoc>,
    edge_mwt: Option<EdgeMwt>,
    base_path: String,
    body_limit: usize,
    upload_limit: usize,
    query_limit: usize,
    sink: Sink,
    cache: Option<crate::cache::Cache>,
    ws: Option<Arc<crate::ws::Hub>>,
}

impl Builder {
    /// Serves exactly these functions instead of every `#[client]` function in the binary:
    /// `.functions(mizan::functions![todo_list, add_todo])`.
    #[must_use]
    pub fn functions(mut self, functions: Vec<&'static FunctionDef>) -> Self {
        self.functions = Some(functions);
        self
    }

    /// Serves the functions of one API group (`#[mizan::client(api = ADMIN)]`) instead of
    /// the default group (functions without `api`): `.api(ADMIN)`. One binary serves a
    /// public and an admin API with two builders; neither sees the other's functions.
    ///
    /// With [`functions`](Self::functions) as well, every listed function must be in this
    /// group (else `build()` fails with `wrong-api`).
    #[must_use]
    pub fn api(mut self, api: Api) -> Self {
        self.api = Some(api);
        self
    }

    /// Adds shared state that functions take as [`State<T>`](crate::State) parameters or
    /// read with [`Cx::state`](crate::Cx::state); one value per type.
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self.state_types.insert(TypeId::of::<T>());
        self
    }

    /// Sets how callers are identified (default: everyone is anonymous, as with
    /// [`Anonymous`](crate::Anonymous)).
    #[must_use]
    pub fn identity(mut self, resolver: impl IdentityResolver) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self.csrf = None;
        self.sessions = None;
        self.auth_doc = None;
        self.edge_mwt = None;
        self
    }

    /// Identifies callers with Mizan's own [`Auth`](crate::auth::Auth): bearer JWTs and
    /// session cookies, detected per request, with CSRF checks on every unsafe request a
    /// session authenticates. Replaces [`identity`](Self::identity).
    #[must_use]
    pub fn auth(mut self, auth: crate::auth::Auth) -> Self {
        let resolver = crate::auth::auto::AutoResolver::new(&auth);
        if let Some(users) = resolver.users_handle() {
            self = self.state(users);
        }
        self = self.state(resolver.settings.clone());
        self.csrf = Some(resolver.settings.csrf.clone());
        self.auth_doc = Some(auth.describe());
        self.edge_mwt = auth.mwt.as_ref().map(EdgeMwt::from_keys);
        self.sessions = auth.sessions.map(|(sessions, _)| sessions);
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

    /// Sets the largest accepted `multipart/form-data` body, files included (default
    /// 10 MiB); larger ones get 413 (PROTOCOL.md §6.2). Its text parts still obey
    /// [`body_limit`](Self::body_limit) each.
    #[must_use]
    pub fn upload_limit(mut self, bytes: usize) -> Self {
        self.upload_limit = bytes;
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

    /// Stores context responses of functions with `cache = seconds` at the origin, in
    /// memory or in Redis, and purges them on every invalidation:
    /// `.cache(Cache::memory(64 << 20))`. See [`Cache`](crate::cache::Cache).
    #[must_use]
    pub fn cache(mut self, cache: crate::cache::Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Serves the WebSocket channel at `{base}/ws/` ([`ws`](crate::ws)): calls of
    /// `websocket = true` functions, context subscriptions that receive every invalidation
    /// published on the configuration's bus (this builder's calls publish theirs there),
    /// and its custom channels ([`Cx::publish`](crate::Cx::publish)).
    #[must_use]
    pub fn websocket(mut self, config: crate::ws::WebSocket) -> Self {
        let hub = Arc::new(crate::ws::Hub::new(config));
        let publisher = Arc::clone(&hub);
        self.sink
            .listeners
            .push(Arc::new(move |event| publisher.on_invalidate(event)));
        self.ws = Some(Arc::clone(&hub));
        self.state(hub)
    }

    /// The served functions: the explicit list, or every registered function of this
    /// builder's group.
    fn defs(&self) -> Vec<&'static FunctionDef> {
        match &self.functions {
            Some(list) => list.clone(),
            None => registered()
                .into_iter()
                .filter(|d| d.api == self.api)
                .collect(),
        }
    }

    /// Listed functions of another group: an error, never served silently.
    fn wrong_api(&self, defs: &[&'static FunctionDef]) -> Vec<Diagnostic> {
        defs.iter()
            .filter(|d| d.api != self.api)
            .map(|d| {
                Diagnostic::error(
                    "wrong-api",
                    format!(
                        "`{}` is in {}, and this builder serves {}",
                        d.name,
                        api::describe(d.api),
                        api::describe(self.api)
                    ),
                    Some(Source {
                        file: d.file.to_owned(),
                        line: d.line,
                    }),
                )
            })
            .collect()
    }

    /// `affects` targets that another group serves: invalidated by name, not checked here.
    fn foreign(&self, defs: &[&'static FunctionDef]) -> crate::registry::HashSet<&'static str> {
        let served: HashSet<&str> = defs
            .iter()
            .flat_map(|d| [Some(d.name), d.context_name()])
            .flatten()
            .collect();
        let elsewhere: HashSet<&str> = registered()
            .into_iter()
            .filter(|d| d.api != self.api)
            .filter_map(|d| d.context_name())
            .collect();
        defs.iter()
            .flat_map(|d| d.affects.iter().map(|t| t()))
            .filter_map(|t| match t {
                Target::Function(f) if f.api != self.api && !served.contains(f.name) => {
                    Some(f.name)
                }
                Target::Context(c)
                    if !served.contains(c.name()) && elsewhere.contains(c.name()) =>
                {
                    Some(c.name())
                }
                _ => None,
            })
            .collect()
    }

    /// The schema document and every lint finding, without failing: what `mizan check`
    /// and `mizan schema` print.
    pub fn inspect(&self) -> (SchemaDocument, Vec<Diagnostic>) {
        let defs = self.defs();
        let (doc, mut diagnostics) =
            registry::inspect(&defs, &self.base_path, &self.foreign(&defs));
        let mut doc = doc;
        doc.auth = self.auth_doc.clone();
        if let Some(hub) = &self.ws {
            doc.websocket = Some(hub.describe(&mut doc.defs));
        }
        diagnostics.extend(self.wrong_api(&defs));
        (doc, diagnostics)
    }

    /// The MWT names and key ids an edge manifest names, with [`Auth::mwt`](crate::auth::Auth::mwt).
    pub(crate) fn edge_mwt(&self) -> Option<EdgeMwt> {
        self.edge_mwt.clone()
    }

    /// The first state a served function takes and nobody added.
    fn missing_state(&self, defs: &[&'static FunctionDef]) -> Option<BuildError> {
        defs.iter().find_map(|d| {
            d.injected.iter().find_map(|describe| match describe() {
                Injected::State { type_id, type_name } if !self.state_types.contains(&type_id) => {
                    Some(BuildError::MissingState {
                        function: d.name,
                        file: d.file,
                        line: d.line,
                        state: type_name,
                    })
                }
                _ => None,
            })
        })
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
        let defs = self.defs();
        let wrong = self.wrong_api(&defs);
        if !wrong.is_empty() {
            return Err(BuildError::Graph(wrong));
        }
        let (mut registry, warnings) =
            Registry::build(&defs, &self.base_path, &self.foreign(&defs))
                .map_err(BuildError::Graph)?;
        registry.document.auth = self.auth_doc.clone();
        if let Some(hub) = &self.ws {
            let document = &mut registry.document;
            document.websocket = Some(hub.describe(&mut document.defs));
            let mut problems = hub.config.problems.clone();
            problems.extend(
                defs.iter()
                    .filter(|d| d.websocket && document.functions[d.name].result.is_none())
                    .map(|d| {
                        format!(
                            "`{}` ({}:{}) declares `websocket = true` and returns an HTTP response; \
                             only functions returning data are callable over the WebSocket",
                            d.name, d.file, d.line
                        )
                    }),
            );
            if !problems.is_empty() {
                return Err(BuildError::WebSocket(problems));
            }
        } else if let Some(d) = defs.iter().find(|d| d.websocket) {
            tracing::warn!(
                function = d.name,
                "`websocket = true` functions are callable over HTTP only: the API serves no \
                 WebSocket channel (mizan::Builder::websocket)"
            );
        }
        if let Some(missing) = self.missing_state(&defs) {
            return Err(missing);
        }
        for w in &warnings {
            tracing::warn!("{w}");
        }
        let cache = match &self.cache {
            Some(config) => Some(Arc::new(origin_cache(config, &registry)?)),
            None => None,
        };
        let mut sink = self.sink;
        sink.cache.clone_from(&cache);
        Ok(Mizan {
            shared: Arc::new(Shared {
                registry,
                state: self.state,
                vary: self.resolver.as_ref().and_then(|r| vary_value(&r.vary())),
                resolver: self.resolver,
                csrf: self.csrf,
                sessions: self.sessions,
                base_path: self.base_path,
                body_limit: self.body_limit,
                upload_limit: self.upload_limit,
                query_limit: self.query_limit,
                sink,
                cache,
                ws: self.ws,
                edge_mwt: self.edge_mwt,
            }),
        })
    }
}

/// The origin cache for the contexts of `registry` that have a `cache` lifetime.
fn origin_cache(
    config: &crate::cache::Cache,
    registry: &Registry,
) -> Result<crate::cache::OriginCache, BuildError> {
    let specs = registry.contexts.values().filter_map(|ctx| {
        let ttl = registry.document.contexts.get(&ctx.name)?.cache?;
        Some(crate::cache::ContextSpec {
            name: &ctx.name,
            ttl,
            revs: ctx.functions.iter().map(|d| (d.name, d.rev)).collect(),
            params: ctx.params.iter().cloned().collect(),
            private: ctx
                .functions
                .iter()
                .any(|d| d.private || !matches!(d.guard, crate::auth::Guard::Public)),
        })
    });
    Ok(crate::cache::OriginCache::new(config, specs)?)
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
    /// A builder with the defaults: every registered function of the default group (those
    /// without `api`), anonymous callers, `/api/mizan`, 1 MiB bodies.
    pub fn builder() -> Builder {
        Builder {
            functions: None,
            api: None,
            state: StateMap::default(),
            state_types: HashSet::new(),
            resolver: None,
            csrf: None,
            sessions: None,
            auth_doc: None,
            edge_mwt: None,
            base_path: crate::DEFAULT_BASE_PATH.to_owned(),
            body_limit: crate::DEFAULT_BODY_LIMIT,
            upload_limit: crate::DEFAULT_UPLOAD_LIMIT,
            query_limit: crate::DEFAULT_QUERY_LIMIT,
            sink: Sink::default(),
            cache: None,
            ws: None,
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

    /// The edge manifest (spec/EDGE_MANIFEST.md): the cache policy of a `mizan edge` (or any
    /// proxy that reads it) in front of this API, derived from the schema document and, with
    /// [`Auth::mwt`](crate::auth::Auth::mwt), the MWT cookie, header and key ids (never the
    /// secrets).
    pub fn edge_manifest(&self) -> EdgeManifest {
        EdgeManifest::from_schema(self.schema(), self.shared.edge_mwt.clone())
    }

    /// What the origin cache did per cached context since start-up: hits, misses, stores,
    /// purges (empty without [`Builder::cache`]).
    pub fn cache_stats(&self) -> std::collections::BTreeMap<String, crate::cache::CacheStats> {
        self.shared
            .cache
            .as_ref()
            .map(|c| c.stats())
            .unwrap_or_default()
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

/// Every `#[client]` function linked into the binary, in a stable order.
fn registered() -> Vec<&'static FunctionDef> {
    let mut all: Vec<&'static FunctionDef> =
        inventory::iter::<Registration>().map(|r| r.0).collect();
    all.sort_by_key(|d| (d.name, d.file, d.line));
    all
}
