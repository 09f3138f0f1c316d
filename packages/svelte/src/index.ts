/**
 * @mizan/svelte — a thin adapter over the @mizan/runtime kernel, for Svelte 5 (runes).
 *
 * The kernel owns every entry and every piece of state (ContextObserver, MutationObserver).
 * `ContextQuery` and `Call` read it through `createSubscriber` (svelte/reactivity): the kernel
 * subscription starts when the first effect reads a getter and ends when the last reading
 * effect is destroyed, so there is nothing to destroy by hand. No stores.
 */
export { Call, ContextQuery, type ContextQueryOptions, getMizan, setMizan } from "./mizan.svelte";
export { useChannel } from "./channel.svelte";
export { MizanError, skipToken, keepPreviousData } from "@mizan/runtime";
export type { CallCallbacks, CallOptions, CallState, ContextResult, SkipToken } from "@mizan/runtime";
