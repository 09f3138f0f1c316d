import { type App, inject, type InjectionKey, provide } from "vue";
import type { MizanClient } from "@mizan/runtime";

const KEY: InjectionKey<MizanClient> = Symbol("mizan");

/** A plugin that provides `client` to every component of the app: `app.use(createMizan(client))`. */
export const createMizan = (client: MizanClient) => ({
  install: (app: App) => void app.provide(KEY, client),
});

/** Provides `client` to the components below this one (in a component's setup). */
export const provideMizan = (client: MizanClient): void => provide(KEY, client);

/** The client provided by `createMizan` or `provideMizan`; throws when there is none (or
 *  when called outside a component's setup or `app.runWithContext`). */
export function useMizan(): MizanClient {
  const client = inject(KEY, null);
  if (!client) throw new Error("@mizan/vue: no client provided (app.use(createMizan(client)))");
  return client;
}
