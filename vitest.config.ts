import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/__tests__/**/*.test.{ts,tsx}"],
    // builds the packages' dist/ when missing or stale (package names resolve to it)
    globalSetup: ["scripts/vitest-setup.mjs"],
  },
});
