export type {
  CallDescriptor,
  ClientOptions,
  ContextDescriptor,
  ContextFactory,
  EntryState,
  EntryStatus,
  FetchStatus,
  HydrationData,
  Invalidation,
  Params,
  RetryOptions,
} from "./types";
export { MizanClient } from "./client";
export { MizanError } from "./mizan-error";
export { defineContext } from "./define-context";
export { defineCall } from "./define-call";
export { canonicalJson } from "./canonical-json";
export { canonicalQuery } from "./canonical-query";
export { parseQuery } from "./parse-query";
export { encodeInvalidateHeader, decodeInvalidateHeader } from "./invalidate-header";
export { hits } from "./hits";
export { normalize } from "./normalize";
