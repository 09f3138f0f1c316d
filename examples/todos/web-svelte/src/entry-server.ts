// The server bundle (`vite build --ssr src/entry-server.ts --outDir dist-server`), rendered by
// mizan-ssr's workers: the page's preloaded contexts come with every render (`input.data`), in
// a client of its own, so the markup shows them and the browser hydrates it without a request.
import { clientFor } from "@mizan/ssr-worker";
import { svelteRenderer } from "@mizan/ssr-worker/svelte";

import Root from "./Root.svelte";

export default svelteRenderer(Root, (input) => ({ client: clientFor(input), url: input.url }));
