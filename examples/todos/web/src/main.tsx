import { MizanClient, hydrate } from "@mizan/runtime";
import { crossTab } from "@mizan/runtime/cross-tab";
import { mountDevtools } from "@mizan/runtime/devtools";
import { live } from "@mizan/runtime/ws";
import { StrictMode } from "react";
import { createRoot, hydrateRoot } from "react-dom/client";

import { readPageData } from "@mizan/ssr-worker";

import { App } from "./App";
import { MizanProvider } from "./mizan/react";
import "./styles.css";

const client = new MizanClient({
  // The form route sends a browser without scripts back to the plain page (`/plain`); this
  // page stays: the invalidation the answer carried has already refreshed what changed.
  navigate: () => {},
});
// The contexts the server preloaded for this page (mizan-ssr): entries start as `success`, no
// request is made for them.
hydrate(client, readPageData());
// A change made in one tab refetches what it invalidated in every other tab.
crossTab(client);
// A change made by anyone else (another user, another browser) is pushed over the WebSocket
// channel and refetches what it hit on this page: invalidations only, never their data.
live(client);

// In development, the devtools panel lists the entries and, for every fetch, what caused it
// (which mutation, in this tab or another). Mounted before the first render, so that it sees
// the first fetches too (a panel imported lazily would miss them). Not part of a production
// build: `import.meta.env.DEV` is false there, and the package has no side effects, so the
// import goes too.
if (import.meta.env.DEV) mountDevtools(client, { parent: document.getElementById("devtools") ?? document.body });

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root");
const app = (
  <StrictMode>
    <MizanProvider client={client}>
      <App />
    </MizanProvider>
  </StrictMode>
);
// Rendered on the server: hydrate the markup; a fallback page (X-Mizan-SSR: fallback) or a
// server without SSR sent an empty root: render it here.
if (root.firstElementChild) hydrateRoot(root, app);
else createRoot(root).render(app);
