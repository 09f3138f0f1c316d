//! Manifest mode: which requests are cacheable, under which key, and what purges bump.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use mizan_protocol::Params;
use mizan_protocol::edge_manifest::{EdgeManifest, EdgeScope};
use mizan_protocol::invalidation::Invalidation;
use mizan_protocol::mwt::MwtKeys;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::error::EdgeError;

/// One segment of a route pattern.
#[derive(Debug)]
enum Segment {
    Literal(String),
    /// `{name}`: one non-empty segment.
    Param(String),
    /// `{*name}`: the rest of the path (one segment or more).
    Rest(String),
}

#[derive(Debug)]
struct Route {
    segments: Vec<Segment>,
    index: usize,
}

/// A manifest, checked and indexed for lookups.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) manifest: EdgeManifest,
    /// The MWT keys with the manifest's leeway; `None` without keys or without `mwt`.
    pub(crate) keys: Option<MwtKeys>,
    contexts_by_path: HashMap<String, String>,
    revs_text: HashMap<String, String>,
    routes: Vec<Route>,
    /// `{base}/call/`.
    pub(crate) call_prefix: String,
    /// Purge routes: `(pattern, methods, function)` whose JSON bodies carry `invalidate`.
    purge_routes: Vec<(Vec<Segment>, Vec<String>, String)>,
}

/// What the edge does with a GET or HEAD request in manifest mode.
#[derive(Debug)]
pub(crate) enum Plan {
    /// Forward it; store nothing.
    Pass(&'static str),
    /// Cacheable.
    Cache(CachePlan),
}

/// A cacheable request's key inputs and storage rules.
#[derive(Debug, Clone)]
pub(crate) struct CachePlan {
    /// The context whose generations the key folds.
    pub(crate) context: String,
    /// The counters read besides `*` (`=name=value`, `!name`).
    pub(crate) reads: Vec<String>,
    /// The key's name field (`todos`, or `route:fn` for a route).
    pub(crate) name: String,
    /// The key's revs field.
    pub(crate) revs: String,
    /// The key's query field (routes: the path, `?` and the declared query).
    pub(crate) query: String,
    /// Whose entry it is.
    pub(crate) scope: EdgeScope,
    /// Seconds an entry is fresh.
    pub(crate) ttl: u32,
    /// The content type essence a storable response has.
    pub(crate) content_type: String,
    /// The path and query to forward (routes: undeclared params stripped).
    pub(crate) forward: String,
}

/// The path has a spelling that different servers may read differently.
pub(crate) fn ambiguous_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    path.contains(';')
        || path.contains('\\')
        || path.contains("//")
        || lower.contains("%2f")
        || lower.contains("%23")
        || lower.contains("%5c")
        || lower.contains("%2e")
        || lower.contains("%00")
        || path.split('/').any(|s| s == ".." || s == ".")
}

fn parse_pattern(pattern: &str) -> Vec<Segment> {
    pattern
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            if let Some(inner) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                match inner.strip_prefix('*') {
                    Some(rest) => Segment::Rest(rest.to_owned()),
                    None => Segment::Param(inner.to_owned()),
                }
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

fn match_pattern<'p>(segments: &'p [Segment], path: &str) -> Option<Vec<(&'p str, String)>> {
    let mut parts = path.trim_start_matches('/').split('/');
    let mut out = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Literal(lit) => {
                if parts.next()? != lit {
                    return None;
                }
            }
            Segment::Param(name) => {
                let part = parts.next()?;
                if part.is_empty() {
                    return None;
                }
                out.push((name.as_str(), part.to_owned()));
            }
            Segment::Rest(name) => {
                if i + 1 != segments.len() {
                    return None;
                }
                let rest: Vec<&str> = parts.by_ref().collect();
                if rest.is_empty() || rest.iter().all(|s| s.is_empty()) {
                    return None;
                }
                out.push((name.as_str(), rest.join("/")));
                return Some(out);
            }
        }
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// The counter text of one parameter value: `=` and its canonical pair.
fn value_counter(name: &str, value: &Value) -> String {
    let mut p = Params::new();
    let _ = p.insert(name, value);
    format!("={}", p.to_query())
}

/// The counter text of a parameter's absence.
fn absent_counter(name: &str) -> String {
    format!("!{name}")
}

