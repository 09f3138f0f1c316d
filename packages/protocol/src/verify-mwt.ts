import { decodeBase64url, isBase64url } from "./base64url";
import { MWT_MAX_TOKEN_LEN, MWT_VERSION } from "./issue-mwt";
import { type MwtClaims, mwtPayload, normalizeMwtClaims } from "./mwt-claims";
import { MwtError } from "./mwt-error";
import { type MwtKeys, unixNow } from "./mwt-keys";

const KID = /^[A-Za-z0-9_-]{1,32}$/;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The claims of `token` at `now` (seconds since the Unix epoch), following spec/MWT.md §5 in
 * order: the length, the grammar, the key id (a lookup, no secret touched), the MAC (Web
 * Crypto's HMAC verify, constant-time, before the payload is decoded), the canonical payload,
 * the expiry with the keys' leeway.
 *
 * Throws {@link MwtError} with `kind` `malformed`, `unknown_key`, `bad_signature` or `expired`.
 */
export async function verifyMwt(token: string, keys: MwtKeys, now: number = unixNow()): Promise<MwtClaims> {
  if (token.length > MWT_MAX_TOKEN_LEN) throw new MwtError("malformed");
  const parts = token.split(".");
  if (parts.length !== 4) throw new MwtError("malformed");
  const [version, kid, payload, mac] = parts as [string, string, string, string];
  if (version !== MWT_VERSION || !KID.test(kid) || !isBase64url(payload) || mac.length !== 43) {
    throw new MwtError("malformed");
  }
  const tag = decodeBase64url(mac);
  if (tag === undefined) throw new MwtError("malformed");
  const key = keys.key(kid);
  if (key === undefined) throw new MwtError("unknown_key");
  const signed = utf8.encode(token.slice(0, token.length - 44));
  if (!(await crypto.subtle.verify("HMAC", key, tag, signed))) throw new MwtError("bad_signature");
  const claims = parsePayload(payload);
  if (claims === undefined) throw new MwtError("malformed");
  if (now - claims.exp >= keys.leeway) throw new MwtError("expired");
  return claims;
}

/** Claims from an authentic payload segment, unless it is not the canonical claims object. */
function parsePayload(segment: string): MwtClaims | undefined {
  const bytes = decodeBase64url(segment);
  if (bytes === undefined) return undefined;
  let text: string;
  let value: unknown;
  try {
    text = strictUtf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  if (Object.keys(value).sort().join() !== "exp,roles,sub") return undefined;
  let claims: MwtClaims;
  try {
    claims = normalizeMwtClaims(value as MwtClaims);
  } catch {
    return undefined;
  }
  // One spelling: the text is exactly the canonical payload of its claims (roles already
  // sorted and unique, no whitespace, no needless escapes, exp a plain integer).
  return mwtPayload(claims) === text ? claims : undefined;
}
