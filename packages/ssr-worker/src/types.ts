import type { HydrationData } from "@mizan/runtime";

/** What the Rust server sends with every render (spec/SSR.md, `render`): everything a page
 *  needs arrives here, so a worker keeps no state from one request to the next. */
export interface RenderInput {
  /** the path and query of the page request, e.g. `/?project=2` */
  url: string;
  /** what the page's Rust handler passed (`Page::props`) */
  props: Record<string, unknown>;
  /** who is asking, as the page's Rust handler described them (`Page::identity`), or null */
  identity: unknown;
  /** the preloaded contexts, keyed exactly as the kernel keys entries: give them to
   *  `hydrate(client, input.data)` (or use `clientFor(input)`) */
  data: HydrationData;
}

/** What a render produces: the markup for the page's outlet and, optionally, tags for its
 *  `<head>`. */
export interface RenderOutput {
  html: string;
  head?: string;
}

/** The default export of an application's server bundle: renders one page. `signal` aborts
 *  at the deadline (the worker answers with an error then; the Rust side has already served
 *  the fallback page). */
export interface Renderer {
  render(input: RenderInput, signal: AbortSignal): Promise<RenderOutput>;
}
