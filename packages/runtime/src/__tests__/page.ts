import type { ContextDescriptor, HydrationData, Params } from "@mizan/runtime";

/** The hydration data of one entry, as a server's dehydrate() writes it. */
export const page = <D>(
  d: ContextDescriptor<Params, D>,
  data: D,
  updatedAt = Date.now(),
  stale = false,
): HydrationData => ({ [d.key]: { context: d.context, params: d.params, data, updatedAt, stale } });
