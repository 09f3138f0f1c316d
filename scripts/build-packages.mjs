#!/usr/bin/env node
// Builds the npm packages that ship a build, into each package's `dist/` (not committed):
//
//     node scripts/build-packages.mjs           build the packages whose dist is missing or stale
//     node scripts/build-packages.mjs --force   rebuild them all
//
// A package under packages/* opts in by pointing its `exports` into `./dist/`: every entry
// `"./x": { "types": "./dist/x.d.ts", "default": "./dist/x.js" }` is built from `src/x.ts`
// (or `.tsx`). For each package, in dependency order (a package's declarations need those of
// the workspace packages it imports):
//
// - JavaScript: one esbuild run over all its entry points (ESM, bundled, code shared between
//   entry points split into chunks, every import of another package left external, a source
//   map). Private members, the names ending in `_` (MANGLE), are renamed to short names
//   (esbuild `mangleProps`): the source keeps descriptive names, the shipped code stays
//   small. One run renames every entry point and chunk alike, so they agree on the names
//   without a mangle cache; a package never touches another package's `_` members (the
//   `@internal` ones are stripped from the declarations), so packages need not agree.
//   Nothing is minified otherwise: the application's bundler does that.
// - Declarations: `tsc --emitDeclarationOnly` from the entry points (what they reach, never
//   the tests), with `stripInternal`: `@internal` members, mangled in the JavaScript, are not
//   part of the types either.
//
// A package is stale when the hash of its inputs differs from the one its dist records
// (`dist/.inputs`): its sources (tests excluded), package.json, tsconfig files, this script,
// the esbuild and TypeScript versions, and the hashes of the workspace packages it depends
// on. Every script or tool that needs dist (scripts/run, scripts/test, the example's
// front end, vitest, the e2e tests, scripts/bundle-size.mjs) calls this first; an up-to-date
// build costs a few milliseconds.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The naming convention of private members: they end with `_` (see packages/runtime/src/client.ts). */
export const MANGLE = /_$/;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);

/** The workspace packages that ship a build, in dependency order. */
export function buildablePackages() {
  const dir = join(root, "packages");
  const found = new Map();
  for (const name of readdirSync(dir).sort()) {
    const manifestPath = join(dir, name, "package.json");
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    const entries = entryPoints(manifest, join(dir, name));
    if (entries) found.set(manifest.name, { name: manifest.name, dir: join(dir, name), manifest, entries });
  }
  const ordered = [];
  const visit = (pkg, path = []) => {
    if (ordered.includes(pkg)) return;
    if (path.includes(pkg)) throw new Error(`build-packages: a dependency cycle: ${[...path, pkg].map((p) => p.name).join(" → ")}`);
    for (const dep of workspaceDeps(pkg, found)) visit(dep, [...path, pkg]);
    ordered.push(pkg);
  };
  for (const pkg of found.values()) visit(pkg);
  for (const pkg of ordered) pkg.deps = workspaceDeps(pkg, found);
  return ordered;
}

/** `{ out name → source file }` of a package whose exports point into ./dist/, else undefined. */
function entryPoints(manifest, dir) {
  const exports = manifest.exports;
  if (!exports || typeof exports != "object") return undefined;
  const entries = {};
  for (const [subpath, target] of Object.entries(exports)) {
    const js = typeof target == "string" ? target : (target.default ?? target.import);
    if (typeof js != "string" || !js.startsWith("./dist/")) continue;
    const m = /^\.\/dist\/(.+)\.js$/.exec(js);
    if (!m) throw new Error(`${manifest.name}: export ${subpath} → ${js}: expected ./dist/<name>.js`);
    const name = m[1];
    if (typeof target != "object" || target.types != `./dist/${name}.d.ts`)
      throw new Error(`${manifest.name}: export ${subpath} needs "types": "./dist/${name}.d.ts"`);
    const source = ["ts", "tsx"].map((ext) => join(dir, "src", `${name}.${ext}`)).find(existsSync);
    if (!source) throw new Error(`${manifest.name}: export ${subpath}: no src/${name}.ts(x)`);
    entries[name] = source;
  }
  return Object.keys(entries).length ? entries : undefined;
}

