// Prefetching (TanStack Query's ensureQueryData): a standalone function rather than a client
// method, as hydrate/dehydrate: an application that never prefetches does not ship it (it is
// not part of the kernel's budget).
import { type MizanClient, needsFetch } from "./client";
import type { ContextDescriptor, Params } from "./types";

/** The data of a fresh entry without a request; otherwise `client.fetch(d)` (deduplicated
 *  with a fetch in flight), e.g. before navigating: `await ensure(client, ctx.todos(params))`. */
export async function ensure<P extends Params, D>(client: MizanClient, d: ContextDescriptor<P, D>): Promise<D> {
  const entry = client.entry_(d);
  return needsFetch(entry.state_) || entry.inFlight_ ? client.fetch(d) : (entry.state_.data as D);
}
