import { flushSync, mount as svelteMount } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ContextQuery, MizanError } from "../index";
import { call, clientFor, ctx, errorBody, json, observe, todoServer } from "../../../react/src/__tests__/harness";
import { mount, settle } from "./mount";
import Todos from "./Todos.svelte";

afterEach(() => void vi.restoreAllMocks());

const T3 = "ctx/todos/?project=3";
const T4 = "ctx/todos/?project=4";

describe("ContextQuery", () => {
  it("shows loading, then the data, with one request", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const view = mount(client, Todos, { project: () => 3 });
    expect(view.text()).toBe("loading");
    await settle();
    expect(view.text()).toBe("write the adapter");
    expect(view.target.querySelector("p")?.dataset).toMatchObject({ status: "success", fetch: "idle" });
    expect(server.gets(T3)).toBe(1);
  });

  it("follows params given as a function of $state, and lets the previous entry go", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    let project = $state<number | undefined>(undefined);
    const view = mount(client, Todos, { project: () => project });
    await settle();
    expect(view.text()).toBe("none"); // skipToken: nothing fetched
    expect(server.requests).toHaveLength(0);
    project = 3;
    await settle();
    expect(view.text()).toBe("write the adapter");
    project = 4;
    await settle();
    expect(view.text()).toBe(""); // project 4 has no todos
    expect([server.gets(T3), server.gets(T4)]).toEqual([1, 1]);
    expect(observers.byKey.get("todos?project=3")).toBe(0);
    expect(observers.byKey.get("todos?project=4")).toBe(1);
  });

  it("observes passively while enabled is false, then fetches", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    let enabled = $state(false);
    const view = mount(client, Todos, { project: () => 3, enabled: () => enabled });
    await settle();
    expect(server.requests).toHaveLength(0);
    expect(observers.live).toBe(1);
    enabled = true;
    await settle();
    expect(server.gets(T3)).toBe(1);
    expect(view.text()).toBe("write the adapter");
    expect(observers.live).toBe(1);
  });

  it("shows a server error as a typed MizanError", async () => {
    const server = todoServer();
    server.fail(T3, json(500, errorBody("internal", "internal error")));
    const client = clientFor(server);
    let q!: ContextQuery<any, any>;
    const view = mount(client, Todos, { project: () => 3, onquery: (x: ContextQuery<any, any>) => (q = x) });
    await settle();
    expect(view.text()).toBe("internal 500");
    expect(q.error).toBeInstanceOf(MizanError);
  });

  it("refetches once after a mutation invalidated what it shows", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const view = mount(client, Todos, { project: () => 3 });
    await settle();
    await client.call(call.addTodo, { project: 3, title: "two" });
    flushSync();
    expect(view.text()).toBe("write the adapter,two");
    expect(server.gets(T3)).toBe(2);
  });

  it("unsubscribes when the last reading effect is destroyed, and again follows when read", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    let shown = $state(true);
    const view = mount(client, Todos, { project: () => 3, shown: () => shown });
    await settle();
    expect(observers.live).toBe(1);
    shown = false;
    await settle();
    expect(observers.live).toBe(0);
    shown = true;
    await settle();
    expect(observers.live).toBe(1);
    expect(view.text()).toBe("write the adapter");
    expect(server.gets(T3)).toBe(1); // still fresh: no second request
    view.unmount();
    await settle();
    expect(observers.live).toBe(0);
  });

  it("does not subscribe when read outside an effect; refetch() works anywhere", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    const q = new ContextQuery(client, () => ctx.todos({ project: 3 }));
    expect(q.status).toBe("pending");
    expect(observers.subscribes).toBe(0);
    await expect(q.refetch()).resolves.toMatchObject({ todo_list: [{ id: 1 }] });
    expect(q.data?.todo_list).toHaveLength(1);
    expect(observers.subscribes).toBe(0);
  });

  it("getMizan throws a clear error without setMizan", () => {
    expect(() => svelteMount(Todos, { target: document.createElement("div"), props: { project: () => 3 } })).toThrow(
      /no setMizan\(client\) above/,
    );
  });
});
