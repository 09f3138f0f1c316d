//! The edge manifest (`spec/EDGE_MANIFEST.md`, `spec/edge-manifest.schema.json`): what a
//! caching proxy in front of a Mizan origin may store, for whom and for how long, and what
//! each mutation purges. Derived from the schema document alone (plus the MWT key ids), so
//! every backend that writes a schema document gets the same manifest.
//!
//! The manifest holds names and policies, never secrets: the MWT secrets reach the edge by
//! its own configuration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::{
    ContextDoc, Diagnostic, FunctionDoc, Kind, ReturnPath, SchemaDocument, arg_properties,
};
use crate::utf16_cmp;

/// `format` of every edge manifest.
pub const MANIFEST_FORMAT: &str = "mizan-edge-manifest";

/// The format version of [`EdgeManifest`].
pub const MANIFEST_VERSION: u32 = 1;

/// The cache policy of an edge in front of one Mizan API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeManifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// [`MANIFEST_VERSION`]; a reader refuses a version it does not know.
    pub version: u32,
    /// The wire protocol version of the origin.
    pub protocol: u32,
    /// Where the origin's protocol endpoints live (`/api/mizan`).
    pub base_path: String,
    /// The credentials the origin reads. A request carrying one of them is answered from
    /// the cache only by an entry of a scope its verified MWT names, or by a public one.
    pub credentials: EdgeCredentials,
    /// How requests present their MWT and which key ids the origin signs with; `null` when
    /// the origin issues no MWT (then only public entries exist).
    pub mwt: Option<EdgeMwt>,
    /// Every context, by name; those with a `ttl` are cacheable.
    pub contexts: BTreeMap<String, EdgeContext>,
    /// Cacheable GET routes (functions with a `route` of their own), in function-name order.
    pub routes: Vec<EdgeRoute>,
    /// Every mutation and view route, by function name: what a successful call purges.
    pub purges: BTreeMap<String, EdgePurge>,
}

/// The credentials an origin reads from requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeCredentials {
    /// The session cookie's name, when the origin uses sessions.
    pub session_cookie: Option<String>,
    /// Whether `Authorization: Bearer` is accepted (every `Authorization` header is a
    /// credential to the edge either way).
    pub bearer: bool,
}

/// Where the MWT travels and which keys sign it (spec/MWT.md §4, §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeMwt {
    /// The cookie (`mizan-mwt`).
    pub cookie: String,
    /// The request and response header (`X-Mizan-MWT`).
    pub header: String,
    /// Every key id the origin accepts, sorted; the edge needs the secret of each.
    pub key_ids: Vec<String>,
    /// The key id the origin signs new tokens with.
    pub signing_key_id: String,
    /// Seconds of clock leeway after `exp`.
    pub leeway: u64,
}

/// Whose copy a cached response is (spec/MWT.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeScope {
    /// One entry per instance for everyone; the MWT is ignored.
    Public,
    /// One entry per instance and verified role set.
    Roles,
    /// One entry per instance and verified subject.
    User,
}

/// One context as the edge sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeContext {
    /// The request path (`/api/mizan/ctx/todos/`), matched byte for byte.
    pub path: String,
    /// The declared parameters, sorted: the only query keys that reach the key.
    pub params: Vec<String>,
    /// Seconds an entry is fresh; `null`: never stored.
    pub ttl: Option<u32>,
    /// Whose copy an entry is.
    pub scope: EdgeScope,
    /// Every function of the context with its `rev`, folded into the key.
    pub revs: BTreeMap<String, u32>,
    /// The `Content-Type` essence a storable response has (`application/json`).
    pub content_type: String,
}

/// One cacheable GET route.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeRoute {
    /// The function served there.
    pub function: String,
    /// Its context: purging the context purges the route's entries.
    pub context: String,
    /// The path pattern (`/todos/{id}`, `/files/{*path}`).
    pub pattern: String,
    /// Arguments taken from the query string, sorted (path arguments are in the path).
    pub params: Vec<String>,
    /// Seconds an entry is fresh.
    pub ttl: u32,
    /// Whose copy an entry is.
    pub scope: EdgeScope,
    /// The function's `rev`, folded into the key.
    pub rev: u32,
    /// The `Content-Type` essence a storable response has (`text/html`).
    pub content_type: String,
}

