/// <reference types="node" />
// spec/vectors/ssr-frame.json: the worker's frames are byte for byte what the Rust side reads
// and writes; and the renderers' contract, end to end in a real worker process is covered by
// crates/mizan-ssr's tests.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import { FrameReader, encodeFrame } from "../frame";

type Vector = { description: string; hex: string; message?: object; blob?: string; error?: string };
const file = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../../spec/vectors/ssr-frame.json", import.meta.url)), "utf8"),
) as { vectors: Vector[] };

describe("ssr-frame.json", () => {
  for (const v of file.vectors)
    it(v.description, () => {
      const bytes = Buffer.from(v.hex, "hex");
      const reader = new FrameReader();
      if (v.error === "closed") {
        // an incomplete frame waits for more bytes
        expect(reader.push(bytes)).toEqual([]);
      } else if (v.error) {
        expect(() => reader.push(bytes)).toThrow();
      } else {
        expect(encodeFrame(v.message!, v.blob!).toString("hex")).toBe(v.hex);
        // split anywhere: frames come out whole
        const frames = [...reader.push(bytes.subarray(0, 5)), ...reader.push(bytes.subarray(5))];
        expect(frames).toHaveLength(1);
        expect(frames[0]!.message).toEqual(v.message);
        expect(frames[0]!.blob.toString("utf8")).toBe(v.blob);
      }
    });
});

it("reads several frames from one chunk", () => {
  const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: 2 }, "<p>x</p>")]);
  const frames = new FrameReader().push(bytes);
  expect(frames.map((f) => f.message)).toEqual([{ a: 1 }, { b: 2 }]);
  expect(frames[1]!.blob.toString()).toBe("<p>x</p>");
});
