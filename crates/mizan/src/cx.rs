//! `Cx`: what a Mizan function knows about its request.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use http::request::Parts;
use http::{HeaderMap, Method, Uri};

use crate::auth::Identity;
use crate::error::{Error, Result};
use crate::invalidation::Invalidation;

/// Application state shared by every request, keyed by type.
#[derive(Clone, Default)]
pub(crate) struct StateMap(Arc<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

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
/// Cloning is cheap; all functions of one context request share one `Cx`.
#[derive(Clone)]
pub struct Cx {
    inner: Arc<Inner>,
}

struct Inner {
    state: StateMap,
    parts: Parts,
    identity: Option<Identity>,
    invalidations: Mutex<Vec<Invalidation>>,
}

impl Cx {
    pub(crate) fn new(state: StateMap, parts: Parts, identity: Option<Identity>) -> Self {
        Self {
            inner: Arc::new(Inner {
                state,
                parts,
                identity,
                invalidations: Mutex::new(Vec::new()),
            }),
        }
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

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.parts.headers
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.inner.parts.method
    }

    /// The request URI.
    pub fn uri(&self) -> &Uri {
        &self.inner.parts.uri
    }

    /// Request extensions set by tower layers in front of Mizan.
    pub fn extensions(&self) -> &http::Extensions {
        &self.inner.parts.extensions
    }

    /// The request head, when the call came with one (extractors read it).
    pub(crate) fn parts(&self) -> Option<&http::request::Parts> {
        Some(&self.inner.parts)
    }

    /// The caller, if the identity resolver found one.
    pub fn identity(&self) -> Option<&Identity> {
        self.inner.identity.as_ref()
    }

    /// The caller, or a 401 when the request is anonymous.
    pub fn user(&self) -> Result<&Identity> {
        self.identity()
            .ok_or_else(|| Error::unauthorized("authentication required"))
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
