//! Running one function: identity, guard, panic isolation, tracing, and the invalidations
//! of a successful call.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt;
use http::request::Parts;
use serde_json::Value;
use tracing::{Instrument, field};

use super::Shared;
use crate::auth::Identity;
use crate::cx::Cx;
use crate::error::{Error, Result};
use crate::function::{FunctionDef, Output};
use crate::invalidation::{Invalidation, normalize};
use crate::registry::FnEntry;
use mizan_protocol::Params;

/// Resolves the caller with the configured resolver.
pub(crate) async fn identify(shared: &Shared, parts: &Parts) -> Result<Option<Identity>> {
    match &shared.resolver {
        Some(resolver) => resolver.resolve(parts).await,
        None => Ok(None),
    }
}

/// Runs one function in its own span; a panic becomes a 500 for this call only.
pub(crate) async fn invoke(def: &'static FunctionDef, cx: Cx, args: Arc<Value>) -> Result<Output> {
    let span = tracing::info_span!(
        "mizan.fn",
        function = def.name,
        context = def.context_name().unwrap_or(""),
        status = field::Empty,
        duration_ms = field::Empty,
    );
    // Clock reads and field records only when someone listens.
    let start = (!span.is_disabled()).then(Instant::now);
    let result = AssertUnwindSafe((def.call)(cx, args))
        .catch_unwind()
        .instrument(span.clone())
        .await
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".into());
            Err(Error::internal(format!(
                "function `{}` panicked: {what}",
                def.name
            )))
        });
    let status = match &result {
        Ok(_) => 200,
        Err(e) => e.status().as_u16(),
    };
    if let Some(start) = start {
        span.record("status", status);
        span.record("duration_ms", start.elapsed().as_secs_f64() * 1000.0);
        span.in_scope(|| tracing::debug!(status, "mizan function finished"));
    }
    result
}

/// What a successful call of `entry` invalidates: its `affects` targets (scoped by
/// `affects_params` when given) and whatever it added with `cx.invalidate`.
pub(crate) fn invalidations(
    shared: &Shared,
    entry: &FnEntry,
    scope: Option<&Params>,
    cx: &Cx,
) -> Vec<Invalidation> {
    let mut list: Vec<Invalidation> = entry
        .targets
        .iter()
        .map(|ctx| match scope {
            Some(params) => scoped(shared, entry.def.name, ctx, params.clone()),
            None => Invalidation::Context((*ctx).to_owned()),
        })
        .collect();
    list.extend(
        cx.take_invalidations()
            .into_iter()
            .map(|i| checked(shared, entry.def.name, i)),
    );
    normalize(list)
}

/// Applies the scoping rule of [`scoped`] to an invalidation added with `cx.invalidate`.
pub(crate) fn checked(shared: &Shared, function: &str, invalidation: Invalidation) -> Invalidation {
    match invalidation {
        Invalidation::Scoped { context, params } => {
            if !shared.registry.contexts.contains_key(&context) {
                tracing::warn!(
                    function,
                    context,
                    "cx.invalidate names a context this API does not serve"
                );
            }
            scoped(shared, function, &context, params)
        }
        whole => whole,
    }
}

/// Scopes `ctx` to `params`. A target whose parameters do not include every scope
/// parameter is invalidated whole (`affects = [TODOS, PROJECTS]` scoped by `project`
/// invalidates `projects` entirely when it has no `project` parameter): an invalidation
/// is never narrower than what changed.
fn scoped(shared: &Shared, function: &str, ctx: &str, params: Params) -> Invalidation {
    let known = shared.registry.contexts.get(ctx);
    let unknown: Vec<&String> = params
        .as_map()
        .keys()
        .filter(|k| known.is_some_and(|c| !c.params.contains(k.as_str())))
        .collect();
    if unknown.is_empty() {
        Invalidation::scoped(ctx, params)
    } else {
        tracing::debug!(
            function,
            context = ctx,
            ?unknown,
            "the context lacks some scope parameters; invalidating it whole"
        );
        Invalidation::Context(ctx.to_owned())
    }
}
