// An esbuild plugin for scripts/bundle-size.mjs: compiles Svelte components (`.svelte`) and
// rune modules (`.svelte.js`, `.svelte.ts`) with Svelte's own compiler, for the browser, as
// a Svelte build (vite-plugin-svelte) would, so a Svelte library's row measures the code a
// browser gets. The Svelte runtime itself stays external, as React does in every row.
import { readFile } from "node:fs/promises";

import { transform } from "esbuild";
import { compile, compileModule } from "svelte/compiler";

export const svelteFiles = {
  name: "svelte-files",
  setup(build) {
    build.onLoad({ filter: /\.svelte$/ }, async ({ path }) => {
      const { js } = compile(await readFile(path, "utf8"), { filename: path, generate: "client", dev: false });
      return { contents: js.code, loader: "js" };
    });
    build.onLoad({ filter: /\.svelte\.[jt]s$/ }, async ({ path }) => {
      let source = await readFile(path, "utf8");
      if (path.endsWith(".ts")) source = (await transform(source, { loader: "ts", target: "es2022" })).code;
      const { js } = compileModule(source, { filename: path, generate: "client", dev: false });
      return { contents: js.code, loader: "js" };
    });
  },
};
