// The server bundle (`vite build --ssr src/entry-server.ts --outDir dist-server`), rendered by
// mizan-ssr's workers: the page's preloaded contexts come with every render (`input.data`), in
// a client of its own, so the markup shows them and the browser hydrates it without a request.
import { clientFor } from "@mizan/ssr-worker";
import { vueRenderer } from "@mizan/ssr-worker/vue";
import { createSSRApp } from "vue";

import App from "./App.vue";
import { createMizan } from "./mizan/vue";

export default vueRenderer((input) => createSSRApp(App, { url: input.url }).use(createMizan(clientFor(input))));
