import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // builds the packages' dist/ when missing or stale (package names resolve to it)
    globalSetup: ["scripts/vitest-setup.mjs"],
    projects: [
      {
        test: {
          name: "packages",
          include: ["packages/*/src/**/__tests__/**/*.test.{ts,tsx}"],
          exclude: ["packages/svelte/**", "**/node_modules/**"],
        },
      },
      {
        // Svelte components and `.svelte.ts` modules compiled as in a browser build.
        plugins: [svelte()],
        resolve: { conditions: ["browser"] },
        test: { name: "svelte", include: ["packages/svelte/src/**/__tests__/**/*.test.ts"], environment: "jsdom" },
      },
    ],
  },
});
