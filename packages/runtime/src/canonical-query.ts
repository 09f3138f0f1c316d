import { canonicalJson } from "./canonical-json";
import type { Params } from "./types";

/** The canonical query string of context parameters, without `?` (PROTOCOL.md §4.1):
 *  `null`/`undefined` members dropped, keys sorted by UTF-16 code units, each value its
 *  canonical JSON, key and value encoded with `encodeURIComponent` (exactly the protocol's
 *  set), joined with `&`. Equal parameters give byte-equal strings. */
export function canonicalQuery(params: Params): string {
  return Object.keys(params)
    .filter((k) => params[k] != null)
    .sort()
    .map((k) => encodeURIComponent(k) + "=" + encodeURIComponent(canonicalJson(params[k])))
    .join("&");
}
