/// <reference types="node" />
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { Logger, Plugin } from "vite";

export type Target = "react" | "vue" | "svelte";

export interface MizanPluginOptions {
  /** The schema document (what `cargo run -- mizan schema --out …` writes), relative to `cwd`. */
  schema: string;
  /** The directory of the generated files, relative to `cwd`. */
  out: string;
  /** The framework(s) of the Stage 2 file: `react` (the default), `vue`, `svelte`. */
  target?: Target | Target[];
  /** The command that runs the `mizan` CLI, before its arguments; default `["mizan"]` (on the
   *  PATH). In a Cargo workspace: `["cargo", "run", "-q", "-p", "mizan-cli", "--"]`. */
  command?: string[];
  /** Where the command runs, and what `schema` and `out` are relative to (they appear as
   *  given in the generated files' headers); default Vite's root. */
  cwd?: string;
}

/** The result of one codegen run: its exit code and everything it printed. */
interface Run {
  code: number | null;
  output: string;
}

/**
 * The Vite plugin: `plugins: [vue(), mizan({ schema: "mizan.schema.json", out: "src/mizan",
 * target: "vue" })]`. A build fails when codegen fails; the dev server reports the error and
 * keeps serving the previous files. Changes arriving while codegen runs are folded into one
 * more run.
 */
export function mizan(options: MizanPluginOptions): Plugin {
  const targets = options.target === undefined ? [] : [options.target].flat();
  const [program = "mizan", ...prefix] = options.command ?? ["mizan"];
  const args = [
    ...prefix,
    "codegen",
    options.schema,
    "--out",
    options.out,
    ...targets.flatMap((t) => ["--target", t]),
  ];
  let cwd = options.cwd ?? process.cwd();
  let logger: Logger | undefined;
  let serving = false;
  let running: Promise<Run> | undefined;
  let again = false;

  const once = () =>
    new Promise<Run>((done) => {
      const child = spawn(program, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk));
      child.on("error", (error) => done({ code: null, output: `cannot run ${program}: ${error.message}` }));
      child.on("close", (code) => done({ code, output }));
    });

  /** Runs codegen, or, when a run is under way, runs once more after it. */
  const run = (): Promise<Run> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let result: Run;
      do {
        again = false;
        result = await once();
      } while (again);
      running = undefined;
      return result;
    })();
    return running;
  };

  const report = (result: Run) => {
    const text = result.output.trim();
    if (result.code === 0) {
      if (text) logger?.info(text, { timestamp: true });
    } else logger?.error(`mizan codegen failed (exit ${result.code}):\n${text}`, { timestamp: true });
  };

  return {
    name: "mizan",
    configResolved(config) {
      cwd = options.cwd ?? config.root;
      logger = config.logger;
      serving = config.command == "serve";
    },
    async buildStart() {
      const result = await run();
      if (result.code !== 0 && !serving) {
        // a build with stale or missing generated code must not succeed
        this.error(`mizan codegen failed (exit ${result.code}):\n${result.output.trim()}`);
      }
      report(result);
    },
    configureServer(server) {
      const schema = resolve(cwd, options.schema);
      server.watcher.add(schema);
      const changed = (path: string) => {
        if (resolve(path) === schema) void run().then(report);
      };
      server.watcher.on("change", changed);
      server.watcher.on("add", changed);
    },
  };
}
