// The framework-free observers every adapter binds to: ContextObserver and MutationObserver.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ClientOptions,
  ContextObserver,
  defineCall,
  defineContext,
  keepPreviousData,
  listEntries,
  MizanClient,
  MutationObserver,
  skipToken,
} from "@mizan/runtime";
import { fakeFetch, flush } from "./fake-fetch";

type Todo = { id: number; title: string; done: boolean };
const todos = defineContext<{ project: number }, { todo_list: Todo[]; project_info: { name: string } }>("todos");
const addTodo = defineCall<{ project: number; title: string }, { id: number }>("add_todo");
const toggle = defineCall<{ id: number }, Todo>("toggle_todo");

let f: ReturnType<typeof fakeFetch>;
const client = (options: ClientOptions = {}) => new MizanClient({ fetch: f.fetch, retry: false, ...options });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 1_000_000 });
  f = fakeFetch();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("ContextObserver", () => {
  it("reports isLoading before it subscribes when it will fetch on subscribe (no blank frame)", async () => {
    const c = client();
    const o = new ContextObserver(c, todos({ project: 1 }));
    const before = o.getResult();
    expect(before).toMatchObject({ status: "pending", isLoading: true, isFetching: true });
    expect(o.getResult()).toBe(before); // stable until something changes
    expect(f.requests).toHaveLength(0);
    o.subscribe(() => {});
    expect(f.requests).toHaveLength(1);
    await f.last().json({ todo_list: [], project_info: { name: "p" } });
    expect(o.getResult()).toMatchObject({ status: "success", isLoading: false, isFetching: false });
    // a disabled observer of nothing is not loading
    expect(new ContextObserver(c, todos({ project: 2 }), { enabled: false }).getResult().isLoading).toBe(false);
  });

  it("enabled: false keeps observing: it shows data another observer fetched, and never fetches", async () => {
    const c = client();
    const d = todos({ project: 1 });
    const passive = new ContextObserver(c, d, { enabled: false });
    const seen = vi.fn();
    passive.subscribe(seen);
    expect(f.requests).toHaveLength(0);
    c.subscribe(d, () => {});
    await f.last().json({ todo_list: [], project_info: { name: "p" } });
    expect(seen).toHaveBeenCalled();
    expect(passive.getResult().data).toEqual({ todo_list: [], project_info: { name: "p" } });
    // an invalidation does not refetch an entry observed only passively
    const only = todos({ project: 2 });
    c.setData(only, { todo_list: [], project_info: { name: "q" } });
    new ContextObserver(c, only, { enabled: false }).subscribe(() => {});
    await c.invalidate([{ context: "todos", params: { project: 2 } }]);
    expect(f.requests).toHaveLength(1);
    expect(c.getState(only).stale).toBe(true);
  });

  it("skipToken observes and fetches nothing; refetch rejects", async () => {
    const c = client();
    const o = new ContextObserver(c, skipToken);
    o.subscribe(() => {})();
    expect(o.getResult()).toMatchObject({ status: "pending", isLoading: false, data: undefined });
    await expect(o.getResult().refetch()).rejects.toThrow("skipToken");
    expect(f.requests).toHaveLength(0);
    expect(listEntries(c)).toEqual([]);
    expect(c.getState(skipToken)).toMatchObject({ status: "pending", fetchStatus: "idle", data: undefined });
  });

  it("select derives a value, structurally shared: an equal selection keeps its object", async () => {
    const c = client();
    const d = todos({ project: 1 });
    const o = new ContextObserver(c, d, { select: (data) => data.todo_list.filter((t) => !t.done) });
    o.subscribe(() => {});
    await f.last().json({ todo_list: [{ id: 1, title: "a", done: false }], project_info: { name: "p" } });
    const open = o.getResult().data;
    expect(open).toEqual([{ id: 1, title: "a", done: false }]);
    // the project was renamed: the selection is equal, so the result is the same object
    c.fetch(d);
    await f.last().json({ todo_list: [{ id: 1, title: "a", done: false }], project_info: { name: "renamed" } });
    expect(o.getResult().data).toBe(open);
    // an inline select (a new function every render) does not change an equal selection
    o.setOptions(d, { select: (data) => data.todo_list.filter((t) => !t.done) });
    expect(o.getResult().data).toBe(open);
  });

  it("placeholderData: keepPreviousData shows the previous params' data while the new load", async () => {
    const c = client();
    const o = new ContextObserver(c, todos({ project: 1 }), { placeholderData: keepPreviousData });
    let unsubscribe = o.subscribe(() => {});
    await f.last().json({ todo_list: [], project_info: { name: "one" } });
    expect(o.getResult().data).toMatchObject({ project_info: { name: "one" } }); // as an adapter reads it
    o.setOptions(todos({ project: 2 }), { placeholderData: keepPreviousData });
    unsubscribe();
    unsubscribe = o.subscribe(() => {});
    expect(o.getResult()).toMatchObject({
      status: "success",
      isPlaceholderData: true,
      isFetching: true,
      data: { project_info: { name: "one" } },
    });
    await f.last().json({ todo_list: [], project_info: { name: "two" } });
    expect(o.getResult()).toMatchObject({ isPlaceholderData: false, data: { project_info: { name: "two" } } });
    // a plain value works too
    const fixed = new ContextObserver(c, todos({ project: 3 }), { placeholderData: { todo_list: [], project_info: { name: "…" } } });
    expect(fixed.getResult()).toMatchObject({ isPlaceholderData: true, data: { project_info: { name: "…" } } });
  });
});

