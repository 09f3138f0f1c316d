//! The claims an MWT carries and their one canonical payload.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::MwtIssueError;
use crate::{canonical_json, utf16_cmp};

/// The largest `exp`: 2^53 − 1, the largest integer every JSON reader (JavaScript's
/// included) holds exactly.
pub const MAX_EXP: u64 = (1 << 53) - 1;

/// What an MWT says about its holder (`spec/MWT.md` §3): the subject, the role set and the
/// expiry. This is a *cache scope*, not a credential: the origin never authenticates anyone
/// with it.
///
/// Built only through [`MwtClaims::new`] (or [`verify`](super::verify)), so every value is
/// valid: a non-empty subject, roles sorted in UTF-16 code-unit order without duplicates or
/// empty strings, `exp` at most [`MAX_EXP`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MwtClaims {
    sub: String,
    roles: Vec<String>,
    exp: u64,
}

impl MwtClaims {
    /// Claims for subject `sub` holding `roles` (in any order, duplicates allowed: they are
    /// sorted and deduplicated), valid until `exp` (seconds since the Unix epoch).
    ///
    /// # Errors
    /// [`MwtIssueError::InvalidClaims`] for an empty `sub`, an empty role or an `exp` beyond
    /// [`MAX_EXP`].
    pub fn new<I, R>(sub: impl Into<String>, roles: I, exp: u64) -> Result<Self, MwtIssueError>
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        let sub = sub.into();
        if sub.is_empty() {
            return Err(MwtIssueError::InvalidClaims("`sub` is empty"));
        }
        let mut roles: Vec<String> = roles.into_iter().map(Into::into).collect();
        if roles.iter().any(String::is_empty) {
            return Err(MwtIssueError::InvalidClaims("a role is empty"));
        }
        if exp > MAX_EXP {
            return Err(MwtIssueError::InvalidClaims("`exp` is beyond 2^53 - 1"));
        }
        roles.sort_by(|a, b| utf16_cmp(a, b));
        roles.dedup();
        Ok(Self { sub, roles, exp })
    }

    /// The subject: the identity's stable id (an opaque key, never an email address).
    #[must_use]
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// The role set, sorted in UTF-16 code-unit order, without duplicates.
    #[must_use]
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// The expiry, in seconds since the Unix epoch.
    #[must_use]
    pub fn exp(&self) -> u64 {
        self.exp
    }

    /// Whether `other` names the same cache scope: the same subject and the same role set
    /// (the expiries may differ).
    #[must_use]
    pub fn same_scope(&self, other: &Self) -> bool {
        self.sub == other.sub && self.roles == other.roles
    }

    /// The payload: the canonical JSON (`spec/PROTOCOL.md` §3) of
    /// `{"exp", "roles", "sub"}`.
    pub(super) fn payload(&self) -> String {
        let mut map = Map::new();
        map.insert("exp".into(), self.exp.into());
        map.insert("roles".into(), self.roles.clone().into());
        map.insert("sub".into(), self.sub.clone().into());
        canonical_json(&Value::Object(map))
    }

    /// Claims from the decoded payload bytes, or `None` unless they are exactly the
    /// canonical JSON of a valid claims object (`spec/MWT.md` §5, step 8).
    pub(super) fn from_payload(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let value: Value = serde_json::from_str(text).ok()?;
        let object = value.as_object()?;
        if object.len() != 3 {
            return None;
        }
        let exp = object.get("exp")?.as_u64().filter(|&e| e <= MAX_EXP)?;
        let sub = object.get("sub")?.as_str().filter(|s| !s.is_empty())?;
        let roles = object
            .get("roles")?
            .as_array()?
            .iter()
            .map(|r| r.as_str().filter(|r| !r.is_empty()).map(str::to_owned))
            .collect::<Option<Vec<String>>>()?;
        let increasing = roles
            .windows(2)
            .all(|w| utf16_cmp(&w[0], &w[1]) == Ordering::Less);
        if !increasing || canonical_json(&value) != text {
            return None;
        }
        Some(Self {
            sub: sub.to_owned(),
            roles,
            exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_sorted_by_utf16_and_deduplicated() {
        let claims = MwtClaims::new("7", ["ｚ", "😀", "b", "a", "b"], 10).expect("valid");
        assert_eq!(claims.roles(), ["a", "b", "😀", "ｚ"]);
        assert_eq!(
            claims.payload(),
            r#"{"exp":10,"roles":["a","b","😀","ｚ"],"sub":"7"}"#
        );
    }

    #[test]
    fn invalid_claims_are_refused() {
        let none: [&str; 0] = [];
        assert!(MwtClaims::new("", none, 1).is_err());
        assert!(MwtClaims::new("u", [""], 1).is_err());
        assert!(MwtClaims::new("u", none, MAX_EXP + 1).is_err());
        assert!(MwtClaims::new("u", none, MAX_EXP).is_ok());
    }

    #[test]
    fn the_payload_round_trips_and_nothing_else_parses() {
        let claims = MwtClaims::new("ä\n\"", ["x"], 5).expect("valid");
        let payload = claims.payload();
        assert_eq!(MwtClaims::from_payload(payload.as_bytes()), Some(claims));
        for bad in [
            r#"{"exp":5,"roles":[],"sub":"u","x":1}"#,
            r#"{"roles":[],"sub":"u","exp":5}"#,
            r#"{"exp":5, "roles":[],"sub":"u"}"#,
            r#"{"exp":5.0,"roles":[],"sub":"u"}"#,
            r#"{"exp":-5,"roles":[],"sub":"u"}"#,
            r#"{"exp":9007199254740992,"roles":[],"sub":"u"}"#,
            r#"{"exp":5,"roles":["b","a"],"sub":"u"}"#,
            r#"{"exp":5,"roles":["a","a"],"sub":"u"}"#,
            r#"{"exp":5,"roles":[""],"sub":"u"}"#,
            r#"{"exp":5,"roles":[],"sub":""}"#,
            r#"{"exp":5,"roles":[],"sub":7}"#,
            r#"{"exp":5,"roles":[],"sub":"\u0041"}"#,
            r#"{"exp":5,"roles":[],"sub":"\ud800"}"#,
            r#"{"exp":5,"exp":5,"roles":[],"sub":"u"}"#,
            r#"[5,[],"u"]"#,
        ] {
            assert_eq!(MwtClaims::from_payload(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(
            MwtClaims::from_payload(b"{\"exp\":5,\"roles\":[],\"sub\":\"\xff\"}"),
            None
        );
    }
}
