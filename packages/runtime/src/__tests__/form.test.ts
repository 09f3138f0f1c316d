// @vitest-environment jsdom
// submit() with a real HTMLFormElement (jsdom).
import { describe, expect, it, vi } from "vitest";
import { MizanClient, submitForm } from "@mizan/runtime";
import { fakeFetch } from "./fake-fetch";

const form = (html: string) => {
  document.body.innerHTML = html;
  return document.querySelector("form")!;
};

describe("submitForm(client, form)", () => {
  it("posts the form's fields url-encoded to its action, even when controls shadow action/method", async () => {
    const f = fakeFetch();
    const navigate = vi.fn();
    const c = new MizanClient({ fetch: f.fetch, navigate });
    const el = form(`<form action="/todos/5/toggle" method="post">
      <input name="done" value="on"><input name="action" value="save"><input name="method" value="x"></form>`);
    const p = submitForm(c, el);
    const r = f.last();
    expect([r.url, r.init.method, String(r.init.body)]).toEqual(["/todos/5/toggle", "POST", "done=on&action=save&method=x"]);
    expect(r.headers.get("x-mizan-client")).toBe("1");
    await r.respond(new Response(null, { status: 204, headers: { "X-Mizan-Redirect": "/todos/5" } }));
    await p;
    expect(navigate).toHaveBeenCalledWith("/todos/5");
  });

  it("a form without action or method is a GET of the page's URL", () => {
    const f = fakeFetch();
    const c = new MizanClient({ fetch: f.fetch });
    submitForm(c, form(`<form><input name="q" value="a b"></form>`));
    expect([f.last().url, f.last().init.method]).toEqual([location.href.replace(/[?#].*/, "") + "?q=a+b", "GET"]);
  });
});
