import type { MizanError } from "./mizan-error";

/** The parameters of a context instance: a JSON object. `null` and `undefined` members are
 *  the same as absent (PROTOCOL.md §4). */
export type Params = Record<string, unknown>;

/** A context name (every instance) or a scope (the instances its params hit, §4.3, §7.1). */
export type Invalidation = string | { context: string; params: Params };

export type EntryStatus = "pending" | "success" | "error";
export type FetchStatus = "idle" | "fetching" | "paused";

/** One (context, canonical params) entry. Immutable: a new object on every change, the same
 *  object while nothing changed (useSyncExternalStore relies on this). */
export interface EntryState<D> {
  /** pending until the first success or error */
  status: EntryStatus;
  /** paused: waiting for a retry delay */
  fetchStatus: FetchStatus;
  /** kept during refetch and after a later error */
  data: D | undefined;
  error: MizanError | undefined;
  /** Date.now() of the last success, 0 before */
  updatedAt: number;
  /** consecutive failures of the current fetch */
  failureCount: number;
  /** invalidated while unobserved: refetch on next subscribe */
  stale: boolean;
}

/** `ctx.todos({project: 3})`: what to fetch. `key` = `${context}?${canonicalQuery(params)}`
 *  (no `?` when there are no params), the identity of an entry. */
export interface ContextDescriptor<P extends Params, D> {
  readonly context: string;
  readonly params: P;
  readonly key: string;
  /** phantom, for inference only */
  readonly __data?: D;
}

export interface ContextFactory<P extends Params, D> {
  (params: P): ContextDescriptor<P, D>;
  readonly context: string;
}

/** `call.addTodo`: what to call. `view: true` for view-path functions (the result is the
 *  Response). */
export interface CallDescriptor<A, R> {
  readonly fn: string;
  readonly view: boolean;
  readonly __args?: A;
  readonly __result?: R;
}

/** Entries embedded in a page (SSR): descriptor key → the context response body. */
export type HydrationData = Record<string, unknown>;

export interface RetryOptions {
  /** default 3 (GETs only; mutations are never replayed) */
  retries?: number;
  /** ms, default 300; delay = min(maxDelay, baseDelay * 2^attempt) * jitter(0.5–1) */
  baseDelay?: number;
  /** ms, default 10_000; a Retry-After header (seconds or date) wins */
  maxDelay?: number;
}

export interface ClientOptions {
  /** default "/api/mizan" */
  baseUrl?: string;
  /** default globalThis.fetch (looked up per request, so it may be patched later) */
  fetch?: typeof fetch;
  /** called per request, retries included (CSRF/bearer later) */
  headers?: () => HeadersInit | Promise<HeadersInit>;
  /** ms an unobserved entry is kept, default 300_000; Infinity keeps entries forever */
  gcTime?: number;
  retry?: RetryOptions | false;
  hydrate?: HydrationData;
  /** Called with the target of a view-path redirect (X-Mizan-Redirect); default: location.assign. */
  navigate?: (url: string) => void;
}
