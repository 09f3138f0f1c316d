import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

// `npm run dev` serves the front end with hot reload and sends API calls and form routes to
// the Rust server (`cargo run -p example-todos`, port 3000).
export default defineConfig({
  plugins: [svelte()],
  build: { outDir: "dist", emptyOutDir: true },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:3000",
      "/todos": "http://127.0.0.1:3000",
    },
  },
});
