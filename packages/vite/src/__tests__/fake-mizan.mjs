#!/usr/bin/env node
// A stand-in for the `mizan` CLI in the plugin's tests: `codegen <schema> --out <dir>
// [--target <t>]…` writes `<dir>/<t>.ts` (react when none) holding the schema's `marker`,
// and appends its arguments to `<dir>/../calls.log`. A schema with `"fail": true` fails as
// a broken document would (exit 2).
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const [command, schema, outFlag, out, ...rest] = process.argv.slice(2);
if (command !== "codegen" || outFlag !== "--out") {
  console.error("usage: codegen <schema> --out <dir> [--target <t>]…");
  process.exit(2);
}
const targets = rest.filter((_, i) => i % 2 === 1);
appendFileSync(join(dirname(out), "calls.log"), process.argv.slice(2).join(" ") + "\n");
const doc = JSON.parse(readFileSync(schema, "utf8"));
if (doc.fail) {
  console.error(`mizan: in ${schema}: not a Mizan schema document`);
  process.exit(2);
}
mkdirSync(out, { recursive: true });
for (const target of targets.length ? targets : ["react"]) {
  writeFileSync(join(out, `${target}.ts`), `export const marker = ${JSON.stringify(doc.marker)};\n`);
}
console.log(`mizan codegen: wrote ${targets.join(", ")} in ${out}`);
