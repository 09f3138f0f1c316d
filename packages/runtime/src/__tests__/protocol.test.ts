// What the vectors do not pin: the JavaScript-side extras of the protocol functions, the
// descriptors and MizanError.
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  canonicalQuery,
  decodeInvalidateHeader,
  defineCall,
  defineContext,
  encodeInvalidateHeader,
  hits,
  MizanError,
  normalize,
  parseQuery,
} from "@mizan/runtime";

describe("canonicalJson beyond plain JSON", () => {
  it("writes a bigint with its exact digits (the §11 form of a 64-bit integer)", () => {
    expect(canonicalJson({ id: 9007199254740993n })).toBe('{"id":9007199254740993}');
    expect(canonicalJson(18446744073709551615n)).toBe("18446744073709551615");
    // a number has lost them already
    expect(canonicalJson(9007199254740993)).toBe("9007199254740992");
    expect(canonicalQuery({ id: 3n })).toBe(canonicalQuery({ id: 3 }));
  });

  it("skips undefined members, writes undefined array items as null, honours toJSON", () => {
    expect(canonicalJson({ b: undefined, a: [undefined, 1] })).toBe('{"a":[null,1]}');
    expect(canonicalJson({ at: new Date(Date.UTC(2020, 0, 2)) })).toBe('{"at":"2020-01-02T00:00:00.000Z"}');
  });

  it("refuses non-finite numbers", () => {
    expect(() => canonicalJson({ n: NaN })).toThrow(TypeError);
    expect(() => canonicalJson([Infinity])).toThrow(TypeError);
  });

  it("sorts integer-like keys as strings, not in JS property order", () => {
    expect(canonicalJson({ 9: "a", 10: "b", b: 1 })).toBe('{"10":"b","9":"a","b":1}');
  });
});

describe("parameters", () => {
  it("undefined is absent, like null", () => {
    expect(canonicalQuery({ project: 3, done: undefined, after: null })).toBe("project=3");
  });

  it("parseQuery keeps a __proto__ parameter as a parameter", () => {
    const p = parseQuery("__proto__=%7B%22x%22%3A1%7D");
    expect(Object.keys(p)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
  });

  it("parseQuery errors are MizanErrors in the protocol's shape", () => {
    try {
      parseQuery("ok=1&title=hello");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MizanError);
      expect(e).toMatchObject({ code: "bad_request", status: 400 });
      expect((e as MizanError).fields.title?.[0]).toMatch(/^parameter `title` is not JSON/);
    }
  });

  it("hits ignores null members on both sides and reads only own instance members", () => {
    expect(hits({ context: "t", params: { project: 3, done: null } }, "t", { project: 3 })).toBe(true);
    expect(hits({ context: "t", params: { project: 3 } }, "t", { project: null })).toBe(true);
    expect(hits({ context: "t", params: { project: 3 } }, "t", { project: undefined } as never)).toBe(true);
    // `constructor` is inherited, not a member of the instance: lacking it is a hit
    expect(hits({ context: "t", params: { constructor: {} } }, "t", {})).toBe(true);
    expect(hits({ context: "t", params: { project: 3, done: false } }, "t", { project: 3, done: true })).toBe(false);
  });
});

describe("invalidation lists", () => {
  it("normalize keeps the items themselves", () => {
    const scoped = { context: "todos", params: { project: 3 } };
    expect(normalize([scoped, "projects", scoped])[0]).toBe(scoped);
  });

  it("encode drops null params; decode keeps names as given", () => {
    expect(encodeInvalidateHeader([{ context: "t", params: { a: 1, b: null } }])).toBe(
      encodeInvalidateHeader([{ context: "t", params: { a: 1 } }]),
    );
    expect(encodeInvalidateHeader([])).toBeUndefined();
    expect(decodeInvalidateHeader("%zz")).toEqual(["%zz"]); // a malformed escape stays literal
  });
});

describe("descriptors", () => {
  it("defineContext: key, context, params", () => {
    const todos = defineContext<{ project: number; title?: string }, unknown>("todos");
    expect(todos.context).toBe("todos");
    const d = todos({ title: "a b", project: 3 });
    expect(d).toEqual({ context: "todos", params: { title: "a b", project: 3 }, key: "todos?project=3&title=%22a%20b%22" });
    expect(defineContext<Record<string, never>, unknown>("version")({}).key).toBe("version");
  });

  it("defineCall: fn and view", () => {
    expect(defineCall("add_todo")).toEqual({ fn: "add_todo", view: false });
    expect(defineCall("toggle", { view: true })).toEqual({ fn: "toggle", view: true });
  });
});

describe("MizanError", () => {
  it("is an Error with code, status, fields", () => {
    const e = new MizanError("conflict", "already there", 409, { id: ["taken"] });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: "MizanError", message: "already there", code: "conflict", status: 409, fields: { id: ["taken"] } });
    expect(new MizanError("network")).toMatchObject({ message: "network", status: 0, fields: {} });
  });

  it("fromBody reads the protocol's error shape", () => {
    const e = MizanError.fromBody(422, {
      error: { code: "validation", message: "validation failed", fields: { "items/0/name": ["not an email"] } },
    });
    expect(e).toMatchObject({ code: "validation", message: "validation failed", status: 422, fields: { "items/0/name": ["not an email"] } });
    expect(MizanError.fromBody(401, { error: { code: "unauthorized", message: "log in" } }).fields).toEqual({});
    expect(MizanError.fromBody(418, { error: { code: "teapot" } }).message).toBe("teapot");
  });

  it("fromBody falls back to code http for other bodies", () => {
    for (const body of [undefined, null, "oops", { error: "x" }, { error: { code: 3 } }, { message: "no" }]) {
      expect(MizanError.fromBody(502, body)).toMatchObject({ code: "http", status: 502, message: "HTTP 502", fields: {} });
    }
  });
});
