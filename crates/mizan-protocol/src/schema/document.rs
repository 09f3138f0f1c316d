//! The versioned schema document (`spec/schema-document.schema.json`): every function,
//! context and option, with JSON Schema 2020-12 for arguments and results.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The format version of [`SchemaDocument`].
pub const SCHEMA_VERSION: u32 = 1;

/// A versioned description of a Mizan API: what codegen, `mizan check`, OpenAPI export and
/// other backends read and write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemaDocument {
    /// Always `"mizan-schema"`.
    pub format: String,
    /// The document format version ([`SCHEMA_VERSION`]).
    pub version: u32,
    /// The wire protocol version.
    pub protocol: u32,
    /// Where the endpoints live (`/api/mizan`).
    pub base_path: String,
    /// Contexts by name, named and implicit (a standalone query's own context).
    pub contexts: BTreeMap<String, ContextDoc>,
    /// Functions by name.
    pub functions: BTreeMap<String, FunctionDoc>,
    /// How callers authenticate, when the API uses Mizan's own auth: the names every
    /// client and backend must agree on (spec/PROTOCOL.md §9). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthDoc>,
    /// The WebSocket channel at `{base}/ws/` (spec/PROTOCOL.md §16), when the API serves
    /// it: its custom channels. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websocket: Option<WebSocketDoc>,
    /// Shared JSON Schema definitions, referred to as `#/$defs/<name>`.
    #[serde(rename = "$defs", default)]
    pub defs: BTreeMap<String, Value>,
}

/// The authentication an API accepts (spec/PROTOCOL.md §9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthDoc {
    /// The session cookie's name, when sessions are accepted.
    pub session_cookie: Option<String>,
    /// Whether `Authorization: Bearer <JWT>` is accepted.
    pub bearer: bool,
    /// The CSRF token's names.
    pub csrf: CsrfDoc,
    /// The response header that says the identity changed (sign-in, sign-out).
    pub identity_header: String,
}

/// Where the CSRF token travels (spec/PROTOCOL.md §9.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsrfDoc {
    /// The cookie the server sets with the masked token (readable by scripts).
    pub cookie: String,
    /// The request header scripts send it in.
    pub header: String,
    /// The form field HTML forms send it in.
    pub form_field: String,
}

/// One context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextDoc {
    /// Its functions, sorted by name; the keys of a context response.
    pub functions: Vec<String>,
    /// The union of its functions' arguments: name → JSON Schema.
    pub params: BTreeMap<String, Value>,
    /// Parameters some function requires.
    pub required: Vec<String>,
    /// Whether the response depends on the caller (a private or guarded function).
    pub private: bool,
    /// `max-age` of the context response: the smallest `cache` of its functions, or `null`
    /// when any function has none.
    pub cache: Option<u32>,
    /// Whether this is a standalone query's own context.
    pub implicit: bool,
    /// Where the context handle is declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// The WebSocket channel of an API.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WebSocketDoc {
    /// Custom channels by name.
    pub channels: BTreeMap<String, ChannelDoc>,
}

/// One custom channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelDoc {
    /// The JSON Schema of its messages' payload (`$ref`s into `$defs`).
    pub payload: Value,
    /// Whether clients may publish on it (the server always may).
    pub publish: bool,
}

/// One function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionDoc {
    /// `"query"` or `"mutation"`.
    pub kind: Kind,
    /// The context it is fetched in (queries).
    pub context: Option<String>,
    /// `"rpc"` (returns data) or `"view"` (returns an HTTP response).
    pub path: ReturnPath,
    /// The doc comment.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub docs: String,
    /// The arguments: a JSON Schema object whose properties are the arguments.
    pub args: Value,
    /// The result's JSON Schema (data path only).
    pub result: Option<Value>,
    /// What a successful call invalidates, as declared: context names, or function names
    /// (meaning the function's context).
    pub affects: Vec<String>,
    /// Whether `affects_params` scopes those invalidations.
    pub affects_params: bool,
    /// `"authenticated"`, `"staff"`, `"superuser"`, `"predicate:<path>"`, or `null`.
    pub auth: Option<String>,
    /// `private = true`.
    pub private: bool,
    /// What the function reads of the caller, found without running it: reads through its
    /// context parameter in its body (`cx.identity()`) and the extractors it takes
    /// (`extractor http::header::map::HeaderMap`). A query's context response is private
    /// when a function read the caller, declared or not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads_caller: Vec<String>,
    /// `route` and `methods`.
    pub route: Option<RouteDoc>,
    /// `rev`.
    pub rev: u32,
    /// `cache` in seconds.
    pub cache: Option<u32>,
    /// `websocket = true`: also callable over the WebSocket channel. Absent when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub websocket: bool,
    /// Where it is defined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(value: &bool) -> bool {
    !*value
}

/// Query or mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Read-only, fetched through its context with GET.
    Query,
    /// Called with POST; may invalidate.
    Mutation,
}

/// Data (RPC) path or view path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReturnPath {
    /// JSON `{"result", "invalidate"}`.
    Rpc,
    /// An HTTP response with `X-Mizan-Invalidate`.
    View,
}

/// A function's own URL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteDoc {
    /// The path, with `{name}` parameters.
    pub path: String,
    /// The HTTP methods.
    pub methods: Vec<String>,
}

