//! The key map: key id → secret, the one key id that signs, and the time policy.

use std::collections::BTreeMap;
use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{MwtClaims, MwtIssueError, MwtKeyError};

/// HMAC-SHA256, keyed once per key id and cloned per token.
pub(super) type HmacSha256 = Hmac<Sha256>;

/// The shortest secret accepted, in bytes: 256 bits, the output size of SHA-256.
pub const MIN_SECRET_LEN: usize = 32;

/// The longest key id, in characters.
pub const MAX_KID_LEN: usize = 32;

/// How long after `exp` a token still verifies, by default: clocks of the origin and the
/// edge may disagree by this much (`spec/MWT.md` §5).
pub const DEFAULT_LEEWAY_SECS: u64 = 60;

/// How long an issued token lives, by default: also how long a revoked role or a deleted
/// user may still read entries cached for that scope at the edge (`spec/MWT.md` §7).
pub const DEFAULT_LIFETIME_SECS: u64 = 300;

/// The MWT keys of a deployment (`spec/MWT.md` §4): every key id that verifies, with its
/// secret, and the one that signs new tokens; plus the leeway and the lifetime of issued
/// tokens.
///
/// Rotation: add the new key with [`with_key`](Self::with_key) everywhere first, then make
/// it the signing key, then drop the old key once every token it signed has expired
/// (lifetime plus leeway).
///
/// The secrets are keyed into HMAC state at construction and never printed: `Debug` shows
/// the key ids only.
///
/// ```
/// use mizan_protocol::mwt::{self, MwtClaims, MwtKeys};
///
/// let keys = MwtKeys::new("2025-02", [7u8; 32])?.with_key("2025-01", [9u8; 32])?;
/// let claims = MwtClaims::new("42", ["editor"], 1_700_000_300)?;
/// let token = mwt::issue(&claims, &keys)?;
/// assert!(token.starts_with("mwt1.2025-02."));
/// assert_eq!(mwt::verify(&token, &keys, 1_700_000_000), Ok(claims));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MwtKeys {
    keys: BTreeMap<String, HmacSha256>,
    signing: String,
    signing_mac: HmacSha256,
    leeway: u64,
    lifetime: u64,
}

impl MwtKeys {
    /// A key map holding one key, `signing_kid`, which signs every token [`issue`](super::issue)
    /// makes. Leeway and lifetime are [`DEFAULT_LEEWAY_SECS`] and [`DEFAULT_LIFETIME_SECS`].
    ///
    /// `secret` is random bytes (at least [`MIN_SECRET_LEN`]) of MWT's own: never the session,
    /// JWT or cache secret.
    ///
    /// # Errors
    /// [`MwtKeyError::InvalidKid`] unless the key id is `[A-Za-z0-9_-]{1,32}`;
    /// [`MwtKeyError::ShortSecret`] for a secret under 32 bytes.
    pub fn new(
        signing_kid: impl Into<String>,
        secret: impl AsRef<[u8]>,
    ) -> Result<Self, MwtKeyError> {
        let signing = signing_kid.into();
        let mac = keyed(&signing, secret.as_ref())?;
        Ok(Self {
            keys: BTreeMap::from([(signing.clone(), mac.clone())]),
            signing,
            signing_mac: mac,
            leeway: DEFAULT_LEEWAY_SECS,
            lifetime: DEFAULT_LIFETIME_SECS,
        })
    }

    /// Adds a key that verifies but does not sign: the previous key during a rotation, or
    /// the next one before it starts signing.
    ///
    /// # Errors
    /// As [`new`](Self::new), and [`MwtKeyError::DuplicateKid`] for a key id already in the map.
    pub fn with_key(
        mut self,
        kid: impl Into<String>,
        secret: impl AsRef<[u8]>,
    ) -> Result<Self, MwtKeyError> {
        let kid = kid.into();
        let mac = keyed(&kid, secret.as_ref())?;
        if self.keys.contains_key(&kid) {
            return Err(MwtKeyError::DuplicateKid(kid));
        }
        self.keys.insert(kid, mac);
        Ok(self)
    }

    /// Sets the leeway, in seconds: a token verifies while `now < exp + leeway`.
    #[must_use]
    pub fn with_leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Sets the lifetime of the tokens [`claims_for`](Self::claims_for) describes, in seconds.
    #[must_use]
    pub fn with_lifetime(mut self, seconds: u64) -> Self {
        self.lifetime = seconds;
        self
    }

