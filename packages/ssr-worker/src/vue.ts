// Renders Vue 3 pages with vue/server-renderer's renderToString.
import type { App } from "vue";
import { renderToString } from "vue/server-renderer";

import type { RenderInput, Renderer } from "./types";

/** The default export of a Vue server bundle: `export default vueRenderer((input) =>
 *  createSSRApp(App, { url: input.url }).use(createMizan(clientFor(input))))` — a new app per
 *  render. */
export function vueRenderer(page: (input: RenderInput) => App): Renderer {
  return {
    render: async (input, signal) => {
      const html = await Promise.race([renderToString(page(input)), aborted(signal)]);
      return { html };
    },
  };
}

/** A promise rejected when `signal` aborts. */
export const aborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason));
  });
