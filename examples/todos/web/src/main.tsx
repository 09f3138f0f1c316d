import { MizanClient } from "@mizan/runtime";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { MizanProvider } from "./mizan/react";

const client = new MizanClient({
  // The form route redirects to `/`, which is this page: stay, the invalidation it carried
  // has already refreshed what changed.
  navigate: (url) => {
    if (new URL(url, location.href).pathname !== location.pathname) location.assign(url);
  },
});

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <MizanProvider client={client}>
      <App />
    </MizanProvider>
  </StrictMode>,
);
