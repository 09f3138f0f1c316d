// @vitest-environment jsdom
// Sign-in support (PROTOCOL.md §9): the CSRF header on unsafe requests of a signed-in session,
// and every entry dropped when the identity changes (sign-in, sign-out, a session that ended).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type ClientOptions,
  ContextObserver,
  defineCall,
  defineContext,
  keepPreviousData,
  MizanClient,
  MizanError,
  MutationObserver,
  submitForm,
} from "@mizan/runtime";
import { fakeFetch, flush } from "./fake-fetch";

const me = defineContext<Record<string, never>, { username: string } | null>("me");
const todos = defineContext<{ project: number }, { titles: string[] }>("todos");
const login = defineCall<{ username: string; password: string }, { username: string }>("login");
const addTodo = defineCall<{ title: string }, { id: number }>("add_todo");

let f: ReturnType<typeof fakeFetch>;
const client = (options: ClientOptions = {}) => new MizanClient({ fetch: f.fetch, retry: false, ...options });
const clearCookies = () =>
  document.cookie.split("; ").forEach((c) => c && (document.cookie = c.split("=")[0] + "=; max-age=0"));

beforeEach(() => {
  f = fakeFetch();
  clearCookies();
});
afterEach(clearCookies);

describe("CSRF header", () => {
  it("is not sent without the CSRF cookie (anonymous)", async () => {
    const c = client();
    c.call(addTodo, { title: "a" }).catch(() => {});
    expect((await f.next()).headers.has("X-Mizan-CSRF")).toBe(false);
  });

  it("copies the cookie into the header on calls and POST forms, never on GETs", async () => {
    document.cookie = "other=1";
    document.cookie = "mizan-csrf=tok%2Fen1";
    const c = client({ navigate: () => {} });
    c.call(addTodo, { title: "a" }).catch(() => {});
    expect((await f.next()).headers.get("X-Mizan-CSRF")).toBe("tok%2Fen1");
    submitForm(c, { action: "/todos/new", method: "post", body: new URLSearchParams({ title: "b" }) }).catch(() => {});
    expect((await f.next()).headers.get("X-Mizan-CSRF")).toBe("tok%2Fen1");
    submitForm(c, { action: "/search", method: "get", body: new URLSearchParams({ q: "b" }) }).catch(() => {});
    expect((await f.next()).headers.has("X-Mizan-CSRF")).toBe(false);
    c.fetch(me({})).catch(() => {});
    const get = await f.next();
    expect(get.url).toBe("/api/mizan/ctx/me/");
    expect(get.headers.has("X-Mizan-CSRF")).toBe(false);
  });

  it("reads the cookie per request (its bytes change on every response)", async () => {
    document.cookie = "mizan-csrf=one";
    const c = client();
    c.call(addTodo, { title: "a" }).catch(() => {});
    expect((await f.next()).headers.get("X-Mizan-CSRF")).toBe("one");
    document.cookie = "mizan-csrf=two";
    c.call(addTodo, { title: "b" }).catch(() => {});
    expect((await f.next()).headers.get("X-Mizan-CSRF")).toBe("two");
  });

  it("takes other names from the options", async () => {
    document.cookie = "mizan-csrf=default";
    document.cookie = "xsrf=mine";
    const c = client({ csrfCookie: "xsrf", csrfHeader: "X-XSRF" });
    c.call(addTodo, { title: "a" }).catch(() => {});
    const r = await f.next();
    expect(r.headers.get("X-XSRF")).toBe("mine");
    expect(r.headers.has("X-Mizan-CSRF")).toBe(false);
  });
});

