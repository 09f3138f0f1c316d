// @vitest-environment jsdom
// The React adapter of kernel v2 (issue 8): suspense recovery, no blank first frame,
// passive observers and skipToken, call()/callAsync(), select, placeholders.
import { act, cleanup, fireEvent, render, renderHook, screen, waitFor } from "@testing-library/react";
import { Component, Suspense, type ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { MizanClient } from "@mizan/runtime";
import { keepPreviousData, MizanProvider, skipToken, useCall, useContextQuery } from "@mizan/react";
import { call, clientFor, ctx, errorBody, json, settle, todoServer } from "./harness";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const T3 = "ctx/todos/?project=3";

const wrap = (client: MizanClient) =>
  function Wrapper({ children }: { children?: ReactNode }) {
    return <MizanProvider client={client}>{children}</MizanProvider>;
  };

describe("suspense", () => {
  class Boundary extends Component<{ children?: ReactNode; onReset: () => void }, { error: unknown }> {
    override state = { error: undefined as unknown };
    static getDerivedStateFromError(error: unknown) {
      return { error };
    }
    override render() {
      if (!this.state.error) return this.props.children;
      return (
        <button
          onClick={() => {
            this.props.onReset();
            this.setState({ error: undefined });
          }}
        >
          retry
        </button>
      );
    }
  }
  function List() {
    const q = useContextQuery(ctx.todos({ project: 3 }), { suspense: true });
    return <p>{q.data!.todo_list.map((t) => t.title).join()}</p>;
  }

  it("an error-boundary reset that refetches recovers: it suspends while the errored entry refetches", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const server = todoServer();
    server.fail(T3, json(500, errorBody("internal", "boom")));
    const client = clientFor(server);
    render(
      <MizanProvider client={client}>
        <Boundary onReset={() => void client.fetch(ctx.todos({ project: 3 }))}>
          <Suspense fallback={<p>suspended</p>}>
            <List />
          </Suspense>
        </Boundary>
      </MizanProvider>,
    );
    const retry = await screen.findByRole("button", { name: "retry" });
    server.fail(T3, undefined);
    fireEvent.click(retry);
    expect(screen.getByText("suspended")).toBeTruthy();
    expect((await screen.findByText("write the adapter")).tagName).toBe("P");
    expect(server.gets(T3)).toBe(2);
  });
});

describe("useContextQuery", () => {
  it("the first render of an entry that will fetch reports isLoading (no blank frame)", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const frames: string[] = [];
    function View() {
      const q = useContextQuery(ctx.todos({ project: 3 }));
      frames.push(q.isLoading ? "loading" : q.data ? "data" : "blank");
      return null;
    }
    render(
      <MizanProvider client={client}>
        <View />
      </MizanProvider>,
    );
    await waitFor(() => expect(frames.at(-1)).toBe("data"));
    expect(frames[0]).toBe("loading");
    expect(frames).not.toContain("blank");
  });

  it("skipToken for a dependent query: nothing until its params are known", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const { result, rerender } = renderHook(
      ({ project }: { project: number | undefined }) =>
        useContextQuery(project === undefined ? skipToken : ctx.todos({ project })),
      { wrapper: wrap(client), initialProps: { project: undefined as number | undefined } },
    );
    await settle();
    expect(result.current).toMatchObject({ status: "pending", isLoading: false, data: undefined });
    expect(server.requests).toHaveLength(0);
    rerender({ project: 3 });
    await waitFor(() => expect(result.current.data?.project_info.id).toBe(3));
  });

  it("select and keepPreviousData", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const { result, rerender } = renderHook(
      ({ project }: { project: number }) =>
        useContextQuery(ctx.todos({ project }), {
          select: (data) => data.project_info.name,
          placeholderData: keepPreviousData,
        }),
      { wrapper: wrap(client), initialProps: { project: 3 } },
    );
    await waitFor(() => expect(result.current.data).toBe("project 3"));
    rerender({ project: 4 });
    expect(result.current).toMatchObject({ data: "project 3", isPlaceholderData: true });
    await waitFor(() => expect(result.current.data).toBe("project 4"));
    expect(result.current.isPlaceholderData).toBe(false);
  });
});

describe("useCall", () => {
  it("call() never rejects (the error goes to the state and onError); variables; per-call callbacks", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const onError = vi.fn();
    const perCall = vi.fn();
    const { result } = renderHook(() => useCall(call.addTodo, { onError }), { wrapper: wrap(client) });
    let returned: unknown = "unset";
    act(() => {
      returned = result.current.call({ project: 3, title: "" }, { onError: perCall });
    });
    expect(returned).toBeUndefined();
    expect(result.current.variables).toEqual({ project: 3, title: "" });
    await waitFor(() => expect(result.current.status).toBe("error"));
    expect(result.current.error).toMatchObject({ code: "validation" });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(perCall).toHaveBeenCalledTimes(1);
    await expect(result.current.callAsync({ project: 3, title: "" })).rejects.toMatchObject({ code: "validation" });
  });

  it("an optimistic option shows the change at once and rolls it back on error", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const d = ctx.todos({ project: 3 });
    const { result } = renderHook(
      () => ({
        todos: useContextQuery(d),
        add: useCall(call.addTodo, {
          optimistic: (args, c) =>
            c.setData(d, (data) => data && { ...data, todo_list: [...data.todo_list, { id: -1, ...args }] }),
        }),
      }),
      { wrapper: wrap(client) },
    );
    await waitFor(() => expect(result.current.todos.status).toBe("success"));
    server.hold();
    act(() => result.current.add.call({ project: 3, title: "optimistic" }));
    expect(result.current.todos.data?.todo_list.map((t) => t.title)).toEqual(["write the adapter", "optimistic"]);
    await waitFor(() => expect(server.calls).toHaveLength(1));
    await act(async () => {
      server.calls[0]!.resolve(json(500, errorBody("internal", "boom")));
      await settle();
    });
    expect(result.current.todos.data?.todo_list.map((t) => t.title)).toEqual(["write the adapter"]);
    expect(result.current.add.status).toBe("error");
  });
});
