// Renders Svelte 5 pages with svelte/server's render.
import type { Component } from "svelte";
import { render } from "svelte/server";

import type { RenderInput, Renderer } from "./types";

/** The default export of a Svelte server bundle: `export default svelteRenderer(App, (input)
 *  => ({ client: clientFor(input), url: input.url }))`. The component's `<svelte:head>`
 *  content becomes the page's head tags. */
export function svelteRenderer<Props extends Record<string, any>>(
  component: Component<Props>,
  props: (input: RenderInput) => Props,
): Renderer {
  return {
    render: async (input, signal) => {
      signal.throwIfAborted();
      const { body, head } = await render(component, { props: props(input) });
      return { html: body, head };
    },
  };
}