describe("MutationObserver", () => {
  it("idle → pending → success with variables; call() never rejects, callAsync() does", async () => {
    const c = client();
    const o = new MutationObserver(c, addTodo);
    const states: string[] = [];
    o.subscribe(() => states.push(o.getResult().status));
    expect(o.getResult()).toMatchObject({ status: "idle", isIdle: true, variables: undefined });
    o.call({ project: 1, title: "a" });
    expect(o.getResult()).toMatchObject({ status: "pending", isPending: true, variables: { project: 1, title: "a" } });
    await (await f.next()).json({ result: { id: 7 }, invalidate: [] });
    expect(o.getResult()).toMatchObject({ status: "success", isSuccess: true, data: { id: 7 } });

    o.call({ project: 1, title: "" }); // rejected by the server: no unhandled rejection
    await (await f.next()).json({ error: { code: "validation", message: "bad", fields: { title: ["empty"] } } }, 422);
    expect(o.getResult()).toMatchObject({ status: "error", isError: true, error: { code: "validation" } });

    const p = expect(o.callAsync({ project: 1, title: "" })).rejects.toMatchObject({ code: "validation" });
    await (await f.next()).json({ error: { code: "validation", message: "bad" } }, 422);
    await p;
    expect(states).toEqual(["pending", "success", "pending", "error", "pending", "error"]);
    o.reset();
    expect(o.getResult().status).toBe("idle");
  });

  it("each subscription is its own: one listener subscribed twice and unsubscribed once still hears", () => {
    const o = new MutationObserver(client(), addTodo);
    const heard: unknown[][] = [];
    const listener = (...args: unknown[]) => void heard.push(args);
    const first = o.subscribe(listener);
    o.subscribe(listener);
    first();
    o.reset();
    expect(heard).toEqual([[]]); // once, with no argument
  });

  it("observer callbacks run for every call; per-call callbacks only for the latest", async () => {
    const c = client();
    const onSuccess = vi.fn();
    const onSettled = vi.fn();
    const o = new MutationObserver(c, addTodo, { onSuccess, onSettled });
    const first = vi.fn();
    const second = vi.fn();
    o.call({ project: 1, title: "a" }, { onSuccess: first });
    o.call({ project: 1, title: "b" }, { onSuccess: second, onError: second });
    await flush();
    await f.requests[1]!.json({ result: { id: 2 }, invalidate: [] });
    await f.requests[0]!.json({ result: { id: 1 }, invalidate: [] });
    expect(onSuccess).toHaveBeenCalledTimes(2);
    expect(onSettled).toHaveBeenCalledWith({ id: 1 }, undefined, { project: 1, title: "a" });
    expect(first).not.toHaveBeenCalled(); // superseded by the second call
    expect(second).toHaveBeenCalledWith({ id: 2 }, { project: 1, title: "b" });
    expect(o.getResult()).toMatchObject({ data: { id: 2 }, variables: { project: 1, title: "b" } });
  });

  it("settles by default only after the on-screen contexts it invalidated refetched", async () => {
    const c = client();
    c.subscribe(todos({ project: 1 }), () => {});
    await (await f.next()).json({ todo_list: [], project_info: { name: "p" } });
    const o = new MutationObserver(c, addTodo);
    const done = vi.fn();
    o.call({ project: 1, title: "a" }, { onSuccess: done });
    await (await f.next()).json({ result: { id: 1 }, invalidate: [{ context: "todos", params: { project: 1 } }] });
    expect(o.getResult().status).toBe("pending");
    expect(done).not.toHaveBeenCalled();
    await (await f.next()).json({ todo_list: [{ id: 1, title: "a", done: false }], project_info: { name: "p" } });
    expect(o.getResult().status).toBe("success");
    expect(done).toHaveBeenCalled();
    // settle: false does not wait
    const quick = new MutationObserver(c, addTodo, { settle: false });
    quick.call({ project: 1, title: "b" });
    await (await f.next()).json({ result: { id: 2 }, invalidate: ["todos"] });
    expect(quick.getResult().status).toBe("success");
  });

  it("an optimistic update shows at once and is rolled back when the call fails", async () => {
    const c = client();
    const d = todos({ project: 1 });
    c.subscribe(d, () => {});
    await (await f.next()).json({ todo_list: [{ id: 1, title: "a", done: false }], project_info: { name: "p" } });
    const before = c.getState(d).data;
    const o = new MutationObserver(c, toggle, {
      optimistic: ({ id }, client) =>
        client.setData(d, (data) => data && { ...data, todo_list: data.todo_list.map((t) => (t.id == id ? { ...t, done: !t.done } : t)) }),
    });
    o.call({ id: 1 });
    expect(c.getState(d).data!.todo_list[0]!.done).toBe(true);
    expect(c.getState(d).data!.project_info).toBe(before!.project_info); // structurally shared
    await (await f.next()).json({ error: { code: "internal", message: "boom" } }, 500);
    expect(c.getState(d).data).toBe(before);
    expect(o.getResult().status).toBe("error");
  });
});
