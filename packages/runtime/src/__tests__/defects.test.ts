// Regression tests for the defects of issue 8 (client kernel v2): each failed on the kernel
// before it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ClientOptions, defineCall, defineContext, dehydrate, hydrate, listEntries, MizanClient } from "@mizan/runtime";
import { fakeFetch, flush } from "./fake-fetch";
import { page } from "./page";

const todos = defineContext<{ project: number; page?: number }, { todo_list: { id: number; title: string }[] }>("todos", {
  page: 1,
});
const projects = defineContext<Record<string, never>, { names: string[] }>("projects");
const addTodo = defineCall<{ project: number; title: string }, { id: number }>("add_todo");

let f: ReturnType<typeof fakeFetch>;
const client = (options: ClientOptions = {}) => new MizanClient({ fetch: f.fetch, ...options });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 1_000_000 });
  f = fakeFetch();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("retries", () => {
  it("omitting retry means 3 retries, as documented; retry: false means none", async () => {
    vi.spyOn(Math, "random").mockReturnValue(1);
    const c = client();
    const p = c.fetch(projects({}));
    for (let i = 0; i < 4; i++) {
      await (await f.next()).json({ error: { code: "internal", message: "boom" } }, 500);
      vi.advanceTimersByTime(20_000);
    }
    await expect(p).rejects.toMatchObject({ code: "internal" });
    expect(f.requests).toHaveLength(4);

    const none = client({ retry: false });
    const q = none.fetch(projects({}));
    await (await f.next()).json({ error: { code: "internal", message: "boom" } }, 500);
    await expect(q).rejects.toMatchObject({ code: "internal" });
    expect(f.requests).toHaveLength(5);
  });

  it("retries a 429 after its Retry-After, capped at maxRetryAfter", async () => {
    const c = client({ retry: { maxRetryAfter: 5_000 } });
    const p = c.fetch(projects({}));
    await (await f.next()).json({ error: { code: "too_many_requests", message: "slow down" } }, 429, { "Retry-After": "2" });
    expect(c.getState(projects({})).fetchStatus).toBe("paused");
    vi.advanceTimersByTime(1_999);
    await flush();
    expect(f.requests).toHaveLength(1);
    vi.advanceTimersByTime(1);
    await (await f.next()).json({ error: { code: "too_many_requests", message: "slow down" } }, 429, { "Retry-After": "3600" });
    vi.advanceTimersByTime(4_999);
    await flush();
    expect(f.requests).toHaveLength(2);
    vi.advanceTimersByTime(1);
    await (await f.next()).json({ names: ["ok"] });
    await expect(p).resolves.toEqual({ names: ["ok"] });
  });

  it("a call settles after settleTimeout at most, even when a refetch waits on a backoff", async () => {
    const c = client({ settleTimeout: 1_000 });
    c.subscribe(projects({}), () => {});
    await (await f.next()).json({ names: [] });
    let settled = false;
    void c.call(addTodo, { project: 1, title: "x" }).then(() => (settled = true));
    await (await f.next()).json({ result: { id: 1 }, invalidate: ["projects"] });
    // the refetch fails and waits for a long Retry-After
    await (await f.next()).json({ error: { code: "unavailable", message: "later" } }, 503, { "Retry-After": "60" });
    expect(settled).toBe(false);
    vi.advanceTimersByTime(1_000);
    await flush();
    expect(settled).toBe(true);
  });
});

