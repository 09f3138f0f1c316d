import react from "@vitejs/plugin-react";
import { mizan } from "@mizan/vite";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const repo = fileURLToPath(new URL("../../..", import.meta.url));

// `npm run dev` serves the front end with hot reload and sends API calls and form routes to
// the Rust server (`cargo run -p example-todos`, port 3000). The mizan plugin regenerates
// src/mizan whenever the schema document changes (`scripts/codegen-example` rewrites it from
// the Rust functions), with the same command and paths as that script, so the files match.
export default defineConfig({
  plugins: [
    react(),
    mizan({
      schema: "examples/todos/web/mizan.schema.json",
      out: "examples/todos/web/src/mizan",
      target: "react",
      command: ["cargo", "run", "--locked", "-q", "-p", "mizan-cli", "--"],
      cwd: repo,
    }),
  ],
  build: { outDir: "dist", emptyOutDir: true },
  server: {
    proxy: {
      // `ws`: the WebSocket channel too. The Host header is kept, so the socket's Origin (this
      // dev server) is the site's own for the server's check (PROTOCOL.md §17.1).
      "/api": { target: "http://127.0.0.1:3000", ws: true, changeOrigin: false },
      "/todos": "http://127.0.0.1:3000",
    },
  },
});
