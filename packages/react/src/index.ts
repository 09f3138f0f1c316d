/**
 * @mizan/react — a thin adapter over the @mizan/runtime kernel.
 *
 * The kernel owns every entry (data, status, error, dedupe, retries, invalidation, GC); this
 * module only binds it to React: `useSyncExternalStore` over `client.subscribe` /
 * `client.getState` for contexts, and a small per-hook state machine for calls.
 */
import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
  type JSX,
} from "react";
import type {
  CallDescriptor,
  ContextDescriptor,
  EntryState,
  MizanClient,
  MizanError,
  Params,
} from "@mizan/runtime";

export { MizanError } from "@mizan/runtime";

const ClientContext = createContext<MizanClient | null>(null);

/** Makes `client` available to every hook below it. */
export function MizanProvider(props: { client: MizanClient; children?: ReactNode }): JSX.Element {
  return createElement(ClientContext.Provider, { value: props.client }, props.children);
}

/** The client of the nearest `<MizanProvider>`; throws outside of one. */
export function useMizan(): MizanClient {
  const client = useContext(ClientContext);
  if (!client) {
    throw new Error("@mizan/react: no MizanClient here; wrap the tree in <MizanProvider client={new MizanClient()}>");
  }
  return client;
}

export interface ContextQueryOptions {
  /** `false`: read whatever the client holds, but do not observe (hence do not fetch) the entry. */
  enabled?: boolean;
  /** Throw the fetch promise while pending (for `<Suspense>`) and the error on error (for an error boundary). */
  suspense?: boolean;
}

export interface ContextQueryResult<D> extends EntryState<D> {
  /** No data yet and a fetch under way (or waiting to retry). */
  isLoading: boolean;
  /** A request is in flight. */
  isFetching: boolean;
  /** Fetch now, deduplicated with any fetch in flight. */
  refetch(): Promise<D>;
}

const noop = () => {};

/**
 * Observe one context entry. Keyed by `d.key`, so a descriptor built inline from a fresh
 * params object every render (`useTodos({project: 3})`) keeps its subscription.
 */
export function useContextQuery<P extends Params, D>(
  d: ContextDescriptor<P, D>,
  options?: ContextQueryOptions,
): ContextQueryResult<D> {
  const client = useMizan();
  const enabled = options?.enabled !== false;
  const key = d.key;
  // `d` is only read through callbacks memoized on its key: any descriptor with this key is the same entry.
  const subscribe = useCallback(
    (onChange: () => void) => (enabled ? client.subscribe(d, onChange) : noop),
    [client, key, enabled],
  );
  const refetch = useCallback(() => client.fetch(d), [client, key]);
  const snapshot = () => client.getState(d);
  const state = useSyncExternalStore(subscribe, snapshot, snapshot);

  if (options?.suspense && enabled) {
    if (state.status === "pending") throw client.fetch(d);
    if (state.status === "error") throw state.error;
  }

  return useMemo(
    () => ({
      ...state,
      isLoading: state.status === "pending" && state.fetchStatus !== "idle",
      isFetching: state.fetchStatus === "fetching",
      refetch,
    }),
    [state, refetch],
  );
}

export interface CallOptions<A, R> {
  /** Resolve only after the observed entries the call invalidated have refetched. */
  settle?: boolean;
  onSuccess?(result: R, args: A): void;
  onError?(error: MizanError, args: A): void;
}

export interface CallState<A, R> {
  status: "idle" | "pending" | "success" | "error";
  data: R | undefined;
  error: MizanError | undefined;
  isPending: boolean;
  /** Run the call; rejects with the MizanError, and updates the state either way. */
  call(args: A): Promise<R>;
  /** Back to idle; the result of a call still in flight is ignored. */
  reset(): void;
}

type Snapshot<R> = Pick<CallState<unknown, R>, "status" | "data" | "error">;

const idle: Snapshot<never> = { status: "idle", data: undefined, error: undefined };

/**
 * A mutation (or any call) with its own status. Only the latest call writes the state, and
 * nothing is written after unmount; `onSuccess`/`onError` run for every call that settles.
 */
export function useCall<A, R>(c: CallDescriptor<A, R>, options?: CallOptions<A, R>): CallState<A, R> {
  const client = useMizan();
  const [state, setState] = useState<Snapshot<R>>(idle);
  // The latest options, read when a call settles; `seq` numbers calls; `gone` is set on
  // unmount (and cleared again by StrictMode's remount).
  const latest = useRef(options);
  latest.current = options;
  const seq = useRef(0);
  const gone = useRef(false);
  useEffect(() => {
    gone.current = false;
    return () => {
      gone.current = true;
    };
  }, []);

  const call = useCallback(
    (args: A): Promise<R> => {
      const id = ++seq.current;
      const set = (s: Snapshot<R>) => {
        if (!gone.current && id === seq.current) setState(s);
      };
      set({ status: "pending", data: undefined, error: undefined });
      return client.call(c, args, { settle: latest.current?.settle }).then(
        (data) => {
          set({ status: "success", data, error: undefined });
          latest.current?.onSuccess?.(data, args);
          return data;
        },
        (error: MizanError) => {
          set({ status: "error", data: undefined, error });
          latest.current?.onError?.(error, args);
          throw error;
        },
      );
    },
    [client, c],
  );
  const reset = useCallback(() => {
    seq.current++;
    setState(idle);
  }, []);

  return useMemo(
    () => ({ ...state, isPending: state.status === "pending", call, reset }),
    [state, call, reset],
  );
}
