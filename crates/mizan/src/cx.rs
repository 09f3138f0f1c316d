//! `Cx`: what a Mizan function knows about its request.

use std::any::{Any, TypeId, type_name};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use http::request::Parts;
use http::{HeaderMap, Method, Uri};

use crate::auth::Identity;
use crate::auth::session::AuthEvent;
use crate::error::{Error, Result};
use crate::invalidation::Invalidation;

/// Application state shared by every request, keyed by type.
#[derive(Clone, Default)]
pub(crate) struct StateMap(Arc<crate::registry::HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl StateMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        Arc::make_mut(&mut self.0).insert(TypeId::of::<T>(), Arc::new(value));
    }

    fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.get(&TypeId::of::<T>())?.downcast_ref()
    }
}

/// The request context every Mizan function may take as its first argument
/// (`cx: &Cx`): shared state, request headers, the caller's identity, and run-time
/// invalidations.
///
/// Cloning is cheap; all functions of one context request share one request.
///
/// Reading the caller — [`identity`](Self::identity), [`user`](Self::user),
/// [`headers`](Self::headers) or [`extensions`](Self::extensions) — is recorded: a context
/// response whose function read the caller is `Cache-Control: private` even when the
/// function did not declare `private` or `auth` (and its name is logged once as a
/// warning), so nothing identity-dependent is ever served from a shared cache.
#[derive(Clone)]
pub struct Cx {
    inner: Arc<Inner>,
    /// Which function of the request this handle belongs to (its bit in `Inner::reads`).
    slot: u32,
}

struct Inner {
    state: StateMap,
    /// The HTTP request head; `None` for a call that did not arrive as an HTTP request.
    head: Option<Parts>,
    identity: Option<Identity>,
    invalidations: Mutex<Vec<Invalidation>>,
    /// One bit per function slot (slots past 63 share the last bit): read the caller.
    reads: AtomicU64,
    /// Some function read the request itself (headers, extensions, the head), not only
    /// the identity: its answer may differ between two requests of one caller.
    request_read: AtomicBool,
    /// A sign-in or sign-out during the request.
    auth: Mutex<Option<AuthEvent>>,
}

/// What `headers()`, `method()`, `uri()` and `extensions()` show for a call without an
/// HTTP request head: an empty `GET /`.
static NO_HEAD: LazyLock<Parts> = LazyLock::new(|| http::Request::new(()).into_parts().0);

impl Cx {
    /// A context for one request. `head` is the HTTP request head, when there is one.
    pub(crate) fn new(state: StateMap, head: Option<Parts>, identity: Option<Identity>) -> Self {
        Self {
            inner: Arc::new(Inner {
                state,
                head,
                identity,
                invalidations: Mutex::new(Vec::new()),
                reads: AtomicU64::new(0),
                request_read: AtomicBool::new(false),
                auth: Mutex::new(None),
            }),
            slot: 0,
        }
    }

    /// The handle of function number `slot` of this request: reads of the caller are
    /// recorded per function.
    pub(crate) fn for_function(&self, slot: usize) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            slot: u32::try_from(slot.min(63)).unwrap_or(63),
        }
    }

    /// Whether function `slot` read the caller.
    pub(crate) fn read_caller(&self, slot: usize) -> bool {
        self.inner.reads.load(Ordering::Relaxed) & (1 << slot.min(63)) != 0
    }

    /// Whether any function of the request read the caller.
    pub(crate) fn any_read_caller(&self) -> bool {
        self.inner.reads.load(Ordering::Relaxed) != 0
    }

    fn mark_read(&self) {
        self.inner.reads.fetch_or(1 << self.slot, Ordering::Relaxed);
    }

    /// A read of the request itself: of the caller, and beyond the identity.
    pub(crate) fn mark_request_read(&self) {
        self.mark_read();
        self.inner.request_read.store(true, Ordering::Relaxed);
    }

    /// Whether any function read the request's headers, extensions or head (the origin
    /// cache then keeps the answer for no one, not even per identity).
    pub(crate) fn read_request(&self) -> bool {
        self.inner.request_read.load(Ordering::Relaxed)
    }

    fn head(&self) -> &Parts {
        self.inner.head.as_ref().unwrap_or(&NO_HEAD)
    }

    /// The HTTP request head, for extractors (a read of the caller).
    pub(crate) fn parts(&self) -> Option<&Parts> {
        self.mark_request_read();
        self.inner.head.as_ref()
    }

    /// The request headers, without marking a read of the caller (Mizan's own use).
    pub(crate) fn request_headers(&self) -> &HeaderMap {
        &self.head().headers
    }

    /// Shared state registered with [`Builder::state`](crate::Builder::state) (a database
    /// pool, a client). Missing state is an internal error naming the type.
    pub fn state<T: Send + Sync + 'static>(&self) -> Result<&T> {
        self.inner.state.get::<T>().ok_or_else(|| {
            Error::internal(format!(
                "no state of type `{}` was registered with mizan::Builder::state",
                type_name::<T>()
            ))
        })
    }

    /// The request headers (empty for a call that did not arrive over HTTP). Reading them
    /// makes a context response private.
    pub fn headers(&self) -> &HeaderMap {
        self.mark_request_read();
        &self.head().headers
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.head().method
    }

    /// The request URI.
    pub fn uri(&self) -> &Uri {
        &self.head().uri
    }

    /// Request extensions set by tower layers in front of Mizan. Reading them makes a
    /// context response private.
    pub fn extensions(&self) -> &http::Extensions {
        self.mark_request_read();
        &self.head().extensions
    }

    /// The caller, if the identity resolver found one. Reading it makes a context response
    /// private.
    pub fn identity(&self) -> Option<&Identity> {
        self.mark_read();
        self.inner.identity.as_ref()
    }

    /// The caller, or a 401 when the request is anonymous. Reading it makes a context
    /// response private.
    pub fn user(&self) -> Result<&Identity> {
        self.identity()
            .ok_or_else(|| Error::unauthorized("authentication required"))
    }

    /// The caller as the guards see it, without marking a read (Mizan's own use).
    pub(crate) fn caller(&self) -> Option<&Identity> {
        self.inner.identity.as_ref()
    }

    /// Adds an invalidation decided at run time: `cx.invalidate(&TODOS)` or
    /// `cx.invalidate(TODOS.with(params! { project: 3 }))`. Sent only if the call
    /// succeeds.
    pub fn invalidate(&self, invalidation: impl Into<Invalidation>) {
        let mut list = self
            .inner
            .invalidations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        list.push(invalidation.into());
    }

    /// Records a sign-in or sign-out for the response.
    pub(crate) fn set_auth_event(&self, event: AuthEvent) {
        *self
            .inner
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(event);
    }

    /// The sign-in or sign-out of this request, if any.
    pub(crate) fn auth_event(&self) -> Option<AuthEvent> {
        self.inner
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The HTTP request head, without marking a read (Mizan's own use).
    pub(crate) fn head_parts(&self) -> Option<&Parts> {
        self.inner.head.as_ref()
    }

    /// The request head's extensions, without marking a read (Mizan's own use).
    pub(crate) fn head_extensions(&self) -> &http::Extensions {
        &self.head().extensions
    }

    pub(crate) fn take_invalidations(&self) -> Vec<Invalidation> {
        let mut list = self
            .inner
            .invalidations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::take(&mut *list)
    }
}

impl std::fmt::Debug for Cx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cx")
            .field("method", self.method())
            .field("uri", self.uri())
            .field("identity", &self.inner.identity)
            .finish_non_exhaustive()
    }
}
