/** Strict RFC 8785 canonical JSON of a JSON value (PROTOCOL.md §3): object keys sorted by
 *  UTF-16 code units at every depth, strings and numbers as `JSON.stringify` writes them.
 *  Anything that is not a JSON value (`undefined`, a function, a non-finite number, a
 *  `bigint` beyond what the protocol's vectors use) throws a `TypeError`. */
function jcs(value: unknown): string {
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`not a JSON number: ${value}`);
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return `[${value.map(jcs).join(",")}]`;
      const record = value as Record<string, unknown>;
      const members = Object.keys(record)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${jcs(record[k])}`);
      return `{${members.join(",")}}`;
    }
    default:
      throw new TypeError(`not a JSON value: ${typeof value}`);
  }
}

/** The canonical query string of context parameters (PROTOCOL.md §4.1), without `?`:
 *  top-level `null`s dropped, pairs sorted by key, keys and canonical JSON values written
 *  with `encodeURIComponent`. Throws a `TypeError` for a value that is not JSON. */
export function canonicalQuery(params: Readonly<Record<string, unknown>>): string {
  const pairs: string[] = [];
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (value === null) continue;
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(jcs(value))}`);
  }
  return pairs.join("&");
}
