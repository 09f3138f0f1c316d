//! Who is calling: the identity, the pluggable resolver that finds it in a request, and the
//! guards that `auth = …` declares.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use http::HeaderName;
use http::header::AUTHORIZATION;
use http::request::Parts;

pub mod auto;
pub mod csrf;
pub mod jwt;
#[cfg(feature = "redis")]
mod redis_store;
pub mod session;

pub use auto::{Auth, CookieSettings, IDENTITY_CHANGED, Sessions};
pub use csrf::Csrf;
pub use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
pub use jwt::{Jwt, JwtClaims};
pub use mizan_protocol::mwt::MwtKeys;
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;
pub use session::{User, Users};

use crate::cx::Cx;
use crate::error::{Error, Result};

/// The caller of a request, as a resolver found it.
///
/// Build one with [`Identity::user`] and the `with_…` methods; fields may be read and set
/// directly. Claims of your own scheme (a tenant, a token's scopes, a session handle) go in
/// [`extensions`](Self::extensions), by type.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Identity {
    /// A stable user id (it keys private caches later on).
    pub id: String,
    /// Passes `auth = "staff"`.
    pub staff: bool,
    /// Passes `auth = "superuser"` and `auth = "staff"`.
    pub superuser: bool,
    /// Free-form roles for predicates.
    pub roles: Vec<String>,
    /// Typed claims of the resolver's own (`identity.extensions.get::<Tenant>()`); not
    /// compared by `==`.
    pub extensions: http::Extensions,
}

/// Two identities are equal when id, staff, superuser and roles are; extensions are not
/// compared.
impl PartialEq for Identity {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.staff == other.staff
            && self.superuser == other.superuser
            && self.roles == other.roles
    }
}

impl Eq for Identity {}

impl Identity {
    /// A plain user with this id.
    pub fn user(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// The same identity, marked as staff.
    #[must_use]
    pub fn with_staff(mut self) -> Self {
        self.staff = true;
        self
    }

    /// The same identity, marked as superuser.
    #[must_use]
    pub fn with_superuser(mut self) -> Self {
        self.superuser = true;
        self
    }

    /// The same identity with one more role.
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// The same identity with a typed claim in [`extensions`](Self::extensions).
    #[must_use]
    pub fn with_extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// An extension by type (set with [`with_extension`](Self::with_extension), or by a
    /// resolver: [`JwtClaims`] for a JWT).
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.get::<T>()
    }

    /// Whether the identity has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Finds the identity of a request: `Ok(None)` for an anonymous request, `Err` (usually
/// 401) for credentials that are present but invalid.
///
/// Session and JWT resolvers come with the auth issue; implement this trait for your own
/// scheme, or use [`BearerTokens`] in tests and development.
pub trait IdentityResolver: Send + Sync + 'static {
    /// Resolves the identity from the request head.
    fn resolve<'a>(&'a self, parts: &'a Parts) -> BoxFuture<'a, Result<Option<Identity>>>;

    /// The request headers the resolver reads (`Authorization`, `Cookie`): every response
    /// that passed through it carries them in `Vary`, so no cache serves one caller's
    /// response to another. Default: none.
    fn vary(&self) -> Vec<HeaderName> {
        Vec::new()
    }

    /// Called with every response of a request the resolver saw (success or error), before
    /// it is sent: a session scheme sets or clears its cookie here. `request` is the
    /// request head (`None` when the request failed before Mizan kept it), `identity` what
    /// [`resolve`](Self::resolve) found (`None` when anonymous or when resolving failed).
    /// Default: nothing.
    fn on_response<'a>(
        &'a self,
        request: Option<&'a Parts>,
        identity: Option<&'a Identity>,
        response: &'a mut http::response::Parts,
    ) -> BoxFuture<'a, ()> {
        let _ = (request, identity, response);
        Box::pin(std::future::ready(()))
    }
}

/// The default resolver: every request is anonymous.
#[derive(Clone, Copy, Debug, Default)]
pub struct Anonymous;

impl IdentityResolver for Anonymous {
    fn resolve<'a>(&'a self, _: &'a Parts) -> BoxFuture<'a, Result<Option<Identity>>> {
        Box::pin(async { Ok(None) })
    }
}

/// A fixed table of bearer tokens (`Authorization: Bearer <token>`), for tests and
/// development: an unknown token is a 401, no header is anonymous.
#[derive(Clone, Debug, Default)]
pub struct BearerTokens {
    tokens: Arc<HashMap<String, Identity>>,
}

impl BearerTokens {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a token for an identity.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>, identity: Identity) -> Self {
        Arc::make_mut(&mut self.tokens).insert(token.into(), identity);
        self
    }
}

impl IdentityResolver for BearerTokens {
    fn vary(&self) -> Vec<HeaderName> {
        vec![AUTHORIZATION]
    }

