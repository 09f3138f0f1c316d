// @vitest-environment jsdom
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { StrictMode, type ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { MizanClient } from "@mizan/runtime";
import { MizanError, MizanProvider, useCall, useContextQuery, type CallOptions } from "@mizan/react";
import { call, clientFor, ctx, errorBody, json, settle, todoServer, type AddTodoArgs, type Todo } from "./harness";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const wrap = (client: MizanClient, strict = false) =>
  function Wrapper({ children }: { children?: ReactNode }) {
    const tree = <MizanProvider client={client}>{children}</MizanProvider>;
    return strict ? <StrictMode>{tree}</StrictMode> : tree;
  };

function setup(options?: CallOptions<AddTodoArgs, Todo>, strict = false) {
  const server = todoServer();
  const client = clientFor(server);
  const hook = renderHook(() => useCall(call.addTodo, options), { wrapper: wrap(client, strict) });
  return { server, client, ...hook };
}

describe("useCall", () => {
  it("goes idle → pending → success, and back to idle on reset", async () => {
    const onSuccess = vi.fn();
    const { server, result } = setup({ onSuccess });
    expect(result.current).toMatchObject({ status: "idle", data: undefined, error: undefined, isPending: false });
    server.hold();
    let promise!: Promise<Todo>;
    act(() => {
      promise = result.current.callAsync({ project: 3, title: "ship it" });
    });
    expect(result.current).toMatchObject({ status: "pending", isPending: true, data: undefined });
    await waitFor(() => expect(server.calls).toHaveLength(1));
    expect(server.requests.at(-1)).toMatchObject({ method: "POST", url: "call/add_todo/", body: { project: 3, title: "ship it" } });
    await act(async () => {
      server.calls[0]!.resolve(undefined);
      await promise;
    });
    const todo = { id: 2, project: 3, title: "ship it" };
    await expect(promise).resolves.toEqual(todo);
    expect(result.current).toMatchObject({ status: "success", isPending: false, data: todo, error: undefined });
    expect(onSuccess).toHaveBeenCalledExactlyOnceWith(todo, { project: 3, title: "ship it" });

    const { call: stableCall, callAsync: stableCallAsync, reset } = result.current;
    act(() => result.current.reset());
    expect(result.current).toMatchObject({ status: "idle", data: undefined, error: undefined, isPending: false });
    // call and reset keep their identity across renders.
    expect(result.current.call).toBe(stableCall);
    expect(result.current.callAsync).toBe(stableCallAsync);
    expect(result.current.reset).toBe(reset);
  });

  it("rejects with the MizanError and keeps it in the state", async () => {
    const onError = vi.fn();
    const onSuccess = vi.fn();
    const { result } = setup({ onError, onSuccess });
    let caught: unknown;
    await act(async () => {
      await result.current.callAsync({ project: 3, title: "" }).catch((e: unknown) => {
        caught = e;
      });
    });
    expect(caught).toBeInstanceOf(MizanError);
    expect(result.current.status).toBe("error");
    expect(result.current.error).toBe(caught);
    expect(result.current.error).toMatchObject({ code: "validation", status: 422, fields: { title: ["must not be empty"] } });
    expect(result.current.data).toBeUndefined();
    expect(onError).toHaveBeenCalledExactlyOnceWith(caught, { project: 3, title: "" });
    expect(onSuccess).not.toHaveBeenCalled();

    // A new call clears the error; reset clears it too.
    await act(() => result.current.callAsync({ project: 3, title: "ok" }));
    expect(result.current).toMatchObject({ status: "success", error: undefined });
    act(() => result.current.reset());
    expect(result.current.status).toBe("idle");
  });

  it("reports server errors of any code, and network failures", async () => {
    const { server, result } = setup();
    server.hold();
    let first!: Promise<unknown>;
    act(() => {
      first = result.current.callAsync({ project: 3, title: "x" }).catch((e: unknown) => e);
    });
    await waitFor(() => expect(server.calls).toHaveLength(1));
    await act(async () => {
      server.calls[0]!.resolve(json(409, errorBody("conflict", "already there")));
      await first;
    });
    expect(result.current.error).toMatchObject({ code: "conflict", status: 409, message: "already there" });

    let second!: Promise<unknown>;
    act(() => {
      second = result.current.callAsync({ project: 3, title: "x" }).catch((e: unknown) => e);
    });
    await waitFor(() => expect(server.calls).toHaveLength(2));
    await act(async () => {
      server.calls[1]!.reject(new TypeError("Failed to fetch"));
      await second;
    });
    expect(result.current.error).toBeInstanceOf(MizanError);
    expect(result.current.error).toMatchObject({ code: "network", status: 0 });
  });

  it("lets the latest call win the state when calls overlap", async () => {
    const onSuccess = vi.fn();
    const { server, result } = setup({ onSuccess });
    server.hold();
    let a!: Promise<Todo>;
    let b!: Promise<Todo>;
    act(() => {
      a = result.current.callAsync({ project: 3, title: "first" });
    });
    act(() => {
      b = result.current.callAsync({ project: 3, title: "second" });
    });
    await waitFor(() => expect(server.calls).toHaveLength(2));
    // The second call lands first, then the first: the state stays on the second.
    await act(async () => {
      server.calls[1]!.resolve(undefined);
      await b;
    });
    expect(result.current).toMatchObject({ status: "success", data: { title: "second" } });
    await act(async () => {
      server.calls[0]!.resolve(undefined);
      await a;
    });
    await expect(a).resolves.toMatchObject({ title: "first" }); // its caller still gets its result
    expect(result.current).toMatchObject({ status: "success", data: { title: "second" } });
    expect(onSuccess).toHaveBeenCalledTimes(2);

    // An earlier call failing late does not override a later success either.
    let c!: Promise<unknown>;
    let d!: Promise<Todo>;
    act(() => {
      c = result.current.callAsync({ project: 3, title: "third" }).catch((e: unknown) => e);
      d = result.current.callAsync({ project: 3, title: "fourth" });
    });
    await waitFor(() => expect(server.calls).toHaveLength(4));
    await act(async () => {
      server.calls[3]!.resolve(undefined);
      await d;
    });
    await act(async () => {
      server.calls[2]!.resolve(json(500, errorBody("internal", "internal error")));
      await c;
    });
    expect(result.current).toMatchObject({ status: "success", data: { title: "fourth" }, error: undefined });
  });

  it("ignores a call still in flight after reset", async () => {
    const { server, result } = setup();
    server.hold();
    let p!: Promise<Todo>;
    act(() => {
      p = result.current.callAsync({ project: 3, title: "late" });
    });
    act(() => result.current.reset());
    await waitFor(() => expect(server.calls).toHaveLength(1));
    await act(async () => {
      server.calls[0]!.resolve(undefined);
      await p;
    });
    expect(result.current.status).toBe("idle");
  });

  it("does not touch state after unmount, but still settles and reports", async () => {
    const errors = vi.spyOn(console, "error");
    const onSuccess = vi.fn();
    const { server, result, unmount } = setup({ onSuccess }, true);
    server.hold();
    let p!: Promise<Todo>;
    act(() => {
      p = result.current.callAsync({ project: 3, title: "after" });
    });
    await waitFor(() => expect(server.calls).toHaveLength(1));
    const before = result.current;
    unmount();
    server.calls[0]!.resolve(undefined);
    await expect(p).resolves.toMatchObject({ title: "after" });
    await settle();
    expect(result.current).toBe(before);
    expect(result.current.status).toBe("pending");
    expect(onSuccess).toHaveBeenCalledTimes(1);
    expect(errors).not.toHaveBeenCalled();
  });

  it("works under StrictMode (the remount re-arms state updates)", async () => {
    const { result } = setup(undefined, true);
    await act(() => result.current.callAsync({ project: 3, title: "strict" }));
    expect(result.current).toMatchObject({ status: "success", data: { title: "strict" } });
  });

  it("with settle, resolves after the invalidated observed entries refetched", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const { result } = renderHook(
      () => ({ todos: useContextQuery(ctx.todos({ project: 3 })), add: useCall(call.addTodo, { settle: true }) }),
      { wrapper: wrap(client) },
    );
    await waitFor(() => expect(result.current.todos.status).toBe("success"));
    let seen: string[] | undefined;
    await act(async () => {
      await result.current.add.callAsync({ project: 3, title: "settled" });
      seen = client.getState(ctx.todos({ project: 3 })).data?.todo_list.map((t) => t.title);
    });
    expect(seen).toEqual(["write the adapter", "settled"]);
    expect(result.current.todos.data?.todo_list).toHaveLength(2);
    expect(server.gets("ctx/todos/?project=3")).toBe(2);
  });
});