    /// The key id that signs.
    #[must_use]
    pub fn signing_kid(&self) -> &str {
        &self.signing
    }

    /// Every key id that verifies, sorted.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// The leeway in seconds.
    #[must_use]
    pub fn leeway(&self) -> u64 {
        self.leeway
    }

    /// The lifetime of issued tokens in seconds.
    #[must_use]
    pub fn lifetime(&self) -> u64 {
        self.lifetime
    }

    /// Claims for subject `sub` with `roles`, expiring [`lifetime`](Self::lifetime) seconds
    /// after `now` (seconds since the Unix epoch): what the origin issues for an identity.
    ///
    /// # Errors
    /// As [`MwtClaims::new`].
    pub fn claims_for<I, R>(
        &self,
        sub: impl Into<String>,
        roles: I,
        now: u64,
    ) -> Result<MwtClaims, MwtIssueError>
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        MwtClaims::new(sub, roles, now.saturating_add(self.lifetime))
    }

    /// The signing key id and its keyed HMAC state.
    pub(super) fn signer(&self) -> (&str, &HmacSha256) {
        (&self.signing, &self.signing_mac)
    }

    /// The keyed HMAC state of a key id, if the map has it.
    pub(super) fn mac(&self, kid: &str) -> Option<&HmacSha256> {
        self.keys.get(kid)
    }
}

impl fmt::Debug for MwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MwtKeys")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("signing", &self.signing)
            .field("leeway", &self.leeway)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// Whether `kid` is a key id: `[A-Za-z0-9_-]{1,32}`.
pub(super) fn is_kid(kid: &str) -> bool {
    (1..=MAX_KID_LEN).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn keyed(kid: &str, secret: &[u8]) -> Result<HmacSha256, MwtKeyError> {
    if !is_kid(kid) {
        return Err(MwtKeyError::InvalidKid(kid.to_owned()));
    }
    if secret.len() < MIN_SECRET_LEN {
        return Err(MwtKeyError::ShortSecret(kid.to_owned()));
    }
    // HMAC takes a key of any length; the length was checked above.
    HmacSha256::new_from_slice(secret).map_err(|_| MwtKeyError::ShortSecret(kid.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_and_secrets_are_checked() {
        let secret = [1u8; 32];
        assert!(MwtKeys::new("k1", secret).is_ok());
        assert!(MwtKeys::new("A-z_09", secret).is_ok());
        assert!(MwtKeys::new("k".repeat(32), secret).is_ok());
        for kid in ["", "k.1", "k 1", "é", "k+1", "k/1", &"k".repeat(33)] {
            assert_eq!(
                MwtKeys::new(kid, secret).map(|_| ()),
                Err(MwtKeyError::InvalidKid(kid.to_owned())),
                "{kid:?}"
            );
        }
        assert_eq!(
            MwtKeys::new("k1", [1u8; 31]).map(|_| ()),
            Err(MwtKeyError::ShortSecret("k1".into()))
        );
        let keys = MwtKeys::new("k1", secret).expect("valid");
        assert_eq!(
            keys.clone().with_key("k1", [2u8; 32]).map(|_| ()),
            Err(MwtKeyError::DuplicateKid("k1".into()))
        );
        let keys = keys.with_key("k0", [2u8; 32]).expect("valid");
        assert_eq!(keys.kids().collect::<Vec<_>>(), ["k0", "k1"]);
        assert_eq!(keys.signing_kid(), "k1");
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let keys = MwtKeys::new("k1", [0xabu8; 32]).expect("valid");
        let text = format!("{keys:?}");
        assert!(text.contains("k1"), "{text}");
        assert!(!text.contains("171") && !text.contains("ab"), "{text}");
    }

    #[test]
    fn claims_for_uses_the_lifetime() {
        let keys = MwtKeys::new("k1", [1u8; 32])
            .expect("valid")
            .with_lifetime(90);
        let claims = keys.claims_for("u", ["r"], 1_000).expect("valid");
        assert_eq!(claims.exp(), 1_090);
        assert_eq!(keys.leeway(), DEFAULT_LEEWAY_SECS);
    }
}
