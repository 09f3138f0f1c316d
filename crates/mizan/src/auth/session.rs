//! Session identities on `tower-sessions`: the user table behind them ([`Users`]), sign-in
//! and sign-out ([`Cx::login`], [`Cx::logout`]), and revocation.
//!
//! A session stores the user's id, the user's *session key* and the CSRF secret. Every
//! request loads the user again through [`Users::load`]; when the user is gone or its
//! session key changed (a password change, "sign out everywhere"), every session of that
//! user is anonymous from its next request on and is deleted, as Django does with its
//! session auth hash.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use super::Identity;
use super::csrf::{self, SECRET};
use crate::cx::Cx;
use crate::error::{Error, Result};

/// Where a session's data lives in it.
const KEY: &str = "mizan.auth";

/// Your user table, as Mizan sees it: how a user id stored in a session becomes an
/// identity.
///
/// ```
/// use mizan::auth::{User, Users};
/// use mizan::{BoxFuture, Identity, Result};
///
/// struct Db; // your pool
///
/// impl Users for Db {
///     fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<User>>> {
///         Box::pin(async move {
///             // SELECT staff, password_hash FROM users WHERE id = ?
///             Ok(Some(User::new(Identity::user(id), "the password hash, or a counter")))
///         })
///     }
/// }
/// ```
pub trait Users: Send + Sync + 'static {
    /// The user `id` (as given to [`Cx::login`]), or `None` when there is no such user any
    /// more (deleted, deactivated): its sessions then become anonymous.
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<User>>>;
}

/// A user loaded by [`Users::load`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct User {
    /// Who the user is (id, staff, roles, extensions).
    pub identity: Identity,
    /// A value that changes when every session of the user must end: derive it from the
    /// password hash (a password change signs out everywhere) and a counter you bump for
    /// "sign out everywhere". Compared in constant time; never sent to clients.
    pub session_key: String,
}

impl User {
    /// A user with its identity and session key.
    pub fn new(identity: Identity, session_key: impl Into<String>) -> Self {
        Self {
            identity,
            session_key: session_key.into(),
        }
    }
}

/// What a signed-in session holds.
#[derive(Serialize, Deserialize)]
struct Stored {
    user: String,
    key: String,
    /// The CSRF secret, base64url.
    csrf: String,
}

/// The users table, kept in the state map by `Builder::auth` so `Cx::login` finds it.
#[derive(Clone)]
pub(crate) struct UsersHandle(pub(crate) Arc<dyn Users>);

/// In a session identity's extensions: the request is authenticated by the session
/// cookie, so unsafe requests need the CSRF token tied to `secret`.
#[derive(Clone)]
pub(crate) struct SessionAuth {
    pub(crate) secret: [u8; SECRET],
}

/// A sign-in or sign-out during a request, for the response (new CSRF cookie, the
/// identity-changed signal to clients).
#[derive(Clone)]
pub(crate) enum AuthEvent {
    /// Signed in as this identity, with the new CSRF secret.
    Login(Box<Identity>, [u8; SECRET]),
    /// Signed out.
    Logout,
}

/// The identity of a request's session, if it is signed in and still valid.
pub(crate) async fn resolve(session: &Session, users: &dyn Users) -> Result<Option<Identity>> {
    let stored = match session.get::<Stored>(KEY).await {
        Ok(stored) => stored,
        // Data that does not decode (an older format, tampering in the store): anonymous.
        Err(tower_sessions::session::Error::SerdeJson(_)) => {
            forget(session).await?;
            None
        }
        Err(e) => return Err(store_error(&e)),
    };
    let Some(stored) = stored else {
        return Ok(None);
    };
    let user = users.load(&stored.user).await?;
    let Some(user) =
        user.filter(|u| bool::from(u.session_key.as_bytes().ct_eq(stored.key.as_bytes())))
    else {
        // Deleted, or its session key changed: this session ends.
        forget(session).await?;
        return Ok(None);
    };
    let Some(secret) = decode_secret(&stored.csrf) else {
        forget(session).await?;
        return Ok(None);
    };
    let mut identity = user.identity;
    identity.extensions.insert(SessionAuth { secret });
    Ok(Some(identity))
}

