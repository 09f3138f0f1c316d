//! [`Auth`]: the resolver that finds the caller by itself — a bearer JWT, else the session
//! cookie — with the CSRF rules and the session layer that go with it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use futures_util::future::BoxFuture;
use http::header::{AUTHORIZATION, CACHE_CONTROL, COOKIE, SET_COOKIE};
use http::request::Parts;
use http::{HeaderName, HeaderValue};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer, SessionStore};

use mizan_protocol::mwt::{self, MwtKeys, MwtRefresh};

use super::csrf::{self, Csrf};
use super::jwt::Jwt;
use super::session::{self, AuthEvent, SessionAuth, Users, UsersHandle};
use super::{Identity, IdentityResolver};
use crate::error::{Error, Result};

/// The MWT request and response header.
const MWT_HEADER: HeaderName = HeaderName::from_static(mwt::HEADER_NAME);

/// The header that tells clients the identity changed (sign-in, sign-out): they drop what
/// they cached for the previous one (spec/PROTOCOL.md §9.3).
pub const IDENTITY_CHANGED: HeaderName = HeaderName::from_static("x-mizan-identity");

/// Identity found by itself: `Authorization: Bearer <JWT>` is verified with [`Jwt`]
/// (a bad one is a 401, never a fall-back to the cookie); without it, the session cookie
/// names a session whose user [`Users`] loads. Unsafe requests a session authenticates
/// pass the [`Csrf`] checks. Give it to [`Builder::auth`](crate::Builder::auth).
///
/// ```
/// use mizan::auth::{Auth, Jwt, Sessions};
/// # struct Db;
/// # impl mizan::auth::Users for Db {
/// #     fn load<'a>(&'a self, _: &'a str) -> mizan::BoxFuture<'a, mizan::Result<Option<mizan::auth::User>>> {
/// #         Box::pin(async { Ok(None) })
/// #     }
/// # }
/// let auth = Auth::new()
///     .sessions(Sessions::memory(), Db)
///     .jwt(Jwt::hs256(b"a secret of at least thirty-two bytes"));
/// ```
pub struct Auth {
    pub(crate) jwt: Option<Jwt>,
    pub(crate) sessions: Option<(Sessions, Arc<dyn Users>)>,
    pub(crate) csrf: Csrf,
    pub(crate) mwt: Option<MwtKeys>,
}

impl Default for Auth {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("jwt", &self.jwt)
            .field(
                "sessions",
                &self.sessions.as_ref().map(|(s, _)| &s.settings),
            )
            .field("csrf", &self.csrf)
            .field("mwt", &self.mwt)
            .finish()
    }
}

impl Auth {
    /// Nothing accepted yet: every request is anonymous, and a bearer header is a 401.
    pub fn new() -> Self {
        Self {
            jwt: None,
            sessions: None,
            csrf: Csrf::default(),
            mwt: None,
        }
    }

    /// Issues a Mizan Web Token (spec/MWT.md) next to the session or JWT: the caller's
    /// cache scope (id, roles, `mizan:staff`, `mizan:superuser`), signed with `keys` — a
    /// secret of its own, never the session's, the JWT's or the cache's — in the `mizan-mwt`
    /// cookie and the `X-Mizan-MWT` header, so an edge cache can key per-user and per-role
    /// entries without asking the origin. Refreshed when the scope changes or half its
    /// lifetime has passed, cleared at sign-out. Never an identity: requests are identified
    /// by the session or the bearer only.
    #[must_use]
    pub fn mwt(mut self, keys: MwtKeys) -> Self {
        self.mwt = Some(keys);
        self
    }

    /// Accepts bearer JWTs verified by `jwt`.
    #[must_use]
    pub fn jwt(mut self, jwt: Jwt) -> Self {
        self.jwt = Some(jwt);
        self
    }

    /// Accepts session cookies: sessions kept in `sessions`' store, users loaded by
    /// `users`. Sign in and out with [`Cx::login`](crate::Cx::login) and
    /// [`Cx::logout`](crate::Cx::logout).
    #[must_use]
    pub fn sessions(mut self, sessions: Sessions, users: impl Users) -> Self {
        self.sessions = Some((sessions, Arc::new(users)));
        self
    }

    /// The names clients must know, for the schema document.
    pub(crate) fn describe(&self) -> mizan_protocol::schema::AuthDoc {
        mizan_protocol::schema::AuthDoc {
            session_cookie: self.sessions.as_ref().map(|(s, _)| s.settings.name.clone()),
            bearer: self.jwt.is_some(),
            csrf: mizan_protocol::schema::CsrfDoc {
                cookie: self.csrf.cookie.clone(),
                header: self.csrf.header.as_str().to_owned(),
                form_field: self.csrf.field.clone(),
            },
            identity_header: IDENTITY_CHANGED.as_str().to_owned(),
        }
    }

