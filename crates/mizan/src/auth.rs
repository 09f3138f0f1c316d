//! Who is calling: the identity, the pluggable resolver that finds it in a request, and the
//! guards that `auth = …` declares.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::header::AUTHORIZATION;
use http::request::Parts;

use crate::error::{Error, Result};

/// The caller of a request, as a resolver found it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// A stable user id (it keys private caches later on).
    pub id: String,
    /// Passes `auth = "staff"`.
    pub staff: bool,
    /// Passes `auth = "superuser"` and `auth = "staff"`.
    pub superuser: bool,
    /// Free-form roles for predicates.
    pub roles: Vec<String>,
}

impl Identity {
    /// A plain user with this id.
    pub fn user(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
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

/// What `auth = …` requires of the caller.
#[derive(Clone, Copy, Debug)]
pub enum Guard {
    /// No `auth` option: anyone.
    Public,
    /// `auth = true`: any identity.
    Authenticated,
    /// `auth = "staff"`: staff or superuser.
    Staff,
    /// `auth = "superuser"`.
    Superuser,
    /// `auth = path::to::predicate`: an identity the predicate accepts.
    Predicate {
        /// The predicate.
        check: fn(&Identity) -> bool,
        /// Its path as written, for the schema and messages.
        name: &'static str,
    },
}

impl Guard {
    /// Checks an identity: 401 when anonymous and one is needed, 403 when it lacks what the
    /// guard requires.
    pub fn check(&self, identity: Option<&Identity>) -> Result<()> {
        let Some(who) = identity else {
            return match self {
                Guard::Public => Ok(()),
                _ => Err(Error::unauthorized("authentication required")),
            };
        };
        let allowed = match self {
            Guard::Public | Guard::Authenticated => true,
            Guard::Staff => who.staff || who.superuser,
            Guard::Superuser => who.superuser,
            Guard::Predicate { check, .. } => check(who),
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
