/// <reference types="node" />
// Runs spec/vectors/cache-key.json, the file the Rust crate (crates/mizan-protocol/tests/vectors.rs)
// and the JavaScript reference (spec/vectors/reference.mjs) run too.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cacheKey, cacheKeyEncoding, type CacheKeyInput } from "../index";

interface CacheKeyVector {
  description: string;
  input: CacheKeyInput;
  encoding: string;
  key: string;
}

const file = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../../spec/vectors/cache-key.json", import.meta.url)), "utf8"),
) as { feature: string; secret: string; vectors: CacheKeyVector[] };

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
const hex = (data: Uint8Array) => Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
const secret = bytes(file.secret);

describe("cache-key.json", () => {
  it("is the cache-key feature with vectors", () => {
    expect(file.feature).toBe("cache-key");
    expect(file.vectors.length).toBeGreaterThan(20);
  });

  for (const v of file.vectors) {
    it(v.description, async () => {
      expect(hex(cacheKeyEncoding(v.input))).toBe(v.encoding);
      expect(await cacheKey(secret, v.input)).toBe(v.key);
    });
  }

  it("accepts an imported Web Crypto key", async () => {
    const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const v = file.vectors[0]!;
    expect(await cacheKey(key, v.input)).toBe(v.key);
  });

  it("refuses parameters that are not JSON", () => {
    const input = { ...file.vectors[0]!.input, params: { x: Number.NaN } };
    expect(() => cacheKeyEncoding(input)).toThrow(TypeError);
  });
});