describe("identity changes", () => {
  /** A client with `me` observed (alice's data) and `todos` held but unobserved. */
  const signedIn = async () => {
    const c = client();
    let notified = 0;
    c.subscribe(me({}), () => notified++);
    await (await f.next()).json({ username: "alice" });
    c.fetch(todos({ project: 1 })).catch(() => {});
    await (await f.next()).json({ titles: ["alice's"] });
    expect(c.getState(me({})).data).toEqual({ username: "alice" });
    return { c, notified: () => notified };
  };

  it("X-Mizan-Identity: changed drops every entry's data and refetches the observed ones", async () => {
    const { c } = await signedIn();
    const causes: string[] = [];
    c.on("fetch", ({ key, cause }) => causes.push(key + " " + cause));
    const done = c.call(login, { username: "bob", password: "bob-demo" });
    await (await f.next()).json({ result: { username: "bob" }, invalidate: [] }, 200, { "X-Mizan-Identity": "changed" });
    expect(c.getState(me({})).data).toBeUndefined();
    expect(c.getState(todos({ project: 1 }))).toMatchObject({ status: "pending", data: undefined });
    expect(causes).toEqual(["me identity"]); // the observed one only
    const refetch = f.last();
    expect(refetch.url).toBe("/api/mizan/ctx/me/");
    expect(refetch.init.cache).toBe("no-cache");
    await refetch.json({ username: "bob" });
    await expect(done).resolves.toEqual({ username: "bob" });
    expect(c.getState(me({})).data).toEqual({ username: "bob" });
  });

  it("drops a fetch in flight sent as the previous user", async () => {
    const { c } = await signedIn();
    c.invalidate(["me"]);
    await flush();
    const stale = f.last(); // alice's refetch, in flight
    c.call(login, { username: "bob", password: "bob-demo" }).catch(() => {});
    await (await f.next()).json({ result: { username: "bob" } }, 200, { "X-Mizan-Identity": "changed" });
    await stale.json({ username: "alice" }).catch(() => {});
    expect(c.getState(me({})).data).toBeUndefined();
    await f.last().json({ username: "bob" });
    expect(c.getState(me({})).data).toEqual({ username: "bob" });
  });

  it("a 401 to a request sent while signed in (the CSRF cookie) drops every entry too", async () => {
    document.cookie = "mizan-csrf=t";
    const { c } = await signedIn();
    const observer = new MutationObserver(c, addTodo);
    const failed = observer.callAsync({ title: "x" }).catch((e: unknown) => e);
    await (await f.next()).json({ error: { code: "unauthenticated", message: "sign in first" } }, 401);
    const error = await failed;
    expect(error).toBeInstanceOf(MizanError);
    expect(error).toMatchObject({ status: 401, code: "unauthenticated", message: "sign in first" });
    expect(observer.getResult()).toMatchObject({ status: "error", error: { status: 401 } });
    expect(c.getState(me({})).data).toBeUndefined();
    expect(f.last().url).toBe("/api/mizan/ctx/me/");
  });

  it("a 401 drops the entries once per CSRF token: refetches that still send it do not loop", async () => {
    document.cookie = "mizan-csrf=kept";
    const { c } = await signedIn();
    const causes: string[] = [];
    c.on("fetch", ({ key, cause }) => causes.push(key + " " + cause));
    c.call(addTodo, { title: "x" }).catch(() => {});
    await (await f.next()).json({ error: { code: "unauthenticated", message: "sign in first" } }, 401);
    // me refetches (still with the cookie) and is answered 401 too: no second round
    await f.last().json({ error: { code: "unauthenticated", message: "sign in first" } }, 401);
    await flush();
    expect(causes).toEqual(["me identity"]);
    expect(c.getState(me({}))).toMatchObject({ status: "error", data: undefined });
  });

  it("a 401 while anonymous (no CSRF cookie) keeps the data; 403 reaches the caller as a MizanError", async () => {
    const { c } = await signedIn();
    const failed = c.call(addTodo, { title: "x" }).catch((e: unknown) => e);
    await (await f.next()).json({ error: { code: "unauthenticated", message: "sign in first" } }, 401);
    expect(await failed).toMatchObject({ status: 401, code: "unauthenticated" });
    expect(c.getState(me({})).data).toEqual({ username: "alice" });
    const forbidden = c.call(addTodo, { title: "x" }).catch((e: unknown) => e);
    await (await f.next()).json({ error: { code: "forbidden", message: "staff only" } }, 403);
    expect(await forbidden).toMatchObject({ status: 403, code: "forbidden", message: "staff only" });
    expect(c.getState(me({})).data).toEqual({ username: "alice" });
  });

  it("keepPreviousData never shows the previous user's data as a placeholder", async () => {
    const { c } = await signedIn();
    // An observer that showed alice's todos of project 1 and keeps previous data.
    const observer = new ContextObserver(c, todos({ project: 1 }), { placeholderData: keepPreviousData });
    const stop = observer.subscribe(() => {});
    expect(observer.getResult().data).toEqual({ titles: ["alice's"] });
    c.call(login, { username: "bob", password: "bob-demo" }).catch(() => {});
    await (await f.next()).json({ result: { username: "bob" } }, 200, { "X-Mizan-Identity": "changed" });
    const result = observer.getResult();
    expect(result.data).toBeUndefined();
    expect(result.isPlaceholderData).toBe(false);
    stop();
  });
});
