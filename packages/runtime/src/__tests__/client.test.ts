import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ClientOptions, defineCall, defineContext, dehydrate, hydrate, MizanClient, MizanError, submitForm } from "@mizan/runtime";
import { fakeFetch, flush } from "./fake-fetch";
import { page } from "./page";

/** Advances the fake clock, then lets the promise chains it woke up run. */
const tick = async (ms: number) => {
  vi.advanceTimersByTime(ms);
  await flush();
};

const todos = defineContext<{ project: number; done?: boolean | null }, { todo_list: string[] }>("todos");
const projects = defineContext<Record<string, never>, { names: string[] }>("projects");
const addTodo = defineCall<{ project: number; title: string }, { id: number }>("add_todo");
const toggle = defineCall<{ id: number }, Response>("toggle", { view: true });

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

describe("entry state machine", () => {
  it("starts pending/idle, the same object until something changes", () => {
    const c = client();
    const s = c.getState(todos({ project: 3 }));
    expect(s).toEqual({
      status: "pending",
      fetchStatus: "idle",
      data: undefined,
      error: undefined,
      updatedAt: 0,
      failureCount: 0,
      stale: false,
    });
    expect(c.getState(todos({ project: 3 }))).toBe(s);
    expect(f.requests).toHaveLength(0);
  });

  it("the first observer fetches: pending/fetching, then success/idle", async () => {
    const c = client();
    const d = todos({ project: 3 });
    const listener = vi.fn();
    c.subscribe(d, listener);
    expect((await f.next()).url).toBe("/api/mizan/ctx/todos/?project=3");
    expect((await f.next()).init.method).toBeUndefined(); // GET
    const fetching = c.getState(d);
    expect([fetching.status, fetching.fetchStatus]).toEqual(["pending", "fetching"]);
    expect(listener).toHaveBeenCalledTimes(1);
    vi.setSystemTime(2_000_000);
    await (await f.next()).json({ todo_list: ["a"] });
    const done = c.getState(d);
    expect(done).toMatchObject({ status: "success", fetchStatus: "idle", data: { todo_list: ["a"] }, updatedAt: 2_000_000 });
    expect(done).not.toBe(fetching);
    expect(c.getState(d)).toBe(done);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it("builds the URL from baseUrl, without ? when there are no params, nulls dropped", async () => {
    const c = client({ baseUrl: "https://api.example/m" });
    c.subscribe(projects({}), () => {});
    c.subscribe(todos({ project: 3, done: null }), () => {});
    expect(f.requests.map((r) => r.url)).toEqual(["https://api.example/m/ctx/projects/", "https://api.example/m/ctx/todos/?project=3"]);
    expect(todos({ project: 3, done: null }).key).toBe("todos?project=3");
    expect(projects({}).key).toBe("projects");
  });

  it("a refetch keeps status and data; a later error keeps data", async () => {
    const c = client();
    const d = todos({ project: 3 });
    c.subscribe(d, () => {});
    await (await f.next()).json({ todo_list: ["a"] });
    const p = c.fetch(d);
    expect(c.getState(d)).toMatchObject({ status: "success", fetchStatus: "fetching", data: { todo_list: ["a"] } });
    await (await f.next()).json({ error: { code: "forbidden", message: "no" } }, 403);
    await expect(p).rejects.toMatchObject({ code: "forbidden", status: 403 });
    const s = c.getState(d);
    expect(s).toMatchObject({ status: "error", fetchStatus: "idle", data: { todo_list: ["a"] }, failureCount: 1 });
    expect(s.error).toBeInstanceOf(MizanError);
    // a success clears the error and the failure count
    c.fetch(d);
    expect(c.getState(d).error).toBe(s.error); // kept while refetching
    await (await f.next()).json({ todo_list: ["b"] });
    expect(c.getState(d)).toMatchObject({ status: "success", error: undefined, failureCount: 0, data: { todo_list: ["b"] } });
  });

  it("a throwing listener does not turn a success into an error; it is reported", async () => {
    const report = vi.spyOn(console, "error").mockImplementation(() => {});
    const c = client();
    const d = projects({});
    c.subscribe(d, () => {
      if (c.getState(d).status == "success") throw new Error("render bug");
    });
    const p = c.fetch(d);
    await (await f.next()).json({ names: [] });
    await expect(p).resolves.toEqual({ names: [] });
    expect(c.getState(d)).toMatchObject({ status: "success", fetchStatus: "idle", error: undefined });
    expect(report).toHaveBeenCalledWith(new Error("render bug"));
  });

  it("a 200 whose body is not JSON is an error with code http", async () => {
    const c = client();
    const p = c.fetch(projects({}));
    await (await f.next()).respond(new Response("<html>", { status: 200 }));
    await expect(p).rejects.toMatchObject({ code: "http", status: 200 });
  });

  it("fetch() resolves with the data", async () => {
    const c = client();
    const p = c.fetch(projects({}));
    await (await f.next()).json({ names: ["x"] });
    await expect(p).resolves.toEqual({ names: ["x"] });
  });
});

describe("observers and dedupe", () => {
  it("concurrent fetches share one request and one promise", async () => {
    const c = client();
    const d = todos({ project: 3 });
    c.subscribe(d, () => {});
    c.subscribe(todos({ project: 3 }), () => {});
    const a = c.fetch(d);
    const b = c.fetch(todos({ project: 3 }));
    expect(a).toBe(b);
    expect(f.requests).toHaveLength(1);
    await (await f.next()).json({ todo_list: [] });
    await expect(a).resolves.toEqual({ todo_list: [] });
  });

  it("later observers of fresh data do not fetch; unsubscribe is idempotent", async () => {
    const c = client();
    const d = todos({ project: 3 });
    const un = c.subscribe(d, () => {});
    await (await f.next()).json({ todo_list: [] });
    un();
    un();
    c.subscribe(d, () => {});
    c.subscribe(d, () => {});
    expect(f.requests).toHaveLength(1);
  });

  it("the same listener subscribed twice counts as two observers", async () => {
    const c = client({ gcTime: 1000 });
    const d = todos({ project: 3 });
    const listener = vi.fn();
    const un1 = c.subscribe(d, listener);
    const un2 = c.subscribe(d, listener);
    await (await f.next()).json({ todo_list: [] });
    // fetching (one subscription so far), then success (both)
    expect(listener).toHaveBeenCalledTimes(3);
    un1();
    vi.advanceTimersByTime(5000);
    expect(c.getState(d).status).toBe("success"); // still observed: not collected
    un2();
  });

  it("the first observer of an errored entry refetches", async () => {
    const c = client();
    const d = todos({ project: 3 });
    const un = c.subscribe(d, () => {});
    await (await f.next()).json({ error: { code: "internal", message: "internal error" } }, 500);
    expect(c.getState(d).status).toBe("error");
    un();
    c.subscribe(d, () => {});
    expect(f.requests).toHaveLength(2);
  });
});

describe("garbage collection", () => {
  it("removes an entry gcTime after its last observer left", async () => {
    const c = client({ gcTime: 1000 });
    const d = todos({ project: 3 });
    const un = c.subscribe(d, () => {});
    await (await f.next()).json({ todo_list: [] });
    un();
    vi.advanceTimersByTime(999);
    expect(c.getState(d).status).toBe("success");
    vi.advanceTimersByTime(1);
    expect(c.getState(d).status).toBe("pending");
    expect(dehydrate(c)).toEqual({});
  });

  it("a new observer within gcTime cancels the collection", async () => {
    const c = client({ gcTime: 1000 });
    const d = todos({ project: 3 });
    const un = c.subscribe(d, () => {});
    await (await f.next()).json({ todo_list: [] });
    un();
    vi.advanceTimersByTime(500);
    c.subscribe(d, () => {});
    vi.advanceTimersByTime(5000);
    expect(c.getState(d).status).toBe("success");
  });

  it("collects entries that were never observed", () => {
    const c = client({ gcTime: 1000 });
    const s = c.getState(projects({}));
    vi.advanceTimersByTime(1000);
    expect(c.getState(projects({}))).toBe(s); // the shared initial state, but…
    hydrate(c, page(projects({}), { names: [] }, 1));
    vi.advanceTimersByTime(999);
    expect(dehydrate(c)).toEqual(page(projects({}), { names: [] }, 1));
    vi.advanceTimersByTime(1);
    expect(dehydrate(c)).toEqual({});
  });

  it("aborts the in-flight request of a collected entry and ignores it", async () => {
    const c = client({ gcTime: 1000 });
    const d = todos({ project: 3 });
    const un = c.subscribe(d, () => {});
    const p = c.fetch(d);
    const signal = (await f.next()).init.signal!;
    un();
    vi.advanceTimersByTime(1000);
    expect(signal.aborted).toBe(true);
    await expect(p).rejects.toMatchObject({ code: "aborted", status: 0 });
    expect(c.getState(d).status).toBe("pending");
  });

  it("an invalidation waiting on a collected entry's fetch resolves", async () => {
    const c = client({ gcTime: 1000 });
    c.fetch(projects({})); // in flight, unobserved
    let done = false;
    c.invalidate(["projects"]).then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    // the fetch in flight was restarted by the invalidation
    expect(f.requests).toHaveLength(2);
    expect(f.requests[0]!.init.signal!.aborted).toBe(true);
    vi.advanceTimersByTime(1000);
    await flush();
    expect(done).toBe(true);
    expect(f.requests[1]!.init.signal!.aborted).toBe(true);
  });

  it("gcTime Infinity keeps entries", async () => {
    const c = client({ gcTime: Infinity });
    hydrate(c, page(projects({}), { names: [] }, 1));
    vi.advanceTimersByTime(1e9);
    expect(dehydrate(c)).toEqual(page(projects({}), { names: [] }, 1));
  });
});

describe("sequence numbers and invalidation while fetching", () => {
  it("hydrate() shows page data during a fetch and lets the fetch land", async () => {
    const c = client();
    const d = projects({});
    c.subscribe(d, () => {});
    const inFlight = await f.next();
    hydrate(c, page(d, { names: ["page"] }));
    expect(c.getState(d)).toMatchObject({ status: "success", fetchStatus: "fetching", data: { names: ["page"] } });
    vi.setSystemTime(1_000_500);
    await inFlight.json({ names: ["server"] });
    expect(c.getState(d)).toMatchObject({ status: "success", fetchStatus: "idle", data: { names: ["server"] } });
    expect(f.requests).toHaveLength(1);
  });

  it("an invalidation during a fetch aborts it and fetches once more at once (one round trip)", async () => {
    const c = client();
    const d = todos({ project: 3 });
    const first = c.fetch(d);
    c.subscribe(d, () => {});
    c.invalidate(["todos"]);
    c.invalidate([{ context: "todos", params: { project: 3 } }]);
    await flush();
    expect(f.requests).toHaveLength(2);
    expect(f.requests[0]!.init.signal!.aborted).toBe(true);
    expect(f.requests[1]!.init.cache).toBe("no-cache");
    expect(c.getState(d)).toMatchObject({ fetchStatus: "fetching", stale: true });
    await f.requests[1]!.json({ todo_list: ["new"] });
    await flush();
    expect(f.requests).toHaveLength(2);
    expect(c.getState(d)).toMatchObject({ fetchStatus: "idle", stale: false, data: { todo_list: ["new"] } });
    // a caller of the aborted fetch gets the restarted fetch's answer
    await expect(first).resolves.toEqual({ todo_list: ["new"] });
  });
});

describe("retries", () => {
  const retrying = (retry: ClientOptions["retry"] = {}) => client({ retry });

  it("retries network errors and 5xx with exponential backoff, paused while waiting", async () => {
    vi.spyOn(Math, "random").mockReturnValue(1); // jitter factor 1
    const c = retrying({ retries: 3, baseDelay: 100 });
    const d = todos({ project: 3 });
    c.subscribe(d, () => {});
    await (await f.next()).fail();
    expect(c.getState(d)).toMatchObject({ status: "pending", fetchStatus: "paused", failureCount: 1 });
    await tick(99);
    expect(f.requests).toHaveLength(1);
    await tick(1);
    expect(f.requests).toHaveLength(2);
    expect(c.getState(d)).toMatchObject({ fetchStatus: "fetching", failureCount: 1 });
    await (await f.next()).json({ error: { code: "internal", message: "internal error" } }, 500);
    await tick(199);
    expect(f.requests).toHaveLength(2);
    await tick(1);
    expect(f.requests).toHaveLength(3);
    await (await f.next()).respond(new Response("bad gateway", { status: 502 }));
    await tick(400);
    expect(f.requests).toHaveLength(4);
    await (await f.next()).fail();
    // retries exhausted: error
    expect(c.getState(d)).toMatchObject({ status: "error", fetchStatus: "idle", failureCount: 4 });
    expect(c.getState(d).error).toMatchObject({ code: "network", status: 0 });
    await tick(1e6);
    expect(f.requests).toHaveLength(4);
  });

  it("uses the defaults (3 retries, 300 ms base) with jitter, capped at maxDelay", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0); // jitter factor 0.5
    const c = retrying({ maxDelay: 500 });
    c.subscribe(projects({}), () => {});
    await (await f.next()).fail();
    await tick(149);
    expect(f.requests).toHaveLength(1);
    await tick(1); // 300 * 0.5
    expect(f.requests).toHaveLength(2);
    await (await f.next()).fail();
    await tick(250); // min(500, 600) * 0.5
    expect(f.requests).toHaveLength(3);
    await (await f.next()).fail();
    await tick(250); // min(500, 1200) * 0.5
    expect(f.requests).toHaveLength(4);
    await (await f.next()).fail();
    expect(c.getState(projects({})).status).toBe("error");
  });

  it("honours Retry-After in seconds and as a date", async () => {
    const c = retrying({ baseDelay: 10 });
    c.subscribe(projects({}), () => {});
    await (await f.next()).json({ error: { code: "unavailable", message: "later" } }, 503, { "Retry-After": "5" });
    await tick(4999);
    expect(f.requests).toHaveLength(1);
    await tick(1);
    expect(f.requests).toHaveLength(2);
    const at = new Date(Date.now() + 8000).toUTCString();
    await (await f.next()).json({ error: { code: "unavailable", message: "later" } }, 503, { "Retry-After": at });
    await tick(7999);
    expect(f.requests).toHaveLength(2);
    await tick(1);
    expect(f.requests).toHaveLength(3);
  });

  it("does not retry 4xx", async () => {
    const c = retrying();
    const p = c.fetch(projects({}));
    await (await f.next()).json({ error: { code: "bad_request", message: "no", fields: { x: ["unknown"] } } }, 400);
    await expect(p).rejects.toMatchObject({ code: "bad_request", fields: { x: ["unknown"] } });
    await tick(1e6);
    expect(f.requests).toHaveLength(1);
  });

  it("retry: false fails at once", async () => {
    const c = client({ retry: false });
    const p = c.fetch(projects({}));
    await (await f.next()).fail();
    await expect(p).rejects.toMatchObject({ code: "network" });
    expect(c.getState(projects({})).failureCount).toBe(1);
  });

  it("a retry wait is aborted with the entry", async () => {
    const c = client({ retry: { baseDelay: 10_000 }, gcTime: 1000 });
    const un = c.subscribe(projects({}), () => {});
    const p = c.fetch(projects({}));
    await (await f.next()).fail();
    expect(c.getState(projects({})).fetchStatus).toBe("paused");
    un();
    await tick(1000); // gcTime, before the retry delay
    await expect(p).rejects.toMatchObject({ code: "aborted" });
    await tick(1e6);
    expect(f.requests).toHaveLength(1);
  });

  it("never retries a call (mutation), on 5xx or network errors", async () => {
    const c = retrying();
    const a = expect(c.call(addTodo, { project: 3, title: "x" })).rejects.toMatchObject({ code: "internal", status: 500 });
    await (await f.next()).json({ error: { code: "internal", message: "internal error" } }, 500);
    await a;
    const b = expect(c.call(addTodo, { project: 3, title: "x" })).rejects.toMatchObject({ code: "network", status: 0 });
    await (await f.next()).fail();
    await b;
    await tick(1e6);
    expect(f.requests).toHaveLength(2);
  });
});

