// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, renderHook, screen, waitFor } from "@testing-library/react";
import { Component, StrictMode, Suspense, useLayoutEffect, useState, type ReactNode } from "react";
import { renderToString } from "react-dom/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hydrate, type MizanClient } from "@mizan/runtime";
import {
  MizanError,
  MizanProvider,
  useCall,
  useContextQuery,
  useMizan,
  type ContextQueryOptions,
} from "@mizan/react";
import { call, clientFor, ctx, errorBody, json, observe, page, settle, todoServer, type TodosData } from "./harness";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const T3 = "ctx/todos/?project=3";
const T4 = "ctx/todos/?project=4";
const STATS = "ctx/stats/";

function Todos({ project, options }: { project: number; options?: ContextQueryOptions<TodosData> }) {
  const q = useContextQuery(ctx.todos({ project }), options);
  if (q.isLoading) return <p>loading {project}</p>;
  if (q.status === "error") {
    return (
      <p role="alert">
        {`failed ${q.error?.code} ${q.error?.status} ${q.error?.message} ${JSON.stringify(q.error?.fields)}`}
      </p>
    );
  }
  if (!q.data) return <p>nothing {project}</p>;
  return (
    <ul aria-label={q.data.project_info.name}>
      {q.data.todo_list.map((t) => (
        <li key={t.id}>{t.title}</li>
      ))}
    </ul>
  );
}

function Stats() {
  const q = useContextQuery(ctx.stats({}));
  return <p>{q.data ? `count ${q.data.count}` : "counting"}</p>;
}

const wrap = (client: MizanClient) =>
  function Wrapper({ children }: { children?: ReactNode }) {
    return <MizanProvider client={client}>{children}</MizanProvider>;
  };

describe("MizanProvider / useMizan", () => {
  it("hands the client to hooks below it", () => {
    const client = clientFor(todoServer());
    const { result } = renderHook(() => useMizan(), { wrapper: wrap(client) });
    expect(result.current).toBe(client);
  });

  it("throws a clear error outside a provider", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(() => renderHook(() => useMizan())).toThrow(/MizanProvider/);
    expect(() => renderHook(() => useContextQuery(ctx.stats({})))).toThrow(/MizanProvider/);
  });

  it("re-exports the kernel's MizanError", async () => {
    const runtime = await import("@mizan/runtime");
    expect(MizanError).toBe(runtime.MizanError);
  });
});

