// Svelte's options for the compiler, vite-plugin-svelte and svelte-check: the defaults (runes
// are on in Svelte 5). Its presence also keeps svelte-check from loading vite.config.ts.
export default {};
