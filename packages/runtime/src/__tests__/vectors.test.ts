/// <reference types="node" />
// Runs every vector file of spec/vectors/ (the contract shared with the Rust backend, which runs
// the same files in crates/mizan/tests/vectors.rs). A new file with an unknown feature fails.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  canonicalQuery,
  decodeInvalidateHeader,
  encodeInvalidateHeader,
  hits,
  type Invalidation,
  MizanError,
  normalize,
  type Params,
  parseQuery,
} from "@mizan/runtime";
import { decodeFieldPath, encodeFieldPath } from "@mizan/runtime/form";

const dir = fileURLToPath(new URL("../../../../spec/vectors/", import.meta.url));
const files = readdirSync(dir)
  .filter((n) => n.endsWith(".json") && n !== "vectors.schema.json")
  .sort();

/** Parameters and lists inside vectors are compared as canonical JSON (3 and 3.0 are equal). */
const same = (actual: unknown, expected: unknown) => expect(canonicalJson(actual)).toBe(canonicalJson(expected));

type Vector = Record<string, any> & { description: string };

const checks: Record<string, (v: Vector) => void> = {
  "field-path": (v) => {
    expect(encodeFieldPath(v.segments)).toBe(v.path);
    expect(decodeFieldPath(v.path)).toEqual(v.segments.map(String));
  },
  "canonical-json": (v) => expect(canonicalJson(v.value)).toBe(v.canonical),
  "params-encode": (v) => expect(canonicalQuery(v.params as Params)).toBe(v.query),
  "params-decode": (v) => {
    if (v.error) {
      let error: unknown;
      try {
        parseQuery(v.query);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MizanError);
      const e = error as MizanError;
      expect([e.status, e.code]).toEqual([v.error.status, v.error.code]);
      expect(Object.keys(e.fields)).toEqual(v.error.fields);
    } else {
      const params = parseQuery(v.query);
      same(params, v.params);
      expect(canonicalQuery(params)).toBe(v.canonical);
    }
  },
  "invalidation-match": (v) => {
    expect(hits({ context: "c", params: v.scope }, "c", v.instance)).toBe(v.hit);
    // a scope never hits another context; a name hits every instance of its own
    expect(hits({ context: "other", params: v.scope }, "c", v.instance)).toBe(false);
    expect(hits("c", "c", v.instance)).toBe(true);
  },
  normalize: (v) => same(normalize(v.list as Invalidation[]), v.normalized),
  "invalidate-header": (v) => {
    if (v.fields === undefined) {
      // both ways
      expect(encodeInvalidateHeader(v.list) ?? null).toBe(v.header);
      same(decodeInvalidateHeader(v.header ?? ""), v.list);
    } else if (v.error) {
      expect(() => decodeInvalidateHeader(v.fields.join(", "))).toThrow();
    } else {
      // several fields of one response reach a client joined with ", " (Headers.get)
      same(decodeInvalidateHeader(v.fields.join(", ")), v.list);
      const headers = new Headers();
      for (const f of v.fields) headers.append("X-Mizan-Invalidate", f);
      same(decodeInvalidateHeader(headers.get("x-mizan-invalidate") ?? ""), v.list);
    }
  },
};

it("finds the vector files", () => {
  expect(files.length).toBeGreaterThanOrEqual(6);
});

for (const name of files) {
  const file = JSON.parse(readFileSync(dir + name, "utf8")) as { feature: string; vectors: Vector[] };
  // The MWT and cache keys are not the kernel's: @mizan/protocol runs mwt.json and
  // cache-key.json (packages/protocol). Nor is parsing WebSocket client messages: the
  // server's (crates/mizan ws::message tests and spec/vectors/reference.mjs run
  // ws-messages.json); the SSR socket's frames and page data are @mizan/ssr-worker's and
  // mizan-ssr's. The edge manifest is derived by servers and CLIs (mizan-protocol) and read
  // by the edge; the reference derives it too (edge-manifest.json).
  if (["mwt", "cache-key", "ws-messages", "ssr-frame", "page-data", "edge-manifest"].includes(file.feature)) continue;
  describe(name, () => {
    it("has a known feature", () => expect(Object.keys(checks)).toContain(file.feature));
    for (const v of file.vectors) it(v.description, () => checks[file.feature]!(v));
  });
}
