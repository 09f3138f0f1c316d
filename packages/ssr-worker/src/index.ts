// @mizan/ssr-worker: the server-side rendering worker (bin `mizan-ssr-worker`, run by the Rust
// crate mizan-ssr) and what an application's server bundle needs to be rendered by it.
// Framework renderers are their own entry points: `@mizan/ssr-worker/react`, `/vue`, `/svelte`.
import { MizanClient, hydrate, type ClientOptions } from "@mizan/runtime";

import type { RenderInput } from "./types";

export type { RenderInput, RenderOutput, Renderer } from "./types";

/** A fresh client for one render, holding the page's preloaded contexts: components read them
 *  as `success` entries, as the browser will after `hydrate()`. One per render, never shared:
 *  a worker renders many users' pages. */
export function clientFor(input: RenderInput, options?: ClientOptions): MizanClient {
  const client = new MizanClient({ refetchOnFocus: false, refetchOnReconnect: false, ...options });
  hydrate(client, input.data);
  return client;
}

/** The page data embedded by the server (`<script id="mizan-data" type="application/json">`),
 *  for `hydrate(client, readPageData())` in the browser; `{}` when the page has none. */
export function readPageData(doc: Document = document): import("@mizan/runtime").HydrationData {
  const text = doc.getElementById("mizan-data")?.textContent;
  return text ? JSON.parse(text) : {};
}