/// What a successful call of a mutation or view route purges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgePurge {
    /// Its own route pattern and methods, when it has one (view-path responses carry
    /// `X-Mizan-Invalidate` there).
    pub route: Option<EdgeRouteRef>,
    /// The contexts its declared `affects` name (scoped at run time by `affects_params`).
    pub contexts: Vec<String>,
    /// The cacheable route patterns of those contexts.
    pub routes: Vec<String>,
}

/// A function's route: its pattern and methods.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeRouteRef {
    /// The path pattern.
    pub pattern: String,
    /// The HTTP methods, sorted.
    pub methods: Vec<String>,
}

/// The JSON Schema (2020-12) of an edge manifest: `spec/edge-manifest.schema.json`.
pub const MANIFEST_SCHEMA: &str = include_str!("../../../spec/edge-manifest.schema.json");

/// The `Content-Type` essence of a storable context response.
pub const CONTEXT_CONTENT_TYPE: &str = "application/json";

/// The `Content-Type` essence of a storable route response.
pub const ROUTE_CONTENT_TYPE: &str = "text/html";

/// The response header by which an origin says that a function read the caller while
/// answering (its value is `user`): an edge stores such a response under a user scope only,
/// whatever the manifest says (spec/PROTOCOL.md §5.2, spec/EDGE_MANIFEST.md §5).
pub const SCOPE_HEADER: &str = "x-mizan-scope";

/// Why a text is not an edge manifest this reader knows.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON at all.
    #[error("the edge manifest is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// Another `format` (or none): not an edge manifest.
    #[error(
        "not a Mizan edge manifest (expected \"format\": \"{MANIFEST_FORMAT}\", found {found})"
    )]
    Format {
        /// The `format` found, as JSON (`null` when absent).
        found: String,
    },
    /// A `version` this reader does not know.
    #[error(
        "edge manifest version {found} is not supported; this reader knows version {MANIFEST_VERSION}"
    )]
    Version {
        /// The `version` found, as JSON (`null` when absent).
        found: String,
    },
    /// The right format and version, but a member is missing, unknown or of the wrong type.
    #[error("the edge manifest does not match its format: {0}")]
    Shape(#[source] serde_json::Error),
}

/// The guards that depend on the caller's roles only (spec/PROTOCOL.md §9): a context all
/// of whose functions carry one of them answers everyone with the same role set alike.
const ROLE_GUARDS: [&str; 3] = ["authenticated", "staff", "superuser"];

impl EdgeMwt {
    /// The MWT names and key ids of an origin that signs with `keys`: the `mizan-mwt` cookie,
    /// the `X-Mizan-MWT` header, every key id (sorted), the signing one and the leeway.
    /// Names only: the secrets never enter a manifest.
    pub fn from_keys(keys: &crate::mwt::MwtKeys) -> Self {
        let mut key_ids: Vec<String> = keys.kids().map(str::to_owned).collect();
        key_ids.sort();
        Self {
            cookie: crate::mwt::COOKIE_NAME.to_owned(),
            header: crate::mwt::HEADER_NAME.to_owned(),
            key_ids,
            signing_key_id: keys.signing_kid().to_owned(),
            leeway: keys.leeway(),
        }
    }
}

