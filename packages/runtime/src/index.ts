export type {
  CallDescriptor,
  Cause,
  ClientOptions,
  ContextDescriptor,
  ContextFactory,
  EntryState,
  EntryStatus,
  FetchStatus,
  HydratedEntry,
  HydrationData,
  Invalidation,
  MizanEvents,
  Params,
  RetryOptions,
} from "./types";
export { MizanClient } from "./client";
export { hydrate, dehydrate } from "./hydration";
export { listEntries, type EntryInfo } from "./list-entries";
export { ensure } from "./ensure";
export { submitForm } from "./submit-form";
export { ContextObserver, type ContextObserverOptions, type ContextResult } from "./context-observer";
export {
  MutationObserver,
  type CallCallbacks,
  type CallOptions,
  type CallState,
  type CallStatus,
} from "./mutation-observer";
export { skipToken, keepPreviousData, type SkipToken } from "./skip-token";
export { replaceEqualDeep } from "./replace-equal-deep";
export { MizanError } from "./mizan-error";
export { defineContext } from "./define-context";
export { defineCall } from "./define-call";
export { canonicalJson } from "./canonical-json";
export { canonicalQuery } from "./canonical-query";
export { parseQuery } from "./parse-query";
export { encodeInvalidateHeader, decodeInvalidateHeader } from "./invalidate-header";
export { hits } from "./hits";
export { normalize } from "./normalize";
