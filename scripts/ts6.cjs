#!/usr/bin/env node
// Runs vue-tsc or svelte-check on TypeScript 6's compiler API:
//
//     node scripts/ts6.cjs vue-tsc -p examples/todos/web-vue
//     node scripts/ts6.cjs svelte-check --tsconfig packages/svelte/tsconfig.json
//
// The workspace's `typescript` is 7 (the native compiler: `tsc` is fast, but there is no
// JavaScript API), and both tools load the API with `require("typescript")`. Here those
// requests resolve to @typescript/typescript6 (TypeScript 6's API, a devDependency) instead.
// (package.json's `overrides` widens svelte-check's peer range to the workspace's TypeScript
// so that npm installs it at all; this script is what makes that safe.)
"use strict";
const Module = require("node:module");
const path = require("node:path");

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request == "typescript" || request.startsWith("typescript/")) {
    request = "@typescript/typescript6" + request.slice("typescript".length);
  }
  return resolve.call(this, request, ...rest);
};

const [tool, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], tool, ...args];
if (tool == "vue-tsc") {
  require("vue-tsc").run(require.resolve("@typescript/typescript6/lib/tsc"));
} else if (tool == "svelte-check") {
  require(path.join(path.dirname(require.resolve("svelte-check/package.json")), "bin", "svelte-check"));
} else {
  console.error("usage: node scripts/ts6.cjs vue-tsc|svelte-check [arguments]");
  process.exit(2);
}
