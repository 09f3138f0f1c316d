// Internal helpers shared by the protocol modules (not exported from the package).
import type { Params } from "./types";

/** The params without their `null`/`undefined` members: absent and null are the same (§4). */
export const dropNulls = (params: Params): Params =>
  Object.fromEntries(Object.entries(params).filter(([, v]) => v != null));

/** A lone surrogate (with the `u` flag, paired surrogates are one code point, not `Cs`). */
const LONE = /\p{Cs}/u;

/** An integer literal outside strings that `JSON.parse` would round (§4.2). */
const inexact = (text: string): boolean =>
  !!text
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .match(/(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g)
    ?.some((t) => BigInt(t) != BigInt(Number(t)));

/** `JSON.parse`, refusing what has no canonical form: numbers outside the double range (which
 *  parse as ±Infinity), integer literals it would round, and strings or keys with lone
 *  surrogates (§4.2). */
export const parseJson = (text: string): unknown => {
  if (inexact(text)) throw new SyntaxError("an integer no double holds exactly");
  return JSON.parse(text, (k, v) => {
    if (LONE.test(k) || (typeof v == "number" && !isFinite(v)) || (typeof v == "string" && LONE.test(v)))
      throw new SyntaxError("no canonical form");
    return v;
  });
};
