import { type Component, flushSync, mount as svelteMount, unmount } from "svelte";
import type { MizanClient } from "@mizan/runtime";
import Provider from "./Provider.svelte";

/** Mounts `component` with `props` below a `setMizan(client)`. */
export function mount(client: MizanClient, component: Component<any>, props: Record<string, unknown> = {}) {
  const target = document.createElement("div");
  const app = svelteMount(Provider, { target, props: { client, component, props } });
  flushSync();
  return {
    target,
    text: () => target.textContent?.trim(),
    unmount: () => unmount(app),
  };
}

/** Let the kernel's promises, Svelte's microtasks and zero-delay timers run, then flush. */
export async function settle() {
  await new Promise((resolve) => setTimeout(resolve, 10));
  flushSync();
}
