/// <reference types="node" />
// Runs spec/vectors/mwt.json, the file the Rust crate (crates/mizan-protocol/tests/vectors.rs)
// and the JavaScript reference (spec/vectors/reference.mjs) run too.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { issueMwt, MwtError, MwtIssueError, MwtKeys, type MwtClaims, verifyMwt } from "../index";

interface MwtVector {
  description: string;
  issue?: { kid: string; claims: MwtClaims };
  token?: string;
  claims?: MwtClaims;
  error?: string;
}

const file = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../../spec/vectors/mwt.json", import.meta.url)), "utf8"),
) as { feature: string; keys: Record<string, string>; now: number; leeway: number; vectors: MwtVector[] };

const hex = (text: string) => Uint8Array.from(text.match(/../g)!, (b) => parseInt(b, 16));
const secrets = Object.fromEntries(Object.entries(file.keys).map(([kid, h]) => [kid, hex(h)]));
const keyMaps = new Map<string, Promise<MwtKeys>>();
/** The file's key map, signing with `kid`. */
const keys = (kid: string) => {
  if (!keyMaps.has(kid)) keyMaps.set(kid, MwtKeys.create(kid, secrets, { leeway: file.leeway }));
  return keyMaps.get(kid)!;
};
const kids = Object.keys(secrets);

/** The result of a promise as the vectors write it: the value, or the error's kind. */
async function outcome<T>(promise: Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await promise };
  } catch (e) {
    if (e instanceof MwtError || e instanceof MwtIssueError) return { error: e.kind };
    throw e;
  }
}

describe("mwt.json", () => {
  it("is the MWT feature with vectors", () => {
    expect(file.feature).toBe("mwt");
    expect(file.vectors.length).toBeGreaterThan(50);
  });

  for (const v of file.vectors) {
    it(v.description, async () => {
      if (v.issue) {
        const issued = await outcome(issueMwt(v.issue.claims, await keys(v.issue.kid)));
        if (v.token === undefined) {
          expect(issued).toEqual({ error: v.error });
          return;
        }
        expect(issued).toEqual({ value: v.token });
      }
      const verified = await outcome(verifyMwt(v.token!, await keys(kids[0]!), file.now));
      expect(verified).toEqual(v.claims ? { value: v.claims } : { error: v.error });
      // Which key signs does not change what verifies.
      expect(await outcome(verifyMwt(v.token!, await keys(kids.at(-1)!), file.now))).toEqual(verified);
    });
  }
});