async fn forget(session: &Session) -> Result<()> {
    session.flush().await.map_err(|e| store_error(&e))
}

fn decode_secret(text: &str) -> Option<[u8; SECRET]> {
    URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()
}

fn store_error(e: &tower_sessions::session::Error) -> Error {
    tracing::error!(error = %e, "the session store failed");
    Error::new(
        http::StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the session store is unavailable",
    )
}

fn no_sessions() -> Error {
    Error::internal(
        "sessions are not configured: give Mizan::builder().auth(Auth::new().sessions(…)) \
         a session store and a Users table",
    )
}

impl Cx {
    /// Signs the caller in as user `id` (after you checked their password): the session
    /// gets a new id (no session fixation), the user's session key and a new CSRF secret;
    /// the response carries the new CSRF cookie and tells clients the identity changed
    /// (`X-Mizan-Identity: changed`), so they drop what they cached for the previous one.
    ///
    /// Returns the identity, as [`Users::load`] gives it. Fails with 401 when the user does
    /// not exist, and with 500 when sessions are not configured.
    pub async fn login(&self, id: &str) -> Result<Identity> {
        let session = self.session().ok_or_else(no_sessions)?;
        let users = self
            .state::<UsersHandle>()
            .map_err(|_| no_sessions())?
            .clone();
        let user = users
            .0
            .load(id)
            .await?
            .ok_or_else(|| Error::unauthorized("no such user"))?;
        session.cycle_id().await.map_err(|e| store_error(&e))?;
        let secret = csrf::new_secret();
        let stored = Stored {
            user: id.to_owned(),
            key: user.session_key.clone(),
            csrf: URL_SAFE_NO_PAD.encode(secret),
        };
        session
            .insert(KEY, stored)
            .await
            .map_err(|e| store_error(&e))?;
        self.set_auth_event(AuthEvent::Login(Box::new(user.identity.clone()), secret));
        Ok(user.identity)
    }

    /// Signs the caller out: the session is deleted, its cookie cleared, and clients are
    /// told the identity changed. Signing out an anonymous caller does nothing harmful.
    pub async fn logout(&self) -> Result<()> {
        let session = self.session().ok_or_else(no_sessions)?;
        forget(&session).await?;
        self.set_auth_event(AuthEvent::Logout);
        Ok(())
    }

    /// The masked CSRF token for the caller's session, to put in an HTML form's
    /// `csrf_token` field (see [`csrf_field`](Self::csrf_field)); `None` when no session
    /// authenticates the request (no token is needed then). A new mask every call.
    pub fn csrf_token(&self) -> Option<String> {
        // Per session and masked anew every call: a response carrying it is no one else's
        // and is never cached.
        self.mark_request_read();
        let secret = match self.auth_event() {
            Some(AuthEvent::Login(_, secret)) => secret,
            Some(AuthEvent::Logout) => return None,
            None => self.caller()?.extensions.get::<SessionAuth>()?.secret,
        };
        Some(csrf::mask(&secret))
    }

    /// `<input type="hidden" name="csrf_token" value="…">` for a server-rendered form, or
    /// an empty string when no token is needed.
    pub fn csrf_field(&self) -> String {
        let name = self
            .state::<super::auto::AuthSettings>()
            .map_or("csrf_token", |s| s.csrf.field.as_str())
            .to_owned();
        self.csrf_token().map_or_else(String::new, |token| {
            format!(r#"<input type="hidden" name="{name}" value="{token}">"#)
        })
    }

    fn session(&self) -> Option<Session> {
        self.head_extensions().get::<Session>().cloned()
    }
}
