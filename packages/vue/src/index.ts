/**
 * @mizan/vue — a thin adapter over the @mizan/runtime kernel.
 *
 * The kernel owns every entry and every piece of state a composable shows (ContextObserver,
 * MutationObserver); this package only mirrors them into refs and unsubscribes when the
 * effect scope (a component's setup) is disposed.
 */
export {
  type CallRefs,
  type ContextQueryOptions,
  type ContextQueryRefs,
  createMizan,
  provideMizan,
  useCall,
  useContextQuery,
  useMizan,
} from "./composables";
export { useChannel } from "./use-channel";
export { MizanError, skipToken, keepPreviousData } from "@mizan/runtime";
export type { CallCallbacks, CallOptions, CallState, ContextResult, SkipToken } from "@mizan/runtime";
