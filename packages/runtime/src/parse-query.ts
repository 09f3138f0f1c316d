import { MizanError } from "./mizan-error";
import type { Params } from "./types";
import { parseJson } from "./util";

/** Decodes any query string (without `?`) into parameters, as a server must (PROTOCOL.md
 *  §4.2): `URLSearchParams` parsing, every value exactly one JSON text, no key twice, `null`s
 *  dropped. Throws a `MizanError` `400 bad_request` whose `fields` names the first offending
 *  parameter. */
export function parseQuery(query: string): Params {
  const pairs: [string, unknown][] = [];
  const seen = new Set<string>();
  for (const [k, raw] of new URLSearchParams(query)) {
    const bad = (why: string) => {
      const message = `parameter \`${k}\` ${why}`;
      return new MizanError("bad_request", message, 400, { [k]: [message] });
    };
    if (seen.has(k)) throw bad("appears more than once");
    seen.add(k);
    let v: unknown;
    try {
      v = parseJson(raw);
    } catch {
      throw bad("is not JSON; strings are quoted, e.g. " + k + "=%22text%22");
    }
    if (v !== null) pairs.push([k, v]);
  }
  // fromEntries defines own properties: a `__proto__` parameter stays a parameter.
  return Object.fromEntries(pairs);
}