describe("invalidation", () => {
  /** A client observing todos 3 and 4 and projects, all loaded. */
  const loaded = async (options: ClientOptions = {}) => {
    const c = client(options);
    c.subscribe(todos({ project: 3 }), () => {});
    c.subscribe(todos({ project: 4, done: false }), () => {});
    c.subscribe(projects({}), () => {});
    await flush();
    for (const r of [...f.requests]) await r.json({});
    f.requests.length = 0;
    return c;
  };
  const urls = () => f.requests.map((r) => r.url).sort();

  it("a name hits every instance of its context", async () => {
    const c = await loaded();
    c.invalidate(["todos"]);
    await flush();
    expect(urls()).toEqual(["/api/mizan/ctx/todos/?done=false&project=4", "/api/mizan/ctx/todos/?project=3"]);
  });

  it("refetches after an invalidation bypass the browser's HTTP cache; first loads do not", async () => {
    const c = client();
    c.subscribe(todos({ project: 3 }), () => {});
    await flush();
    expect(f.last().init.cache).toBeUndefined();
    await f.last().json({ todo_list: [] }, 200, { "Cache-Control": "public, max-age=30" });
    c.invalidate(["todos"]);
    await flush();
    // max-age=30 would let the browser answer from its cache with what just changed.
    expect(f.last().init.cache).toBe("no-cache");
    await f.last().json({ todo_list: ["new"] });
    c.subscribe(projects({}), () => {});
    await flush();
    expect(f.last().url).toBe("/api/mizan/ctx/projects/");
    expect(f.last().init.cache).toBeUndefined();
  });

  it("a stale entry's refetch on its next subscribe bypasses the HTTP cache too", async () => {
    const c = client();
    const unsubscribe = c.subscribe(todos({ project: 3 }), () => {});
    await flush();
    await f.last().json({ todo_list: [] });
    unsubscribe();
    await c.invalidate(["todos"]);
    expect(c.getState(todos({ project: 3 })).stale).toBe(true);
    c.subscribe(todos({ project: 3 }), () => {});
    await flush();
    expect(f.last().init.cache).toBe("no-cache");
  });

  it("a scope hits the matching instances only", async () => {
    const c = await loaded();
    c.invalidate([{ context: "todos", params: { project: 4.0 } }]);
    await flush();
    expect(urls()).toEqual(["/api/mizan/ctx/todos/?done=false&project=4"]);
    f.requests.length = 0;
    c.invalidate([{ context: "todos", params: { project: 3, done: true } }, { context: "projects", params: { id: 1 } }]);
    await flush();
    // todos 3 lacks `done` and projects lacks `id`: both hit; todos 4 holds another project
    expect(urls()).toEqual(["/api/mizan/ctx/projects/", "/api/mizan/ctx/todos/?project=3"]);
    f.requests.length = 0;
    c.invalidate([{ context: "todos", params: { project: 4, done: true } }, { context: "todos", params: { project: 5 } }]);
    await flush();
    expect(urls()).toEqual([]);
  });

  it("a scope refetches the unfiltered instance that lacks one of its keys (issue 6)", async () => {
    const c = client();
    const unfiltered = todos({ project: 3 });
    const other = todos({ project: 4 });
    c.subscribe(unfiltered, () => {});
    c.subscribe(other, () => {});
    await flush();
    await f.requests[0]!.json({ todo_list: ["a"] });
    await f.requests[1]!.json({ todo_list: ["b"] });
    f.requests.length = 0;
    c.invalidate([{ context: "todos", params: { project: 3, done: false } }]);
    await flush();
    // {project: 3} lists the undone todos of project 3 too, so it changed; project 4 did not
    expect(urls()).toEqual(["/api/mizan/ctx/todos/?project=3"]);
    expect(c.getState(unfiltered).fetchStatus).toBe("fetching");
    expect(c.getState(other)).toMatchObject({ fetchStatus: "idle", stale: false, data: { todo_list: ["b"] } });
    await f.last().json({ todo_list: ["a", "new"] });
    expect(c.getState(unfiltered)).toMatchObject({ status: "success", data: { todo_list: ["a", "new"] } });
  });

  it("batches one response's invalidations into one round: each entry refetches once", async () => {
    const c = await loaded();
    const p = c.call(addTodo, { project: 3, title: "x" });
    await (await f.next()).json(
      { result: { id: 7 }, invalidate: ["todos", { context: "todos", params: { project: 3 } }, "projects"] },
      200,
      { "X-Mizan-Invalidate": "projects, todos" },
    );
    await flush();
    expect(f.requests.slice(1).map((r) => r.url).sort()).toEqual([
      "/api/mizan/ctx/projects/",
      "/api/mizan/ctx/todos/?done=false&project=4",
      "/api/mizan/ctx/todos/?project=3",
    ]);
  });

  it("several invalidate() calls in one tick are one round", async () => {
    const c = await loaded();
    const causes: string[] = [];
    c.on("fetch", ({ key, cause }) => causes.push(key + " " + cause));
    c.invalidate(["todos"], "first");
    c.invalidate([{ context: "todos", params: { project: 3 } }], "second");
    c.invalidate(["todos", "projects"], "third");
    expect(f.requests).toHaveLength(0); // nothing before the microtask
    await flush();
    expect(f.requests).toHaveLength(3);
    // each entry once, for the earliest invalidation that hit it
    expect(causes.sort()).toEqual(["projects third", "todos?done=false&project=4 first", "todos?project=3 first"]);
  });

  it("unobserved entries are marked stale and refetch when next observed", async () => {
    const c = client();
    const d = todos({ project: 3 });
    const un = c.subscribe(d, () => {});
    await (await f.next()).json({ todo_list: ["a"] });
    un();
    await c.invalidate(["todos"]);
    expect(f.requests).toHaveLength(1);
    const s = c.getState(d);
    expect(s).toMatchObject({ status: "success", stale: true, data: { todo_list: ["a"] } });
    await c.invalidate(["todos"]);
    expect(c.getState(d)).toBe(s); // already stale: the same object
    c.subscribe(d, () => {});
    expect(f.requests).toHaveLength(2);
    await (await f.next()).json({ todo_list: ["b"] });
    expect(c.getState(d)).toMatchObject({ stale: false, data: { todo_list: ["b"] } });
  });

  it("invalidate() resolves after the refetches it caused", async () => {
    const c = await loaded();
    let done = false;
    c.invalidate([{ context: "todos", params: { project: 3 } }]).then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    await (await f.next()).json({ error: { code: "internal", message: "internal error" } }, 500);
    expect(done).toBe(true); // even when the refetch failed
  });

  it("applyHeaders() applies X-Mizan-Invalidate; a malformed header rejects", async () => {
    const c = await loaded();
    const headers = new Headers();
    headers.append("X-Mizan-Invalidate", "projects");
    headers.append("X-Mizan-Invalidate", "%7B%22context%22%3A%22todos%22%2C%22params%22%3A%7B%22project%22%3A3%7D%7D");
    c.applyHeaders(headers);
    await flush();
    expect(urls()).toEqual(["/api/mizan/ctx/projects/", "/api/mizan/ctx/todos/?project=3"]);
    await expect(c.applyHeaders(new Headers({ "X-Mizan-Invalidate": "%7Bnope" }))).rejects.toThrow();
    await expect(c.applyHeaders(new Headers())).resolves.toBeUndefined();
  });

  it("applies X-Mizan-Invalidate of a context response to other entries, not to itself", async () => {
    const c = await loaded();
    c.fetch(todos({ project: 3 }));
    await (await f.next()).json({}, 200, { "X-Mizan-Invalidate": "todos, projects" });
    expect(urls()).toEqual([
      "/api/mizan/ctx/projects/",
      "/api/mizan/ctx/todos/?done=false&project=4",
      "/api/mizan/ctx/todos/?project=3",
    ]);
  });

  it("an error response's body and a malformed header change nothing", async () => {
    const c = await loaded();
    const p = expect(c.call(addTodo, { project: 3, title: "" })).rejects.toMatchObject({
      code: "validation",
      status: 422,
      fields: { title: ["too short"] },
    });
    await (await f.next()).json({ error: { code: "validation", message: "validation failed", fields: { title: ["too short"] } } }, 422);
    await p;
    const q = c.call(addTodo, { project: 3, title: "x" });
    await (await f.next()).json({ result: { id: 1 }, invalidate: [] }, 200, { "X-Mizan-Invalidate": "%7Bnope" });
    await expect(q).resolves.toEqual({ id: 1 });
    expect(f.requests).toHaveLength(2);
  });
});