impl Policy {
    /// Parses and checks a manifest file.
    ///
    /// # Errors
    /// [`EdgeError::Manifest`] when it cannot be read, is not a manifest of a known
    /// version, or holds a pattern the edge cannot match.
    pub(crate) fn load(path: &Path, keys: Option<&MwtKeys>) -> Result<Self, EdgeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| EdgeError::Manifest(format!("{}: {e}", path.display())))?;
        let mut policy = Self::parse(&text)?;
        if let (Some(keys), Some(mwt)) = (keys, &policy.manifest.mwt) {
            policy.keys = Some(keys.clone().with_leeway(mwt.leeway));
        }
        Ok(policy)
    }

    /// Parses and checks a manifest text.
    ///
    /// # Errors
    /// As [`Policy::load`].
    pub(crate) fn parse(text: &str) -> Result<Self, EdgeError> {
        // Refuses another format or an unknown version before reading anything else.
        let manifest = EdgeManifest::parse(text).map_err(|e| EdgeError::Manifest(e.to_string()))?;
        let mut contexts_by_path = HashMap::new();
        let mut revs_text = HashMap::new();
        for (name, ctx) in &manifest.contexts {
            if ctx.ttl.is_some() {
                contexts_by_path.insert(ctx.path.clone(), name.clone());
            }
            let revs: Vec<(&str, u32)> = ctx.revs.iter().map(|(f, r)| (f.as_str(), *r)).collect();
            revs_text.insert(name.clone(), mizan_protocol::cache_key::revs_text(&revs));
        }
        let mut routes = Vec::new();
        for (index, route) in manifest.routes.iter().enumerate() {
            if !route.pattern.starts_with('/') {
                return Err(EdgeError::Manifest(format!(
                    "route pattern {:?} does not start with /",
                    route.pattern
                )));
            }
            routes.push(Route {
                segments: parse_pattern(&route.pattern),
                index,
            });
        }
        let purge_routes = manifest
            .purges
            .iter()
            .filter_map(|(function, purge)| {
                purge.route.as_ref().map(|r| {
                    (
                        parse_pattern(&r.pattern),
                        r.methods.clone(),
                        function.clone(),
                    )
                })
            })
            .collect();
        let call_prefix = format!("{}/call/", manifest.base_path.trim_end_matches('/'));
        Ok(Self {
            manifest,
            keys: None,
            contexts_by_path,
            revs_text,
            routes,
            call_prefix,
            purge_routes,
        })
    }

    /// The plan for a GET or HEAD request of `path` with `query` (raw, without `?`).
    pub(crate) fn plan(&self, path: &str, query: Option<&str>) -> Plan {
        if ambiguous_path(path) {
            return Plan::Pass("ambiguous path");
        }
        if let Some(name) = self.contexts_by_path.get(path) {
            return self.context_plan(name, path, query);
        }
        for route in &self.routes {
            if let Some(args) = match_pattern(&route.segments, path) {
                return self.route_plan(route.index, path, query, &args);
            }
        }
        Plan::Pass("not in the manifest")
    }

    fn context_plan(&self, name: &str, path: &str, query: Option<&str>) -> Plan {
        let Some(ctx) = self.manifest.contexts.get(name) else {
            return Plan::Pass("not in the manifest");
        };
        let Some(ttl) = ctx.ttl else {
            return Plan::Pass("context not cacheable");
        };
        let query = query.unwrap_or("");
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let key = pair.split_once('=').map_or(pair, |(k, _)| k);
            let key = percent_decode_str(key).decode_utf8_lossy();
            if !ctx.params.iter().any(|p| *p == key) {
                return Plan::Pass("undeclared parameter");
            }
        }
        let Ok(params) = Params::from_query(query) else {
            return Plan::Pass("parameters do not parse");
        };
        if params.to_query() != query {
            return Plan::Pass("non-canonical query");
        }
        let reads = ctx
            .params
            .iter()
            .map(|p| match params.get(p) {
                Some(v) => value_counter(p, v),
                None => absent_counter(p),
            })
            .collect();
        let forward = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        };
        Plan::Cache(CachePlan {
            context: name.to_owned(),
            reads,
            name: name.to_owned(),
            revs: self.revs_text.get(name).cloned().unwrap_or_default(),
            query: query.to_owned(),
            scope: ctx.scope,
            ttl,
            content_type: ctx.content_type.clone(),
            forward,
        })
    }

    fn route_plan(
        &self,
        index: usize,
        path: &str,
        query: Option<&str>,
        args: &[(&str, String)],
    ) -> Plan {
        let Some(route) = self.manifest.routes.get(index) else {
            return Plan::Pass("not in the manifest");
        };
        // Keep the declared query parameters only, in their order for the origin and
        // sorted (by name, then value) for the key.
        let mut kept: Vec<&str> = Vec::new();
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode_str(k).decode_utf8_lossy();
            if route.params.iter().any(|p| *p == name) {
                kept.push(pair);
                values.entry(name.into_owned()).or_default().push(
                    percent_decode_str(&v.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned(),
                );
            }
        }
        let mut sorted = kept.clone();
        sorted.sort_unstable();
        let forward = if kept.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", kept.join("&"))
        };
        let key_query = format!("{path}?{}", sorted.join("&"));
        // The context's counters, read through the route's arguments that share the
        // context's parameter names. A raw value is read both as the JSON it spells (a
        // number, a boolean) and as a string, so a purge of either type reaches it.
        let mut reads = Vec::new();
        if let Some(ctx) = self.manifest.contexts.get(&route.context) {
            for p in &ctx.params {
                let raw: Option<String> = args
                    .iter()
                    .find(|(n, _)| n == p)
                    .map(|(_, v)| percent_decode_str(v).decode_utf8_lossy().into_owned())
                    .or_else(|| values.get(p).and_then(|v| v.first().cloned()));
                match raw {
                    Some(raw) => {
                        if let Ok(v) = serde_json::from_str::<Value>(&raw)
                            && !v.is_string()
                        {
                            reads.push(value_counter(p, &v));
                        }
                        reads.push(value_counter(p, &Value::String(raw)));
                    }
                    None => reads.push(absent_counter(p)),
                }
            }
        }
        let revs = format!("{}={}", route.function, route.rev);
        Plan::Cache(CachePlan {
            context: route.context.clone(),
            reads,
            name: format!("route:{}", route.function),
            revs,
            query: key_query,
            scope: route.scope,
            ttl: route.ttl,
            content_type: route.content_type.clone(),
            forward,
        })
    }

    /// The counters one invalidation bumps: `(context, counters)` (CACHE_KEYING.md §5.2).
    pub(crate) fn counters(&self, invalidation: &Invalidation) -> (String, Vec<String>) {
        match invalidation {
            Invalidation::Context(name) => (name.clone(), vec!["*".to_owned()]),
            Invalidation::Scoped { context, params } => {
                let declared = self
                    .manifest
                    .contexts
                    .get(context)
                    .map(|c| c.params.as_slice())
                    .unwrap_or_default();
                let mut names: Vec<&String> = params.as_map().keys().collect();
                names.sort_by(|a, b| mizan_protocol::utf16_cmp(a, b));
                for name in names {
                    if declared.contains(name)
                        && let Some(value) = params.get(name)
                    {
                        return (
                            context.clone(),
                            vec![value_counter(name, value), absent_counter(name)],
                        );
                    }
                }
                (context.clone(), vec!["*".to_owned()])
            }
            #[allow(unreachable_patterns)]
            _ => (invalidation.context().to_owned(), vec!["*".to_owned()]),
        }
    }

    /// Whether the JSON body of a response to `method path` carries an `invalidate`
    /// member (a `/call/` response or an rpc route), and the function it names.
    pub(crate) fn body_purges(&self, method: &http::Method, path: &str) -> Option<String> {
        if let Some(rest) = path.strip_prefix(&self.call_prefix) {
            let function = rest.trim_end_matches('/');
            return Some(function.to_owned());
        }
        self.purge_routes
            .iter()
            .find(|(segments, methods, _)| {
                methods.iter().any(|m| m == method.as_str())
                    && match_pattern(segments, path).is_some()
            })
            .map(|(_, _, function)| function.clone())
    }

    /// The contexts a function's manifest entry purges (used when its response body
    /// cannot be read).
    pub(crate) fn static_purges(&self, function: &str) -> Vec<String> {
        self.manifest
            .purges
            .get(function)
            .map(|p| p.contexts.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match() {
        let s = parse_pattern("/todos/{id}");
        assert_eq!(
            match_pattern(&s, "/todos/3").map(|v| v[0].1.clone()),
            Some("3".into())
        );
        assert!(match_pattern(&s, "/todos/").is_none());
        assert!(match_pattern(&s, "/todos/3/x").is_none());
        let r = parse_pattern("/files/{*path}");
        assert_eq!(
            match_pattern(&r, "/files/a/b").map(|v| v[0].1.clone()),
            Some("a/b".into())
        );
        assert!(match_pattern(&r, "/files/").is_none());
    }

    #[test]
    fn ambiguity() {
        for p in [
            "/a;b",
            "/a%2Fb",
            "/a%2fb",
            "/a%23",
            "/a%5C",
            "/a/../b",
            "/a/%2e%2e/b",
            "//a",
            "/a\\b",
        ] {
            assert!(ambiguous_path(p), "{p}");
        }
        assert!(!ambiguous_path("/api/mizan/ctx/todos/"));
    }
}
