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
  /** kept during refetch and after a later error; structurally shared between fetches */
  data: D | undefined;
  error: MizanError | undefined;
  /** Date.now() of the last success (or setData), 0 before */
  updatedAt: number;
  /** consecutive failures of the current fetch */
  failureCount: number;
  /** invalidated since its data arrived: refetching (when observed), or refetched by its next
   *  observer */
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

/** One entry embedded in a page (SSR): the context response body, when it was fetched, and
 *  whether it had been invalidated since (then it is shown, and refetched at once). */
export interface HydratedEntry {
  context: string;
  params: Params;
  data: unknown;
  /** Date.now() of the server's fetch: hydrate() never replaces newer client data with it */
  updatedAt: number;
  stale: boolean;
}

/** Entries embedded in a page (SSR): descriptor key → entry. */
export type HydrationData = Record<string, HydratedEntry>;

export interface RetryOptions {
  /** default 3 (GETs only; calls are never replayed) */
  retries?: number;
  /** ms, default 300; delay = min(maxDelay, baseDelay * 2^attempt) * jitter(0.5–1) */
  baseDelay?: number;
  /** ms, default 10_000 */
  maxDelay?: number;
  /** ms, default 60_000: a Retry-After header (seconds or date, on a 429 or a 5xx) replaces
   *  the computed delay, up to this */
  maxRetryAfter?: number;
}

/** What caused an invalidation or a fetch, for `client.on()` and the devtools:
 *  `mutation:<fn>` (a call's body or header), `route:<url>` (a submitted form's header),
 *  `context:<key>` (a context response's run-time invalidation, §5.3), `push`, `tab:<cause in
 *  the other tab>`, `client` (`client.invalidate()`); fetches also `mount`, `focus`,
 *  `reconnect`, `refetch`, `hydrate`, `identity` (another user signed in or out, §9). */
export type Cause = string;

/** The events of `client.on(type, listener)`. */
export interface MizanEvents {
  /** a GET starts (not its retries) */
  fetch: { key: string; cause: Cause };
  success: { key: string; data: unknown };
  /** a GET failed for good (after its retries) */
  error: { key: string; error: MizanError };
  /** a list was applied; `keys` are the entries it hit */
  invalidate: { list: Invalidation[]; cause: Cause; keys: string[] };
}

export interface ClientOptions {
  /** default "/api/mizan" */
  baseUrl?: string;
  /** default globalThis.fetch (looked up per request, so it may be patched later) */
  fetch?: typeof fetch;
  /** called per request, retries included (a bearer token, say) */
  headers?: () => HeadersInit | Promise<HeadersInit>;
  /** the cookie an unsafe request (not GET) copies into `csrfHeader` when the browser has it
   *  (a signed-in session, PROTOCOL.md §9); default "mizan-csrf" */
  csrfCookie?: string;
  /** default "X-Mizan-CSRF" */
  csrfHeader?: string;
  /** ms an unobserved entry is kept, default 300_000 in a browser and Infinity on a server
   *  (no `window`): no timer there; browser timers never keep a process alive either */
  gcTime?: number;
  /** default `{}` (3 retries); `false`: none */
  retry?: RetryOptions | false;
  /** Called with the target of a view-path redirect (X-Mizan-Redirect); default: location.assign. */
  navigate?: (url: string) => void;
  /** Refetch observed entries when the window regains focus or becomes visible; default true */
  refetchOnFocus?: boolean;
  /** Refetch observed entries when the browser goes back online; default true */
  refetchOnReconnect?: boolean;
  /** ms a call waits, at most, for the observed entries it invalidated to refetch before it
   *  settles (a refetch waiting on a retry backoff does not hold a form); default 5_000 */
  settleTimeout?: number;
  /** ms an invalidation is remembered per context, default 300_000: an entry of that context
   *  created (or re-created after GC) within it revalidates its first GET (`cache:
   *  "no-cache"`) instead of taking a copy the browser cached before the change. Keep it at
   *  least the largest `cache` of your contexts. */
  tombstoneTime?: number;
}
