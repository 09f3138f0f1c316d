//! Cross-site request forgery: origin checks and a token tied to the session, for every
//! unsafe request a session cookie authenticates (spec/PROTOCOL.md §9.2).
//!
//! - **Origin.** `Sec-Fetch-Site: same-origin` or `none` passes. Otherwise an `Origin`
//!   header must be the site's own origin or a trusted one (`Origin: null` and malformed
//!   origins fail). With neither header, a request over HTTPS needs a `Referer` of the
//!   site's own origin or a trusted one.
//! - **Token.** The session holds a 32-byte secret, created at login. Clients receive it
//!   masked with a fresh random pad (`mask ‖ secret ⊕ mask`, base64url), so the bytes differ
//!   on every response and a compression side channel (BREACH) learns nothing; they send a
//!   masked copy back in the `X-Mizan-CSRF` header, or in the `csrf_token` field of an HTML
//!   form. The server unmasks it and compares it with the session's secret in constant time.
//!
//! A bearer-authenticated request carries no ambient credential and is exempt. A request
//! without a session passes the origin checks in their lenient form: it fails only on an
//! explicit cross-site signal (`Sec-Fetch-Site: cross-site` or `same-site`, or an untrusted
//! `Origin`), so a cross-site page cannot sign a browser in to another account (login
//! CSRF), while non-browser clients, which send none of these headers, are unaffected.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{HOST, ORIGIN, REFERER};
use http::request::Parts;
use http::{HeaderName, Method, StatusCode};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// The secret's length in bytes.
pub(crate) const SECRET: usize = 32;

/// The CSRF settings: names announced in the schema document, trusted origins, and whether
/// the site is served over HTTPS.
#[derive(Clone, Debug)]
pub struct Csrf {
    pub(crate) cookie: String,
    pub(crate) header: HeaderName,
    pub(crate) field: String,
    pub(crate) trusted: Vec<Trusted>,
    pub(crate) https: bool,
}

impl Default for Csrf {
    fn default() -> Self {
        Self {
            cookie: "mizan-csrf".into(),
            header: HeaderName::from_static("x-mizan-csrf"),
            field: "csrf_token".into(),
            trusted: Vec::new(),
            https: true,
        }
    }
}

/// A trusted origin: exact, or a `*.` wildcard over subdomains.
#[derive(Clone, Debug)]
pub(crate) struct Trusted {
    scheme: String,
    /// The host, or the suffix after `*.` (matched with a leading dot).
    host: String,
    wildcard: bool,
    port: Option<u16>,
}