impl EdgeManifest {
    /// Derives the manifest of the API a schema document describes (spec/EDGE_MANIFEST.md
    /// §3), with the MWT names and key ids of the origin (`None`: it issues no MWT).
    ///
    /// Scopes widen rather than miss (spec/MWT.md §7): a context is `public` only when no
    /// function is private, guarded or found reading the caller; `roles` only when every
    /// function has a guard that depends on the roles alone (`authenticated`, `staff`,
    /// `superuser`) and none is private or reads the caller; `user` otherwise. A predicate
    /// guard may look at anything of the caller, so it is `user`.
    pub fn from_schema(doc: &SchemaDocument, mwt: Option<EdgeMwt>) -> Self {
        let base = doc.base_path.as_str();
        let contexts: BTreeMap<String, EdgeContext> = doc
            .contexts
            .iter()
            .map(|(name, ctx)| (name.clone(), edge_context(doc, base, name, ctx)))
            .collect();
        let routes: Vec<EdgeRoute> = doc
            .functions
            .iter()
            .filter_map(|(name, f)| cacheable_route(name, f, &contexts))
            .collect();
        let purges = doc
            .functions
            .iter()
            .filter(|(_, f)| {
                f.kind == Kind::Mutation || (f.path == ReturnPath::View && f.route.is_some())
            })
            .map(|(name, f)| (name.clone(), purge(doc, f, &routes)))
            .collect();
        let credentials = doc
            .auth
            .as_ref()
            .map(|a| EdgeCredentials {
                session_cookie: a.session_cookie.clone(),
                bearer: a.bearer,
            })
            .unwrap_or_default();
        Self {
            format: MANIFEST_FORMAT.to_owned(),
            version: MANIFEST_VERSION,
            protocol: doc.protocol,
            base_path: doc.base_path.clone(),
            credentials,
            mwt,
            contexts,
            routes,
            purges,
        }
    }

    /// Reads a manifest, refusing another `format` or a `version` this reader does not know
    /// before anything else, then any member it does not know.
    ///
    /// # Errors
    /// [`ManifestError`]: not JSON, another format, an unknown version, or the wrong shape.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        let raw: Value = serde_json::from_str(text).map_err(ManifestError::NotJson)?;
        let found = |key: &str| {
            raw.get(key)
                .map_or_else(|| "null".to_owned(), Value::to_string)
        };
        if raw.get("format").and_then(Value::as_str) != Some(MANIFEST_FORMAT) {
            return Err(ManifestError::Format {
                found: found("format"),
            });
        }
        if raw.get("version").and_then(Value::as_u64) != Some(u64::from(MANIFEST_VERSION)) {
            return Err(ManifestError::Version {
                found: found("version"),
            });
        }
        serde_json::from_value(raw).map_err(ManifestError::Shape)
    }

    /// The manifest as pretty JSON with a final newline (what `mizan manifest` writes).
    pub fn to_json_pretty(&self) -> String {
        // A manifest holds strings, numbers, lists and string-keyed maps only.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Consistency checks beyond the JSON Schema (spec/EDGE_MANIFEST.md §6): each finding is
    /// an error-level [`Diagnostic`] with a stable rule name; empty when the manifest is
    /// sound.
    pub fn check(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut error = |rule: &'static str, message: String| {
            out.push(Diagnostic::error(rule, message, None));
        };
        if self.format != MANIFEST_FORMAT {
            error(
                "manifest-format",
                format!("format is `{}`, not `{MANIFEST_FORMAT}`", self.format),
            );
        }
        if self.version != MANIFEST_VERSION {
            error(
                "manifest-format",
                format!(
                    "version {} is not supported; this reader knows version {MANIFEST_VERSION}",
                    self.version
                ),
            );
        }
        let base = self.base_path.as_str();
        if !valid_base_path(base) {
            error(
                "manifest-base-path",
                format!(
                    "base_path `{base}` is neither empty nor a path that starts with `/`, does not end with `/` and holds no `{{`, `}}`, `?` or `#`"
                ),
            );
        }
        if let Some(mwt) = &self.mwt {
            for kid in &mwt.key_ids {
                if !valid_kid(kid) {
                    error(
                        "manifest-key-id",
                        format!("key id `{kid}` does not match [A-Za-z0-9_-]{{1,32}}"),
                    );
                }
            }
            if !mwt.key_ids.contains(&mwt.signing_key_id) {
                error(
                    "manifest-key-id",
                    format!(
                        "the signing key id `{}` is not among key_ids",
                        mwt.signing_key_id
                    ),
                );
            }
            sorted_unique(&mwt.key_ids, "mwt.key_ids", &mut error);
            for (what, name) in [("cookie", &mwt.cookie), ("header", &mwt.header)] {
                if !valid_token(name) {
                    error(
                        "manifest-mwt",
                        format!("mwt.{what} `{name}` is not an HTTP token"),
                    );
                }
            }
        }
        for (name, ctx) in &self.contexts {
            if !valid_name(name) {
                error(
                    "manifest-name",
                    format!("context name `{name}` does not match [A-Za-z0-9_-]{{1,64}}"),
                );
            }
            let path = format!("{base}/ctx/{name}/");
            if ctx.path != path {
                error(
                    "manifest-context-path",
                    format!(
                        "context `{name}` has path `{}`; with base_path `{base}` it is `{path}`",
                        ctx.path
                    ),
                );
            }
            sorted_unique(&ctx.params, &format!("contexts.{name}.params"), &mut error);
            for function in ctx.revs.keys() {
                if !valid_name(function) {
                    error(
                        "manifest-name",
                        format!(
                            "context `{name}` names function `{function}`, which does not match [A-Za-z0-9_-]{{1,64}}"
                        ),
                    );
                }
            }
        }
        let mut patterns = std::collections::BTreeSet::new();
        for route in &self.routes {
            let what = format!("route `{}` of `{}`", route.pattern, route.function);
            patterns.insert(route.pattern.as_str());
            route_pattern(&route.pattern, base, &what, &mut error);
            match self.contexts.get(&route.context) {
                None => error(
                    "manifest-unknown-context",
                    format!(
                        "{what} names context `{}`, which the manifest does not list",
                        route.context
                    ),
                ),
                Some(ctx) => {
                    if ctx.revs.get(&route.function) != Some(&route.rev) {
                        error(
                            "manifest-route-function",
                            format!(
                                "{what}: `{}` with rev {} is not a function of context `{}`",
                                route.function, route.rev, route.context
                            ),
                        );
                    }
                    if route.scope < ctx.scope {
                        error(
                            "manifest-scope",
                            format!(
                                "{what} is {:?} while its context `{}` is {:?}: a route is never shared more widely than its context",
                                route.scope, route.context, ctx.scope
                            ),
                        );
                    }
                }
            }
            if route.ttl == 0 {
                error(
                    "manifest-ttl",
                    format!("{what} has ttl 0; a listed route is cacheable"),
                );
            }
            sorted_unique(&route.params, &format!("the params of {what}"), &mut error);
        }
        for (function, purge) in &self.purges {
            if !valid_name(function) {
                error(
                    "manifest-name",
                    format!("purge `{function}` does not match [A-Za-z0-9_-]{{1,64}}"),
                );
            }
            if let Some(route) = &purge.route {
                let what = format!("route `{}` of purge `{function}`", route.pattern);
                route_pattern(&route.pattern, base, &what, &mut error);
                sorted_unique(
                    &route.methods,
                    &format!("the methods of {what}"),
                    &mut error,
                );
            }
            for ctx in &purge.contexts {
                if !self.contexts.contains_key(ctx) {
                    error(
                        "manifest-unknown-context",
                        format!(
                            "purge `{function}` names context `{ctx}`, which the manifest does not list"
                        ),
                    );
                }
            }
            sorted_unique(
                &purge.contexts,
                &format!("purges.{function}.contexts"),
                &mut error,
            );
            for pattern in &purge.routes {
                if !patterns.contains(pattern.as_str()) {
                    error(
                        "manifest-unknown-route",
                        format!(
                            "purge `{function}` names route `{pattern}`, which the manifest does not list"
                        ),
                    );
                }
            }
            sorted_unique(
                &purge.routes,
                &format!("purges.{function}.routes"),
                &mut error,
            );
        }
        out
    }
}

