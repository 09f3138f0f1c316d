//! The edge manifest (`spec/EDGE_MANIFEST.md`, `spec/edge-manifest.schema.json`): what a
//! caching proxy in front of a Mizan origin may store, for whom and for how long, and what
//! each mutation purges. Derived from the schema document alone (plus the MWT key ids), so
//! every backend that writes a schema document gets the same manifest.
//!
//! The manifest holds names and policies, never secrets: the MWT secrets reach the edge by
//! its own configuration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
