// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp, defineComponent, effectScope, h, nextTick, ref } from "vue";
import { MizanError, provideMizan, skipToken, useContextQuery, useMizan } from "../index";
import { call, clientFor, ctx, errorBody, json, observe, settle, todoServer } from "../../../react/src/__tests__/harness";
import { mount } from "./mount";

afterEach(() => void vi.restoreAllMocks());

const T3 = "ctx/todos/?project=3";
const T4 = "ctx/todos/?project=4";

describe("createMizan / provideMizan / useMizan", () => {
  it("hands the client to composables below, from the plugin or from a parent", () => {
    const client = clientFor(todoServer());
    let seen: unknown;
    mount(client, () => {
      seen = useMizan();
      return () => null;
    });
    expect(seen).toBe(client);
    const Child = defineComponent({
      setup() {
        seen = useMizan();
        return () => null;
      },
    });
    const other = clientFor(todoServer());
    createApp(
      defineComponent({
        setup() {
          provideMizan(other);
          return () => h(Child);
        },
      }),
    ).mount(document.createElement("div"));
    expect(seen).toBe(other);
  });

  it("throws a clear error without a client", () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const app = createApp(
      defineComponent({
        setup() {
          useContextQuery(ctx.stats({}));
          return () => null;
        },
      }),
    );
    let error: unknown;
    app.config.errorHandler = (e) => void (error = e);
    app.mount(document.createElement("div"));
    expect(String(error)).toMatch(/no createMizan\(client\) above/);
  });

  it("re-exports the kernel's MizanError", async () => {
    expect(MizanError).toBe((await import("@mizan/runtime")).MizanError);
  });
});

describe("useContextQuery", () => {
  it("returns refs: loading, then the data, with one request", async () => {
    const server = todoServer();
    const client = clientFor(server);
    let q!: ReturnType<typeof useContextQuery<{ project: number }, { todo_list: { title: string }[] }>>;
    const { el } = mount(client, () => {
      q = useContextQuery(ctx.todos({ project: 3 }));
      return () => (q.isLoading.value ? "loading" : q.data.value?.todo_list.map((t) => t.title).join());
    });
    expect(el.textContent).toBe("loading");
    expect(q.status.value).toBe("pending");
    expect(q.fetchStatus.value).toBe("fetching");
    await settle();
    expect(el.textContent).toBe("write the adapter");
    expect(q.status.value).toBe("success");
    expect(q.fetchStatus.value).toBe("idle");
    expect(q.error.value).toBeUndefined();
    expect(server.gets(T3)).toBe(1);
  });

  it("follows a ref, resubscribing per entry, and lets the previous entry go", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    const project = ref(3);
    const { el } = mount(client, () => {
      const q = useContextQuery(() => ctx.todos({ project: project.value }));
      return () => q.data.value?.project_info.name ?? "…";
    });
    await settle();
    expect(el.textContent).toBe("project 3");
    project.value = 4;
    await settle();
    expect(el.textContent).toBe("project 4");
    expect([server.gets(T3), server.gets(T4)]).toEqual([1, 1]);
    expect(observers.byKey.get("todos?project=3")).toBe(0);
    expect(observers.byKey.get("todos?project=4")).toBe(1);
  });

  it("keeps the entry's data when what the getter reads changes but names the same entry", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    const params = ref({ project: 3 });
    const { el } = mount(client, () => {
      const q = useContextQuery(() => ctx.todos(params.value));
      return () => `${q.status.value} ${q.data.value?.project_info.name}`;
    });
    await settle();
    params.value = { project: 3 }; // a new object: the effect runs again, same entry
    await settle();
    expect(el.textContent).toBe("success project 3");
    expect(server.gets(T3)).toBe(1);
    expect(observers.live).toBe(1);
  });

  it("takes a ref of a descriptor, skipToken, and reactive options (enabled, select)", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const descriptor = ref<ReturnType<typeof ctx.todos> | typeof skipToken>(skipToken);
    const enabled = ref(false);
    let q!: ReturnType<typeof useContextQuery<{ project: number }, { todo_list: unknown[] }, number>>;
    mount(client, () => {
      q = useContextQuery(descriptor, () => ({ enabled: enabled.value, select: (d) => d.todo_list.length }));
      return () => null;
    });
    await settle();
    expect(server.requests).toHaveLength(0);
    await expect(q.refetch()).rejects.toMatchObject({ code: "skipToken" });
    descriptor.value = ctx.todos({ project: 3 });
    await settle();
    expect(server.requests).toHaveLength(0); // passive: enabled is false
    enabled.value = true;
    await settle();
    expect(server.gets(T3)).toBe(1);
    expect(q.data.value).toBe(1);
  });

  it("returns refs that cannot be written", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const client = clientFor(todoServer());
    let q!: ReturnType<typeof useContextQuery>;
    mount(client, () => {
      q = useContextQuery(ctx.todos({ project: 3 }));
      return () => null;
    });
    await settle();
    (q.status as { value: unknown }).value = "error";
    expect(q.status.value).toBe("success");
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/readonly/), expect.anything());
  });

  it("shows a server error as a typed MizanError", async () => {
    const server = todoServer();
    server.fail(T3, json(500, errorBody("internal", "internal error")));
    const client = clientFor(server);
    let q!: ReturnType<typeof useContextQuery>;
    mount(client, () => {
      q = useContextQuery(ctx.todos({ project: 3 }));
      return () => null;
    });
    await settle();
    expect(q.status.value).toBe("error");
    expect(q.error.value).toBeInstanceOf(MizanError);
    expect(q.error.value).toMatchObject({ code: "internal", status: 500 });
  });

  it("refetches once after a mutation invalidated what it shows", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const { el } = mount(client, () => {
      const q = useContextQuery(ctx.todos({ project: 3 }));
      return () => q.data.value?.todo_list.length;
    });
    await settle();
    await client.call(call.addTodo, { project: 3, title: "two" });
    await nextTick();
    expect(el.textContent).toBe("2");
    expect(server.gets(T3)).toBe(2);
  });

  it("unsubscribes when the component unmounts or the effect scope stops", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    const view = mount(client, () => {
      useContextQuery(ctx.todos({ project: 3 }));
      useContextQuery(ctx.stats({}));
      return () => null;
    });
    await settle();
    expect(observers.live).toBe(2);
    view.unmount();
    expect(observers.live).toBe(0);

    const scope = effectScope();
    // outside a component: the client comes from app.runWithContext
    mount(client, () => () => null).app.runWithContext(() => scope.run(() => useContextQuery(ctx.stats({}))));
    expect(observers.live).toBe(1);
    scope.stop();
    expect(observers.live).toBe(0);
  });

  it("warns in development when called outside an effect scope", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const client = clientFor(todoServer());
    mount(client, () => () => null).app.runWithContext(() => useContextQuery(ctx.stats({})));
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/a composable called outside an effect scope/));
  });
});
