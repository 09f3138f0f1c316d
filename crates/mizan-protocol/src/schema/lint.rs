//! `mizan check`: the rules a function graph must follow. Errors stop the server from
//! starting; warnings are logged.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::document::{Kind, SchemaDocument, Source, arg_properties};

/// How serious a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The graph is wrong: the server does not start.
    Error,
    /// Probably a mistake.
    Warning,
}

/// One finding of the lint, with the place in the user's source it is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// A short stable rule name (`unknown-target`, `conflicting-params`, …).
    pub rule: &'static str,
    /// What is wrong, naming the functions and contexts involved.
    pub message: String,
    /// Where.
    pub source: Option<Source>,
}

impl Diagnostic {
    /// An error-level finding.
    pub fn error(rule: &'static str, message: String, source: Option<Source>) -> Self {
        Self {
            level: Level::Error,
            rule,
            message,
            source,
        }
    }

    fn warning(rule: &'static str, message: String, source: Option<Source>) -> Self {
        Self {
            level: Level::Warning,
            rule,
            message,
            source,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{level}[{}]: {}", self.rule, self.message)?;
        if let Some(source) = &self.source {
            write!(f, "\n  --> {source}")?;
        }
        Ok(())
    }
}

/// Lints a schema document. Duplicate names cannot be represented in a document; the
/// registry reports those while building it.
pub fn lint(doc: &SchemaDocument) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if doc.functions.is_empty() {
        out.push(Diagnostic::error(
            "no-functions",
            "no Mizan functions are registered: an empty API is almost certainly a mistake \
             (is the module with your #[mizan::client] functions linked into this binary?)"
                .into(),
            None,
        ));
    }
    for (name, f) in &doc.functions {
        let at = || f.source.clone();
        for target in &f.affects {
            if doc.contexts.contains_key(target) {
                continue;
            }
            match doc.functions.get(target) {
                Some(t) if t.kind == Kind::Query => {}
                Some(_) => out.push(Diagnostic::error(
                    "unknown-target",
                    format!("`{name}` affects `{target}`, which is a mutation; only queries and contexts can be invalidated"),
                    at(),
                )),
                None => out.push(Diagnostic::error(
                    "unknown-target",
                    format!("`{name}` affects `{target}`, which is neither a context nor a registered function"),
                    at(),
                )),
            }
        }
        if f.kind == Kind::Mutation && f.cache.is_some() {
            out.push(Diagnostic::error(
                "cache-on-mutation",
                format!("`{name}` is a mutation and declares `cache`; mutations are never cached"),
                at(),
            ));
        }
        if f.kind == Kind::Mutation && f.affects.is_empty() && !f.is_page() {
            out.push(Diagnostic::warning(
                "affects-nothing",
                format!("mutation `{name}` declares no `affects`; clients will not refetch anything after it unless it calls cx.invalidate(…)"),
                at(),
            ));
        }
        if let Some(route) = &f.route
            && f.kind == Kind::Mutation
            && !f.is_page()
            && route.methods.iter().any(|m| m == "GET")
        {
            out.push(Diagnostic::warning(
                "mutation-on-get",
                format!("mutation `{name}` is served on GET {}: browsers, crawlers and caches treat GET as safe to repeat", route.path),
                at(),
            ));
        }
        if f.kind == Kind::Query
            && !f.private
            && f.auth.is_none()
            && let Some(read) = f.reads_caller.first()
        {
            let ctx = f.context.as_deref().unwrap_or(name);
            out.push(Diagnostic::warning(
                "reads-caller",
                format!("query `{name}` reads the caller ({read}) but declares neither `private = true` nor `auth`: responses of context `{ctx}` are made private when it runs, but the schema, the generated client and caches are told they are public; declare `private = true`"),
                at(),
            ));
        }
        if let Some(route) = &f.route {
            let (props, _) = arg_properties(&f.args);
            for param in route_params(&route.path) {
                if !props.contains_key(param) {
                    out.push(Diagnostic::error(
                        "route-param",
                        format!("route `{}` of `{name}` has `{{{param}}}`, which is not an argument of `{name}`", route.path),
                        at(),
                    ));
                }
            }
        }
    }
    for (ctx, c) in &doc.contexts {
        let at = || c.source.clone().or_else(|| first_source(doc, ctx));
        lint_params(doc, ctx, &mut out);
        let private: Vec<&String> = doc
            .context_functions(ctx)
            .filter(|(_, f)| f.private)
            .map(|(n, _)| n)
            .collect();
        if !private.is_empty() && private.len() < c.functions.len() {
            out.push(Diagnostic::error(
                "mixed-private",
                format!(
                    "context `{ctx}` mixes private functions ({}) with public ones; one response cannot be both shared and per-user",
                    join(&private)
                ),
                at(),
            ));
        }
        let guards: std::collections::BTreeSet<Option<&String>> = doc
            .context_functions(ctx)
            .map(|(_, f)| f.auth.as_ref())
            .collect();
        if guards.len() > 1 {
            out.push(Diagnostic::warning(
                "mixed-guards",
                format!("the functions of context `{ctx}` have different `auth` guards; every caller of the context must pass all of them"),
                at(),
            ));
        }
        let cached = doc
            .context_functions(ctx)
            .filter(|(_, f)| f.cache.is_some())
            .count();
        if cached > 0 && cached < c.functions.len() {
            out.push(Diagnostic::warning(
                "partial-cache",
                format!("only some functions of context `{ctx}` declare `cache`, so its responses are not cached"),
                at(),
            ));
        }
    }
    lint_routes(doc, &mut out);
    out
}

fn lint_params(doc: &SchemaDocument, ctx: &str, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<String, (String, serde_json::Value)> = BTreeMap::new();
    for (fname, f) in doc.context_functions(ctx) {
        let (props, _) = arg_properties(&f.args);
        for (param, schema) in props {
            match seen.get(&param) {
                Some((first, s)) if *s != schema => out.push(Diagnostic::error(
                    "conflicting-params",
                    format!(
                        "context `{ctx}`: parameter `{param}` has one type in `{first}` and another in `{fname}`; functions of one context share their parameters"
                    ),
                    f.source.clone(),
                )),
                Some(_) => {}
                None => {
                    seen.insert(param, (fname.clone(), schema));
                }
            }
        }
    }
}

fn lint_routes(doc: &SchemaDocument, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<(String, String), &String> = BTreeMap::new();
    for (name, f) in &doc.functions {
        let Some(route) = &f.route else { continue };
        let shape = route_shape(&route.path);
        for m in &route.methods {
            if let Some(other) = seen.insert((shape.clone(), m.clone()), name) {
                out.push(Diagnostic::error(
                    "duplicate-route",
                    format!("`{name}` and `{other}` both take {m} {}", route.path),
                    f.source.clone(),
                ));
            }
        }
        let base = doc.base_path.trim_end_matches('/');
        if !base.is_empty() && (route.path == base || route.path.starts_with(&format!("{base}/"))) {
            out.push(Diagnostic::error(
                "route-in-base",
                format!(
                    "route `{}` of `{name}` is under the Mizan base path `{base}`",
                    route.path
                ),
                f.source.clone(),
            ));
        }
    }
}

/// The `{name}` parameters of a route.
pub(crate) fn route_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|seg| {
        seg.strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .map(|s| s.trim_start_matches('*'))
    })
}

/// A route with its parameter names erased, so `/a/{x}` and `/a/{y}` compare equal.
fn route_shape(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn first_source(doc: &SchemaDocument, ctx: &str) -> Option<Source> {
    doc.context_functions(ctx)
        .find_map(|(_, f)| f.source.clone())
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