describe("useContextQuery", () => {
  it("renders loading, then the data, with one request", async () => {
    const server = todoServer();
    const client = clientFor(server);
    render(
      <MizanProvider client={client}>
        <Todos project={3} />
      </MizanProvider>,
    );
    expect(screen.getByText("loading 3")).toBeTruthy();
    const list = await screen.findByRole("list", { name: "project 3" });
    expect(list.textContent).toBe("write the adapter");
    await settle();
    expect(server.gets(T3)).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it("exposes the entry state with isLoading / isFetching and a refetch", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const { result } = renderHook(() => useContextQuery(ctx.todos({ project: 3 })), { wrapper: wrap(client) });
    expect(result.current).toMatchObject({ status: "pending", data: undefined, error: undefined });
    await waitFor(() => expect(result.current.status).toBe("success"));
    expect(result.current).toMatchObject({ fetchStatus: "idle", isLoading: false, isFetching: false, failureCount: 0 });
    expect(result.current.updatedAt).toBeGreaterThan(0);
    expect(result.current.data?.todo_list).toHaveLength(1);
    // The result object is stable while nothing changes.
    const before = result.current;
    server.todos.push({ id: 9, project: 3, title: "refetched" });
    let refetched: Promise<unknown> | undefined;
    act(() => {
      refetched = result.current.refetch();
    });
    expect(result.current.isFetching).toBe(true);
    expect(result.current.isLoading).toBe(false); // data is kept during a refetch
    expect(result.current.data).toBe(before.data);
    await act(() => refetched);
    expect(result.current.data?.todo_list.map((t) => t.title)).toEqual(["write the adapter", "refetched"]);
    expect(result.current.isFetching).toBe(false);
    expect(server.gets(T3)).toBe(2);
  });

  it("refetches exactly the entries a call invalidated, once each", async () => {
    const server = todoServer();
    const client = clientFor(server);
    function Add() {
      const add = useCall(call.addTodo, { settle: true });
      return (
        <button onClick={() => void add.call({ project: 3, title: "ship it" })}>
          {add.status === "success" ? "added" : "add"}
        </button>
      );
    }
    render(
      <MizanProvider client={client}>
        <Todos project={3} />
        <Todos project={4} />
        <Stats />
        <Add />
      </MizanProvider>,
    );
    await screen.findByRole("list", { name: "project 3" });
    await screen.findByRole("list", { name: "project 4" });
    await screen.findByText("count 1");
    expect([server.gets(T3), server.gets(T4), server.gets(STATS)]).toEqual([1, 1, 1]);

    fireEvent.click(screen.getByRole("button", { name: "add" }));
    await screen.findByRole("button", { name: "added" });
    // settle: true — by the time the call's state is success, the refetch has landed.
    expect(screen.getByRole("list", { name: "project 3" }).textContent).toBe("write the adaptership it");
    await settle();
    expect([server.gets(T3), server.gets(T4), server.gets(STATS)]).toEqual([2, 1, 1]);
    expect(server.posts()).toBe(1);
    expect(screen.getByText("count 1")).toBeTruthy(); // unaffected: not refetched
  });

  it("renders an error with the MizanError fields", async () => {
    const server = todoServer();
    server.fail(T3, json(422, errorBody("validation", "validation failed", { project: ["no such project"] })));
    const client = clientFor(server);
    const { result } = renderHook(() => useContextQuery(ctx.todos({ project: 3 })), { wrapper: wrap(client) });
    await waitFor(() => expect(result.current.status).toBe("error"));
    const error = result.current.error;
    expect(error).toBeInstanceOf(MizanError);
    expect(error).toMatchObject({
      code: "validation",
      status: 422,
      message: "validation failed",
      fields: { project: ["no such project"] },
    });
    expect(result.current.isLoading).toBe(false);

    render(
      <MizanProvider client={client}>
        <Todos project={3} />
      </MizanProvider>,
    );
    expect(screen.getByRole("alert").textContent).toBe(
      'failed validation 422 validation failed {"project":["no such project"]}',
    );
  });

  it("keeps one subscription and one request under StrictMode, and none after unmount", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    const view = render(
      <StrictMode>
        <MizanProvider client={client}>
          <Todos project={3} />
          <Stats />
        </MizanProvider>
      </StrictMode>,
    );
    await screen.findByRole("list", { name: "project 3" });
    await screen.findByText("count 1");
    await settle();
    expect(observers.live).toBe(2);
    expect(observers.byKey.get(ctx.todos({ project: 3 }).key)).toBe(1);
    expect(server.gets(T3)).toBe(1);
    expect(server.gets(STATS)).toBe(1);
    view.unmount();
    expect(observers.live).toBe(0);
  });

  it("lets the observed entry go: GC after gcTime once unmounted", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const server = todoServer();
      const client = clientFor(server, { gcTime: 1000 });
      const view = render(
        <StrictMode>
          <MizanProvider client={client}>
            <Todos project={3} />
          </MizanProvider>
        </StrictMode>,
      );
      await act(() => vi.advanceTimersByTimeAsync(10));
      expect(screen.getByRole("list", { name: "project 3" })).toBeTruthy();
      // StrictMode's extra unmount/remount must not have left a GC timer that drops a live entry.
      await act(() => vi.advanceTimersByTimeAsync(5000));
      expect(client.getState(ctx.todos({ project: 3 })).status).toBe("success");
      view.unmount();
      await act(() => vi.advanceTimersByTimeAsync(5000));
      // Collected: the next read starts from a fresh pending entry.
      expect(client.getState(ctx.todos({ project: 3 })).status).toBe("pending");
      expect(server.gets(T3)).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not fetch while enabled is false, and fetches once enabled", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    const { result, rerender } = renderHook(
      ({ enabled }: { enabled: boolean }) => useContextQuery(ctx.todos({ project: 3 }), { enabled }),
      { wrapper: wrap(client), initialProps: { enabled: false } },
    );
    await settle();
    expect(server.requests).toHaveLength(0);
    expect(observers.live).toBe(1); // observing passively
    expect(result.current).toMatchObject({ status: "pending", fetchStatus: "idle", isLoading: false });
    rerender({ enabled: true });
    expect(result.current.isLoading).toBe(true); // already on the render that enables it
    await waitFor(() => expect(result.current.status).toBe("success"));
    expect(server.gets(T3)).toBe(1);
    rerender({ enabled: false });
    expect(observers.live).toBe(1);
    expect(result.current.data?.todo_list).toHaveLength(1); // cached data is still shown
    // and data another component fetches shows up
    await act(() => client.fetch(ctx.todos({ project: 3 })));
    expect(server.gets(T3)).toBe(2);
  });

  it("keys by descriptor: inline params objects do not resubscribe", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    let renders = 0;
    function Inline({ tick }: { tick: number }) {
      renders++;
      const q = useContextQuery(ctx.todos({ project: 3 })); // a new params object every render
      return <p>{`${tick} ${q.status}`}</p>;
    }
    function Parent() {
      const [tick, setTick] = useState(0);
      return (
        <>
          <button onClick={() => setTick((t) => t + 1)}>tick</button>
          <Inline tick={tick} />
        </>
      );
    }
    render(
      <MizanProvider client={client}>
        <Parent />
      </MizanProvider>,
    );
    await screen.findByText("0 success");
    for (let i = 0; i < 5; i++) fireEvent.click(screen.getByRole("button"));
    await screen.findByText("5 success");
    await settle();
    expect(renders).toBeGreaterThanOrEqual(7);
    expect(observers.subscribes).toBe(1);
    expect(observers.live).toBe(1);
    expect(server.gets(T3)).toBe(1);
  });

  it("switches entries when the params change", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    const { result, rerender } = renderHook(({ project }: { project: number }) => useContextQuery(ctx.todos({ project })), {
      wrapper: wrap(client),
      initialProps: { project: 3 },
    });
    await waitFor(() => expect(result.current.data?.project_info.id).toBe(3));
    rerender({ project: 4 });
    expect(result.current.data).toBeUndefined();
    await waitFor(() => expect(result.current.data?.project_info.id).toBe(4));
    expect(observers.live).toBe(1);
    expect([server.gets(T3), server.gets(T4)]).toEqual([1, 1]);
  });

  it("misses no update that lands between render and subscribe", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const d = ctx.todos({ project: 3 });
    const data = { todo_list: [{ id: 7, project: 3, title: "hydrated" }], project_info: { id: 3, name: "project 3" } };
    // A sibling's layout effect runs after this hook rendered but before its subscription.
    function Writer() {
      useLayoutEffect(() => hydrate(client, page(d, data)), []);
      return null;
    }
    render(
      <MizanProvider client={client}>
        <Todos project={3} />
        <Writer />
      </MizanProvider>,
    );
    expect(screen.getByRole("list", { name: "project 3" }).textContent).toBe("hydrated");
  });
});

