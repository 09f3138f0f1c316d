#!/usr/bin/env node
// The size of what a browser downloads for Mizan's client packages, against their budgets and
// against the libraries they replace:
//
//     node scripts/bundle-size.mjs
//
// Each row bundles a small entry module with esbuild (minify, ESM, browser, production
// defines), as an application's bundler would, gzips the result (level 9) and prints a
// markdown table of bytes. React and React DOM (and Vue and Svelte) are external in every
// bundle, so a row measures the library's own code only; Svelte files are compiled by Svelte's
// compiler first (scripts/bundle-svelte.mjs), as a Svelte application's build does. Our
// packages are measured as they ship: their `exports` point at `dist/` (built first by
// scripts/build-packages.mjs when missing or stale), whose private members are already
// mangled, or, for @mizan/svelte, which ships its source (Svelte libraries do), at that. Exit code 1 when a row is over its budget.
//
// A row is one object in ENTRIES:
//   name     what the table shows
//   code     the entry module; export what you import, so nothing is tree-shaken away
//   budget   optional: the most min+gzip bytes allowed
//   base     optional: the name of an earlier row; the budget then applies to this row's
//            min+gzip minus that row's (the cost on top of it, e.g. an adapter over the kernel)
//   note     optional: shown in the table ("for comparison" rows have no budget)

import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { buildPackages } from "./build-packages.mjs";
import { svelteFiles } from "./bundle-svelte.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Everything an adapter binds: the client and the observers (every adapter uses both). */
const KERNEL = `export { MizanClient, ContextObserver, MutationObserver, MizanError, defineContext, defineCall, skipToken, keepPreviousData } from "@mizan/runtime";`;

const ENTRIES = [
  {
    name: "@mizan/runtime",
    code: KERNEL,
    // Issue 8's budget. SSR hydration, form submission, prefetching and listing the entries
    // are standalone functions (hydrate/dehydrate, submitForm, ensure, listEntries), outside
    // the kernel: rows of their own below.
    budget: 4096,
    note: "the kernel: client (entries, fetch, retries, invalidation, events, focus, setData) and the observers every adapter binds",
  },
  {
    name: "@mizan/runtime: hydrate + dehydrate",
    code: `${KERNEL} export { hydrate, dehydrate } from "@mizan/runtime";`,
    base: "@mizan/runtime",
    note: "optional functions (SSR), informative",
  },
  {
    name: "@mizan/runtime: submitForm",
    code: `${KERNEL} export { submitForm } from "@mizan/runtime";`,
    base: "@mizan/runtime",
    note: "optional function (view-path forms), informative",
  },
  {
    name: "@mizan/runtime: ensure",
    code: `${KERNEL} export { ensure } from "@mizan/runtime";`,
    base: "@mizan/runtime",
    note: "optional function (prefetching), informative",
  },
  {
    name: "@mizan/runtime: listEntries",
    code: `${KERNEL} export { listEntries } from "@mizan/runtime";`,
    base: "@mizan/runtime",
    note: "optional function (devtools, tests), informative",
  },
  {
    name: "@mizan/react",
    code: `${KERNEL} export { MizanProvider, useMizan, useContextQuery, useCall } from "@mizan/react";`,
    budget: 1024,
    base: "@mizan/runtime",
    note: "the adapter on top of the kernel",
  },
  {
    name: "@mizan/vue",
    code: `${KERNEL} export { createMizan, provideMizan, useMizan, useContextQuery, useCall } from "@mizan/vue";`,
    budget: 1024,
    base: "@mizan/runtime",
    note: "the adapter on top of the kernel",
  },
  {
    name: "@mizan/svelte",
    code: `${KERNEL} export { setMizan, getMizan, ContextQuery, Call } from "@mizan/svelte";`,
    budget: 1024,
    base: "@mizan/runtime",
    note: "the adapter on top of the kernel",
  },
  {
    name: "@mizan/runtime (every export)",
    code: `export * from "@mizan/runtime";`,
    note: "the whole public API (with the protocol helpers a server uses), informative",
  },
  {
    name: "@mizan/runtime/cross-tab",
    code: `export * from "@mizan/runtime"; export { crossTab } from "@mizan/runtime/cross-tab";`,
    base: "@mizan/runtime (every export)",
    note: "optional entry point, informative",
  },
  {
    name: "@mizan/runtime/devtools",
    code: `export * from "@mizan/runtime"; export { mountDevtools } from "@mizan/runtime/devtools";`,
    base: "@mizan/runtime (every export)",
    note: "optional entry point, informative",
  },
  {
    name: "@tanstack/query-core",
    code: `export { QueryClient, QueryObserver, MutationObserver } from "@tanstack/query-core";`,
    note: "for comparison",
  },
  {
    name: "@tanstack/react-query",
    code: `export { QueryClient, QueryClientProvider, useQuery, useMutation } from "@tanstack/react-query";`,
    note: "for comparison",
  },
  {
    name: "@tanstack/vue-query",
    code: `export { QueryClient, VueQueryPlugin, useQueryClient, useQuery, useMutation } from "@tanstack/vue-query";`,
    note: "for comparison",
  },
  {
    name: "@tanstack/svelte-query",
    code: `export { QueryClient, setQueryClientContext, getQueryClientContext, createQuery, createMutation } from "@tanstack/svelte-query";`,
    note: "for comparison",
  },
  {
    name: "swr",
    code: `export { default as useSWR, SWRConfig } from "swr"; export { default as useSWRMutation } from "swr/mutation";`,
    note: "for comparison",
  },
  {
    name: "@trpc/client",
    code: `export { createTRPCClient, httpBatchLink } from "@trpc/client";`,
    note: "for comparison",
  },
  {
    name: "@trpc/client + @tanstack/react-query",
    // tRPC's React client (@trpc/tanstack-react-query) is a thin layer over these two; its own
    // package is not installed here (its exact peer versions lag behind @trpc/client's).
    code: `export { createTRPCClient, httpBatchLink } from "@trpc/client"; export { QueryClient, QueryClientProvider, useQuery, useMutation } from "@tanstack/react-query";`,
    note: "for comparison: tRPC's React client without its own thin binding",
  },
];

