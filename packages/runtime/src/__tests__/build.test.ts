/// <reference types="node" />
// What the package build (scripts/build-packages.mjs) promises about what ships: these tests
// import the package by name, so they run against dist/ (vitest's globalSetup builds it).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ContextObserver, defineCall, defineContext, MizanClient, MutationObserver } from "@mizan/runtime";

const dist = (file: string) => readFileSync(fileURLToPath(new URL(`../../dist/${file}`, import.meta.url)), "utf8");

describe("the package build", () => {
  it("mangles private members (names ending in _) to short names", () => {
    const client = new MizanClient();
    const todos = defineContext("todos")({});
    // the public members that are instance fields (stable functions for the adapters)
    const fields = ["subscribe", "getResult", "refetch", "call", "callAsync", "reset"];
    for (const object of [client, new ContextObserver(client, todos), new MutationObserver(client, defineCall("f"))]) {
      const names = Object.keys(object).filter((name) => !fields.includes(name));
      expect(names.length).toBeGreaterThan(0);
      expect(names.filter((name) => name.endsWith("_") || name.length > 2)).toEqual([]);
    }
    // and the members of the client's entries, which no instance shows (comments aside)
    const code = dist("index.js").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    expect(code).not.toMatch(/\.(?:state|listeners|active|inFlight|abort|revalidate|gcTimer)_\b/);
  });

  it("leaves @internal members out of the declarations", () => {
    const declarations = dist("client.d.ts");
    expect(declarations).toContain("setData<");
    expect(declarations).not.toMatch(/\b(?:find_|record_)\(/);
  });
});
