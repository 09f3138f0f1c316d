//! The checked function graph the router serves: functions and contexts by name, with
//! every static invalidation target resolved to a context name.

use std::collections::BTreeMap;

/// The request path's lookups (names, parameters): `foldhash`, seeded per process. These
/// maps are built once from the registry, so a client can only look keys up, never grow them.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`HashMap`].
pub(crate) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
use std::sync::atomic::AtomicBool;

use http::HeaderValue;
use serde_json::Value;

use crate::function::{FunctionDef, Target};
use crate::schema::{Diagnostic, JsonTypes, Level, SchemaDocument, Source, arg_properties, lint};

pub(crate) struct FnEntry {
    pub(crate) def: &'static FunctionDef,
    /// Context names a successful call invalidates (from `affects`).
    pub(crate) targets: Vec<&'static str>,
    /// The argument names, for rejecting unknown ones.
    pub(crate) args: HashSet<&'static str>,
    /// Per argument, how a string from a URL or form becomes JSON.
    pub(crate) coerce: HashMap<String, Coerce>,
    /// Set once the function was seen reading the caller without declaring `private` or
    /// `auth` (it is logged once).
    pub(crate) warned_private: AtomicBool,
}

/// How a textual value (path, query string, HTML form) is read for one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coerce {
    /// The argument accepts strings: keep the text.
    Text,
    /// A boolean: `true`/`on`/`1` and `false`/`off`/`0`; absent from a form is `false`.
    Bool,
    /// An array: every occurrence of the key, each read as JSON or else text.
    Array,
    /// Anything else: JSON, or else text (and let decoding report the type error).
    Json,
}

pub(crate) struct CtxEntry {
    pub(crate) name: String,
    pub(crate) functions: Vec<&'static FunctionDef>,
    pub(crate) params: HashSet<String>,
    pub(crate) param_list: String,
    /// Parameters some function requires.
    pub(crate) required: Vec<String>,
    /// The JSON types each parameter admits, for checking invalidation scopes.
    pub(crate) param_types: HashMap<String, JsonTypes>,
    /// `Cache-Control` of a response as declared (public unless a function is private or
    /// guarded).
    pub(crate) cache_control: HeaderValue,
    /// `Cache-Control` of a response that turned out to depend on the caller.
    pub(crate) private_cache_control: HeaderValue,
    /// A function is private or guarded: responses are per caller.
    pub(crate) private: bool,
}

pub(crate) struct Registry {
    pub(crate) document: SchemaDocument,
    pub(crate) functions: HashMap<&'static str, FnEntry>,
    pub(crate) contexts: HashMap<String, CtxEntry>,
}