impl Csrf {
    /// The defaults: cookie `mizan-csrf`, header `X-Mizan-CSRF`, form field `csrf_token`,
    /// no other trusted origin, served over HTTPS.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cookie the masked token is sent in (readable by scripts; default `mizan-csrf`).
    #[must_use]
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = name.into();
        self
    }

    /// The header scripts send the token in (default `X-Mizan-CSRF`).
    ///
    /// # Panics
    ///
    /// When `name` is not a valid header name.
    #[must_use]
    pub fn header(mut self, name: &str) -> Self {
        self.header = HeaderName::try_from(name).expect("a valid header name");
        self
    }

    /// The form field HTML forms send the token in (default `csrf_token`).
    #[must_use]
    pub fn form_field(mut self, name: impl Into<String>) -> Self {
        self.field = name.into();
        self
    }

    /// Trusts another origin for unsafe requests: `https://app.example.com`, or
    /// `https://*.example.com` for every subdomain. The scheme is required.
    ///
    /// # Panics
    ///
    /// When `origin` has no scheme or is not an origin: a configuration error, found at
    /// start-up.
    #[must_use]
    pub fn trust(mut self, origin: &str) -> Self {
        let parsed = parse_origin(origin.trim_end_matches('/'))
            .unwrap_or_else(|| panic!("`{origin}` is not an origin like https://app.example.com"));
        let (host, wildcard) = match parsed.host.strip_prefix("*.") {
            Some(rest) => (rest.to_owned(), true),
            None => (parsed.host, false),
        };
        self.trusted.push(Trusted {
            scheme: parsed.scheme,
            host,
            wildcard,
            port: parsed.port,
        });
        self
    }

    /// Whether the site is served over HTTPS (default `true`): its own origin's scheme,
    /// and whether a missing `Origin` must be made up for by a `Referer`. Set `false` for
    /// local development over plain HTTP.
    #[must_use]
    pub fn https(mut self, https: bool) -> Self {
        self.https = https;
        self
    }

    /// The form field name.
    pub fn field_name(&self) -> &str {
        &self.field
    }

    /// Checks an unsafe request. `secret` is the session's CSRF secret when a session
    /// authenticates the request (strict checks and a token), `None` otherwise (lenient
    /// origin checks); bearer requests are not checked at all.
    pub(crate) fn check(&self, parts: &Parts, secret: Option<&[u8; SECRET]>) -> Result<Token> {
        if is_safe(&parts.method) {
            return Ok(Token::Checked);
        }
        let Some(secret) = secret else {
            self.lenient_origin(parts)?;
            return Ok(Token::Checked);
        };
        self.strict_origin(parts)?;
        match parts.headers.get(&self.header) {
            Some(value) => {
                let token = value
                    .to_str()
                    .map_err(|_| failed("the CSRF token is malformed"))?;
                verify(token, secret)?;
                Ok(Token::Checked)
            }
            None if is_form(parts) => Ok(Token::InForm(*secret)),
            None => Err(failed(&format!(
                "the CSRF token is missing: send it in the `{}` header (from the `{}` cookie)",
                self.header, self.cookie
            ))),
        }
    }

    fn lenient_origin(&self, parts: &Parts) -> Result<()> {
        if let Some(site) = parts.headers.get("sec-fetch-site")
            && matches!(site.as_bytes(), b"cross-site" | b"same-site")
            && !self.origin_trusted(parts)
        {
            return Err(failed("a cross-site request"));
        }
        match parts.headers.get(ORIGIN) {
            Some(_) if !self.origin_allowed(parts) => Err(failed("the Origin is not trusted")),
            _ => Ok(()),
        }
    }

    fn strict_origin(&self, parts: &Parts) -> Result<()> {
        if let Some(site) = parts.headers.get("sec-fetch-site") {
            if matches!(site.as_bytes(), b"same-origin" | b"none") {
                return Ok(());
            }
            if self.origin_trusted(parts) {
                return Ok(());
            }
            return Err(failed("a cross-site request"));
        }
        if parts.headers.contains_key(ORIGIN) {
            return if self.origin_allowed(parts) {
                Ok(())
            } else {
                Err(failed("the Origin is not trusted"))
            };
        }
        if !self.https {
            return Ok(());
        }
        let referer = parts
            .headers
            .get(REFERER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| failed("neither Origin nor Referer is present over HTTPS"))?;
        let origin = referer_origin(referer).ok_or_else(|| failed("the Referer is malformed"))?;
        if self.is_own(parts, &origin) || self.is_trusted(&origin) {
            Ok(())
        } else {
            Err(failed("the Referer is not trusted"))
        }
    }

    /// The `Origin` of a WebSocket upgrade (cross-site WebSocket hijacking): a browser always
    /// sends it, and it must be the site's own or a trusted one, whatever the credentials; a
    /// client that sends none is not a browser and carries no ambient credential of a
    /// victim. `rules` is `None` for an API without Mizan's `Auth`: then the site's own
    /// origin is the `Host` in either scheme.
    pub(crate) fn check_websocket_origin(rules: Option<&Self>, parts: &Parts) -> Result<()> {
        if !parts.headers.contains_key(ORIGIN) {
            return Ok(());
        }
        let allowed = match rules {
            Some(rules) => rules.origin_allowed(parts),
            None => request_origin(parts).is_some_and(|origin| {
                let http = Csrf::default().https(false);
                http.is_own(parts, &origin) || Csrf::default().is_own(parts, &origin)
            }),
        };
        if allowed {
            Ok(())
        } else {
            Err(failed("the Origin of the WebSocket upgrade is not trusted"))
        }
    }

    /// `Origin` is the site's own or a trusted one.
    fn origin_allowed(&self, parts: &Parts) -> bool {
        let Some(origin) = request_origin(parts) else {
            return false;
        };
        self.is_own(parts, &origin) || self.is_trusted(&origin)
    }

    /// `Origin` is a configured trusted one (not merely the site's own).
    fn origin_trusted(&self, parts: &Parts) -> bool {
        request_origin(parts).is_some_and(|o| self.is_trusted(&o))
    }

    fn is_own(&self, parts: &Parts, origin: &Origin) -> bool {
        let scheme = if self.https { "https" } else { "http" };
        let Some(host) = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str))
        else {
            return false;
        };
        let Some(own) = parse_origin(&format!("{scheme}://{host}")) else {
            return false;
        };
        own.scheme == origin.scheme
            && own.host.eq_ignore_ascii_case(&origin.host)
            && own.port_or_default() == origin.port_or_default()
    }

    fn is_trusted(&self, origin: &Origin) -> bool {
        self.trusted.iter().any(|t| {
            let host = origin.host.to_ascii_lowercase();
            let host_ok = if t.wildcard {
                host.len() > t.host.len() + 1
                    && host.ends_with(&t.host)
                    && host.as_bytes()[host.len() - t.host.len() - 1] == b'.'
            } else {
                host == t.host
            };
            t.scheme == origin.scheme
                && host_ok
                && default_port(&t.scheme, t.port) == origin.port_or_default()
        })
    }
}

/// What remains to check once the head passed.
pub(crate) enum Token {
    /// Nothing: the request passed (or needs no token).
    Checked,
    /// An HTML form without the header: its `csrf_token` field must unmask to this secret.
    InForm([u8; SECRET]),
}