/** min and min+gzip bytes of one entry. */
async function measure(code) {
  const result = await build({
    stdin: { contents: code, resolveDir: root, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    legalComments: "none",
    logLevel: "error",
    define: { "process.env.NODE_ENV": '"production"' },
    external: ["react", "react-dom", "react/*", "react-dom/*", "vue", "vue-demi", "svelte", "svelte/*"],
    conditions: ["svelte", "browser"],
    plugins: [svelteFiles],
  });
  const bytes = result.outputFiles[0].contents;
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

await buildPackages();

const rows = [];
const sizes = new Map();
let failed = false;
for (const entry of ENTRIES) {
  let size;
  try {
    size = await measure(entry.code);
  } catch (error) {
    // A comparison package that is not installed is reported, not fatal; our own rows are.
    if (entry.budget !== undefined || entry.base !== undefined) throw error;
    rows.push(`| ${entry.name} | – | – | – | not installed (${entry.note ?? ""}) |`);
    continue;
  }
  sizes.set(entry.name, size);
  let judged = size.gzip;
  let budget = "–";
  if (entry.base !== undefined) {
    const base = sizes.get(entry.base);
    if (!base) throw new Error(`${entry.name}: base row ${entry.base} must come first`);
    judged = size.gzip - base.gzip;
    budget = entry.budget === undefined ? `+${judged} over ${entry.base}` : `+${judged} / +${entry.budget} over ${entry.base}`;
  } else if (entry.budget !== undefined) {
    budget = `${judged} / ${entry.budget}`;
  }
  const over = entry.budget !== undefined && judged > entry.budget;
  failed ||= over;
  const status = entry.budget === undefined ? (entry.note ?? "") : over ? "**over budget**" : "ok";
  rows.push(`| ${entry.name} | ${size.min} | ${size.gzip} | ${budget} | ${status} |`);
}

console.log("| bundle | min (bytes) | min+gzip (bytes) | budget (min+gzip) | |");
console.log("|---|---:|---:|---|---|");
for (const row of rows) console.log(row);
if (failed) {
  console.error("\nbundle-size: over budget");
  process.exitCode = 1;
}
