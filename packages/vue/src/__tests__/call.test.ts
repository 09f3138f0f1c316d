// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { nextTick } from "vue";
import type { MizanClient } from "@mizan/runtime";
import { type CallOptions, type CallRefs, useCall, useContextQuery } from "../index";
import {
  type AddTodoArgs,
  call,
  clientFor,
  ctx,
  errorBody,
  json,
  settle,
  type Todo,
  todoServer,
} from "../../../react/src/__tests__/harness";
import { mount } from "./mount";

afterEach(() => void vi.restoreAllMocks());

function setup(options?: CallOptions<AddTodoArgs, Todo>, client?: MizanClient) {
  const server = todoServer();
  client ??= clientFor(server);
  let c!: CallRefs<AddTodoArgs, Todo>;
  const view = mount(client, () => {
    c = useCall(call.addTodo, options);
    return () => c.status.value;
  });
  return { server, client, c, ...view };
}

describe("useCall", () => {
  it("goes idle → pending → success, and back to idle on reset, shown by the refs", async () => {
    const onSuccess = vi.fn();
    const { server, c, el } = setup({ onSuccess });
    expect(el.textContent).toBe("idle");
    server.hold();
    const promise = c.callAsync({ project: 3, title: "ship it" });
    expect(c.status.value).toBe("pending");
    expect(c.isPending.value).toBe(true);
    expect(c.variables.value).toEqual({ project: 3, title: "ship it" });
    await nextTick();
    expect(el.textContent).toBe("pending");
    await settle();
    server.calls[0]!.resolve(undefined);
    const todo = { id: 2, project: 3, title: "ship it" };
    await expect(promise).resolves.toEqual(todo);
    expect(c.status.value).toBe("success");
    expect(c.data.value).toEqual(todo);
    expect(onSuccess).toHaveBeenCalledExactlyOnceWith(todo, { project: 3, title: "ship it" });
    c.reset();
    expect(c.status.value).toBe("idle");
    expect(c.data.value).toBeUndefined();
  });

  it("keeps a typed error with its fields; call() never rejects", async () => {
    const onError = vi.fn();
    const { c } = setup({ onError });
    c.call({ project: 3, title: "" });
    await settle();
    expect(c.status.value).toBe("error");
    expect(c.isError.value).toBe(true);
    expect(c.error.value).toMatchObject({ code: "validation", status: 422, fields: { title: ["must not be empty"] } });
    expect(onError).toHaveBeenCalledOnce();
  });

  it("refetches the context it invalidated, and settles after the refetch", async () => {
    const server = todoServer();
    const client = clientFor(server);
    let titles = "";
    let c!: CallRefs<AddTodoArgs, Todo>;
    mount(client, () => {
      const q = useContextQuery(ctx.todos({ project: 3 }));
      c = useCall(call.addTodo);
      return () => (titles = q.data.value?.todo_list.map((t) => t.title).join() ?? "");
    });
    await settle();
    await c.callAsync({ project: 3, title: "two" });
    expect(client.getState(ctx.todos({ project: 3 })).data?.todo_list).toHaveLength(2);
    await nextTick();
    expect(titles).toBe("write the adapter,two");
    expect(server.gets("ctx/todos/?project=3")).toBe(2);
  });

  it("stops following the call once unmounted, but the call still settles", async () => {
    const { server, c, unmount } = setup();
    server.fail("x", undefined);
    server.hold();
    const promise = c.callAsync({ project: 3, title: "late" });
    unmount();
    await settle();
    server.calls[0]!.resolve(json(500, errorBody("internal", "boom")));
    await expect(promise).rejects.toMatchObject({ code: "internal" });
    expect(c.status.value).toBe("pending"); // the refs no longer follow
  });

  it("warns in development when called outside an effect scope", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    mount(clientFor(todoServer()), () => () => null).app.runWithContext(() => useCall(call.addTodo));
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/a composable called outside an effect scope/));
  });
});
