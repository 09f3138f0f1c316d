//! The Mizan Web Token: a compact signed token carrying the caller's cache scope (subject,
//! roles, expiry, key id), so an edge cache keys per-user or per-role entries without asking
//! the origin. The contract is `spec/MWT.md`, pinned by `spec/vectors/mwt.json`.
//!
//! ```text
//! mwt1.<kid>.<base64url(canonical JSON {"exp","roles","sub"})>.<base64url(HMAC-SHA256)>
//! ```
//!
//! - [`MwtKeys`]: key id → secret, the signing key id, leeway and lifetime;
//! - [`MwtClaims`]: subject, roles, expiry;
//! - [`issue`] and [`verify`], with typed errors ([`MwtIssueError`], [`MwtError`]);
//! - transport: [`COOKIE_NAME`], [`HEADER_NAME`], [`set_cookie`], [`clear_cookie`],
//!   [`presented`], and [`refresh`], which tells the origin when to issue or clear.

mod claims;
mod error;
mod keys;
mod token;
mod transport;

pub use claims::{MAX_EXP, MwtClaims};
pub use error::{MwtError, MwtIssueError, MwtKeyError};
pub use keys::{DEFAULT_LEEWAY_SECS, DEFAULT_LIFETIME_SECS, MAX_KID_LEN, MIN_SECRET_LEN, MwtKeys};
pub use token::{MAX_TOKEN_LEN, VERSION, issue, verify};
pub use transport::{
    COOKIE_NAME, HEADER_NAME, MwtRefresh, ROLE_STAFF, ROLE_SUPERUSER, clear_cookie, presented,
    refresh, set_cookie,
};
