/**
 * `@mizan/runtime/cross-tab`: invalidations travel to every tab of the origin.
 *
 * ```ts
 * import { crossTab } from "@mizan/runtime/cross-tab";
 * const stop = crossTab(client);
 * ```
 *
 * The invalidations a tab receives from its own calls and form submissions (`mutation:…`,
 * `route:…` causes) are posted on a `BroadcastChannel`; every other tab applies them with the
 * cause `tab:<the cause in the sending tab>`, so the devtools of each tab show which mutation
 * caused a refetch. Invalidations carry no data, so nothing private crosses; what is pushed
 * (WebSocket) or comes from another tab is not forwarded again. A separate entry point: the
 * kernel bundle does not pay for it.
 */
import type { MizanClient } from "./client";
import type { Invalidation } from "./types";

interface Message {
  list: Invalidation[];
  cause: string;
}

/** Connects `client` to the other tabs on `channel` (default "mizan"); returns the function
 *  that disconnects it. Without BroadcastChannel (a server, an old browser) it does nothing. */
export function crossTab(client: MizanClient, channel = "mizan"): () => void {
  if (typeof BroadcastChannel == "undefined") return () => {};
  const bc = new BroadcastChannel(channel);
  const off = client.on("invalidate", ({ list, cause }) => {
    if (/^(mutation|route):/.test(cause)) bc.postMessage({ list, cause } satisfies Message);
  });
  bc.onmessage = ({ data }: MessageEvent<Message>) => void client.invalidate(data.list, "tab:" + data.cause);
  return () => {
    off();
    bc.close();
  };
}