/// A place in the user's source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file.
    pub file: String,
    /// The line.
    pub line: u32,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl SchemaDocument {
    /// Puts a document together from its functions (described by a backend) and the shared
    /// definitions of their argument-side and result-side schemas: contexts are derived
    /// from the functions (`named` lists the named contexts with where each is declared;
    /// a standalone query gets an implicit context of its own name).
    pub fn assemble(
        base_path: &str,
        functions: BTreeMap<String, FunctionDoc>,
        named: &[(String, Option<Source>)],
        input_defs: Map<String, Value>,
        output_defs: Map<String, Value>,
    ) -> Self {
        let mut doc = SchemaDocument {
            format: "mizan-schema".into(),
            version: SCHEMA_VERSION,
            protocol: crate::PROTOCOL_VERSION,
            base_path: base_path.to_owned(),
            contexts: BTreeMap::new(),
            functions,
            auth: None,
            websocket: None,
            defs: BTreeMap::new(),
        };
        merge_defs(&mut doc, input_defs, output_defs);
        for (name, source) in named {
            doc.contexts
                .entry(name.clone())
                .or_insert_with(|| ContextDoc::empty(false, source.clone()));
        }
        let standalone: Vec<String> = doc
            .functions
            .iter()
            .filter(|(name, f)| f.kind == Kind::Query && f.context.as_deref() == Some(name))
            .map(|(name, _)| name.clone())
            .collect();
        for name in standalone {
            doc.contexts
                .entry(name)
                .or_insert_with(|| ContextDoc::empty(true, None));
        }
        let names: Vec<String> = doc.contexts.keys().cloned().collect();
        for name in names {
            let ctx = derive_context(&doc, &name);
            if let Some(entry) = doc.contexts.get_mut(&name) {
                *entry = ContextDoc {
                    implicit: entry.implicit,
                    source: entry.source.take(),
                    ..ctx
                };
            }
        }
        doc
    }

    /// The functions of a context, by name.
    pub fn context_functions<'a>(
        &'a self,
        context: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a FunctionDoc)> + 'a {
        self.functions
            .iter()
            .filter(move |(_, f)| f.context.as_deref() == Some(context))
    }
}

impl FunctionDoc {
    /// Whether this is a page: a function served only on GET at a route of its own that
    /// affects nothing (a read-only HTML page, a file download). It is not linted as a
    /// mutation (`affects-nothing`, `mutation-on-get`).
    pub fn is_page(&self) -> bool {
        self.kind == Kind::Mutation
            && self.affects.is_empty()
            && self
                .route
                .as_ref()
                .is_some_and(|r| !r.methods.is_empty() && r.methods.iter().all(|m| m == "GET"))
    }
}

impl ContextDoc {
    fn empty(implicit: bool, source: Option<Source>) -> Self {
        Self {
            functions: Vec::new(),
            params: BTreeMap::new(),
            required: Vec::new(),
            private: false,
            cache: None,
            implicit,
            source,
        }
    }
}

/// Puts the argument-side and result-side `$defs` together. A type whose two schemas differ
/// keeps its name for the result side (what clients read) and becomes `<Name>Input` on the
/// argument side, with the references of argument schemas rewritten.
fn merge_defs(doc: &mut SchemaDocument, input: Map<String, Value>, output: Map<String, Value>) {
    let renamed: BTreeMap<String, String> = input
        .iter()
        .filter(|(name, schema)| output.get(*name).is_some_and(|o| o != *schema))
        .map(|(name, _)| {
            let mut new = format!("{name}Input");
            while input.contains_key(&new) || output.contains_key(&new) {
                new.push('_');
            }
            (name.clone(), new)
        })
        .collect();
    let mut defs: BTreeMap<String, Value> = output.into_iter().collect();
    for (name, mut schema) in input {
        rename_refs(&mut schema, &renamed);
        let name = renamed.get(&name).cloned().unwrap_or(name);
        defs.entry(name).or_insert(schema);
    }
    if !renamed.is_empty() {
        for f in doc.functions.values_mut() {
            rename_refs(&mut f.args, &renamed);
        }
    }
    doc.defs = defs;
}

/// Points `#/$defs/<old>` references at `#/$defs/<new>`.
fn rename_refs(value: &mut Value, renamed: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(r) if k == "$ref" => {
                        if let Some(new) = r.strip_prefix("#/$defs/").and_then(|n| renamed.get(n)) {
                            *r = format!("#/$defs/{new}");
                        }
                    }
                    _ => rename_refs(v, renamed),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// The arguments of a function as (name → schema, required names).
pub fn arg_properties(args: &Value) -> (Map<String, Value>, Vec<String>) {
    let props = args
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required = args
        .get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (props, required)
}

/// A context's functions, parameters (first declaration wins; conflicts are a lint),
/// privacy and cache, derived from its functions.
fn derive_context(doc: &SchemaDocument, name: &str) -> ContextDoc {
    let mut ctx = ContextDoc::empty(false, None);
    let mut cache: Option<Option<u32>> = None;
    for (fname, f) in doc.context_functions(name) {
        ctx.functions.push(fname.clone());
        let (props, required) = arg_properties(&f.args);
        for (p, schema) in props {
            ctx.params.entry(p).or_insert(schema);
        }
        for r in required {
            if !ctx.required.contains(&r) {
                ctx.required.push(r);
            }
        }
        ctx.private |= f.private || f.auth.is_some();
        cache = Some(match (cache, f.cache) {
            (None, c) => c,
            (Some(Some(a)), Some(b)) => Some(a.min(b)),
            _ => None,
        });
    }
    ctx.required.sort();
    ctx.cache = cache.flatten();
    ctx
}