    /// The CSRF settings (default [`Csrf::new`]).
    #[must_use]
    pub fn csrf(mut self, csrf: Csrf) -> Self {
        self.csrf = csrf;
        self
    }
}

/// Wraps a router in the session layer of one store.
type Layer = Arc<dyn Fn(Router, &CookieSettings) -> Router + Send + Sync>;

/// The session store and the session cookie's settings.
#[derive(Clone)]
pub struct Sessions {
    layer: Layer,
    pub(crate) settings: CookieSettings,
}

/// The session cookie: `HttpOnly` always, `SameSite=Lax` (or `Strict`), `Secure` unless
/// turned off for local HTTP.
#[derive(Clone, Debug)]
pub struct CookieSettings {
    pub(crate) name: String,
    pub(crate) secure: bool,
    pub(crate) strict: bool,
    pub(crate) inactivity: Duration,
}

impl Sessions {
    /// Sessions in this process's memory: lost on restart, not shared between processes.
    /// For one process and development; use a shared store (Redis) behind a load balancer.
    pub fn memory() -> Self {
        Self::store(MemoryStore::default())
    }

    /// Sessions in `store` (any `tower-sessions` store).
    pub fn store<S: SessionStore + Clone>(store: S) -> Self {
        Self {
            layer: Arc::new(move |router: Router, s: &CookieSettings| {
                let same_site = if s.strict {
                    SameSite::Strict
                } else {
                    SameSite::Lax
                };
                let inactivity = tower_sessions::cookie::time::Duration::try_from(s.inactivity)
                    .unwrap_or(tower_sessions::cookie::time::Duration::weeks(2));
                router.layer(
                    SessionManagerLayer::new(store.clone())
                        .with_name(s.name.clone())
                        .with_http_only(true)
                        .with_secure(s.secure)
                        .with_same_site(same_site)
                        .with_path("/")
                        .with_expiry(Expiry::OnInactivity(inactivity)),
                )
            }),
            settings: CookieSettings {
                name: "mizan-session".into(),
                secure: true,
                strict: false,
                inactivity: Duration::from_secs(14 * 24 * 3600),
            },
        }
    }

    /// The cookie's name (default `mizan-session`).
    #[must_use]
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.settings.name = name.into();
        self
    }

    /// Whether the cookies are `Secure` (default `true`); `false` only for local HTTP.
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.settings.secure = secure;
        self
    }

    /// `SameSite=Strict` instead of `Lax`.
    #[must_use]
    pub fn same_site_strict(mut self) -> Self {
        self.settings.strict = true;
        self
    }

    /// How long an unused session lives (default two weeks).
    #[must_use]
    pub fn inactivity(mut self, after: Duration) -> Self {
        self.settings.inactivity = after;
        self
    }

    pub(crate) fn apply(&self, router: Router) -> Router {
        (self.layer)(router, &self.settings)
    }
}

/// The settings the request path needs, in the state map (for `Cx::csrf_field`) and in
/// the router's shared data (for the checks).
#[derive(Clone, Debug)]
pub(crate) struct AuthSettings {
    pub(crate) csrf: Csrf,
    pub(crate) secure: bool,
}

/// The [`IdentityResolver`] built from an [`Auth`].
pub(crate) struct AutoResolver {
    pub(crate) jwt: Option<Jwt>,
    pub(crate) users: Option<Arc<dyn Users>>,
    pub(crate) settings: AuthSettings,
    pub(crate) mwt: Option<MwtKeys>,
}

impl AutoResolver {
    pub(crate) fn new(auth: &Auth) -> Self {
        Self {
            jwt: auth.jwt.clone(),
            users: auth.sessions.as_ref().map(|(_, u)| Arc::clone(u)),
            settings: AuthSettings {
                csrf: auth.csrf.clone(),
                secure: auth
                    .sessions
                    .as_ref()
                    .is_none_or(|(s, _)| s.settings.secure),
            },
            mwt: auth.mwt.clone(),
        }
    }

