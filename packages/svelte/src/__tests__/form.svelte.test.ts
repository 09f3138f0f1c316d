// Form (@mizan/svelte/form): reactive getters over the form core, read by a template.
import { flushSync } from "svelte";
import { describe, expect, it } from "vitest";
import type { Form } from "../form.svelte";
import { type AddTodoArgs, clientFor, type Todo, todoServer } from "../../../react/src/__tests__/harness";
import FormHost from "./FormHost.svelte";
import { mount, settle } from "./mount";

describe("Form", () => {
  it("renders the form's state and binds its input", async () => {
    const server = todoServer();
    let form!: Form<AddTodoArgs, Todo>;
    const view = mount(clientFor(server), FormHost, { onform: (f: Form<AddTodoArgs, Todo>) => (form = f) });
    expect(view.target.querySelector("p")?.textContent).toBe("ok");
    view.target.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect(view.target.querySelector("p")?.textContent).toBe("must not be empty");
    const input = view.target.querySelector("input")!;
    input.value = "ship it";
    // (Svelte delegates input events to the root: they must bubble)
    input.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    expect(form.values.title).toBe("ship it");
    expect(view.target.querySelector("p")?.textContent).toBe("ok");
    await expect(form.submit()).resolves.toMatchObject({ title: "ship it" });
    view.unmount();
  });
});
