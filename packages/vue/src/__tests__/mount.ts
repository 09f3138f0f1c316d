// Mounting a component that uses the composables, with the client provided by the plugin.
import { createApp, defineComponent, type VNodeChild } from "vue";
import type { MizanClient } from "@mizan/runtime";
import { createMizan } from "../index";

export function mount(client: MizanClient, setup: () => () => VNodeChild) {
  const el = document.createElement("div");
  const app = createApp(defineComponent({ setup }));
  app.use(createMizan(client));
  app.mount(el);
  return { el, app, unmount: () => app.unmount() };
}