    fn resolve<'a>(&'a self, parts: &'a Parts) -> BoxFuture<'a, Result<Option<Identity>>> {
        let found = match parts.headers.get(AUTHORIZATION) {
            None => Ok(None),
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .and_then(|token| self.tokens.get(token.trim()))
                .cloned()
                .map(Some)
                .ok_or_else(|| Error::unauthorized("invalid bearer token")),
        };
        Box::pin(async move { found })
    }
}

/// What `auth = …` requires of the caller, checked identically on context GETs, calls and
/// view routes.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Guard {
    /// No `auth` option: anyone.
    Public,
    /// `auth = true`: any identity.
    Authenticated,
    /// `auth = "staff"`: staff or superuser.
    Staff,
    /// `auth = "superuser"`.
    Superuser,
    /// `auth = path::to::predicate`: an identity the predicate accepts. The predicate is
    /// either `fn(&Identity) -> bool` or an `async fn(Cx) -> bool` (or `-> Result<bool>`)
    /// that may read state and the request; `#[mizan::client]` wraps either into `check`.
    Predicate {
        /// The predicate, wrapped: whether the caller passes.
        check: fn(Cx) -> BoxFuture<'static, Result<bool>>,
        /// Its path as written, for the schema and messages.
        name: &'static str,
    },
}

impl Guard {
    /// Checks the caller of `cx`: 401 when anonymous and an identity is needed (a predicate
    /// is not run for an anonymous caller), 403 when it lacks what the guard requires.
    ///
    /// A predicate that panics is a 500 for this request (logged), never a dropped
    /// connection; a predicate that returns an error answers with that error.
    pub async fn check(&self, cx: &Cx) -> Result<()> {
        let Some(who) = cx.caller() else {
            return match self {
                Guard::Public => Ok(()),
                _ => Err(Error::unauthorized("authentication required")),
            };
        };
        let allowed = match self {
            Guard::Public | Guard::Authenticated => true,
            Guard::Staff => who.staff || who.superuser,
            Guard::Superuser => who.superuser,
            Guard::Predicate { check, name } => AssertUnwindSafe(check(cx.clone()))
                .catch_unwind()
                .await
                .map_err(|panic| {
                    Error::internal(format!(
                        "guard predicate `{name}` panicked: {}",
                        panic_message(panic.as_ref())
                    ))
                })??,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::forbidden("permission denied"))
        }
    }

    /// The guard as written in the schema document.
    pub fn describe(&self) -> Option<String> {
        match self {
            Guard::Public => None,
            Guard::Authenticated => Some("authenticated".into()),
            Guard::Staff => Some("staff".into()),
            Guard::Superuser => Some("superuser".into()),
            Guard::Predicate { name, .. } => Some(format!("predicate:{name}")),
        }
    }
}

/// A function usable as `auth = path`: `fn(&Identity) -> bool`, or an `async fn(Cx)`
/// returning `bool` or `Result<bool>`. `M` tells the two apart.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an `auth` predicate",
    note = "an `auth` predicate is `fn(&Identity) -> bool` or `async fn(Cx) -> bool` (or `-> mizan::Result<bool>`)"
)]
pub trait Predicate<M>: Send + Sync + 'static {
    /// Runs the predicate for the caller of `cx`.
    fn run(self, cx: Cx) -> BoxFuture<'static, Result<bool>>;
}

/// [`Predicate`] marker: a plain function of the identity.
#[derive(Debug)]
pub enum OnIdentity {}

/// [`Predicate`] marker: an async function of the request context.
#[derive(Debug)]
pub struct OnCx<R>(std::marker::PhantomData<R>);

impl<F> Predicate<OnIdentity> for F
where
    F: FnOnce(&Identity) -> bool + Send + Sync + 'static,
{
    fn run(self, cx: Cx) -> BoxFuture<'static, Result<bool>> {
        // Run when polled, so that a panic is caught with the future's.
        Box::pin(async move { Ok(cx.caller().is_some_and(self)) })
    }
}

impl<F, Fut, R> Predicate<OnCx<R>> for F
where
    F: FnOnce(Cx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Allowed + 'static,
{
    fn run(self, cx: Cx) -> BoxFuture<'static, Result<bool>> {
        Box::pin(async move { self(cx).await.allowed() })
    }
}

/// What an async predicate returns: `bool`, or `Result<bool>` to answer with an error.
pub trait Allowed: Send {
    /// Whether the caller passes.
    fn allowed(self) -> Result<bool>;
}

impl Allowed for bool {
    fn allowed(self) -> Result<bool> {
        Ok(self)
    }
}

impl Allowed for Result<bool> {
    fn allowed(self) -> Result<bool> {
        self
    }
}

/// The message of a panic payload (`&str` or `String`), for the log.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}
