//! What the cache knows of each cached context, and which generation counters an instance
//! reads and a purge bumps (`spec/CACHE_KEYING.md` §5).
//!
//! Every context has counters, in one table per context: `*` (the whole context), and per
//! parameter `name`, `=name=value` (instances holding that value) and `!name` (instances
//! without the parameter). An instance's entry key folds in the counters it reads: `*`,
//! and for every parameter of the context, its value's counter or its absence's. A purge
//! bumps `*` (unscoped), or for a scope's first parameter its value's and its absence's
//! counters: every instance the scope hits (PROTOCOL.md §4.3: one holding the scope's
//! value or lacking the parameter) reads one of them, so it is never left stale. A scope
//! of several parameters purges on the first only: more than it hits, never less.

use std::time::Duration;

use mizan_protocol::cache_key::{self, KeyInput, Scope};
use mizan_protocol::{PROTOCOL_VERSION, Params};

use crate::auth::Identity;
use crate::invalidation::Invalidation;

/// The whole-context counter.
pub(crate) const WHOLE: &str = "*";

/// One cached context.
pub(crate) struct Plan {
    pub(crate) name: String,
    /// The entries' lifetime (`cache = seconds`, the smallest of the context).
    pub(crate) ttl: Duration,
    /// `name=rev` of every function, sorted (`cache_key::revs_text`).
    pub(crate) revs: String,
    /// The parameter names as the canonical query writes them (percent-encoded), sorted.
    pub(crate) params: Vec<String>,
    /// Entries are per caller (a private or guarded function).
    pub(crate) private: bool,
}

impl Plan {
    pub(crate) fn new(
        name: &str,
        ttl_secs: u32,
        revs: &[(&str, u32)],
        params: impl IntoIterator<Item = String>,
        private: bool,
    ) -> Self {
        let mut params: Vec<String> = params
            .into_iter()
            .map(|p| {
                // The name as the canonical query spells it.
                let query = Params::new().push(&p, 0).to_query();
                query.split('=').next().unwrap_or_default().to_owned()
            })
            .collect();
        params.sort_unstable();
        Self {
            name: name.to_owned(),
            ttl: Duration::from_secs(u64::from(ttl_secs)),
            revs: cache_key::revs_text(revs),
            params,
            private,
        }
    }

    /// The scope of a caller's entry: public, or the caller's (by identity id).
    pub(crate) fn scope<'a>(&self, caller: Option<&'a Identity>) -> Scope<'a> {
        match (self.private, caller) {
            (false, _) => Scope::Public,
            (true, None) => Scope::Anonymous,
            (true, Some(identity)) => Scope::User(&identity.id),
        }
    }

    /// The HMAC key of an instance (`query` is canonical) for `scope`.
    pub(crate) fn key(&self, secret: &[u8], query: &str, scope: Scope<'_>) -> String {
        let input = KeyInput {
            version: PROTOCOL_VERSION,
            name: &self.name,
            revs: &[],
            query,
            scope,
        };
        cache_key::key_of(secret, &cache_key::encoding_with(&input, &self.revs))
    }

    /// The counters an instance with canonical `query` reads, in a fixed order.
    pub(crate) fn read_fields(&self, query: &str) -> Vec<String> {
        let mut fields = Vec::with_capacity(self.params.len() + 1);
        fields.push(WHOLE.to_owned());
        for name in &self.params {
            let pair = query
                .split('&')
                .find(|pair| pair.split('=').next() == Some(name.as_str()));
            fields.push(match pair {
                Some(pair) => format!("={pair}"),
                None => format!("!{name}"),
            });
        }
        fields
    }

    /// The counters a purge of this context by `invalidation` bumps.
    pub(crate) fn purge_fields(&self, invalidation: &Invalidation) -> Vec<String> {
        let Invalidation::Scoped { params, .. } = invalidation else {
            return vec![WHOLE.to_owned()];
        };
        scope_fields(&self.params, params)
    }
}

/// The counters a purge scoped to `scope` bumps, for a context with parameters `names`.
fn scope_fields(names: &[String], scope: &Params) -> Vec<String> {
    let query = scope.to_query();
    let first = query.split('&').find(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        names.iter().any(|n| n == name)
    });
    match first {
        Some(pair) => {
            let name = pair.split('=').next().unwrap_or_default();
            vec![format!("={pair}"), format!("!{name}")]
        }
        // A scope without a parameter of the context spares no instance.
        None => vec![WHOLE.to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Over the shared match vectors (`spec/vectors/invalidation-match.json`), with
    /// [`Params::matches`] as the rule: every instance a scope hits reads a counter the
    /// purge bumps.
    #[test]
    fn a_purge_reaches_every_instance_its_scope_hits() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../spec/vectors/invalidation-match.json"
        );
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("vectors")).expect("JSON");
        let vectors = file["vectors"].as_array().expect("vectors");
        assert!(vectors.len() > 5);
        for v in vectors {
            let what = v["description"].as_str().unwrap_or_default();
            let scope = Params::from_map(v["scope"].as_object().expect("scope").clone());
            let instance = Params::from_map(v["instance"].as_object().expect("instance").clone());
            let names: Vec<String> = scope
                .as_map()
                .keys()
                .chain(instance.as_map().keys())
                .cloned()
                .collect();
            let plan = Plan::new("c", 5, &[("f", 0)], names, false);
            let read = plan.read_fields(&instance.to_query());
            let bumped = plan.purge_fields(&Invalidation::scoped("c", scope.clone()));
            let reached = bumped.iter().any(|b| read.contains(b));
            assert_eq!(
                scope.matches(&instance),
                v["hit"].as_bool().expect("hit"),
                "{what}"
            );
            if scope.matches(&instance) {
                assert!(
                    reached,
                    "{what}: a hit instance must be purged ({read:?} vs {bumped:?})"
                );
            }
            let whole = plan.purge_fields(&Invalidation::Context("c".into()));
            assert!(
                whole.iter().any(|b| read.contains(b)),
                "{what}: an unscoped purge hits all"
            );
        }
    }

    #[test]
    fn a_single_parameter_scope_spares_other_values() {
        let plan = Plan::new("todos", 5, &[("f", 0)], ["project".to_owned()], false);
        let three = plan.read_fields("project=3");
        let four = plan.read_fields("project=4");
        let none = plan.read_fields("");
        let bumped = plan.purge_fields(&Invalidation::scoped(
            "todos",
            Params::new().push("project", 3),
        ));
        assert!(bumped.iter().any(|b| three.contains(b)));
        assert!(bumped.iter().any(|b| none.contains(b)));
        assert!(!bumped.iter().any(|b| four.contains(b)));
    }
}
