import { flushSync } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Call } from "../index";
import { type AddTodoArgs, clientFor, errorBody, json, type Todo, todoServer } from "../../../react/src/__tests__/harness";
import AddTodo from "./AddTodo.svelte";
import { mount, settle } from "./mount";

afterEach(() => void vi.restoreAllMocks());

function setup(options?: object) {
  const server = todoServer();
  const client = clientFor(server);
  let c!: Call<AddTodoArgs, Todo>;
  const view = mount(client, AddTodo, { options, oncall: (x: Call<AddTodoArgs, Todo>) => (c = x) });
  const status = () => view.target.querySelector("p")?.dataset.status;
  return { server, client, c, status, ...view };
}

describe("Call", () => {
  it("goes idle → pending → success, and back to idle on reset", async () => {
    const onSuccess = vi.fn();
    const { server, c, status, text } = setup({ onSuccess });
    expect(status()).toBe("idle");
    server.hold();
    const promise = c.callAsync({ project: 3, title: "ship it" });
    flushSync();
    expect(status()).toBe("pending");
    expect(c.isPending).toBe(true);
    expect(c.variables).toEqual({ project: 3, title: "ship it" });
    await settle();
    server.calls[0]!.resolve(undefined);
    await expect(promise).resolves.toMatchObject({ id: 2 });
    flushSync();
    expect(status()).toBe("success");
    expect(text()).toBe("ship it");
    expect(onSuccess).toHaveBeenCalledOnce();
    c.reset();
    flushSync();
    expect(status()).toBe("idle");
    expect(c.data).toBeUndefined();
  });

  it("shows a typed error with its fields; call() never rejects", async () => {
    const { c, status, text } = setup();
    c.call({ project: 3, title: "" });
    await settle();
    expect(status()).toBe("error");
    expect(c.error).toMatchObject({ code: "validation", status: 422 });
    expect(text()).toBe('{"title":["must not be empty"]}');
  });

  it("still settles a call in flight after unmount", async () => {
    const { server, c, unmount } = setup();
    server.hold();
    const promise = c.callAsync({ project: 3, title: "late" });
    unmount();
    await settle();
    server.calls[0]!.resolve(json(500, errorBody("internal", "boom")));
    await expect(promise).rejects.toMatchObject({ code: "internal" });
  });
});
