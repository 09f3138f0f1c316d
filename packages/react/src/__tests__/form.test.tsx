// @vitest-environment jsdom
// useForm (@mizan/react/form): the form core's state through useSyncExternalStore.
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { MizanProvider } from "@mizan/react";
import { useForm } from "@mizan/react/form";
import { call, clientFor, todoServer } from "./harness";

afterEach(cleanup);

describe("useForm", () => {
  it("binds inputs, shows the server's 422 on its field and submits through the kernel", async () => {
    const server = todoServer();
    const client = clientFor(server);
    const wrapper = ({ children }: { children?: ReactNode }) => <MizanProvider client={client}>{children}</MizanProvider>;
    const { result } = renderHook(
      () => useForm(call.addTodo, { initial: { project: 3, title: "" }, rules: { title: { type: "string" } } }),
      { wrapper },
    );
    expect(result.current.input("title")).toMatchObject({ name: "title", value: "" });
    await act(() => result.current.submit({ preventDefault() {} }));
    expect(result.current.errors).toEqual({ title: ["must not be empty"] });
    expect(result.current.call.status).toBe("error");

    const input = document.createElement("input");
    input.value = "ship it";
    act(() => result.current.input("title").onChange({ target: input }));
    expect(result.current.values.title).toBe("ship it");
    expect(result.current.errors).toEqual({});
    expect(result.current.dirty.title).toBe(true);
    let todo: unknown;
    await act(async () => {
      todo = await result.current.submit();
    });
    expect(todo).toMatchObject({ id: 2, title: "ship it" });
    await waitFor(() => expect(result.current.submitting).toBe(false));
    expect(server.requests.find((r) => r.url == "call/add_todo/" && (r.body as { title: string }).title == "ship it")).toBeTruthy();
    act(() => result.current.reset());
    expect(result.current.values.title).toBe("");
  });
});