describe("call", () => {
  it("POSTs JSON to /call/{fn}/ and resolves with the result", async () => {
    const c = client({ baseUrl: "/base" });
    const p = c.call(addTodo, { title: "hi", project: 3 });
    const r = (await f.next());
    expect(r.url).toBe("/base/call/add_todo/");
    expect(r.init.method).toBe("POST");
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.has("x-mizan-client")).toBe(false);
    expect(JSON.parse(r.init.body as string)).toEqual({ title: "hi", project: 3 });
    await r.json({ invalidate: [], result: { id: 7 } });
    await expect(p).resolves.toEqual({ id: 7 });
  });

  it("settle: resolves after the observed entries it invalidated have refetched", async () => {
    const c = client();
    const d = todos({ project: 3 });
    c.subscribe(d, () => {});
    c.subscribe(todos({ project: 4 }), () => {});
    await f.requests[0]!.json({ todo_list: [] });
    await f.requests[1]!.json({ todo_list: [] });
    let settled = false;
    const p = c.call(addTodo, { project: 3, title: "x" }, { settle: true }).then((r) => ((settled = true), r));
    await (await f.next()).json({ result: { id: 1 }, invalidate: [{ context: "todos", params: { project: 3 } }] });
    expect(f.requests).toHaveLength(4);
    expect(settled).toBe(false);
    await (await f.next()).json({ todo_list: ["x"] });
    expect(settled).toBe(true);
    await expect(p).resolves.toEqual({ id: 1 });
    expect(c.getState(d).data).toEqual({ todo_list: ["x"] });
  });

  it("without settle resolves before the refetch", async () => {
    const c = client();
    c.subscribe(todos({ project: 3 }), () => {});
    await (await f.next()).json({ todo_list: [] });
    const p = c.call(addTodo, { project: 3, title: "x" }, { settle: false });
    await (await f.next()).json({ result: { id: 1 }, invalidate: ["todos"] });
    await expect(p).resolves.toEqual({ id: 1 });
    expect(c.getState(todos({ project: 3 })).fetchStatus).toBe("fetching");
  });

  it("rejects with code aborted when its signal aborts", async () => {
    const c = client();
    const ac = new AbortController();
    const p = c.call(addTodo, { project: 3, title: "x" }, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: "aborted", status: 0 });
    await expect(p).rejects.toBeInstanceOf(MizanError);
  });

  it("view path: X-Mizan-Client, 204 + X-Mizan-Redirect navigates after invalidating, resolves with the Response", async () => {
    const navigate = vi.fn();
    const c = client({ navigate });
    c.subscribe(todos({ project: 5 }), () => {});
    await (await f.next()).json({ todo_list: [] });
    const p = c.call(toggle, { id: 5 });
    const r = (await f.next());
    expect(r.url).toBe("/api/mizan/call/toggle/");
    expect(r.headers.get("x-mizan-client")).toBe("1");
    expect(r.headers.get("content-type")).toBe("application/json");
    const res = new Response(null, { status: 204, headers: { "X-Mizan-Redirect": "/todos/5", "X-Mizan-Invalidate": "todos" } });
    await r.respond(res);
    expect(f.requests).toHaveLength(3); // todos refetched
    expect(navigate).not.toHaveBeenCalled(); // settles first (the default)
    await f.last().json({ todo_list: [] });
    await expect(p).resolves.toBe(res);
    expect(navigate).toHaveBeenCalledWith("/todos/5");
  });

  it("view path with settle navigates after the refetch", async () => {
    const navigate = vi.fn();
    const c = client({ navigate });
    c.subscribe(todos({ project: 5 }), () => {});
    await (await f.next()).json({ todo_list: [] });
    c.call(toggle, { id: 5 }, { settle: true });
    await (await f.next()).respond(new Response(null, { status: 204, headers: { "X-Mizan-Redirect": "/x", "X-Mizan-Invalidate": "todos" } }));
    expect(navigate).not.toHaveBeenCalled();
    await (await f.next()).json({ todo_list: [] });
    expect(navigate).toHaveBeenCalledWith("/x");
  });

  it("view path: a 200 page resolves without navigating; an error status rejects", async () => {
    const navigate = vi.fn();
    const c = client({ navigate });
    const p = c.call(toggle, { id: 5 });
    await (await f.next()).respond(new Response("<p>ok</p>", { status: 200, headers: { "Content-Type": "text/html" } }));
    expect(await (await p).text()).toBe("<p>ok</p>");
    const q = expect(c.call(toggle, { id: 5 })).rejects.toMatchObject({ code: "forbidden", status: 403 });
    await (await f.next()).json({ error: { code: "forbidden", message: "no" } }, 403);
    await q;
    expect(navigate).not.toHaveBeenCalled();
  });
});

