//! The one way invalidations leave a handler: every list a call or a query produces is
//! normalized here and handed to the listeners registered with
//! [`Builder::on_invalidate`](crate::Builder::on_invalidate) before the HTTP body or the
//! `X-Mizan-Invalidate` header is written from the same list. A WebSocket push or an edge
//! purge reads from here too.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use crate::auth::panic_message;
use crate::cache::OriginCache;
use crate::invalidation::{Invalidation, normalize};

/// What a successful call (or a query that invalidated at run time) invalidated.
#[derive(Debug)]
#[non_exhaustive]
pub struct InvalidationEvent<'a> {
    /// The function (or, for a context request, the context) that produced the list.
    pub source: &'a str,
    /// The invalidations, normalized, as the client receives them.
    pub invalidations: &'a [Invalidation],
}

pub(crate) type Listener = Arc<dyn Fn(&InvalidationEvent<'_>) + Send + Sync>;

/// The listeners, called in registration order, and the origin cache, purged by every list.
#[derive(Clone, Default)]
pub(crate) struct Sink {
    pub(crate) listeners: Vec<Listener>,
    pub(crate) cache: Option<Arc<OriginCache>>,
}

impl Sink {
    /// Normalizes `list`, purges the origin cache, tells every listener, and returns it
    /// for the response: the purge is done before the response (and so the client's
    /// refetch) can leave. A listener that panics is logged and skipped; the response is
    /// not affected.
    pub(crate) async fn emit(&self, source: &str, list: Vec<Invalidation>) -> Vec<Invalidation> {
        let list = normalize(list);
        if list.is_empty() {
            return list;
        }
        if let Some(cache) = &self.cache {
            cache.purge(&list).await;
        }
        if self.listeners.is_empty() {
            return list;
        }
        let event = InvalidationEvent {
            source,
            invalidations: &list,
        };
        for listener in &self.listeners {
            if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| listener(&event))) {
                tracing::error!(
                    source,
                    panic = panic_message(panic.as_ref()),
                    "an invalidation listener panicked"
                );
            }
        }
        list
    }
}