describe("server rendering", () => {
  it("renders hydrated data through getServerSnapshot, without fetching", () => {
    const server = todoServer();
    const data = { todo_list: [{ id: 5, project: 3, title: "from the page" }], project_info: { id: 3, name: "project 3" } };
    const client = clientFor(server);
    hydrate(client, page(ctx.todos({ project: 3 }), data));
    const html = renderToString(
      <MizanProvider client={client}>
        <Todos project={3} />
        <Stats />
      </MizanProvider>,
    );
    expect(html).toContain("from the page");
    expect(html).toContain("counting");
    expect(server.requests).toHaveLength(0);
  });
});

describe("useContextQuery with suspense", () => {
  class Boundary extends Component<{ children?: ReactNode }, { error: unknown }> {
    override state = { error: undefined as unknown };
    static getDerivedStateFromError(error: unknown) {
      return { error };
    }
    override render() {
      const { error } = this.state;
      if (error instanceof MizanError) return <p role="alert">{`boundary ${error.code} ${error.status}`}</p>;
      if (error) return <p role="alert">boundary other</p>;
      return this.props.children;
    }
  }
  const tree = (client: MizanClient, project: number) => (
    <MizanProvider client={client}>
      <Boundary>
        <Suspense fallback={<p>suspended</p>}>
          <Todos project={project} options={{ suspense: true }} />
        </Suspense>
      </Boundary>
    </MizanProvider>
  );

  it("suspends while pending, then renders the data with one request", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    render(tree(client, 3));
    expect(screen.getByText("suspended")).toBeTruthy();
    const list = await screen.findByRole("list", { name: "project 3" });
    expect(list.textContent).toBe("write the adapter");
    await settle();
    expect(server.gets(T3)).toBe(1);
    expect(observers.live).toBe(1);
  });

  it("throws the MizanError to the error boundary", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const server = todoServer();
    server.fail(T3, json(403, errorBody("forbidden", "not yours")));
    const client = clientFor(server);
    render(tree(client, 3));
    expect(screen.getByText("suspended")).toBeTruthy();
    expect((await screen.findByRole("alert")).textContent).toBe("boundary forbidden 403");
  });

  it("fetches once under StrictMode", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const observers = observe(client);
    render(<StrictMode>{tree(client, 3)}</StrictMode>);
    await screen.findByRole("list", { name: "project 3" });
    await settle();
    expect(server.gets(T3)).toBe(1);
    expect(observers.live).toBe(1);
  });

  it("does not suspend on data that is already there", async () => {
    const server = todoServer();
    const client = clientFor(server);
    await client.fetch(ctx.todos({ project: 3 }));
    render(tree(client, 3));
    expect(screen.getByRole("list", { name: "project 3" }).textContent).toBe("write the adapter");
  });
});
