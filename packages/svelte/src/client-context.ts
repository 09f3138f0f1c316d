import { getContext, setContext } from "svelte";
import type { MizanClient } from "@mizan/runtime";

const KEY = Symbol("mizan");

/** Makes `client` available to the components below this one (call it in a component's
 *  `<script>`, e.g. the root's). */
export const setMizan = (client: MizanClient): MizanClient => setContext(KEY, client);

/** The client of the nearest `setMizan` above (in a component's `<script>`); throws without one. */
export function getMizan(): MizanClient {
  const client = getContext<MizanClient | undefined>(KEY);
  if (!client) throw new Error("@mizan/svelte: no client (call setMizan(client) in a parent component)");
  return client;
}