/// One context as the edge sees it.
fn edge_context(doc: &SchemaDocument, base: &str, name: &str, ctx: &ContextDoc) -> EdgeContext {
    let functions: Vec<(&String, Option<&FunctionDoc>)> = ctx
        .functions
        .iter()
        .map(|f| (f, doc.functions.get(f)))
        .collect();
    let mut params: Vec<String> = ctx.params.keys().cloned().collect();
    params.sort_by(|a, b| utf16_cmp(a, b));
    EdgeContext {
        path: format!("{base}/ctx/{name}/"),
        params,
        ttl: ctx.cache,
        scope: context_scope(ctx.private, &functions),
        revs: functions
            .iter()
            .filter_map(|(n, f)| f.map(|f| ((*n).clone(), f.rev)))
            .collect(),
        content_type: CONTEXT_CONTENT_TYPE.to_owned(),
    }
}

/// The scope rule of [`EdgeManifest::from_schema`]. A function the document lists but does
/// not describe is an unknown: `user`.
fn context_scope(private: bool, functions: &[(&String, Option<&FunctionDoc>)]) -> EdgeScope {
    let mut known = Vec::with_capacity(functions.len());
    for (_, f) in functions {
        match f {
            Some(f) if f.reads_caller.is_empty() => known.push(*f),
            _ => return EdgeScope::User,
        }
    }
    let declared = private || known.iter().any(|f| f.private || f.auth.is_some());
    if !declared {
        return EdgeScope::Public;
    }
    let by_roles = !known.is_empty()
        && known
            .iter()
            .all(|f| !f.private && f.auth.as_deref().is_some_and(|a| ROLE_GUARDS.contains(&a)));
    if by_roles {
        EdgeScope::Roles
    } else {
        EdgeScope::User
    }
}

