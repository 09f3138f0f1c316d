import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, createServer } from "vite";
import { afterEach, describe, expect, it } from "vitest";
import { mizan, type MizanPluginOptions, type Target } from "../index";

const here = dirname(fileURLToPath(import.meta.url));
const fake = [process.execPath, join(here, "fake-mizan.mjs")];
const repo = join(here, "..", "..", "..", "..");
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A project directory with a schema document and an entry module. */
function project(marker: unknown = 1) {
  const root = mkdtempSync(join(tmpdir(), "mizan-vite-"));
  dirs.push(root);
  writeFileSync(join(root, "schema.json"), JSON.stringify({ marker }));
  writeFileSync(join(root, "main.js"), "export const x = 1;\n");
  const calls = () => (existsSync(join(root, "calls.log")) ? readFileSync(join(root, "calls.log"), "utf8").trim().split("\n") : []);
  const generated = (target: string) => readFileSync(join(root, "mizan", `${target}.ts`), "utf8");
  return { root, calls, generated };
}

const options = (target?: Target | Target[]): MizanPluginOptions => ({ schema: "schema.json", out: "mizan", target, command: fake });

const buildWith = (root: string, plugin: ReturnType<typeof mizan>) =>
  build({
    root,
    logLevel: "silent",
    configFile: false,
    plugins: [plugin],
    build: { write: false, rollupOptions: { input: join(root, "main.js") } },
  });

/** Polls until `check` stops throwing (a file watcher answers within a few hundred ms). */
async function eventually(check: () => void, ms = 10_000) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe("mizan() in a build", () => {
  it("runs codegen once, with the targets, relative to Vite's root", async () => {
    const p = project("first");
    await buildWith(p.root, mizan(options(["vue", "svelte"])));
    expect(p.calls()).toEqual(["codegen schema.json --out mizan --target vue --target svelte"]);
    expect(p.generated("vue")).toContain('"first"');
    expect(p.generated("svelte")).toContain('"first"');
  });

  it("fails the build when codegen fails", async () => {
    const p = project();
    writeFileSync(join(p.root, "schema.json"), JSON.stringify({ fail: true }));
    await expect(buildWith(p.root, mizan(options("react")))).rejects.toThrow(/mizan codegen failed \(exit 2\):\nmizan: in schema.json: not a Mizan schema document/);
  });
});

describe.each(["react", "vue", "svelte"] as const)("mizan() in the dev server, target %s", (target) => {
  it("generates at start and again whenever the schema document changes", async () => {
    const p = project("v1");
    const server = await createServer({
      root: p.root,
      logLevel: "silent",
      configFile: false,
      server: { middlewareMode: true, watch: { usePolling: true, interval: 50 } },
      plugins: [mizan(options(target))],
    });
    try {
      await server.pluginContainer.buildStart({});
      await eventually(() => expect(p.generated(target)).toContain('"v1"'));
      const before = p.calls().length;
      writeFileSync(join(p.root, "schema.json"), JSON.stringify({ marker: "v2" }));
      await eventually(() => expect(p.generated(target)).toContain('"v2"'));
      expect(p.calls().length).toBeGreaterThan(before);
      expect(p.calls().at(-1)).toBe(`codegen schema.json --out mizan --target ${target}`);
      // a broken document is reported; the server keeps the previous files
      writeFileSync(join(p.root, "schema.json"), JSON.stringify({ fail: true }));
      await eventually(() => expect(p.calls().length).toBeGreaterThan(before + 1));
      expect(p.generated(target)).toContain('"v2"');
      // another file changing runs nothing
      const after = p.calls().length;
      writeFileSync(join(p.root, "main.js"), "export const x = 2;\n");
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(p.calls().length).toBe(after);
    } finally {
      await server.close();
    }
  });
});

describe("mizan() with the real CLI", () => {
  it("writes every target's hooks from the todos fixture", { timeout: 600_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), "mizan-vite-real-"));
    dirs.push(root);
    writeFileSync(join(root, "main.js"), "export const x = 1;\n");
    const cargo = process.env.CARGO ?? "cargo";
    const built = spawnSync(cargo, ["build", "--locked", "-q", "-p", "mizan-cli"], { cwd: repo, stdio: "inherit" });
    expect(built.status).toBe(0);
    const schema = join(repo, "crates", "mizan-codegen", "tests", "fixtures", "todos.json");
    await buildWith(
      root,
      mizan({
        schema,
        out: join(root, "mizan"),
        target: ["react", "vue", "svelte"],
        command: [cargo, "run", "--locked", "-q", "-p", "mizan-cli", "--"],
        cwd: repo,
      }),
    );
    for (const [file, adapter] of [["react.ts", "@mizan/react"], ["vue.ts", "@mizan/vue"], ["svelte.ts", "@mizan/svelte"]]) {
      const text = readFileSync(join(root, "mizan", file!), "utf8");
      expect(text).toContain("export const useTodos = ");
      expect(text).toContain(`from "${adapter}"`);
    }
  });
});
