// The benchmark's server bundle: a todo page of N rows, rendered by @mizan/ssr-worker's React
// renderer from the page data (as the example's page is), so the bridge carries the data in
// and the HTML out.
import { reactRenderer } from "@mizan/ssr-worker/react";
import { createElement as h } from "react";

export const rowsFor = (n) =>
  Array.from({ length: n }, (_, i) => ({ id: i, title: `Todo number ${i} <with> "quotes" & more`, done: i % 3 == 0 }));

export const inputFor = (rows) => ({
  url: `/?rows=${rows}`,
  props: {},
  identity: null,
  data: { "todos?project=1": { context: "todos", params: { project: 1 }, data: { todo_list: rowsFor(rows) }, updatedAt: 1, stale: false } },
});

function Page({ todos }) {
  return h(
    "main",
    { className: "content" },
    h("h1", null, "Todos ", h("small", null, `(${todos.length})`)),
    h(
      "ul",
      { className: "todos" },
      todos.map((t) =>
        h(
          "li",
          { key: t.id, "data-todo": t.id, "data-done": String(t.done) },
          h("label", null, h("input", { type: "checkbox", checked: t.done, readOnly: true }), h("span", null, t.title)),
          h("button", { type: "button", "aria-label": `Delete ${t.title}` }, "×"),
        ),
      ),
    ),
  );
}

export default reactRenderer((input) => h(Page, { todos: input.data["todos?project=1"].data.todo_list }));
