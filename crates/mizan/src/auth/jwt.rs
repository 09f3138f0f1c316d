//! `Authorization: Bearer <JWT>`: verification with pinned algorithms and keys, and the
//! claims mapped to an [`Identity`].
//!
//! Every key is pinned to one algorithm, so a token cannot choose how it is checked: `none`
//! is not an algorithm here, an HMAC token is never checked against an RSA or EC public key
//! (the key-confusion attack), and a header's `kid` is only looked up in the configured key
//! map. `exp` is required and, like `nbf`, checked with a leeway ([`Jwt::leeway`], 30 s by
//! default); `iss` and `aud` are checked when configured.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::Identity;
use crate::error::{Error, Result};

/// The longest `kid` looked up; a longer one is refused without a lookup.
const MAX_KID: usize = 128;
/// The longest token verified (bytes); a longer one is refused before it is decoded.
const MAX_TOKEN: usize = 8 * 1024;

/// How bearer JWTs are verified. Build one with [`Jwt::hs256`] or [`Jwt::new`] and the
/// key methods, and pass it to [`Auth::jwt`](super::Auth::jwt).
///
/// ```
/// use mizan::auth::{Algorithm, DecodingKey, Jwt};
///
/// let jwt = Jwt::new()
///     .key("2026-11", DecodingKey::from_secret(b"a secret of at least 32 bytes.....").expect("a key"), Algorithm::HS256)
///     .key("2026-12", DecodingKey::from_secret(b"the next secret, also 32 bytes....").expect("a key"), Algorithm::HS256)
///     .issuer("https://id.example.com")
///     .audience("todos");
/// ```
#[derive(Clone)]
pub struct Jwt {
    keys: Arc<HashMap<String, Key>>,
    default: Option<Key>,
    leeway: u64,
    issuer: Vec<String>,
    audience: Vec<String>,
}

#[derive(Clone)]
struct Key {
    key: DecodingKey,
    algorithm: Algorithm,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys.
        f.debug_struct("Jwt")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("default_key", &self.default.as_ref().map(|k| k.algorithm))
            .field("leeway", &self.leeway)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Default for Jwt {
    fn default() -> Self {
        Self::new()
    }
}

impl Jwt {
    /// No keys yet: every token fails until one is added.
    pub fn new() -> Self {
        Self {
            keys: Arc::default(),
            default: None,
            leeway: 30,
            issuer: Vec::new(),
            audience: Vec::new(),
        }
    }

    /// One HS256 secret for tokens without a `kid`.
    ///
    /// # Panics
    ///
    /// When the secret is shorter than 32 bytes (RFC 7518 §3.2): a configuration error,
    /// found at start-up.
    pub fn hs256(secret: &[u8]) -> Self {
        assert!(secret.len() >= 32, "an HS256 secret has at least 32 bytes");
        let key = DecodingKey::from_secret(secret).expect("a 32-byte secret is a key");
        Self::new().default_key(key, Algorithm::HS256)
    }

    /// Adds a key for tokens whose header names it as `kid`, pinned to `algorithm`. Several
    /// keys verify at once, so keys rotate with an overlap.
    ///
    /// # Panics
    ///
    /// When `algorithm`'s family does not fit `key` (an HMAC algorithm with a public key,
    /// or the reverse): a configuration error, found at start-up.
    #[must_use]
    pub fn key(mut self, kid: impl Into<String>, key: DecodingKey, algorithm: Algorithm) -> Self {
        check_family(&key, algorithm);
        Arc::make_mut(&mut self.keys).insert(kid.into(), Key { key, algorithm });
        self
    }

    /// The key for tokens without a `kid`, pinned to `algorithm`. Without one, a token
    /// must name a configured `kid`.
    ///
    /// # Panics
    ///
    /// As [`key`](Self::key).
    #[must_use]
    pub fn default_key(mut self, key: DecodingKey, algorithm: Algorithm) -> Self {
        check_family(&key, algorithm);
        self.default = Some(Key { key, algorithm });
        self
    }