/// A query served as a cacheable page at a GET route of its own: on the view path (an rpc
/// route answers `no-store`, PROTOCOL.md §8.3), with a `cache`, in a context of the document.
fn cacheable_route(
    name: &str,
    f: &FunctionDoc,
    contexts: &BTreeMap<String, EdgeContext>,
) -> Option<EdgeRoute> {
    let route = f.route.as_ref()?;
    let ttl = f.cache?;
    if f.kind != Kind::Query
        || f.path != ReturnPath::View
        || !route.methods.iter().any(|m| m == "GET")
    {
        return None;
    }
    let context = f.context.as_deref().unwrap_or(name);
    let ctx = contexts.get(context)?;
    let in_path: Vec<&str> = route_params(&route.path).collect();
    let (props, _) = arg_properties(&f.args);
    let mut params: Vec<String> = props
        .keys()
        .filter(|p| !in_path.contains(&p.as_str()))
        .cloned()
        .collect();
    params.sort_by(|a, b| utf16_cmp(a, b));
    Some(EdgeRoute {
        function: name.to_owned(),
        context: context.to_owned(),
        pattern: route.path.clone(),
        params,
        ttl,
        scope: ctx.scope,
        rev: f.rev,
        content_type: ROUTE_CONTENT_TYPE.to_owned(),
    })
}

/// What a successful call of `f` purges: its declared targets as contexts (a query's name
/// means its context; names the document does not know are dropped, the lint reports them)
/// and the cacheable routes of those contexts.
fn purge(doc: &SchemaDocument, f: &FunctionDoc, routes: &[EdgeRoute]) -> EdgePurge {
    let mut contexts: Vec<String> = f
        .affects
        .iter()
        .filter_map(|target| {
            if doc.contexts.contains_key(target) {
                return Some(target.clone());
            }
            let g = doc.functions.get(target)?;
            let ctx = g.context.as_ref()?;
            (g.kind == Kind::Query && doc.contexts.contains_key(ctx)).then(|| ctx.clone())
        })
        .collect();
    contexts.sort_by(|a, b| utf16_cmp(a, b));
    contexts.dedup();
    let mut patterns: Vec<String> = routes
        .iter()
        .filter(|r| contexts.contains(&r.context))
        .map(|r| r.pattern.clone())
        .collect();
    patterns.sort_by(|a, b| utf16_cmp(a, b));
    patterns.dedup();
    EdgePurge {
        route: f.route.as_ref().map(|r| {
            let mut methods = r.methods.clone();
            methods.sort_by(|a, b| utf16_cmp(a, b));
            methods.dedup();
            EdgeRouteRef {
                pattern: r.path.clone(),
                methods,
            }
        }),
        contexts,
        routes: patterns,
    }
}

/// The `{name}` and `{*name}` segments of a route pattern, by name.
fn route_params(pattern: &str) -> impl Iterator<Item = &str> {
    pattern.split('/').filter_map(|seg| {
        seg.strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .map(|s| s.trim_start_matches('*'))
    })
}

/// PROTOCOL.md §2: `""`, or a path that starts with `/`, does not end with `/`, without
/// `{`, `}`, `?` or `#`.
fn valid_base_path(base: &str) -> bool {
    (base.is_empty() || (base.starts_with('/') && !base.ends_with('/')))
        && !base.contains(['{', '}', '?', '#'])
}

