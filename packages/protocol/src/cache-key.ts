import { canonicalQuery } from "./canonical-query";

/** Whose cache entry it is (spec/CACHE_KEYING.md §2): everyone's, the anonymous caller's, or
 *  one identity's (by its stable id, never a token). */
export type CacheScope = "public" | "anonymous" | { readonly user: string };

/** What an origin or edge cache key is computed from. */
export interface CacheKeyInput {
  /** The protocol version (1). */
  readonly version: number;
  /** The context's wire name (a standalone query is its own context). */
  readonly name: string;
  /** Every function of the context with its `rev`. */
  readonly revs: Readonly<Record<string, number>>;
  /** The parameters, as JSON values; written in canonical form. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Public or whose. */
  readonly scope: CacheScope;
}

const scopeText = (scope: CacheScope): string => (typeof scope === "string" ? scope : `user:${scope.user}`);

const revsText = (revs: Readonly<Record<string, number>>): string =>
  Object.keys(revs)
    .sort()
    .map((name) => `${name}=${revs[name]}`)
    .join("&");

/**
 * The canonical encoding of a cache key's input (spec/CACHE_KEYING.md §3): the version, name,
 * revs, canonical query and scope, each as a 32-bit big-endian byte length and its UTF-8
 * bytes, so no two inputs share an encoding.
 */
export function cacheKeyEncoding(input: CacheKeyInput): Uint8Array {
  const utf8 = new TextEncoder();
  const fields = [
    String(input.version),
    input.name,
    revsText(input.revs),
    canonicalQuery(input.params),
    scopeText(input.scope),
  ].map((text) => utf8.encode(text));
  const out = new Uint8Array(fields.reduce((n, f) => n + 4 + f.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of fields) {
    view.setUint32(at, f.length);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

/**
 * The cache key: lowercase hex of HMAC-SHA256 under the cache secret (raw bytes, or a Web
 * Crypto HMAC key imported for signing) over {@link cacheKeyEncoding}.
 */
export async function cacheKey(secret: Uint8Array | CryptoKey, input: CacheKeyInput): Promise<string> {
  const key =
    secret instanceof Uint8Array
      ? await crypto.subtle.importKey("raw", new Uint8Array(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      : secret;
  const tag = new Uint8Array(await crypto.subtle.sign("HMAC", key, new Uint8Array(cacheKeyEncoding(input))));
  return Array.from(tag, (b) => b.toString(16).padStart(2, "0")).join("");
}
