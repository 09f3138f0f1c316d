/**
 * @mizan/react — a thin adapter over the @mizan/runtime kernel.
 *
 * The kernel owns every entry and every piece of state a hook shows (ContextObserver,
 * MutationObserver); this module only binds them to React with `useSyncExternalStore`.
 */
import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useMemo,
  useSyncExternalStore,
  type JSX,
  type ReactNode,
} from "react";
import {
  type CallDescriptor,
  type CallOptions,
  type CallState,
  type ContextDescriptor,
  ContextObserver,
  type ContextObserverOptions,
  type ContextResult,
  type MizanClient,
  MutationObserver,
  type Params,
  type SkipToken,
  skipToken,
} from "@mizan/runtime";

export { MizanError, skipToken, keepPreviousData } from "@mizan/runtime";
export type { CallCallbacks, CallOptions, CallState, ContextResult, SkipToken } from "@mizan/runtime";

const ClientContext = createContext<MizanClient | null>(null);

/** Makes `client` available to every hook below it. */
export function MizanProvider(props: { client: MizanClient; children?: ReactNode }): JSX.Element {
  return createElement(ClientContext.Provider, { value: props.client }, props.children);
}

/** The client of the nearest `<MizanProvider>`; throws outside of one. */
export function useMizan(): MizanClient {
  const client = useContext(ClientContext);
  if (!client) {
    throw new Error("@mizan/react: no MizanProvider above");
  }
  return client;
}

export interface ContextQueryOptions<D = any, S = D> extends ContextObserverOptions<D, S> {
  /** Throw the fetch promise while there is no data and a fetch is under way or needed (for
   *  `<Suspense>`, an errored entry refetching included), and the error on error (for an
   *  error boundary). */
  suspense?: boolean;
}

/**
 * Observe one context entry (or nothing, with `skipToken`). Subscribes by `d.key`, so a
 * descriptor built inline from a fresh params object every render keeps its subscription.
 */
export function useContextQuery<P extends Params, D, S = D>(
  d: ContextDescriptor<P, D> | SkipToken,
  options?: ContextQueryOptions<NoInfer<D>, S>,
): ContextResult<S, D> {
  const client = useMizan();
  const observer = useMemo(() => new ContextObserver<P, D, S>(client, d), [client]);
  observer.setOptions(d, options);
  // A new function when the key (undefined for skipToken) or `enabled` changes:
  // useSyncExternalStore then resubscribes.
  const subscribe = useCallback(
    (listener: () => void) => observer.subscribe(listener),
    [observer, (d as { key?: string }).key, options?.enabled],
  );
  const result = useSyncExternalStore(subscribe, observer.getResult, observer.getResult);
  if (options?.suspense && d != skipToken && result.data === undefined) {
    // An error is thrown unless a fetch is under way (a boundary reset that refetched): then,
    // as while pending, suspend on the fetch.
    const { status, fetchStatus, error } = client.getState(d);
    if (status == "error" && fetchStatus == "idle") throw error;
    throw client.fetch(d, "mount").catch(() => {});
  }
  return result;
}

/** A call (mutation) with its own state: see `CallState`. */
export function useCall<A, R>(c: CallDescriptor<A, R>, options?: CallOptions<A, R>): CallState<A, R> {
  const client = useMizan();
  const observer = useMemo(() => new MutationObserver(client, c), [client]);
  observer.setOptions(c, options);
  return useSyncExternalStore(observer.subscribe, observer.getResult, observer.getResult);
}

export { useChannel } from "./use-channel";