/// PROTOCOL.md §1: `[A-Za-z0-9_-]{1,64}`.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// MWT.md §4: `[A-Za-z0-9_-]{1,32}`.
fn valid_kid(kid: &str) -> bool {
    kid.len() <= crate::mwt::MAX_KID_LEN && valid_name(kid)
}

/// An HTTP token (RFC 9110 §5.6.2): a header or cookie name.
fn valid_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A route pattern starts with `/` and lies outside the base path.
fn route_pattern(
    pattern: &str,
    base: &str,
    what: &str,
    error: &mut impl FnMut(&'static str, String),
) {
    if !pattern.starts_with('/') {
        error(
            "manifest-route-pattern",
            format!("{what} does not start with `/`"),
        );
    }
    if !base.is_empty() && (pattern == base || pattern.starts_with(&format!("{base}/"))) {
        error(
            "manifest-route-pattern",
            format!("{what} lies under the base path `{base}`; routes are outside it"),
        );
    }
}

/// A list that must be sorted (UTF-16 code units, as JavaScript sorts) without repeats.
fn sorted_unique(list: &[String], what: &str, error: &mut impl FnMut(&'static str, String)) {
    if let Some(pair) = list
        .windows(2)
        .find(|w| utf16_cmp(&w[0], &w[1]) != std::cmp::Ordering::Less)
    {
        let problem = if pair[0] == pair[1] {
            format!("{what} lists `{}` twice", pair[0])
        } else {
            format!("{what} is not sorted: `{}` before `{}`", pair[0], pair[1])
        };
        error("manifest-sorted", problem);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> EdgeManifest {
        let route = EdgeRoute {
            function: "page".into(),
            context: "page".into(),
            pattern: "/pages/{id}".into(),
            params: vec!["q".into()],
            ttl: 30,
            scope: EdgeScope::Public,
            rev: 1,
            content_type: ROUTE_CONTENT_TYPE.into(),
        };
        let context = |path: &str, function: &str, rev| EdgeContext {
            path: path.into(),
            params: vec!["id".into(), "q".into()],
            ttl: Some(30),
            scope: EdgeScope::Public,
            revs: BTreeMap::from([(function.to_owned(), rev)]),
            content_type: CONTEXT_CONTENT_TYPE.into(),
        };
        EdgeManifest {
            format: MANIFEST_FORMAT.into(),
            version: MANIFEST_VERSION,
            protocol: 1,
            base_path: "/api/mizan".into(),
            credentials: EdgeCredentials::default(),
            mwt: Some(EdgeMwt {
                cookie: "mizan-mwt".into(),
                header: "x-mizan-mwt".into(),
                key_ids: vec!["k1".into(), "k2".into()],
                signing_key_id: "k2".into(),
                leeway: 60,
            }),
            contexts: BTreeMap::from([
                (
                    "page".to_owned(),
                    context("/api/mizan/ctx/page/", "page", 1),
                ),
                (
                    "todos".to_owned(),
                    context("/api/mizan/ctx/todos/", "todo_list", 0),
                ),
            ]),
            routes: vec![route],
            purges: BTreeMap::from([(
                "add".to_owned(),
                EdgePurge {
                    route: Some(EdgeRouteRef {
                        pattern: "/add".into(),
                        methods: vec!["GET".into(), "POST".into()],
                    }),
                    contexts: vec!["page".into(), "todos".into()],
                    routes: vec!["/pages/{id}".into()],
                },
            )]),
        }
    }

    fn rules(m: &EdgeManifest) -> Vec<&'static str> {
        m.check().iter().map(|d| d.rule).collect()
    }

    #[test]
    fn a_sound_manifest_passes_and_reads_back() {
        let m = manifest();
        assert_eq!(m.check(), vec![]);
        assert_eq!(EdgeManifest::parse(&m.to_json_pretty()).ok(), Some(m));
    }

    #[test]
    fn parse_refuses_other_formats_and_versions_first() {
        let err = EdgeManifest::parse("{").unwrap_err();
        assert!(matches!(err, ManifestError::NotJson(_)), "{err}");
        let err = EdgeManifest::parse(r#"{"format": "mizan-schema", "version": 1}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a Mizan edge manifest (expected \"format\": \"mizan-edge-manifest\", found \"mizan-schema\")"
        );
        let err = EdgeManifest::parse(r#"{"version": 1}"#).unwrap_err();
        assert!(matches!(err, ManifestError::Format { ref found } if found == "null"));
        let err =
            EdgeManifest::parse(r#"{"format": "mizan-edge-manifest", "version": 2}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "edge manifest version 2 is not supported; this reader knows version 1"
        );
        let mut json = serde_json::to_value(manifest()).unwrap();
        json["contexts"]["todos"]["extra"] = Value::Bool(true);
        let err = EdgeManifest::parse(&json.to_string()).unwrap_err();
        assert!(matches!(err, ManifestError::Shape(_)), "{err}");
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    }

    #[test]
    fn check_finds_each_inconsistency() {
        let mut m = manifest();
        m.base_path = "/api/".into();
        assert!(rules(&m).contains(&"manifest-base-path"));
        // (every context path is now wrong too)
        assert!(rules(&m).contains(&"manifest-context-path"));

        let mut m = manifest();
        m.contexts.get_mut("todos").unwrap().path = "/api/mizan/ctx/todos".into();
        assert_eq!(rules(&m), ["manifest-context-path"]);

        let mut m = manifest();
        m.contexts.get_mut("todos").unwrap().params = vec!["q".into(), "id".into()];
        assert_eq!(rules(&m), ["manifest-sorted"]);
        m.contexts.get_mut("todos").unwrap().params = vec!["id".into(), "id".into()];
        assert!(m.check()[0].message.contains("lists `id` twice"));

        let mut m = manifest();
        m.routes[0].context = "gone".into();
        assert_eq!(rules(&m), ["manifest-unknown-context"]);

        let mut m = manifest();
        m.purges.get_mut("add").unwrap().contexts = vec!["gone".into()];
        assert_eq!(rules(&m), ["manifest-unknown-context"]);

        let mut m = manifest();
        m.purges.get_mut("add").unwrap().routes = vec!["/elsewhere".into()];
        assert_eq!(rules(&m), ["manifest-unknown-route"]);

        let mut m = manifest();
        m.routes[0].pattern = "pages/{id}".into();
        m.purges.get_mut("add").unwrap().routes = vec!["pages/{id}".into()];
        assert_eq!(rules(&m), ["manifest-route-pattern"]);
        m.routes[0].pattern = "/api/mizan/pages".into();
        m.purges.get_mut("add").unwrap().routes = vec!["/api/mizan/pages".into()];
        assert_eq!(rules(&m), ["manifest-route-pattern"]);

        let mut m = manifest();
        m.routes[0].ttl = 0;
        assert_eq!(rules(&m), ["manifest-ttl"]);

        let mut m = manifest();
        m.routes[0].rev = 2;
        assert_eq!(rules(&m), ["manifest-route-function"]);

        let mut m = manifest();
        m.contexts.get_mut("page").unwrap().scope = EdgeScope::User;
        assert_eq!(rules(&m), ["manifest-scope"]);

        let mut m = manifest();
        let mwt = m.mwt.as_mut().unwrap();
        mwt.signing_key_id = "k3".into();
        mwt.key_ids.push("a key".into());
        assert_eq!(
            rules(&m),
            ["manifest-key-id", "manifest-key-id", "manifest-sorted"]
        );
        let mut m = manifest();
        m.mwt.as_mut().unwrap().key_ids = vec!["k".repeat(33)];
        assert!(rules(&m).contains(&"manifest-key-id"));

        let mut m = manifest();
        m.version = 2;
        assert_eq!(rules(&m), ["manifest-format"]);
    }

    #[test]
    fn from_keys_names_every_key_and_the_signing_one() {
        let keys = crate::mwt::MwtKeys::new("2025-02", [7u8; 32])
            .and_then(|k| k.with_key("2025-01", [9u8; 32]))
            .unwrap()
            .with_leeway(30);
        let mwt = EdgeMwt::from_keys(&keys);
        assert_eq!(mwt.key_ids, ["2025-01", "2025-02"]);
        assert_eq!(mwt.signing_key_id, "2025-02");
        assert_eq!(mwt.leeway, 30);
        assert_eq!(mwt.cookie, "mizan-mwt");
        assert_eq!(mwt.header, "x-mizan-mwt");
    }
}