/// Describes and lints `defs` without failing: the document and every diagnostic.
/// `foreign` names `affects` targets served by another API: they are invalidated by name
/// and left out of this API's document (its clients have no such context).
pub(crate) fn inspect(
    defs: &[&'static FunctionDef],
    base_path: &str,
    foreign: &HashSet<&'static str>,
) -> (SchemaDocument, Vec<Diagnostic>) {
    let (defs, mut diagnostics) = dedupe(defs);
    let mut doc = crate::schema::describe(&defs, base_path);
    for f in doc.functions.values_mut() {
        // Two targets may share a wire name when one belongs to another API.
        let mut seen = HashSet::default();
        f.affects
            .retain(|t| !foreign.contains(t.as_str()) && seen.insert(t.clone()));
    }
    diagnostics.extend(lint(&doc));
    (doc, diagnostics)
}

impl Registry {
    /// Builds the registry, or returns the diagnostics when any is an error.
    pub(crate) fn build(
        defs: &[&'static FunctionDef],
        base_path: &str,
        foreign: &HashSet<&'static str>,
    ) -> Result<(Self, Vec<Diagnostic>), Vec<Diagnostic>> {
        let (document, diagnostics) = inspect(defs, base_path, foreign);
        if diagnostics.iter().any(|d| d.level == Level::Error) {
            return Err(diagnostics);
        }
        let (defs, _) = dedupe(defs);
        let mut functions = HashMap::default();
        for def in &defs {
            let doc = &document.functions[def.name];
            let (props, _) = arg_properties(&doc.args);
            let targets = def
                .affects
                .iter()
                .filter_map(|t| match t() {
                    Target::Context(c) => Some(c.name()),
                    Target::Function(f) => f.context_name(),
                })
                .collect();
            functions.insert(
                def.name,
                FnEntry {
                    def,
                    targets,
                    args: def.args.iter().copied().collect(),
                    coerce: props
                        .iter()
                        .map(|(k, v)| (k.clone(), coerce_for(v, &document.defs)))
                        .collect(),
                    warned_private: AtomicBool::new(false),
                },
            );
        }
        let contexts = document
            .contexts
            .iter()
            .map(|(name, c)| {
                let fns: Vec<&'static FunctionDef> = c
                    .functions
                    .iter()
                    .map(|f| functions[f.as_str()].def)
                    .collect();
                let private = match c.cache {
                    Some(s) => format!("private, max-age={s}"),
                    None => "private, no-cache".to_owned(),
                };
                let cache_control = match c.cache {
                    _ if c.private => private.clone(),
                    Some(s) => format!("public, max-age={s}, s-maxage={s}"),
                    None => "public, no-cache".to_owned(),
                };
                let entry = CtxEntry {
                    name: name.clone(),
                    functions: fns,
                    params: c.params.keys().cloned().collect(),
                    param_list: c.params.keys().cloned().collect::<Vec<_>>().join(", "),
                    required: c.required.clone(),
                    param_types: c
                        .params
                        .iter()
                        .map(|(k, schema)| (k.clone(), JsonTypes::of(schema, &document.defs)))
                        .collect(),
                    cache_control: HeaderValue::from_str(&cache_control)
                        .unwrap_or(HeaderValue::from_static("no-cache")),
                    private_cache_control: HeaderValue::from_str(&private)
                        .unwrap_or(HeaderValue::from_static("private, no-cache")),
                    private: c.private,
                };
                (name.clone(), entry)
            })
            .collect();
        Ok((
            Registry {
                document,
                functions,
                contexts,
            },
            diagnostics,
        ))
    }
}

/// Drops repeated registrations of the same function and reports different functions or
/// context handles sharing a wire name.
fn dedupe(defs: &[&'static FunctionDef]) -> (Vec<&'static FunctionDef>, Vec<Diagnostic>) {
    let mut out: Vec<&'static FunctionDef> = Vec::new();
    let mut diagnostics = Vec::new();
    let mut by_name: BTreeMap<&str, &'static FunctionDef> = BTreeMap::new();
    for def in defs {
        match by_name.get(def.name) {
            Some(first) if std::ptr::eq(*first, *def) => {}
            Some(first) => diagnostics.push(Diagnostic::error(
                "duplicate-name",
                format!(
                    "two functions are named `{}` (the other is at {}:{}); function names are wire names and must be unique",
                    def.name, first.file, first.line
                ),
                Some(source(def.file, def.line)),
            )),
            None => {
                by_name.insert(def.name, def);
                out.push(def);
            }
        }
    }
    let mut contexts: BTreeMap<&str, &'static crate::Context> = BTreeMap::new();
    for def in &out {
        let Some(ctx) = def.context else { continue };
        match contexts.get(ctx.name()) {
            Some(first) if !std::ptr::eq(*first, ctx) => {
                let (file, line) = first.source();
                diagnostics.push(Diagnostic::error(
                    "duplicate-name",
                    format!(
                        "two context handles are named `{}` (the other is at {file}:{line})",
                        ctx.name()
                    ),
                    Some(source(ctx.source().0, ctx.source().1)),
                ));
            }
            Some(_) => {}
            None => {
                contexts.insert(ctx.name(), ctx);
            }
        }
    }
    for def in out.iter().filter(|d| d.query && d.context.is_none()) {
        if let Some(ctx) = contexts.get(def.name) {
            let (file, line) = ctx.source();
            diagnostics.push(Diagnostic::error(
                "duplicate-name",
                format!(
                    "standalone query `{}` has the same name as the context declared at {file}:{line}; a standalone query is fetched as its own context",
                    def.name
                ),
                Some(source(def.file, def.line)),
            ));
        }
    }
    (out, diagnostics)
}

fn source(file: &str, line: u32) -> Source {
    Source {
        file: file.to_owned(),
        line,
    }
}

fn coerce_for(schema: &Value, defs: &BTreeMap<String, Value>) -> Coerce {
    let schema = match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        Some(name) => defs.get(name).unwrap_or(schema),
        None => schema,
    };
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"string")
        || schema
            .get("enum")
            .is_some_and(|e| e.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
    {
        Coerce::Text
    } else if types.contains(&"boolean") {
        Coerce::Bool
    } else if types.contains(&"array") {
        Coerce::Array
    } else {
        Coerce::Json
    }
}
