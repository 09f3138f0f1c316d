//! Issuing and verifying tokens: `mwt1.<kid>.<payload>.<mac>` (`spec/MWT.md` §2, §5).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac as _;

use super::keys::is_kid;
use super::{MwtClaims, MwtError, MwtIssueError, MwtKeys};

/// The version segment, the first of every token.
pub const VERSION: &str = "mwt1";

/// The longest token, in bytes: with the cookie's name it fits the 4096 bytes browsers keep
/// of one cookie. Longer input is refused before it is split or decoded.
pub const MAX_TOKEN_LEN: usize = 4000;

/// Characters of a MAC segment: 32 bytes in unpadded base64url.
const MAC_LEN: usize = 43;

/// Signs `claims` with the signing key of `keys`: the token, ASCII only.
///
/// Deterministic: the same claims and key give the same token, byte for byte, in every
/// implementation (`spec/vectors/mwt.json`).
///
/// # Errors
/// [`MwtIssueError::TooLarge`] when the token would exceed [`MAX_TOKEN_LEN`] bytes.
pub fn issue(claims: &MwtClaims, keys: &MwtKeys) -> Result<String, MwtIssueError> {
    let (kid, mac) = keys.signer();
    let payload = claims.payload();
    // `mwt1.` `<kid>.` `<payload>.` `<mac>`, the payload in unpadded base64url.
    let len = VERSION.len() + 1 + kid.len() + 1 + (payload.len() * 4).div_ceil(3) + 1 + MAC_LEN;
    if len > MAX_TOKEN_LEN {
        return Err(MwtIssueError::TooLarge);
    }
    let mut token = String::with_capacity(len);
    token.push_str(VERSION);
    token.push('.');
    token.push_str(kid);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut token);
    let mut mac = mac.clone();
    mac.update(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut token);
    debug_assert_eq!(token.len(), len);
    Ok(token)
}

/// Verifies `token` against `keys` at `now` (seconds since the Unix epoch) and returns its
/// claims, following `spec/MWT.md` §5 step by step: the length, the grammar, the key id, the
/// MAC (compared in constant time, before the payload is decoded or parsed), the payload,
/// the expiry.
///
/// # Errors
/// [`MwtError::Malformed`], [`MwtError::UnknownKey`], [`MwtError::BadSignature`] or
/// [`MwtError::Expired`], decided in that order.
pub fn verify(token: &str, keys: &MwtKeys, now: u64) -> Result<MwtClaims, MwtError> {
    // 1. Length, before anything else looks at the input.
    if token.len() > MAX_TOKEN_LEN {
        return Err(MwtError::Malformed);
    }
    // 2. Four segments.
    let mut segments = token.split('.');
    let (Some(version), Some(kid), Some(payload), Some(mac), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(MwtError::Malformed);
    };
    // 3. The grammar of each segment; the MAC's canonical base64url decodes to 32 bytes.
    if version != VERSION || !is_kid(kid) || payload.is_empty() || !is_base64url(payload) {
        return Err(MwtError::Malformed);
    }
    let tag = match URL_SAFE_NO_PAD.decode(mac) {
        Ok(tag) if mac.len() == MAC_LEN => tag,
        _ => return Err(MwtError::Malformed),
    };
    // 4. The key id, a lookup and nothing more.
    let mut hmac = keys.mac(kid).ok_or(MwtError::UnknownKey)?.clone();
    // 5. The MAC over `mwt1.<kid>.<payload>`, compared in constant time.
    hmac.update(&token.as_bytes()[..token.len() - MAC_LEN - 1]);
    hmac.verify_slice(&tag)
        .map_err(|_| MwtError::BadSignature)?;
    // 6. The payload: canonical base64url of the canonical claims object.
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| MwtError::Malformed)?;
    let claims = MwtClaims::from_payload(&bytes).ok_or(MwtError::Malformed)?;
    // 7. The expiry, with the leeway.
    if now >= claims.exp().saturating_add(keys.leeway()) {
        return Err(MwtError::Expired);
    }
    Ok(claims)
}

fn is_base64url(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> MwtKeys {
        MwtKeys::new("k1", [1u8; 32]).expect("valid")
    }

    fn token() -> (MwtClaims, String) {
        let claims = MwtClaims::new("42", ["editor", "admin"], 1_000).expect("valid");
        let token = issue(&claims, &keys()).expect("fits");
        (claims, token)
    }

    #[test]
    fn issue_then_verify() {
        let (claims, token) = token();
        assert!(token.starts_with(
            "mwt1.k1.eyJleHAiOjEwMDAsInJvbGVzIjpbImFkbWluIiwiZWRpdG9yIl0sInN1YiI6IjQyIn0."
        ));
        assert_eq!(token.rsplit('.').next().map(str::len), Some(MAC_LEN));
        assert_eq!(verify(&token, &keys(), 999), Ok(claims.clone()));
        assert_eq!(verify(&token, &keys(), 1_059), Ok(claims));
        assert_eq!(verify(&token, &keys(), 1_060), Err(MwtError::Expired));
        assert_eq!(
            verify(&token, &keys().with_leeway(0), 1_000),
            Err(MwtError::Expired)
        );
    }

    #[test]
    fn every_single_bit_flip_is_refused() {
        let (_, token) = token();
        for i in 0..token.len() {
            for bit in 0..8 {
                let mut bytes = token.clone().into_bytes();
                bytes[i] ^= 1 << bit;
                let Ok(flipped) = String::from_utf8(bytes) else {
                    continue;
                };
                assert!(
                    verify(&flipped, &keys(), 0).is_err(),
                    "byte {i} bit {bit}: {flipped}"
                );
            }
        }
    }

    #[test]
    fn other_keys_and_unknown_kids() {
        let (_, token) = token();
        let other = MwtKeys::new("k1", [2u8; 32]).expect("valid");
        assert_eq!(verify(&token, &other, 0), Err(MwtError::BadSignature));
        let rotated = MwtKeys::new("k2", [2u8; 32]).expect("valid");
        assert_eq!(verify(&token, &rotated, 0), Err(MwtError::UnknownKey));
        let rotated = rotated.with_key("k1", [1u8; 32]).expect("valid");
        assert!(verify(&token, &rotated, 0).is_ok());
    }

    #[test]
    fn hostile_input_is_malformed() {
        let (_, token) = token();
        let long = format!("{token}{}", "A".repeat(MAX_TOKEN_LEN));
        for bad in [
            String::new(),
            "....".into(),
            format!("{token}."),
            format!(".{token}"),
            token.replacen("mwt1", "mwt2", 1),
            token.replacen("mwt1", "MWT1", 1),
            token[..token.len() - 1].to_owned(),
            format!("{token}A"),
            format!("{token}="),
            token.replacen(".k1.", "..", 1),
            long,
        ] {
            assert_eq!(verify(&bad, &keys(), 0), Err(MwtError::Malformed), "{bad}");
        }
    }

    #[test]
    fn oversized_claims_are_refused_at_issue() {
        let roles: Vec<String> = (0..400).map(|i| format!("role-{i:04}")).collect();
        let claims = MwtClaims::new("u", roles, 1).expect("valid");
        assert_eq!(issue(&claims, &keys()), Err(MwtIssueError::TooLarge));
    }
}
