import { canonicalJson } from "./canonical-json";
import type { Invalidation, Params } from "./types";

/** Whether the instance (context, params) is hit by an invalidation (PROTOCOL.md §4.3, §7.1):
 *  a name hits every instance of that context; a scope hits every instance that holds no
 *  non-null member of the scope with a different value, compared as canonical JSON. A scope
 *  member the instance lacks (or holds as null) is a hit: that instance does not filter on it,
 *  so it holds data of every value. An empty scope hits every instance. */
export function hits(inv: Invalidation, context: string, params: Params): boolean {
  if (typeof inv == "string") return inv === context;
  return (
    inv.context === context &&
    Object.entries(inv.params).every(
      ([k, v]) =>
        v == null ||
        !Object.hasOwn(params, k) ||
        params[k] == null ||
        canonicalJson(params[k]) === canonicalJson(v),
    )
  );
}