describe("server use", () => {
  it("reading the state of an unknown entry creates nothing and starts no timer", () => {
    const c = client();
    const state = c.getState(projects({}));
    expect(state.status).toBe("pending");
    expect(listEntries(c)).toEqual([]);
    expect(dehydrate(c)).toEqual({});
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("tombstones: stale HTTP copies after an invalidation", () => {
  it("an entry created (or re-created after GC) shortly after its context was invalidated revalidates", async () => {
    const c = client({ gcTime: 1_000, tombstoneTime: 60_000 });
    const unsubscribe = c.subscribe(projects({}), () => {});
    await (await f.next()).json({ names: [] }, 200, { "Cache-Control": "public, max-age=30" });
    unsubscribe();
    vi.advanceTimersByTime(1_000); // collected
    expect(listEntries(c)).toEqual([]);
    await c.invalidate(["projects"]);
    c.subscribe(projects({}), () => {});
    expect((await f.next()).init.cache).toBe("no-cache");
    // a scoped invalidation leaves a tombstone for its context too
    await c.invalidate([{ context: "todos", params: { project: 9 } }]);
    c.fetch(todos({ project: 9 }));
    expect((await f.next()).init.cache).toBe("no-cache");
    // after tombstoneTime, the browser cache may answer again
    vi.advanceTimersByTime(60_000);
    c.fetch(todos({ project: 10 }));
    expect((await f.next()).init.cache).toBeUndefined();
  });
});

describe("hydrate() and dehydrate()", () => {
  it("never replaces newer client data with older page data", async () => {
    const c = client();
    const d = projects({});
    c.fetch(d);
    await (await f.next()).json({ names: ["client"] }); // updatedAt 1_000_000
    hydrate(c, page(d, { names: ["older page"] }, 999_000));
    expect(c.getState(d).data).toEqual({ names: ["client"] });
    hydrate(c, page(d, { names: ["newer page"] }, 1_000_001));
    expect(c.getState(d)).toMatchObject({ data: { names: ["newer page"] }, updatedAt: 1_000_001 });
  });

  it("never drops an invalidation that arrived before the page data (during a fetch)", async () => {
    const c = client();
    const d = projects({});
    c.fetch(d);
    await f.next();
    vi.setSystemTime(1_000_100);
    void c.invalidate(["projects"]); // restarts the fetch
    await flush();
    expect(f.requests).toHaveLength(2);
    // page data fetched on the server before the invalidation
    hydrate(c, page(d, { names: ["page"] }, 1_000_050));
    expect(c.getState(d)).toMatchObject({ data: { names: ["page"] }, stale: true, fetchStatus: "fetching" });
    await f.last().json({ names: ["fresh"] });
    expect(c.getState(d)).toMatchObject({ data: { names: ["fresh"] }, stale: false });
    // hydrated stale with no fetch in flight: the first observer refetches, revalidating
    const other = client();
    await other.invalidate(["projects"]);
    hydrate(other, page(d, { names: ["page"] }, 999_000));
    expect(other.getState(d).stale).toBe(true);
    other.subscribe(d, () => {});
    expect((await f.next()).init.cache).toBe("no-cache");
  });

  it("dehydrate() exports an invalidated entry as stale, and hydrate() refetches it", async () => {
    const c = client();
    const d = projects({});
    c.fetch(d);
    await (await f.next()).json({ names: ["a"] });
    await c.invalidate(["projects"]); // unobserved: marked stale
    const data = dehydrate(c);
    expect(data[d.key]).toMatchObject({ data: { names: ["a"] }, stale: true });
    const browser = client();
    hydrate(browser, data);
    expect(browser.getState(d)).toMatchObject({ status: "success", stale: true });
    browser.subscribe(d, () => {});
    expect(f.requests).toHaveLength(2);
  });
});

describe("listeners", () => {
  it("a throwing listener starves nobody, skips no header, leaves nothing fetching", async () => {
    const report = vi.spyOn(console, "error").mockImplementation(() => {});
    const c = client();
    const d = todos({ project: 1 });
    const other = vi.fn();
    c.subscribe(projects({}), () => {});
    await (await f.next()).json({ names: [] });
    c.subscribe(d, () => {
      throw new Error("bad listener");
    });
    c.subscribe(d, other);
    c.on("success", () => {
      throw new Error("bad event listener");
    });
    await (await f.next()).json({ todo_list: [] }, 200, { "X-Mizan-Invalidate": "projects" });
    expect(other).toHaveBeenCalled();
    expect(c.getState(d)).toMatchObject({ status: "success", fetchStatus: "idle" });
    // the response's X-Mizan-Invalidate was applied: projects refetches
    await flush();
    expect(f.last().url).toBe("/api/mizan/ctx/projects/");
    expect(report).toHaveBeenCalled();
  });
});

describe("structural sharing", () => {
  it("a refetch with equal data keeps the data object; a changed row keeps the others", async () => {
    const c = client();
    const d = todos({ project: 1 });
    c.subscribe(d, () => {});
    await (await f.next()).json({ todo_list: [{ id: 1, title: "a" }, { id: 2, title: "b" }] });
    const first = c.getState(d).data!;
    c.fetch(d);
    await (await f.next()).json({ todo_list: [{ id: 1, title: "a" }, { id: 2, title: "b" }] });
    expect(c.getState(d).data).toBe(first);
    c.fetch(d);
    await (await f.next()).json({ todo_list: [{ id: 1, title: "a" }, { id: 2, title: "B" }] });
    const second = c.getState(d).data!;
    expect(second).not.toBe(first);
    expect(second.todo_list[0]).toBe(first.todo_list[0]);
    expect(second.todo_list[1]).toEqual({ id: 2, title: "B" });
  });
});

describe("params", () => {
  it("schema defaults apply before keying: {} and {page: 1} are one entry and one URL", async () => {
    expect(todos({ project: 1 }).key).toBe("todos?page=1&project=1");
    expect(todos({ project: 1, page: 1 }).key).toBe(todos({ project: 1 }).key);
    expect(todos({ project: 1, page: null as unknown as number }).key).toBe(todos({ project: 1 }).key);
    const c = client();
    c.fetch(todos({ project: 1 }));
    c.fetch(todos({ project: 1, page: 1 }));
    await flush();
    expect(f.requests.map((r) => r.url)).toEqual(["/api/mizan/ctx/todos/?page=1&project=1"]);
  });

  it("freezes the params an entry keeps, a private copy", () => {
    const filter = { tags: ["a"] };
    const ctx = defineContext<{ filter: { tags: string[] } }, unknown>("search");
    const d = ctx({ filter });
    expect(Object.isFrozen(d.params)).toBe(true);
    const c = client();
    c.subscribe(d, () => {});
    filter.tags.push("b"); // the caller's object changes; the entry's params do not
    const [entry] = listEntries(c);
    expect(entry!.params).toEqual({ filter: { tags: ["a"] } });
    expect(Object.isFrozen(entry!.params)).toBe(true);
    expect(Object.isFrozen((entry!.params as { filter: object }).filter)).toBe(true);
  });
});

describe("invalidation loops", () => {
  it("two contexts whose responses invalidate each other stop, with a warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const a = defineContext<Record<string, never>, unknown>("a");
    const b = defineContext<Record<string, never>, unknown>("b");
    const c = client();
    c.subscribe(a({}), () => {});
    c.subscribe(b({}), () => {});
    for (let i = 0; i < 20; i++) {
      await flush();
      const open = f.requests.filter((r) => !(r as { done?: boolean }).done);
      if (!open.length) break;
      for (const r of open) {
        (r as { done?: boolean }).done = true;
        const other = r.url.includes("/ctx/a/") ? "b" : "a";
        await r.json({}, 200, { "X-Mizan-Invalidate": other });
      }
    }
    expect(f.requests.length).toBeLessThan(12);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("loop"), expect.anything(), expect.anything());
    expect(c.getState(a({})).fetchStatus).toBe("idle");
    expect(c.getState(b({})).fetchStatus).toBe("idle");
  });
});