describe("submit", () => {
  it("posts URLSearchParams with X-Mizan-Client and follows the redirect", async () => {
    const navigate = vi.fn();
    const c = client({ navigate });
    const body = new URLSearchParams({ done: "on" });
    const p = submitForm(c, { action: "/todos/5/toggle", method: "post", body });
    const r = (await f.next());
    expect([r.url, r.init.method, r.init.body]).toEqual(["/todos/5/toggle", "POST", body]);
    expect(r.headers.get("x-mizan-client")).toBe("1");
    await r.respond(new Response(null, { status: 204, headers: { "X-Mizan-Redirect": "/todos/5" } }));
    expect((await p).status).toBe(204);
    expect(navigate).toHaveBeenCalledWith("/todos/5");
  });

  it("sends FormData without files url-encoded, with files as multipart", async () => {
    const c = client();
    const fd = new FormData();
    fd.append("title", "a b");
    fd.append("tag", "x");
    fd.append("tag", "y");
    submitForm(c, { action: "/t", body: fd, method: "POST" });
    const sent = (await f.next()).init.body;
    expect(sent).toBeInstanceOf(URLSearchParams);
    expect(String(sent)).toBe("title=a+b&tag=x&tag=y");
    const files = new FormData();
    files.append("file", new Blob(["x"]), "x.txt");
    submitForm(c, { action: "/t", body: files, method: "POST" });
    expect((await f.next()).init.body).toBe(files);
  });

  it("a GET form goes in the query string", async () => {
    const c = client();
    submitForm(c, { action: "/search?old=1#top", body: new URLSearchParams({ q: "mizan" }) });
    expect([(await f.next()).url, (await f.next()).init.method, (await f.next()).init.body]).toEqual(["/search?q=mizan", "GET", null]);
  });

  it("rejects with a MizanError on an error status", async () => {
    const c = client();
    const p = expect(submitForm(c, { action: "/t", method: "POST", body: new URLSearchParams() })).rejects.toMatchObject({
      code: "validation",
      fields: { title: ["required"] },
    });
    await (await f.next()).json({ error: { code: "validation", message: "bad", fields: { title: ["required"] } } }, 422);
    await p;
  });
});