/** The buildable workspace packages among a package's dependencies and peer dependencies. */
function workspaceDeps(pkg, found) {
  const { dependencies = {}, peerDependencies = {} } = pkg.manifest;
  return [...new Set([...Object.keys(dependencies), ...Object.keys(peerDependencies)])]
    .filter((dep) => found.has(dep))
    .map((dep) => found.get(dep));
}

/** Every file under `dir`, sorted, skipping `__tests__` folders. */
function sources(dir) {
  const out = [];
  for (const item of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, item.name);
    if (item.isDirectory()) {
      if (item.name != "__tests__") out.push(...sources(path));
    } else out.push(path);
  }
  return out;
}

const toolVersions = ["esbuild", "typescript"].map((tool) => `${tool}@${require(`${tool}/package.json`).version}`).join(" ");

/** The hash of everything a package's dist is made from. */
function inputsHash(pkg, hashes) {
  const hash = createHash("sha256");
  hash.update(toolVersions);
  const files = [
    self,
    join(root, "tsconfig.base.json"),
    join(pkg.dir, "package.json"),
    join(pkg.dir, "tsconfig.json"),
    ...sources(join(pkg.dir, "src")),
  ];
  for (const file of files) hash.update(`\0${relative(root, file)}\0`).update(readFileSync(file));
  for (const dep of pkg.deps) hash.update(`\0${dep.name}\0${hashes.get(dep.name)}`);
  return hash.digest("hex");
}

/** Builds one package into a fresh directory, then puts it in place of dist. */
async function buildPackage(pkg, hash) {
  const { build } = await import("esbuild");
  const dist = join(pkg.dir, "dist");
  const next = join(pkg.dir, `.dist-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  try {
    await build({
      entryPoints: pkg.entries,
      outdir: next,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      packages: "external",
      mangleProps: MANGLE,
      sourcemap: true,
      legalComments: "none",
      logLevel: "warning",
    });
    declarations(pkg, next);
    writeFileSync(join(next, ".inputs"), hash + "\n");
    rmSync(dist, { recursive: true, force: true });
    renameSync(next, dist);
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
}

/** `.d.ts` files for what the entry points reach, with tsc (the package's own tsconfig). */
function declarations(pkg, outDir) {
  const scratch = mkdtempSync(join(tmpdir(), "mizan-dts-"));
  try {
    const config = join(scratch, "tsconfig.json");
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(pkg.dir, "tsconfig.json"),
        compilerOptions: {
          noEmit: false,
          declaration: true,
          emitDeclarationOnly: true,
          stripInternal: true,
          rootDir: join(pkg.dir, "src"),
          outDir,
        },
        files: Object.values(pkg.entries),
        include: [],
      }),
    );
    const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
    const run = spawnSync(process.execPath, [tsc, "-p", config], { cwd: pkg.dir, encoding: "utf8" });
    if (run.status !== 0)
      throw new Error(`${pkg.name}: tsc --emitDeclarationOnly failed\n${run.stdout}${run.stderr}${run.error ?? ""}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Builds every buildable package whose dist is missing or stale (all with `force`); returns
 *  the names of those it built. */
export async function buildPackages({ force = false, quiet = false } = {}) {
  const hashes = new Map();
  const built = [];
  for (const pkg of buildablePackages()) {
    const hash = inputsHash(pkg, hashes);
    hashes.set(pkg.name, hash);
    const stamp = join(pkg.dir, "dist", ".inputs");
    if (!force && existsSync(stamp) && readFileSync(stamp, "utf8").trim() == hash) continue;
    const started = Date.now();
    await buildPackage(pkg, hash);
    built.push(pkg.name);
    if (!quiet) console.error(`built ${pkg.name} (${relative(root, join(pkg.dir, "dist"))}, ${Date.now() - started} ms)`);
  }
  return built;
}

if (process.argv[1] && fileURLToPath(import.meta.url) == process.argv[1]) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a != "--force");
  if (unknown.length) {
    console.error(`build-packages: unknown argument ${unknown[0]} (usage: node scripts/build-packages.mjs [--force])`);
    process.exit(2);
  }
  try {
    await buildPackages({ force: args.includes("--force") });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
