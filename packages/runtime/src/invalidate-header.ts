import type { Invalidation } from "./types";
import { itemText } from "./item-text";
import { dropNulls } from "./util";

/** The `X-Mizan-Invalidate` value of a (normalized) list, `undefined` for an empty list, which
 *  sends no header (PROTOCOL.md §7.4): each item's text percent-encoded with the
 *  `encodeURIComponent` set, joined with `, `. */
export function encodeInvalidateHeader(list: Invalidation[]): string | undefined {
  return list.length ? list.map((i) => encodeURIComponent(itemText(i))).join(", ") : undefined;
}

/** Decodes an `X-Mizan-Invalidate` value (PROTOCOL.md §7.4). Several fields of one response
 *  decode as their values joined with `,` (what `Headers.get` returns). Throws on an invalid
 *  item: not UTF-8 after percent-decoding, or a `{…}` item that is not JSON (`JSON.parse`) with
 *  a string `context` and an object `params`. */
export function decodeInvalidateHeader(value: string): Invalidation[] {
  // each comma-separated piece without its surrounding spaces and tabs, empty ones skipped
  return (value.match(/[^, \t](?:[^,]*[^, \t])?/g) ?? []).map((item) => {
    // WHATWG percent-decoding keeps malformed escapes literally; decodeURIComponent throws
    // on them, so escape their `%` first. It throws on invalid UTF-8, which the protocol
    // refuses.
    const text = decodeURIComponent(item.replace(/%(?![\da-f]{2})/gi, "%25"));
    if (text[0] != "{") return text;
    // Plain JSON (§7.4): the stricter checks of §4.2 are for the parameters a server
    // decodes. A number the client holds inexactly only widens what the scope hits (both
    // sides round alike); refusing the header would miss the invalidation.
    const { context, params } = JSON.parse(text) as { context?: unknown; params?: unknown };
    if (typeof context != "string" || !params || typeof params != "object" || Array.isArray(params))
      throw new SyntaxError("invalid X-Mizan-Invalidate item: " + text);
    return { context, params: dropNulls(params as Record<string, unknown>) };
  });
}
