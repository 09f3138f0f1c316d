//! The three error types of MWT: verifying a token, issuing one, configuring keys.

/// Why a token did not verify (`spec/MWT.md` §5). The kinds are the protocol's, pinned by
/// `spec/vectors/mwt.json`; none carries detail, so logging one never leaks a secret or the
/// token. An edge treats every kind the same way: the request has no scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum MwtError {
    /// Not a token: too long, not `mwt1.<kid>.<payload>.<mac>` over the base64url alphabet,
    /// or (after the MAC verified) a payload that is not the canonical claims object.
    #[error("malformed MWT")]
    Malformed,
    /// Well formed, but its key id is not in the key map; no secret was used.
    #[error("MWT signed with an unknown key id")]
    UnknownKey,
    /// The MAC does not match the token under its key id's secret.
    #[error("MWT signature does not verify")]
    BadSignature,
    /// Authentic, but `now` is at or past `exp` plus the leeway.
    #[error("MWT has expired")]
    Expired,
}

impl MwtError {
    /// The kind as the vectors and the TypeScript implementation spell it: `malformed`,
    /// `unknown_key`, `bad_signature` or `expired`.
    #[must_use]
    pub fn kind(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
        }
    }
}

/// Why claims could not become a token (`spec/MWT.md` §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum MwtIssueError {
    /// A claim outside its range: an empty `sub`, an empty role, `exp` beyond 2^53 − 1.
    #[error("invalid MWT claims: {0}")]
    InvalidClaims(&'static str),
    /// The token would be longer than [`MAX_TOKEN_LEN`](super::MAX_TOKEN_LEN) bytes (too
    /// many or too long roles): it would not fit in a cookie.
    #[error("the MWT would exceed {} bytes", super::MAX_TOKEN_LEN)]
    TooLarge,
}

impl MwtIssueError {
    /// The kind as the vectors spell it: `invalid_claims` or `too_large`.
    #[must_use]
    pub fn kind(self) -> &'static str {
        match self {
            Self::InvalidClaims(_) => "invalid_claims",
            Self::TooLarge => "too_large",
        }
    }
}

/// A key map that may not be built (`spec/MWT.md` §4). Raised at start-up, never per request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum MwtKeyError {
    /// A key id outside `[A-Za-z0-9_-]{1,32}`.
    #[error("MWT key id `{0}` is not 1 to 32 characters of A-Z a-z 0-9 _ -")]
    InvalidKid(String),
    /// A secret shorter than [`MIN_SECRET_LEN`](super::MIN_SECRET_LEN) bytes.
    #[error("the MWT secret of key id `{0}` is shorter than {min} bytes", min = super::MIN_SECRET_LEN)]
    ShortSecret(String),
    /// The same key id given twice.
    #[error("MWT key id `{0}` is given twice")]
    DuplicateKid(String),
}
