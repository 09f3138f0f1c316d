/**
 * @mizan/vite — runs `mizan codegen` when the dev server starts, at the start of a build, and
 * whenever the schema document changes, so the generated hooks follow the Rust functions
 * without a manual step. Works for every target: React, Vue and Svelte.
 */
export { mizan, type MizanPluginOptions, type Target } from "./plugin";