describe("hydration", () => {
  it("hydrated entries start success without a fetch", () => {
    const c = client();
    hydrate(c, { ...page(todos({ project: 3 }), { todo_list: ["ssr"] }), ...page(projects({}), { names: [] }) });
    const d = todos({ project: 3 });
    expect(c.getState(d)).toMatchObject({ status: "success", fetchStatus: "idle", data: { todo_list: ["ssr"] }, updatedAt: 1_000_000 });
    c.subscribe(d, () => {});
    c.subscribe(projects({}), () => {});
    expect(f.requests).toHaveLength(0);
  });

  it("canonicalizes hydration keys; hydrated entries are invalidated like any other", async () => {
    const c = client();
    hydrate(c, { any: { context: "todos", params: { project: 3.0, done: false }, data: { todo_list: [] }, updatedAt: 1, stale: false } });
    expect(c.getState(todos({ project: 3, done: false })).status).toBe("success");
    c.subscribe(todos({ done: false, project: 3 }), () => {});
    c.invalidate([{ context: "todos", params: { project: 3 } }]);
    expect((await f.next()).url).toBe("/api/mizan/ctx/todos/?done=false&project=3");
  });

  it("dehydrate() returns successful entries by key and round-trips", async () => {
    const c = client();
    c.fetch(todos({ project: 3 }));
    await (await f.next()).json({ todo_list: ["a"] });
    c.fetch(projects({}));
    await (await f.next()).json({ error: { code: "forbidden", message: "no" } }, 403).catch(() => {});
    c.getState(todos({ project: 4 }));
    const data = dehydrate(c);
    expect(data).toEqual({
      "todos?project=3": { context: "todos", params: { project: 3 }, data: { todo_list: ["a"] }, updatedAt: 1_000_000, stale: false },
    });
    const other = client();
    hydrate(other, JSON.parse(JSON.stringify(data)));
    expect(other.getState(todos({ project: 3 })).data).toEqual({ todo_list: ["a"] });
  });
});

