// vitest's globalSetup (vitest.config.ts): tests that import a package by its name
// (`@mizan/runtime`, `@mizan/react`) get what ships, its dist/, so build it first when it is
// missing or stale. Tests of a package's own modules import them by path, from src/.
import { buildPackages } from "./build-packages.mjs";

export default async function setup() {
  await buildPackages();
}
