/**
 * @mizan/vue — a thin adapter over the @mizan/runtime kernel.
 *
 * The kernel owns every entry and every piece of state a composable shows (ContextObserver,
 * MutationObserver); this package only mirrors them into refs and unsubscribes when the
 * effect scope (a component's setup) is disposed.
 */
export { createMizan, provideMizan, useMizan } from "./plugin";
export { useContextQuery, type ContextQueryOptions, type ContextQueryRefs } from "./use-context-query";
export { useCall, type CallRefs } from "./use-call";
export { MizanError, skipToken, keepPreviousData } from "@mizan/runtime";
export type { CallCallbacks, CallOptions, CallState, ContextResult, SkipToken } from "@mizan/runtime";
