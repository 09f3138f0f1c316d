//! How a token travels (`spec/MWT.md` §6): the cookie, the header, and when the origin
//! issues, keeps or clears it.

use super::{MwtClaims, MwtKeys, verify};

/// The cookie that carries the token for browsers.
pub const COOKIE_NAME: &str = "mizan-mwt";

/// The header that carries the token: on responses that issue one (for clients that keep
/// no cookies), and on requests of such clients. Lowercase, as `http::HeaderName` wants it.
pub const HEADER_NAME: &str = "x-mizan-mwt";

/// The role the origin adds for a staff identity, so that a role-scoped entry never serves a
/// staff-only answer to someone who is not staff. Roles starting with `mizan:` are reserved.
pub const ROLE_STAFF: &str = "mizan:staff";

/// The role the origin adds for a superuser identity (reserved as [`ROLE_STAFF`] is).
pub const ROLE_SUPERUSER: &str = "mizan:superuser";

/// The `Set-Cookie` value that stores `token` for `max_age` seconds: `exp − now`, so the
/// cookie dies with the token. `secure` adds `Secure` (leave it on except on local http).
#[must_use]
pub fn set_cookie(token: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={token}; Path=/; Max-Age={max_age}; HttpOnly{secure}; SameSite=Lax")
}

/// The `Set-Cookie` value that deletes the cookie: at logout, and whenever a request
/// without an identity presents a token.
#[must_use]
pub fn clear_cookie(secure: bool) -> String {
    set_cookie("", 0, secure)
}

/// The token a request presents (`spec/MWT.md` §6.2), from the values of its
/// `X-Mizan-MWT` header fields and of its `Cookie` header fields.
///
/// The header wins: when it is present the cookie is not looked at, even if the header's
/// token is bad. Two header fields, or two `mizan-mwt` cookies (one may have been planted by
/// a sibling subdomain), present no token.
#[must_use]
pub fn presented<'a>(headers: &[&'a str], cookies: &[&'a str]) -> Option<&'a str> {
    match headers {
        [] => {}
        [one] => return Some(one.trim()),
        _ => return None,
    }
    let mut found = None;
    for pair in cookies.iter().flat_map(|c| c.split(';')) {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        if name.trim() == COOKIE_NAME {
            if found.is_some() {
                return None;
            }
            found = Some(value.trim());
        }
    }
    found
}

/// What the origin does with the token on a response (`spec/MWT.md` §6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MwtRefresh {
    /// Nothing: the presented token already names the caller's scope and is fresh enough,
    /// or an anonymous request presents none.
    Keep,
    /// Issue these claims: set the cookie and send the `X-Mizan-MWT` response header.
    Issue(MwtClaims),
    /// An anonymous request presents a token: delete the cookie.
    Clear,
}

/// Decides [`MwtRefresh`] for a request that presents `presented` (see [`presented`]) and
/// whose identity has the scope `wanted` (`None`: anonymous) at `now`.
///
/// A presented token is kept when it verifies, names the same subject and roles as
/// `wanted`, and has at least half of the lifetime left; otherwise `wanted` is issued with a
/// fresh expiry (`now` + lifetime). So a role change or another user's login reaches the
/// edge on the next response, and an active user's token never runs out.
#[must_use]
pub fn refresh(
    presented: Option<&str>,
    wanted: Option<&MwtClaims>,
    keys: &MwtKeys,
    now: u64,
) -> MwtRefresh {
    let Some(wanted) = wanted else {
        return match presented {
            Some(_) => MwtRefresh::Clear,
            None => MwtRefresh::Keep,
        };
    };
    let fresh = presented
        .and_then(|token| verify(token, keys, now).ok())
        .is_some_and(|held| {
            held.same_scope(wanted) && held.exp() >= now.saturating_add(keys.lifetime() / 2)
        });
    if fresh {
        return MwtRefresh::Keep;
    }
    match MwtClaims::new(
        wanted.sub(),
        wanted.roles().iter().cloned(),
        now.saturating_add(keys.lifetime()),
    ) {
        Ok(claims) => MwtRefresh::Issue(claims),
        // `now` + lifetime beyond 2^53 − 1 seconds: keep the caller's own expiry.
        Err(_) => MwtRefresh::Issue(wanted.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mwt::issue;

    #[test]
    fn cookies() {
        assert_eq!(
            set_cookie("mwt1.k.e.m", 300, true),
            "mizan-mwt=mwt1.k.e.m; Path=/; Max-Age=300; HttpOnly; Secure; SameSite=Lax"
        );
        assert_eq!(
            clear_cookie(false),
            "mizan-mwt=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn the_header_wins_and_ambiguity_presents_nothing() {
        assert_eq!(presented(&[], &[]), None);
        assert_eq!(presented(&["h"], &["mizan-mwt=c"]), Some("h"));
        assert_eq!(presented(&["h", "i"], &["mizan-mwt=c"]), None);
        assert_eq!(presented(&[], &["a=1; mizan-mwt=c ;b=2"]), Some("c"));
        assert_eq!(presented(&[], &["a=1", "mizan-mwt=c"]), Some("c"));
        assert_eq!(presented(&[], &["mizan-mwt=c; mizan-mwt=d"]), None);
        assert_eq!(presented(&[], &["mizan-mwt=c", "mizan-mwt=d"]), None);
        assert_eq!(presented(&[], &["x-mizan-mwt=c; mizan-mwtx=d"]), None);
    }

    #[test]
    fn the_origin_keeps_issues_or_clears() {
        let keys = MwtKeys::new("k1", [1u8; 32])
            .expect("valid")
            .with_lifetime(300);
        let now = 10_000;
        let alice = keys.claims_for("alice", ["a"], now).expect("valid");
        let token = issue(&alice, &keys).expect("fits");
        assert_eq!(refresh(None, None, &keys, now), MwtRefresh::Keep);
        assert_eq!(refresh(Some(&token), None, &keys, now), MwtRefresh::Clear);
        assert_eq!(refresh(Some("junk"), None, &keys, now), MwtRefresh::Clear);
        assert_eq!(
            refresh(Some(&token), Some(&alice), &keys, now),
            MwtRefresh::Keep
        );
        assert_eq!(
            refresh(Some(&token), Some(&alice), &keys, now + 150),
            MwtRefresh::Keep
        );
        let later = keys.claims_for("alice", ["a"], now + 151).expect("valid");
        assert_eq!(
            refresh(Some(&token), Some(&alice), &keys, now + 151),
            MwtRefresh::Issue(later)
        );
        let bob = keys.claims_for("bob", ["a"], now).expect("valid");
        assert_eq!(
            refresh(Some(&token), Some(&bob), &keys, now),
            MwtRefresh::Issue(bob.clone())
        );
        assert_eq!(
            refresh(None, Some(&bob), &keys, now),
            MwtRefresh::Issue(bob.clone())
        );
        assert_eq!(
            refresh(Some("junk"), Some(&bob), &keys, now),
            MwtRefresh::Issue(bob)
        );
        let promoted = keys.claims_for("alice", ["a", "b"], now).expect("valid");
        assert_eq!(
            refresh(Some(&token), Some(&promoted), &keys, now),
            MwtRefresh::Issue(promoted)
        );
    }
}