describe("headers hook and fetch injection", () => {
  it("calls the (async) hook per request, retries included; own headers win", async () => {
    let n = 0;
    const hook = vi.fn(async () => ({ Authorization: `Bearer ${++n}`, "Content-Type": "text/plain" }));
    const c = client({ headers: hook, retry: { baseDelay: 1 } });
    c.subscribe(projects({}), () => {});
    await flush();
    expect((await f.next()).headers.get("authorization")).toBe("Bearer 1");
    await (await f.next()).fail();
    vi.advanceTimersByTime(1);
    await flush();
    expect((await f.next()).headers.get("authorization")).toBe("Bearer 2");
    c.call(addTodo, { project: 1, title: "x" });
    await flush();
    expect((await f.next()).headers.get("authorization")).toBe("Bearer 3");
    expect((await f.next()).headers.get("content-type")).toBe("application/json");
    expect(hook).toHaveBeenCalledTimes(3);
  });

  it("a throwing hook is a network error", async () => {
    const c = client({
      headers: () => {
        throw new Error("no token");
      },
    });
    await expect(c.call(addTodo, { project: 1, title: "x" })).rejects.toMatchObject({ code: "network", message: "Error: no token" });
  });

  it("defaults to globalThis.fetch, looked up per request, called without a this", async () => {
    const g = vi.fn(function (this: unknown) {
      expect(this).toBeUndefined();
      return Promise.resolve(new Response('{"names":[]}'));
    });
    vi.stubGlobal("fetch", g);
    try {
      const c = new MizanClient();
      await expect(c.fetch(projects({}))).resolves.toEqual({ names: [] });
      expect(g).toHaveBeenCalledTimes(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
