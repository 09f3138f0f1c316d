#!/usr/bin/env node
// The size of what a browser downloads for Mizan's client packages, against their budgets and
// against the libraries they replace:
//
//     node scripts/bundle-size.mjs
//
// Each row bundles a small entry module with esbuild (minify, ESM, browser, production
// defines), gzips the result (level 9) and prints a markdown table of bytes. React and
// React DOM are external in every bundle, so a row measures the library's own code only.
// Exit code 1 when a row is over its budget.
//
// A row is one object in ENTRIES:
//   name     what the table shows
//   code     the entry module; export what you import, so nothing is tree-shaken away
//   budget   optional: the most min+gzip bytes allowed
//   base     optional: the name of an earlier row; the budget then applies to this row's
//            min+gzip minus that row's (the cost on top of it, e.g. an adapter over the kernel)
//   note     optional: shown in the table ("for comparison" rows have no budget)
//   ours     our own packages: built as their package build would, with private members
//            (names ending in `_`) mangled to short names (esbuild `mangleProps`)

import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { svelteFiles } from "./bundle-svelte.mjs";

/** The naming convention of private members in our packages (see packages/runtime/src/client.ts). */
export const MANGLE = /_$/;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const ENTRIES = [
  {
    name: "@mizan/runtime",
    code: `export { MizanClient, defineContext, defineCall, skipToken, keepPreviousData } from "@mizan/runtime";`,
    budget: 4096,
    ours: true,
    note: "the client: entries, fetch, retries, invalidation, events, focus, hydration, setData",
  },
  {
    name: "@mizan/react",
    code: `export { MizanClient, defineContext, defineCall, skipToken, keepPreviousData } from "@mizan/runtime"; export { MizanProvider, useMizan, useContextQuery, useCall, MizanError } from "@mizan/react";`,
    budget: 1024,
    base: "@mizan/runtime",
    ours: true,
    note: "the adapter with the kernel's observers it binds (ContextObserver, MutationObserver)",
  },
  {
    name: "@mizan/vue",
    code: `export { MizanClient, defineContext, defineCall, skipToken, keepPreviousData } from "@mizan/runtime"; export { createMizan, provideMizan, useMizan, useContextQuery, useCall, MizanError } from "@mizan/vue";`,
    budget: 1024,
    base: "@mizan/runtime",
    ours: true,
    note: "the adapter with the kernel's observers it binds (ContextObserver, MutationObserver)",
  },
  {
    name: "@mizan/svelte",
    code: `export { MizanClient, defineContext, defineCall, skipToken, keepPreviousData } from "@mizan/runtime"; export { setMizan, getMizan, ContextQuery, Call, MizanError } from "@mizan/svelte";`,
    budget: 1024,
    base: "@mizan/runtime",
    ours: true,
    note: "the adapter with the kernel's observers it binds (ContextObserver, MutationObserver)",
  },
  {
    name: "@mizan/runtime + observers",
    code: `export { MizanClient, ContextObserver, MutationObserver, defineContext, defineCall, skipToken, keepPreviousData } from "@mizan/runtime";`,
    ours: true,
    note: "the kernel with everything an adapter uses, informative",
  },
  {
    name: "@mizan/runtime (every export)",
    code: `export * from "@mizan/runtime";`,
    ours: true,
    note: "the whole public API, informative",
  },
  {
    name: "@mizan/runtime/cross-tab",
    code: `export * from "@mizan/runtime"; export { crossTab } from "@mizan/runtime/cross-tab";`,
    base: "@mizan/runtime (every export)",
    ours: true,
    note: "optional entry point, informative",
  },
  {
    name: "@mizan/runtime/devtools",
    code: `export * from "@mizan/runtime"; export { mountDevtools } from "@mizan/runtime/devtools";`,
    base: "@mizan/runtime (every export)",
    ours: true,
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
async function measure(code, ours) {
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
    ...(ours ? { mangleProps: MANGLE } : {}),
  });
  const bytes = result.outputFiles[0].contents;
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const rows = [];
const sizes = new Map();
let failed = false;
for (const entry of ENTRIES) {
  let size;
  try {
    size = await measure(entry.code, entry.ours);
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
