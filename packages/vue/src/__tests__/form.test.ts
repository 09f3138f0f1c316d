// @vitest-environment jsdom
// useForm (@mizan/vue/form): the form core's state in a ref, followed until the scope ends.
import { describe, expect, it } from "vitest";
import { type Form, useForm } from "../form";
import { type AddTodoArgs, call, clientFor, settle, type Todo, todoServer } from "../../../react/src/__tests__/harness";
import { mount } from "./mount";

describe("useForm", () => {
  it("mirrors the form's state into a ref and stops following it on unmount", async () => {
    const server = todoServer();
    let form!: Form<AddTodoArgs, Todo>;
    const view = mount(clientFor(server), () => {
      form = useForm(call.addTodo, { initial: { project: 3, title: "" } });
      return () => form.state.value.errors["title"]?.join() ?? "ok";
    });
    await form.submit();
    await settle();
    expect(form.state.value.errors).toEqual({ title: ["must not be empty"] });
    expect(view.el.textContent).toBe("must not be empty");
    const input = document.createElement("input");
    input.value = "ship it";
    input.addEventListener("input", (e) => form.onInput("title", e));
    input.dispatchEvent(new Event("input"));
    expect(form.state.value.values.title).toBe("ship it");
    await expect(form.submit()).resolves.toMatchObject({ title: "ship it" });
    view.unmount();
    const before = form.state.value;
    form.setValue("title", "after");
    expect(form.state.value).toBe(before);
  });
});
