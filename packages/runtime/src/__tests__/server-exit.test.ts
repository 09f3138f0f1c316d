/// <reference types="node" />
// A script that renders a page on the server and exits must exit at once: no kernel timer (GC,
// settle) may keep a Node process alive. Run in a real child process, as a user's script would.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";

const work = mkdtempSync(join(tmpdir(), "mizan-exit-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SCRIPT = `
import { MizanClient, defineContext, defineCall, dehydrate, hydrate } from "@mizan/runtime";
import { MizanProvider, useContextQuery } from "@mizan/react";
import { createElement } from "react";
import { renderToString } from "react-dom/server";

const todos = defineContext("todos");
const addTodo = defineCall("add_todo");
const answer = (body) => new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } });
const fetch = async (url) =>
  url.includes("/call/") ? answer({ result: 1, invalidate: ["todos"] }) : answer({ todo_list: ["a"] });

for (const options of [{}, { gcTime: 300000 }]) {
  const client = new MizanClient({ fetch, ...options });
  await client.fetch(todos({ project: 1 }));
  client.getState(todos({ project: 2 }));
  client.subscribe(todos({ project: 3 }), () => {})();
  await client.call(addTodo, { project: 1 });
  const page = new MizanClient({ fetch, ...options });
  hydrate(page, dehydrate(client));
  function List() {
    const q = useContextQuery(todos({ project: 1 }));
    return createElement("p", null, q.data.todo_list.join());
  }
  console.log(renderToString(createElement(MizanProvider, { client: page }, createElement(List))));
}
`;

describe("server use", () => {
  it("a script that renders a page server-side exits at once", async () => {
    const entry = join(work, "script.mjs");
    await build({
      stdin: { contents: SCRIPT, resolveDir: resolve(__dirname, "../../../.."), loader: "js" },
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: entry,
      logLevel: "error",
      // react-dom/server is CommonJS requiring Node built-ins
      banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
    });
    const started = Date.now();
    const run = spawnSync(process.execPath, [entry], { encoding: "utf8", timeout: 20_000 });
    const elapsed = Date.now() - started;
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual(["<p>a</p>", "<p>a</p>"]);
    // a GC timer (5 minutes) or a settle timer left running would hold it for seconds at least
    expect(elapsed).toBeLessThan(5_000);
  });
});
