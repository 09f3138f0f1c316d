import type { Invalidation } from "./types";
import { itemText } from "./item-text";

/** Normalizes an invalidation list (PROTOCOL.md §7.3): exact duplicates removed (scoped items
 *  compared by context and canonical params), scoped items of a context that also appears
 *  unscoped removed, first-occurrence order kept. */
export function normalize(list: Invalidation[]): Invalidation[] {
  const whole = new Set(list.filter((i) => typeof i == "string"));
  const seen = new Set<string>();
  return list.filter((i) => {
    if (typeof i != "string" && whole.has(i.context)) return false;
    const text = itemText(i);
    return !seen.has(text) && !!seen.add(text);
  });
}
