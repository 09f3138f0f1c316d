import { encodeBase64url } from "./base64url";
import { type MwtClaims, mwtPayload, normalizeMwtClaims } from "./mwt-claims";
import { MwtIssueError } from "./mwt-issue-error";
import type { MwtKeys } from "./mwt-keys";

/** The version segment, the first of every token. */
export const MWT_VERSION = "mwt1";
/** The longest token in bytes: with the cookie's name it fits the 4096 bytes browsers keep of one cookie. */
export const MWT_MAX_TOKEN_LEN = 4000;

const utf8 = new TextEncoder();

/**
 * Signs `claims` (roles in any order; they are sorted and deduplicated) with the signing key
 * of `keys`: `mwt1.<kid>.<base64url payload>.<base64url HMAC-SHA256>`. Deterministic: the same
 * claims and key give the same token in every implementation (spec/vectors/mwt.json).
 *
 * Throws {@link MwtIssueError}: `invalid_claims`, or `too_large` past 4000 bytes.
 */
export async function issueMwt(claims: MwtClaims, keys: MwtKeys): Promise<string> {
  const kid = keys.signingKid;
  const signed = `${MWT_VERSION}.${kid}.${encodeBase64url(utf8.encode(mwtPayload(normalizeMwtClaims(claims))))}`;
  if (signed.length + 44 > MWT_MAX_TOKEN_LEN) throw new MwtIssueError("too_large", "the token would exceed 4000 bytes");
  const key = keys.key(kid)!;
  const mac = await crypto.subtle.sign("HMAC", key, utf8.encode(signed));
  return `${signed}.${encodeBase64url(new Uint8Array(mac))}`;
}
