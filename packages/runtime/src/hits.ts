import { canonicalJson } from "./canonical-json";
import type { Invalidation, Params } from "./types";

/** Whether the instance (context, params) is hit by an invalidation (PROTOCOL.md §4.3, §7.1):
 *  a name hits every instance of that context; a scope hits the instances that have every
 *  non-null member of the scope with an equal value, compared as canonical JSON. An empty
 *  scope hits every instance. */
export function hits(inv: Invalidation, context: string, params: Params): boolean {
  if (typeof inv == "string") return inv === context;
  return (
    inv.context === context &&
    Object.entries(inv.params).every(
      ([k, v]) =>
        v == null || (Object.hasOwn(params, k) && canonicalJson(params[k]) === canonicalJson(v)),
    )
  );
}
