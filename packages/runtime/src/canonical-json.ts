/** RFC 8785 (JCS) canonical JSON (PROTOCOL.md §3): no whitespace, object keys sorted by UTF-16
 *  code units at every depth (what the default `Array.prototype.sort` does), strings and
 *  numbers as `JSON.stringify` writes them (`-0` as `0`, shortest round-trip digits).
 *
 *  Beyond plain JSON values, like `JSON.stringify`: `toJSON` is honoured (a `Date` is its ISO
 *  string), object members whose value is `undefined` are skipped, and `undefined` in an array
 *  is `null`. Non-finite numbers throw (they do not exist in JSON).
 *
 *  64-bit integers (§11): a JS number beyond ±(2^53−1) has already lost its exact digits, so it
 *  is written as the double it holds (`1e+23`), not with the digits a Rust backend would keep.
 *  Pass such a value as a `bigint` to get its exact decimal digits, the backend's form; better,
 *  send such ids as strings. */
export function canonicalJson(v: any): string {
  if (typeof v == "bigint") return "" + v;
  if (typeof v == "number" && !isFinite(v)) throw new TypeError("not JSON: " + v);
  if (v && typeof v == "object") {
    if (typeof v.toJSON == "function") return canonicalJson(v.toJSON());
    if (Array.isArray(v)) return "[" + v.map((x) => canonicalJson(x) ?? "null").join() + "]";
    return (
      "{" +
      Object.keys(v)
        .filter((k) => v[k] !== undefined)
        .sort()
        .map((k) => JSON.stringify(k) + ":" + canonicalJson(v[k]))
        .join() +
      "}"
    );
  }
  return JSON.stringify(v); // undefined for undefined (and functions): `null` in an array
}
