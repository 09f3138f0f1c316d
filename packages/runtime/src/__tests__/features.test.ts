// @vitest-environment jsdom
// What TanStack Query / SWR users expect: focus and reconnect refetches, ensure, setData,
// events with causes, cross-tab invalidation, the devtools panel.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { crossTab } from "@mizan/runtime/cross-tab";
import { mountDevtools } from "@mizan/runtime/devtools";
import { type ClientOptions, defineCall, defineContext, ensure, MizanClient, type MizanEvents, submitForm } from "@mizan/runtime";
import { fakeFetch, flush } from "./fake-fetch";

const todos = defineContext<{ project: number }, { todo_list: string[] }>("todos");
const projects = defineContext<Record<string, never>, { names: string[] }>("projects");
const addTodo = defineCall<{ project: number; title: string }, { id: number }>("add_todo");

let f: ReturnType<typeof fakeFetch>;
const client = (options: ClientOptions = {}) => new MizanClient({ fetch: f.fetch, retry: false, ...options });

beforeEach(() => {
  f = fakeFetch();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("refetch on focus and reconnect", () => {
  it("refetches observed entries (not unobserved ones) when the window regains focus or goes online", async () => {
    const c = client();
    c.subscribe(todos({ project: 1 }), () => {});
    c.fetch(projects({})); // unobserved
    await flush();
    for (const r of [...f.requests]) await r.json({ todo_list: [], names: [] });
    const causes: string[] = [];
    c.on("fetch", ({ cause }) => causes.push(cause));
    window.dispatchEvent(new Event("focus"));
    await flush();
    expect(f.requests.map((r) => r.url)).toEqual([
      "/api/mizan/ctx/todos/?project=1",
      "/api/mizan/ctx/projects/",
      "/api/mizan/ctx/todos/?project=1",
    ]);
    // a focus while the refetch is in flight adds nothing
    window.dispatchEvent(new Event("visibilitychange"));
    await flush();
    expect(f.requests).toHaveLength(3);
    await f.last().json({ todo_list: [] });
    window.dispatchEvent(new Event("online"));
    await flush();
    expect(f.requests).toHaveLength(4);
    expect(causes).toEqual(["focus", "reconnect"]);
  });

  it("refetchOnFocus: false and refetchOnReconnect: false turn them off", async () => {
    const c = client({ refetchOnFocus: false, refetchOnReconnect: false });
    c.subscribe(todos({ project: 1 }), () => {});
    await (await f.next()).json({ todo_list: [] });
    window.dispatchEvent(new Event("focus"));
    window.dispatchEvent(new Event("online"));
    await flush();
    expect(f.requests).toHaveLength(1);
  });
});

describe("ensure and setData", () => {
  it("ensure() resolves from a fresh entry without a request, fetches otherwise", async () => {
    const c = client();
    const p = ensure(c, todos({ project: 1 }));
    await (await f.next()).json({ todo_list: ["a"] });
    await expect(p).resolves.toEqual({ todo_list: ["a"] });
    await expect(ensure(c, todos({ project: 1 }))).resolves.toEqual({ todo_list: ["a"] });
    expect(f.requests).toHaveLength(1);
    await c.invalidate(["todos"]); // unobserved: stale
    const q = ensure(c, todos({ project: 1 }));
    await (await f.next()).json({ todo_list: ["b"] });
    await expect(q).resolves.toEqual({ todo_list: ["b"] });
  });

  it("setData() sets data (value or updater), notifies, and the next invalidation refetches", async () => {
    const c = client();
    const d = todos({ project: 1 });
    const listener = vi.fn();
    c.subscribe(d, listener);
    await (await f.next()).json({ todo_list: ["a"] });
    c.setData(d, (old) => ({ todo_list: [...(old?.todo_list ?? []), "b"] }));
    expect(c.getState(d)).toMatchObject({ status: "success", data: { todo_list: ["a", "b"] } });
    expect(listener).toHaveBeenCalledTimes(3); // fetching, success, setData
    c.setData(d, () => undefined); // nothing
    expect(listener).toHaveBeenCalledTimes(3);
    c.setData(projects({}), { names: ["new"] }); // creates the entry
    expect(c.getState(projects({})).data).toEqual({ names: ["new"] });
    void c.invalidate(["todos"]);
    await flush();
    expect(f.requests).toHaveLength(2);
  });
});

describe("events: client.on()", () => {
  it("names the cause of every invalidation and of the fetch it starts", async () => {
    const c = client();
    const events: [string, unknown][] = [];
    for (const type of ["fetch", "success", "error", "invalidate"] as (keyof MizanEvents)[])
      c.on(type, (e) => events.push([type, e]));
    c.subscribe(todos({ project: 1 }), () => {});
    await (await f.next()).json({ todo_list: [] });
    const call = c.call(addTodo, { project: 1, title: "x" });
    await (await f.next()).json({ result: { id: 1 }, invalidate: [{ context: "todos", params: { project: 1 } }] });
    await (await f.next()).json({ error: { code: "internal", message: "boom" } }, 500);
    await call;
    const off = c.on("invalidate", () => events.push(["late", null]));
    off();
    await c.invalidate(["projects"], "push");
    expect(events).toEqual([
      ["fetch", { key: "todos?project=1", cause: "mount" }],
      ["success", { key: "todos?project=1", data: { todo_list: [] } }],
      ["invalidate", { list: [{ context: "todos", params: { project: 1 } }], cause: "mutation:add_todo", keys: ["todos?project=1"] }],
      ["fetch", { key: "todos?project=1", cause: "mutation:add_todo" }],
      ["error", { key: "todos?project=1", error: expect.objectContaining({ code: "internal" }) }],
      ["invalidate", { list: ["projects"], cause: "push", keys: [] }],
    ]);
  });

  it("a view-path answer's header and a context response's header name themselves", async () => {
    const c = client({ navigate: () => {} });
    const causes: string[] = [];
    c.on("invalidate", ({ cause }) => causes.push(cause));
    c.subscribe(todos({ project: 1 }), () => {});
    await (await f.next()).json({ todo_list: [] }, 200, { "X-Mizan-Invalidate": "projects" });
    const p = submitForm(c, { action: "/todos/1/toggle", method: "POST", body: new URLSearchParams() });
    await (await f.next()).respond(new Response(null, { status: 204, headers: { "X-Mizan-Invalidate": "projects" } }));
    await p;
    expect(causes).toEqual(["context:todos?project=1", "route:/todos/1/toggle"]);
  });
});

describe("cross-tab invalidation", () => {
  it("a mutation in one tab invalidates the same entries in another; pushes and tab messages are not forwarded", async () => {
    const channel = "test-" + Math.random();
    const tabA = client();
    const tabB = client();
    const stopA = crossTab(tabA, channel);
    const stopB = crossTab(tabB, channel);
    const seen: string[] = [];
    tabB.on("invalidate", ({ cause }) => seen.push(cause));
    tabB.subscribe(todos({ project: 1 }), () => {});
    await (await f.next()).json({ todo_list: [] });
    const call = tabA.call(addTodo, { project: 1, title: "x" });
    await (await f.next()).json({ result: { id: 1 }, invalidate: [{ context: "todos", params: { project: 1 } }] });
    await call;
    await vi.waitFor(() => expect(seen).toEqual(["tab:mutation:add_todo"]));
    await flush();
    expect(f.last().url).toBe("/api/mizan/ctx/todos/?project=1");
    expect(f.last().init.cache).toBe("no-cache");
    await tabA.invalidate(["projects"], "push");
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(["tab:mutation:add_todo"]);
    stopA();
    stopB();
  });
});

describe("devtools panel", () => {
  it("lists entries and shows, for each fetch, the mutation that caused it", async () => {
    const c = client();
    const remove = mountDevtools(c);
    c.subscribe(todos({ project: 1 }), () => {});
    await (await f.next()).json({ todo_list: [] });
    const call = c.call(addTodo, { project: 1, title: "x" });
    await (await f.next()).json({ result: { id: 1 }, invalidate: ["todos"] });
    await (await f.next()).json({ todo_list: ["x"] });
    await call;
    await new Promise((r) => setTimeout(r, 40));
    const panel = document.querySelector("[data-mizan-devtools]")!;
    expect(panel.querySelector('[data-entries] tr[data-key="todos?project=1"]')!.textContent).toContain("success");
    const log = [...panel.querySelectorAll("[data-log] tr")].map((tr) => (tr as HTMLElement).dataset.cause);
    expect(log).toEqual(["mutation:add_todo", "mount"]);
    remove();
    expect(document.querySelector("[data-mizan-devtools]")).toBeNull();
  });

  it("lists a fetch that started before it was mounted, its cause unknown", async () => {
    const c = client();
    c.subscribe(todos({ project: 2 }), () => {});
    const remove = mountDevtools(c);
    await (await f.next()).json({ todo_list: [] });
    await new Promise((r) => setTimeout(r, 40));
    const rows = [...document.querySelectorAll("[data-mizan-devtools] [data-log] tr")] as HTMLElement[];
    expect(rows.map((tr) => [tr.dataset.key, tr.dataset.cause])).toEqual([["todos?project=2", "(before devtools)"]]);
    expect(rows[0]!.textContent).toContain("ok");
    remove();
  });
});
