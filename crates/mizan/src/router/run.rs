//! What every handler shares: identifying the caller, running one function (panic
//! isolation, tracing), finishing a response (`Vary`, the resolver's hook, the request
//! span), and the invalidations of a successful call.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use http::header::VARY;
use http::request::Parts;
use serde_json::Value;
use tracing::{Instrument, Span, field};

use super::Shared;
use crate::auth::{Identity, panic_message};
use crate::cx::Cx;
use crate::error::{Error, Result};
use crate::function::{FunctionDef, Output};
use crate::invalidation::Invalidation;
use crate::registry::FnEntry;
use mizan_protocol::Params;

/// Whether a per-request DEBUG span can be recorded: a subscriber takes DEBUG, or a `log`
/// logger does (tracing forwards to `log` when no subscriber is set). Otherwise the spans
/// are not built: with tracing's `log` feature on (axum turns it on) a disabled span still
/// formats its fields for `log` on every request.
pub(crate) fn spans_wanted() -> bool {
    if tracing::dispatcher::has_been_set() {
        tracing::level_filters::LevelFilter::current() >= tracing::Level::DEBUG
    } else {
        log::max_level() >= log::LevelFilter::Debug
    }
}

/// `tracing::debug_span!`, or `Span::none()` when nothing can record it ([`spans_wanted`]).
macro_rules! request_span {
    ($($arg:tt)*) => {
        if $crate::router::run::spans_wanted() {
            tracing::debug_span!($($arg)*)
        } else {
            tracing::Span::none()
        }
    };
}
pub(crate) use request_span;

/// Resolves the caller with the configured resolver; a resolver that panics is a 500 for
/// this request.
pub(crate) async fn identify(shared: &Shared, parts: &Parts) -> Result<Option<Identity>> {
    let Some(resolver) = &shared.resolver else {
        return Ok(None);
    };
    AssertUnwindSafe(resolver.resolve(parts))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            Err(Error::internal(format!(
                "the identity resolver panicked: {}",
                panic_message(panic.as_ref())
            )))
        })
}

/// Runs one function in its own span; a panic becomes a 500 for this call only.
pub(crate) async fn invoke(def: &'static FunctionDef, cx: Cx, args: Arc<Value>) -> Result<Output> {
    let span = request_span!(
        "mizan.fn",
        function = def.name,
        context = def.context_name().unwrap_or(""),
        status = field::Empty,
        duration_ms = field::Empty,
    );
    // Clock reads and field records only when someone listens.
    let start = (!span.is_disabled()).then(Instant::now);
    let call = AssertUnwindSafe((def.call)(cx, args)).catch_unwind();
    // A disabled span is not entered on every poll.
    let result = match start {
        Some(_) => call.instrument(span.clone()).await,
        None => call.await,
    };
    let result = result
        .unwrap_or_else(|panic| {
            Err(Error::internal(format!(
                "function `{}` panicked: {}",
                def.name,
                panic_message(panic.as_ref())
            )))
        })
        .map_err(|e| e.in_function(def.name));
    if let Some(start) = start {
        let status = result
            .as_ref()
            .map_or_else(|e| e.status().as_u16(), |_| 200);
        span.record("status", status);
        span.record("duration_ms", start.elapsed().as_secs_f64() * 1000.0);
    }
    result
}

/// Finishes a request: the response (or the protocol's error), `Vary` on the headers the
/// resolver reads, the resolver's response hook, and the request span's status and
/// duration with one DEBUG event (a production subscriber at INFO writes nothing per
/// request). `cx` is the request's context once it was built.
async fn finish(
    shared: &Shared,
    span: Span,
    start: Option<Instant>,
    result: Result<Response>,
    cx: Option<&Cx>,
) -> Response {
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    if let Some(resolver) = &shared.resolver {
        if let Some(vary) = &shared.vary {
            response.headers_mut().append(VARY, vary.clone());
        }
        let (mut parts, body) = response.into_parts();
        if let Some(event) = cx.and_then(Cx::auth_event) {
            parts.extensions.insert(event);
        }
        let identity = cx.and_then(Cx::caller);
        let request = cx.and_then(Cx::head_parts);
        AssertUnwindSafe(resolver.on_response(request, identity, &mut parts))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                tracing::error!(
                    panic = panic_message(panic.as_ref()),
                    "the identity resolver's on_response panicked"
                );
            });
        response = Response::from_parts(parts, body);
    }
    if let Some(start) = start {
        let status = response.status().as_u16();
        span.record("status", status);
        span.record("duration_ms", start.elapsed().as_secs_f64() * 1000.0);
        span.in_scope(|| tracing::debug!(status, "mizan request"));
    }
    response
}

/// Runs `fut` (a handler's body, which sets `cx` once it has built the request context)
/// in `span`, then [`finish`]es the response.
pub(crate) async fn traced<'a, F>(shared: &'a Shared, span: Span, fut: F) -> Response
where
    F: Future<Output = (Result<Response>, Option<Cx>)> + 'a,
{
    // The clock is read only when the span is enabled.
    let start = (!span.is_disabled()).then(Instant::now);
    let (result, cx) = match start {
        Some(_) => fut.instrument(span.clone()).await,
        None => fut.await,
    };
    finish(shared, span, start, result, cx.as_ref()).await
}

/// What a successful call of `entry` invalidates: its `affects` targets (scoped by
/// `affects_params` when given) and whatever it added with `cx.invalidate`, through the
/// one sink.
pub(crate) async fn invalidations(
    shared: &Shared,
    entry: &FnEntry,
    scope: Option<&Params>,
    cx: &Cx,
) -> Vec<Invalidation> {
    let function = entry.def.name;
    let mut list: Vec<Invalidation> = entry
        .targets
        .iter()
        .map(|ctx| match scope {
            Some(params) => scoped(shared, function, ctx, params.clone()),
            None => Invalidation::Context((*ctx).to_owned()),
        })
        .collect();
    list.extend(
        cx.take_invalidations()
            .into_iter()
            .map(|i| checked(shared, function, i)),
    );
    shared.sink.emit(function, list).await
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

/// Scopes `ctx` to `params`, never narrower than what changed: a scope key the context
/// does not have is dropped (no instance holds it, so it spares none), and a value that
/// the parameter's type cannot hold (`"3"` for an integer) is dropped with a warning
/// instead of silently matching nothing. A poisoned or emptied scope is the whole context.
fn scoped(shared: &Shared, function: &str, ctx: &str, mut params: Params) -> Invalidation {
    if params.is_poisoned() {
        tracing::error!(
            function,
            context = ctx,
            "a scope value could not be serialized; invalidating the context whole"
        );
        return Invalidation::Context(ctx.to_owned());
    }
    if let Some(known) = shared.registry.contexts.get(ctx) {
        let dropped: Vec<String> = params
            .as_map()
            .iter()
            .filter(|(k, v)| known.param_types.get(*k).is_none_or(|t| !t.admits(v)))
            .map(|(k, _)| k.clone())
            .collect();
        for key in dropped {
            let value = params.remove(&key);
            if known.param_types.contains_key(&key) {
                tracing::warn!(
                    function,
                    context = ctx,
                    param = key,
                    value = %value.unwrap_or_default(),
                    "the scope value does not fit the parameter's type; widened to every value"
                );
            }
        }
    }
    Invalidation::scoped(ctx, params)
}
