// How a token travels (spec/MWT.md §6): the cookie, the header, and when the origin issues,
// keeps or clears it. The same rules as the Rust crate's `mizan_protocol::mwt`.

import type { MwtClaims } from "./mwt-claims";
import { type MwtKeys, unixNow } from "./mwt-keys";
import { verifyMwt } from "./verify-mwt";

/** The cookie that carries the token for browsers. */
export const MWT_COOKIE = "mizan-mwt";
/** The header that carries the token for clients that keep no cookies, on responses and requests. */
export const MWT_HEADER = "X-Mizan-MWT";
/** The role the origin adds for a staff identity (roles starting with `mizan:` are reserved). */
export const MWT_ROLE_STAFF = "mizan:staff";
/** The role the origin adds for a superuser identity. */
export const MWT_ROLE_SUPERUSER = "mizan:superuser";

/** The `Set-Cookie` value that stores `token` for `maxAge` seconds (`exp − now`); `secure` adds `Secure`. */
export const mwtSetCookie = (token: string, maxAge: number, secure = true): string =>
  `${MWT_COOKIE}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly${secure ? "; Secure" : ""}; SameSite=Lax`;

/** The `Set-Cookie` value that deletes the cookie (logout; an anonymous request that presents one). */
export const mwtClearCookie = (secure = true): string => mwtSetCookie("", 0, secure);

/**
 * The token a request presents, from the values of its `X-Mizan-MWT` fields and its `Cookie`
 * fields. The header wins, even when its token is bad; two header fields or two `mizan-mwt`
 * cookies (one may have been planted by a sibling subdomain) present none.
 */
export function presentedMwt(headers: readonly string[], cookies: readonly string[]): string | undefined {
  if (headers.length === 1) return headers[0]!.trim();
  if (headers.length > 1) return undefined;
  let found: string | undefined;
  for (const pair of cookies.flatMap((c) => c.split(";"))) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== MWT_COOKIE) continue;
    if (found !== undefined) return undefined;
    found = pair.slice(eq + 1).trim();
  }
  return found;
}

/** What the origin does with the token on a response: nothing, issue these claims, or delete the cookie. */
export type MwtRefresh = { action: "keep" } | { action: "issue"; claims: MwtClaims } | { action: "clear" };

/**
 * Decides {@link MwtRefresh} for a request that presents `presented` and whose identity has the
 * scope `wanted` (`undefined`: anonymous). A presented token is kept when it verifies, names
 * the same subject and roles, and has at least half the lifetime left; otherwise `wanted` is
 * issued with a fresh expiry. An anonymous request that presents a token gets it cleared.
 */
export async function refreshMwt(
  presented: string | undefined,
  wanted: Pick<MwtClaims, "sub" | "roles"> | undefined,
  keys: MwtKeys,
  now: number = unixNow(),
): Promise<MwtRefresh> {
  if (wanted === undefined) return presented === undefined ? { action: "keep" } : { action: "clear" };
  const claims = keys.claimsFor(wanted.sub, wanted.roles, now);
  if (presented !== undefined) {
    const held = await verifyMwt(presented, keys, now).catch(() => undefined);
    if (
      held !== undefined &&
      held.sub === claims.sub &&
      held.roles.length === claims.roles.length &&
      held.roles.every((r, i) => r === claims.roles[i]) &&
      held.exp >= now + Math.floor(keys.lifetime / 2)
    ) {
      return { action: "keep" };
    }
  }
  return { action: "issue", claims };
}