    /// The MWT on a response (spec/MWT.md §6.3): issued when the caller's scope differs
    /// from what the request presented or is half expired, cleared when an anonymous
    /// request (or a sign-out) presents one. A response that issues or clears it is never
    /// `public`.
    fn refresh_mwt(
        &self,
        keys: &MwtKeys,
        request: Option<&Parts>,
        identity: Option<&Identity>,
        response: &mut http::response::Parts,
    ) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // After a sign-in or sign-out, the scope is the new identity's.
        let identity = match response.extensions.get::<AuthEvent>() {
            Some(AuthEvent::Login(who, _)) => Some(&**who),
            Some(AuthEvent::Logout) => None,
            None => identity,
        };
        let values = |name: &HeaderName| -> Vec<&str> {
            request
                .map(|r| {
                    r.headers
                        .get_all(name)
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .collect()
                })
                .unwrap_or_default()
        };
        let (header_values, cookie_values) = (values(&MWT_HEADER), values(&COOKIE));
        let presented = mwt::presented(&header_values, &cookie_values);
        let wanted = identity.and_then(|who| {
            let mut roles = who.roles.clone();
            if who.staff {
                roles.push(mwt::ROLE_STAFF.into());
            }
            if who.superuser {
                roles.push(mwt::ROLE_SUPERUSER.into());
            }
            keys.claims_for(who.id.clone(), roles, now)
                .inspect_err(|e| tracing::warn!(error = %e, "no MWT for this identity"))
                .ok()
        });
        let secure = self.settings.secure;
        let (cookie, header) = match mwt::refresh(presented, wanted.as_ref(), keys, now) {
            MwtRefresh::Keep => return,
            MwtRefresh::Clear => (mwt::clear_cookie(secure), None),
            MwtRefresh::Issue(claims) => match mwt::issue(&claims, keys) {
                Ok(token) => (
                    mwt::set_cookie(&token, claims.exp().saturating_sub(now), secure),
                    Some(token),
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "no MWT for this identity");
                    return;
                }
            },
        };
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers.append(SET_COOKIE, value);
        }
        if let Some(value) = header.and_then(|t| HeaderValue::from_str(&t).ok()) {
            response.headers.insert(MWT_HEADER, value);
        }
        let public = response
            .headers
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("public"));
        if public {
            response
                .headers
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }

    pub(crate) fn users_handle(&self) -> Option<UsersHandle> {
        self.users.as_ref().map(|u| UsersHandle(Arc::clone(u)))
    }

    /// A `Set-Cookie` for the CSRF cookie: readable by scripts (not `HttpOnly`), so they
    /// can copy it into the header.
    fn csrf_cookie(&self, value: Option<&str>) -> Option<HeaderValue> {
        let name = &self.settings.csrf.cookie;
        let secure = if self.settings.secure { "; Secure" } else { "" };
        let text = match value {
            Some(v) => format!("{name}={v}; Path=/; SameSite=Lax{secure}"),
            None => format!("{name}=; Path=/; Max-Age=0; SameSite=Lax{secure}"),
        };
        HeaderValue::from_str(&text).ok()
    }
}

/// The token of an `Authorization: Bearer` header; any other scheme is a 401.
fn bearer(value: &HeaderValue) -> Result<&str> {
    let text = value
        .to_str()
        .map_err(|_| Error::unauthorized("invalid Authorization header"))?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(Error::unauthorized(
            "invalid Authorization header: only `Bearer <token>` is accepted",
        )),
    }
}

/// The value of cookie `name` in the request, if any.
fn request_cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl IdentityResolver for AutoResolver {
    fn resolve<'a>(&'a self, parts: &'a Parts) -> BoxFuture<'a, Result<Option<Identity>>> {
        Box::pin(async move {
            if let Some(value) = parts.headers.get(AUTHORIZATION) {
                let token = bearer(value)?;
                let jwt = self
                    .jwt
                    .as_ref()
                    .ok_or_else(|| Error::unauthorized("bearer tokens are not accepted"))?;
                return jwt.verify(token).map(Some);
            }
            let (Some(users), Some(session)) = (&self.users, parts.extensions.get::<Session>())
            else {
                return Ok(None);
            };
            session::resolve(session, users.as_ref()).await
        })
    }

    fn vary(&self) -> Vec<HeaderName> {
        vec![AUTHORIZATION, COOKIE]
    }

    fn on_response<'a>(
        &'a self,
        request: Option<&'a Parts>,
        identity: Option<&'a Identity>,
        response: &'a mut http::response::Parts,
    ) -> BoxFuture<'a, ()> {
        if let Some(keys) = &self.mwt {
            self.refresh_mwt(keys, request, identity, response);
        }
        let cookie = match response.extensions.get::<AuthEvent>() {
            Some(AuthEvent::Login(_, secret)) => {
                response
                    .headers
                    .insert(IDENTITY_CHANGED, HeaderValue::from_static("changed"));
                Some(self.csrf_cookie(Some(&csrf::mask(secret))))
            }
            Some(AuthEvent::Logout) => {
                response
                    .headers
                    .insert(IDENTITY_CHANGED, HeaderValue::from_static("changed"));
                Some(self.csrf_cookie(None))
            }
            // Sent again when the browser lacks the session's current one.
            None => identity
                .and_then(|i| i.extensions.get::<SessionAuth>())
                .filter(|a| {
                    let held = request
                        .and_then(|r| request_cookie(r, &self.settings.csrf.cookie))
                        .and_then(csrf::unmask);
                    held != Some(a.secret)
                })
                .map(|a| self.csrf_cookie(Some(&csrf::mask(&a.secret)))),
        };
        if let Some(Some(cookie)) = cookie {
            response.headers.append(SET_COOKIE, cookie);
        }
        Box::pin(std::future::ready(()))
    }
}
