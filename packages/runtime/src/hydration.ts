// Server-side rendering: a server's client exports its entries (dehydrate), the page embeds
// them, the browser's client takes them in (hydrate). Standalone functions rather than client
// methods, as TanStack Query's hydrate(queryClient, state) / dehydrate(queryClient): an
// application without SSR does not ship them (they are not part of the kernel's budget).
import type { MizanClient } from "./client";
import { defineContext } from "./define-context";
import type { HydrationData } from "./types";

/** Set entries of `client` from page data (SSR), e.g. right after creating it:
 *  `hydrate(new MizanClient(), window.__MIZAN__)`. An entry whose client data is as new or
 *  newer is left alone; one invalidated after the page data was fetched (or exported stale) is
 *  shown and refetched (revalidating the HTTP cache). A fetch in flight is left to land. */
export function hydrate(client: MizanClient, data: HydrationData): void {
  for (const { context, params, data: value, updatedAt, stale } of Object.values(data)) {
    // through defineContext: the canonical key, whatever the page's spelling
    const entry = client.entry_(defineContext(context)(params));
    if (updatedAt <= entry.state_.updatedAt) continue;
    const invalidated = (client.invalidatedAt_.get(context) ?? 0) >= updatedAt;
    entry.revalidate_ ||= invalidated;
    client.succeed_(entry, value, { updatedAt, stale: !!stale || invalidated });
    if (entry.state_.stale && entry.active_ > 0 && !entry.inFlight_) client.start_(entry, "hydrate");
  }
}

/** Every successful entry of `client` by key, for hydrate() on the other side; an entry
 *  invalidated since its data arrived is exported as stale (the page shows it and refetches
 *  it). */
export function dehydrate(client: MizanClient): HydrationData {
  const out: HydrationData = {};
  client.each_(({ key, context, params, state_: { status, data, updatedAt, stale } }) => {
    if (status == "success") out[key] = { context, params, data, updatedAt, stale };
  });
  return out;
}