    /// The clock skew allowed on `exp` and `nbf`, in seconds (default 30).
    #[must_use]
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Requires `iss` to be this issuer (call again to accept several).
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer.push(issuer.into());
        self
    }

    /// Requires `aud` to name this audience (call again to accept several).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience.push(audience.into());
        self
    }

    /// Verifies a token and maps its claims: `sub` is the identity's id, `staff`,
    /// `superuser` (booleans) and `roles` (strings) its flags and roles, and every claim is
    /// kept as [`JwtClaims`] in its extensions. Any failure is a 401 that says what failed
    /// and nothing about the keys.
    pub fn verify(&self, token: &str) -> Result<Identity> {
        let bad = |why: &str| Error::unauthorized(format!("invalid bearer token: {why}"));
        if token.len() > MAX_TOKEN {
            return Err(bad("too long"));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| bad("malformed"))?;
        let key = match &header.kid {
            Some(kid) if kid.len() > MAX_KID => return Err(bad("unknown key id")),
            Some(kid) => self.keys.get(kid).ok_or_else(|| bad("unknown key id"))?,
            None => self.default.as_ref().ok_or_else(|| bad("no key id"))?,
        };
        if header.alg != key.algorithm {
            return Err(bad("algorithm not accepted"));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.required_spec_claims = ["exp", "sub"].map(String::from).into();
        if !self.issuer.is_empty() {
            validation.set_issuer(&self.issuer);
            validation.required_spec_claims.insert("iss".into());
        }
        if self.audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.audience);
            validation.required_spec_claims.insert("aud".into());
        }
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|e| bad(reason(&e)))?;
        let claims: Standard = serde_json::from_value(Value::Object(data.claims.clone()))
            .map_err(|_| bad("claims of the wrong type"))?;
        let mut identity = Identity::user(claims.sub);
        identity.staff = claims.staff;
        identity.superuser = claims.superuser;
        identity.roles = claims.roles;
        Ok(identity.with_extension(JwtClaims(Arc::new(data.claims))))
    }
}

/// Panics when a key and an algorithm are of different families (see [`Jwt::key`]).
fn check_family(key: &DecodingKey, algorithm: Algorithm) {
    assert!(
        key.family() == algorithm.family(),
        "a {:?} key cannot verify {algorithm:?} tokens",
        key.family()
    );
}

/// What a verification error says to the client: the failed check, never a key.
fn reason(error: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not yet valid",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
        ErrorKind::InvalidAlgorithm => "algorithm not accepted",
        _ => "malformed",
    }
}

/// The claims Mizan maps onto an [`Identity`].
#[derive(Deserialize)]
struct Standard {
    sub: String,
    #[serde(default)]
    staff: bool,
    #[serde(default)]
    superuser: bool,
    #[serde(default)]
    roles: Vec<String>,
}

/// Every claim of a verified JWT, in its identity's extensions: read your own with
/// [`get`](Self::get) or [`parse`](Self::parse).
///
/// ```no_run
/// # async fn f(cx: &mizan::Cx) -> mizan::Result<()> {
/// use mizan::auth::JwtClaims;
/// let tenant: Option<String> = cx.user()?.extension::<JwtClaims>().and_then(|c| c.get("tenant"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct JwtClaims(pub Arc<Map<String, Value>>);

impl JwtClaims {
    /// One claim, decoded as `T` (`None` when absent or of another type).
    pub fn get<T: serde::de::DeserializeOwned>(&self, name: &str) -> Option<T> {
        serde_json::from_value(self.0.get(name)?.clone()).ok()
    }

    /// Every claim as one typed struct of yours.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(Value::Object((*self.0).clone()))
            .map_err(|e| Error::unauthorized(format!("invalid bearer token claims: {e}")))
    }
}
