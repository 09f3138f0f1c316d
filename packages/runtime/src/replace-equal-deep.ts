/** A plain object or array: what `JSON.parse` produces (other objects are never merged). */
const isPlain = (value: unknown): value is Record<string, unknown> =>
  Array.isArray(value) ||
  (!!value && typeof value == "object" && [Object.prototype, null].includes(Object.getPrototypeOf(value)));

/**
 * Structural sharing (as TanStack Query's `replaceEqualDeep`, hand-written here for JSON
 * values because the kernel budget has no room for a dependency): returns `next`, except that
 * every object or array of `next` that is deeply equal to the one at the same place in
 * `previous` is replaced by `previous`'s, and `previous` itself is returned when the two are
 * equal. So a refetch that changed nothing keeps `data` (and memoised components) as they
 * were, and one that changed one row keeps every other row's object.
 */
export function replaceEqualDeep<T>(previous: unknown, next: T): T {
  if (previous === next || !isPlain(previous) || !isPlain(next) || Array.isArray(previous) != Array.isArray(next))
    return next;
  const nextKeys = Object.keys(next);
  let equal = Object.keys(previous).length == nextKeys.length;
  const copy: Record<string, unknown> = Array.isArray(next) ? ([] as unknown as Record<string, unknown>) : {};
  for (const key of nextKeys) {
    copy[key] = replaceEqualDeep(previous[key], next[key]);
    if (copy[key] !== previous[key] || !Object.hasOwn(previous, key)) equal = false;
  }
  return (equal ? previous : copy) as T;
}
