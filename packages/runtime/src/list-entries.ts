// What the devtools panel and tests look at: every entry a client holds. A standalone function
// rather than a client method (as hydrate/dehydrate): an application that never lists its
// entries does not ship it (it is not part of the kernel's budget).
import type { MizanClient } from "./client";
import type { EntryState, Params } from "./types";

/** One entry a client holds, as `listEntries()` shows it. */
export interface EntryInfo {
  key: string;
  context: string;
  params: Params;
  state: EntryState<unknown>;
  /** its subscriptions, passive ones (`enabled: false`) included */
  observers: number;
}

/** Every entry `client` holds, with its key, params, state and number of observers (the
 *  devtools panel's list; a leak test's count). */
export function listEntries(client: MizanClient): EntryInfo[] {
  const out: EntryInfo[] = [];
  client.each_(({ key, context, params, state_: state, listeners_ }) =>
    out.push({ key, context, params, state, observers: listeners_.size }),
  );
  return out;
}
