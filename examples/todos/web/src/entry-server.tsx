// The server bundle (`vite build --ssr src/entry-server.tsx --outDir dist-server`), rendered by
// mizan-ssr's workers: the page's preloaded contexts come with every render (`input.data`), in
// a client of its own, so the markup shows them and the browser hydrates it without a request.
import { clientFor } from "@mizan/ssr-worker";
import { reactRenderer } from "@mizan/ssr-worker/react";
import { StrictMode } from "react";

import { App } from "./App";
import { MizanProvider } from "./mizan/react";

export default reactRenderer((input) => (
  <StrictMode>
    <MizanProvider client={clientFor(input)}>
      <App url={input.url} />
    </MizanProvider>
  </StrictMode>
));