/// GET, HEAD, OPTIONS and TRACE change nothing and are not checked.
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn is_form(parts: &Parts) -> bool {
    parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|m| m == "application/x-www-form-urlencoded" || m == "multipart/form-data")
}

/// The protocol's CSRF error: 403 `csrf_failed`.
pub(crate) fn failed(why: &str) -> Error {
    Error::new(
        StatusCode::FORBIDDEN,
        "csrf_failed",
        format!("CSRF check failed: {why}"),
    )
}

/// A fresh secret.
pub(crate) fn new_secret() -> [u8; SECRET] {
    let mut secret = [0; SECRET];
    getrandom::fill(&mut secret).expect("the operating system's random source");
    secret
}

/// The secret masked with a fresh random pad: `base64url(mask ‖ secret ⊕ mask)`.
pub(crate) fn mask(secret: &[u8; SECRET]) -> String {
    let pad = new_secret();
    let mut bytes = [0; 2 * SECRET];
    bytes[..SECRET].copy_from_slice(&pad);
    for i in 0..SECRET {
        bytes[SECRET + i] = secret[i] ^ pad[i];
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Unmasks a token; `None` when it is not one.
pub(crate) fn unmask(token: &str) -> Option<[u8; SECRET]> {
    // 64 bytes are 86 base64 characters; anything longer is refused before decoding.
    if token.len() != 86 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let (pad, masked) = bytes.split_at(SECRET);
    let mut secret = [0; SECRET];
    for i in 0..SECRET {
        secret[i] = masked[i] ^ pad[i];
    }
    Some(secret)
}

/// Checks a masked token against the session's secret, in constant time.
pub(crate) fn verify(token: &str, secret: &[u8; SECRET]) -> Result<()> {
    let got = unmask(token.trim()).ok_or_else(|| failed("the CSRF token is malformed"))?;
    if bool::from(got.ct_eq(secret)) {
        Ok(())
    } else {
        Err(failed("the CSRF token does not match this session"))
    }
}

/// A parsed origin.
#[derive(Debug, PartialEq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn port_or_default(&self) -> Option<u16> {
        default_port(&self.scheme, self.port)
    }
}

/// `port`, or the scheme's default when it is absent.
fn default_port(scheme: &str, port: Option<u16>) -> Option<u16> {
    port.or(match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })
}

/// `scheme://host[:port]` and nothing else; `None` for `null` and anything malformed.
fn parse_origin(text: &str) -> Option<Origin> {
    let (scheme, rest) = text.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return None;
    }
    if rest.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
            (h, Some(p.parse::<u16>().ok()?))
        }
        _ => (rest, None),
    };
    if host.is_empty() {
        return None;
    }
    Some(Origin {
        scheme: scheme.to_owned(),
        host: host.to_ascii_lowercase(),
        port,
    })
}

fn request_origin(parts: &Parts) -> Option<Origin> {
    parse_origin(parts.headers.get(ORIGIN)?.to_str().ok()?)
}

/// The origin of a `Referer` URL.
fn referer_origin(referer: &str) -> Option<Origin> {
    let (scheme, rest) = referer.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') {
        return None;
    }
    parse_origin(&format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_differs_every_time_and_unmasks_to_the_secret() {
        let secret = new_secret();
        let (a, b) = (mask(&secret), mask(&secret));
        assert_ne!(a, b);
        assert_eq!(unmask(&a), Some(secret));
        assert!(verify(&b, &secret).is_ok());
        assert!(verify(&b, &new_secret()).is_err());
        assert!(unmask("short").is_none());
        assert!(unmask(&"A".repeat(86)).is_some());
        assert!(unmask(&"*".repeat(86)).is_none());
    }

    #[test]
    fn origins_parse_strictly() {
        let o = |s| parse_origin(s);
        assert_eq!(
            o("https://a.example.com").map(|o| o.host),
            Some("a.example.com".into())
        );
        assert_eq!(o("http://localhost:3000").and_then(|o| o.port), Some(3000));
        for bad in [
            "null",
            "a.example.com",
            "https://",
            "https://a/b",
            "ftp://a",
            "https://a:x",
            "https://u@a",
        ] {
            assert!(o(bad).is_none(), "{bad}");
        }
        assert_eq!(
            referer_origin("https://a.example.com/page?x=1").map(|o| o.host),
            Some("a.example.com".into())
        );
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let csrf = Csrf::new().trust("https://*.example.com");
        let t = |s: &str| csrf.is_trusted(&parse_origin(s).expect("origin"));
        assert!(t("https://app.example.com"));
        assert!(t("https://a.b.example.com"));
        assert!(!t("https://example.com"));
        assert!(!t("https://evilexample.com"));
        assert!(!t("http://app.example.com"));
        assert!(!t("https://app.example.com:8443"));
    }
}
