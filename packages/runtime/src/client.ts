import { canonicalJson } from "./canonical-json";
import { hits } from "./hits";
import { decodeInvalidateHeader } from "./invalidate-header";
import { MizanError } from "./mizan-error";
import { replaceEqualDeep } from "./replace-equal-deep";
import type { SkipToken } from "./skip-token";
import type {
  CallDescriptor,
  Cause,
  ClientOptions,
  ContextDescriptor,
  EntryState,
  Invalidation,
  MizanEvents,
  Params,
} from "./types";

// Private members end with `_`: the package build mangles them to short names
// (scripts/build-packages.mjs, esbuild `mangleProps: /_$/`), so the source reads well and the
// bundle stays small. Nothing outside this package may rely on them; the `@internal` ones are
// left out of the declarations.

/** One (context, canonical params) entry: its context, key and a private frozen copy of the
 *  params, and what the client keeps for it. */
interface Entry extends ContextDescriptor<Params, unknown> {
  /** the current state, replaced (never mutated) on change */
  state_: EntryState<unknown>;
  /** one wrapper per subscription, passive ones (`enabled: false`) included: they see changes
   *  but never fetch */
  listeners_: Set<() => void>;
  /** how many subscriptions are active (not passive): the entry is on screen (observed) */
  active_: number;
  /** the in-flight fetch, shared by every caller (dedupe) */
  inFlight_?: Promise<unknown> | undefined;
  /** aborts the in-flight fetch (GC, an invalidation that restarts it), replaced by every
   *  fetch: a fetch whose signal was aborted is superseded, its response dropped */
  abort_?: AbortController | undefined;
  /** invalidated since the last fetch started: the next one must not be answered from the
   *  browser's HTTP cache (context responses may carry max-age) */
  revalidate_?: boolean;
  gcTimer_?: ReturnType<typeof setTimeout>;
  /** invalidated in the current round (one microtask), not refetched yet */
  pending_?: boolean;
}

/** Optimistic updates recorded during a mutation: the state before, the data after. */
type Recording = Map<Entry, [before: EntryState<unknown>, after: unknown]>;

export const INITIAL: EntryState<never> = {
  status: "pending",
  fetchStatus: "idle",
  data: undefined,
  error: undefined,
  updatedAt: 0,
  failureCount: 0,
  stale: false,
};

/** A chain of context responses invalidating each other (A's response invalidates B, B's
 *  invalidates A, …) is stopped after this many links. */
const MAX_CHAIN = 3;

export const noop = () => {};
/** Bundlers replace `process.env.NODE_ENV`; Node and Bun have it. */
declare const process: { env: { NODE_ENV?: string } };
const isServer = typeof window == "undefined";

/** Runs a listener or callback; what it throws is reported (console.error), never thrown into
 *  the kernel, so no other listener, no header and no state update is skipped. */
export const guard = <T>(callback: ((value: T) => void) | undefined, value?: T) => {
  try {
    callback?.(value!);
  } catch (thrown) {
    console.error(thrown);
  }
};

/** A timer that never keeps a Node/Bun process alive (browsers return a number: nothing to do). */
const unrefTimeout = (run: () => void, ms: number) => {
  const timer = setTimeout(run, ms);
  (timer as { unref?: () => void }).unref?.();
  return timer;
};

/** The JSON body of a response; a MizanError for an error status or a body that is not JSON. */
const read = async (res: Response, signal?: AbortSignal | null): Promise<any> => {
  const body = await res.json().catch(noop);
  if (signal?.aborted) throw new MizanError("aborted");
  if (!res.ok || body === undefined) throw MizanError.fromBody(res.status, body);
  return body;
};

/** Whether some member of `patch` differs from the same member of `object` (shallow). */
export const differs = (patch: object, object: object) =>
  Object.entries(patch).some(([k, v]) => (object as Record<string, unknown>)[k] !== v);

/** Whether a first observer must fetch: no data yet, an error, or invalidated since. */
export const needsFetch = (state: EntryState<unknown>) => state.status != "success" || state.stale;

/** A value, or the result of a function of `arg` (an updater, a placeholder function). */
export const evaluate = <T, A>(value: T | ((arg: A) => T), arg: A): T =>
  typeof value == "function" ? (value as (arg: A) => T)(arg) : value;

/** A deep-frozen value (the params an entry keeps). */
const freeze = <T>(value: T): T => {
  if (value && typeof value == "object") Object.values(Object.freeze(value)).forEach(freeze);
  return value;
};

export class MizanClient {
  /** context name → key → entry: a scoped invalidation looks at its context's entries only */
  private entries_ = new Map<string, Map<string, Entry>>();
  /** tombstones: context name → Date.now() of its latest invalidation */
  /** @internal */ invalidatedAt_ = new Map<string, number>();
  private events_ = new Set<[keyof MizanEvents, (event: never) => void]>();
  /** the CSRF token of the latest 401 that dropped every entry */
  private declare ended_: string | undefined;
  /** how many times the identity changed: observers drop data kept from before */
  /** @internal */ identity_ = 0;
  /** setData() calls of an optimistic update in progress */
  private declare recording_: Recording | undefined;
  private declare options_: ClientOptions;

  constructor(options: ClientOptions = {}) {
    this.options_ = options;
    if (!isServer) {
      const refetchObserved = (cause: Cause) => () =>
        document.visibilityState != "hidden" &&
        this.each_((entry) => entry.active_ && !entry.inFlight_ && this.start_(entry, cause));
      if (options.refetchOnFocus ?? true)
        for (const type of ["focus", "visibilitychange"]) addEventListener(type, refetchObserved("focus"));
      if (options.refetchOnReconnect ?? true) addEventListener("online", refetchObserved("reconnect"));
    }
  }

  /** The entry's current state; a constant pending state for an entry the client does not
   *  hold (reading never creates an entry), and for skipToken. */
  getState<P extends Params, D>(d: ContextDescriptor<P, D> | SkipToken): EntryState<D> {
    return (this.find_(d as ContextDescriptor<P, D>)?.state_ ?? INITIAL) as EntryState<D>; // (a symbol has no .context)
  }

  /** Observe an entry. The first active observer of an entry without fresh data (pending,
   *  error or stale, and not already fetching) fetches it; a passive one (`enabled: false`)
   *  only sees changes. Returns the unsubscribe function; the last unsubscribe starts the GC
   *  timer. */
  subscribe<P extends Params, D>(d: ContextDescriptor<P, D>, listener: () => void, passive?: boolean): () => void {
    const entry = this.entry_(d);
    const subscription = () => listener();
    clearTimeout(entry.gcTimer_);
    entry.listeners_.add(subscription);
    if (!passive && !entry.active_++ && !entry.inFlight_ && needsFetch(entry.state_)) this.start_(entry, "mount");
    return () => {
      if (entry.listeners_.delete(subscription)) {
        if (!passive) entry.active_--;
        if (!entry.listeners_.size) this.gc_(entry);
      }
    };
  }

  /** Fetch now (deduplicated with any in-flight fetch of the same entry). */
  fetch<P extends Params, D>(d: ContextDescriptor<P, D>, cause: Cause = "refetch"): Promise<D> {
    const entry = this.entry_(d);
    return (entry.inFlight_ ?? this.start_(entry, cause)) as Promise<D>;
  }

  /** Replace an entry's data (creating the entry): a value, or an updater of the current data
   *  (`undefined` before the first success); returning `undefined` changes nothing. The entry
   *  becomes `success`; the next invalidation refetches the server's truth. Used by optimistic
   *  updates (a call's `optimistic` option), which roll it back on error. */
  setData<P extends Params, D>(d: ContextDescriptor<P, D>, updater: D | ((previous: D | undefined) => D | undefined)): void {
    const entry = this.entry_(d);
    const data = evaluate(updater as unknown, entry.state_.data);
    if (data === undefined) return;
    const before = this.recording_?.get(entry)?.[0] ?? entry.state_;
    this.succeed_(entry, data);
    this.recording_?.set(entry, [before, entry.state_.data]);
  }

  /** POST {base}/call/{fn}/ and apply the invalidations from the body (data path) or the
   *  X-Mizan-Invalidate header (view path). The promise resolves once the observed entries it
   *  invalidated have refetched, waiting at most `settleTimeout` (`settle: false`: at once).
   *  Never retried. A view-path call sends X-Mizan-Client, follows X-Mizan-Redirect through
   *  options.navigate (after settling) and resolves with the Response; an error status
   *  rejects with a MizanError either way. */
  call<A, R>(c: CallDescriptor<A, R>, args: A, options: { settle?: boolean; signal?: AbortSignal } = {}): Promise<R> {
    return this.post_(
      (this.options_.baseUrl ?? "/api/mizan") + "/call/" + c.fn + "/",
      { method: "POST", body: canonicalJson(args ?? {}), signal: options.signal },
      c.view,
      "mutation:" + c.fn,
      options.settle,
    ) as Promise<R>;
  }

  /** Apply invalidations: matching observed entries refetch in one batch (one microtask), an
   *  in-flight fetch of one is aborted and restarted; unobserved matching entries are marked
   *  stale. Resolves when the refetches it caused have landed (never rejects). `cause` names
   *  the source for `on("invalidate")` (`push`, `tab:…`; default `client`). */
  invalidate(list: Invalidation[], cause: Cause = "client"): Promise<void> {
    return this.invalidate_(list, cause);
  }

  /** Apply the X-Mizan-Invalidate header of any response (rejects when it is malformed). */
  applyHeaders(headers: Headers, cause: Cause = "client"): Promise<void> {
    return this.invalidate_(headers, cause);
  }

  /** Listen to kernel events (devtools, logging, cross-tab): `fetch`, `success`, `error`,
   *  `invalidate`. Returns the unsubscribe function. A throwing listener is reported, never
   *  thrown into the kernel. */
  on<T extends keyof MizanEvents>(type: T, listener: (event: MizanEvents[T]) => void): () => void {
    const pair: [keyof MizanEvents, (event: never) => void] = [type, listener];
    this.events_.add(pair);
    return () => this.events_.delete(pair);
  }

  // ------------------------------------------------------------------------- internals

  /** @internal Runs `apply` (a mutation's optimistic update) recording its setData() calls;
   *  returns the rollback: each entry it changed gets its previous state back, unless newer
   *  data (a refetch) replaced the optimistic data meanwhile. */
  record_(apply: () => void): () => void {
    const recording: Recording = (this.recording_ = new Map());
    try {
      apply();
    } finally {
      this.recording_ = undefined;
    }
    return () =>
      recording.forEach(([{ status, data, updatedAt }, after], entry) => {
        if (entry.state_.data === after) this.set_(entry, { status, data, updatedAt });
      });
  }

  /** @internal */ each_(visit: (entry: Entry) => unknown) {
    this.entries_.forEach((entries) => entries.forEach(visit));
  }

  private emit_<T extends keyof MizanEvents>(type: T, event: MizanEvents[T]) {
    this.events_.forEach(([t, listener]) => t == type && guard(listener as (event: MizanEvents[T]) => void, event));
  }

  /** @internal */ find_(d: ContextDescriptor<Params, unknown>): Entry | undefined {
    return this.entries_.get(d.context)?.get(d.key);
  }

  /** The entry of a descriptor, created (with a GC timer) when missing. An entry of a context
   *  invalidated within tombstoneTime revalidates its first GET. */
  /** @internal */ entry_(d: ContextDescriptor<Params, unknown>): Entry {
    let entry = this.find_(d);
    if (!entry) {
      const { context, key } = d;
      (this.entries_.get(context) ?? this.entries_.set(context, new Map()).get(context)!).set(
        key,
        (entry = {
          context,
          key,
          params: freeze(structuredClone(d.params)),
          state_: INITIAL,
          listeners_: new Set(),
          active_: 0,
          // invalidated after now − tombstoneTime (`undefined`, never invalidated, is not greater)
          revalidate_: this.invalidatedAt_.get(context)! > Date.now() - (this.options_.tombstoneTime ?? 3e5),
        }),
      );
      this.gc_(entry);
    }
    return entry;
  }

  /** Starts the GC timer of an entry without observers: it is then removed and its in-flight
   *  request aborted. No timer for gcTime ≥ 2^31 ms (setTimeout would fire at once), hence
   *  none on a server (Infinity by default); the timer never keeps a process alive. */
  private gc_(entry: Entry) {
    const ms = this.options_.gcTime ?? (isServer ? Infinity : 3e5);
    if (ms < 2 ** 31)
      entry.gcTimer_ = unrefTimeout(() => {
        entry.abort_?.abort();
        entry.inFlight_ = undefined;
        this.entries_.get(entry.context)?.delete(entry.key);
      }, ms);
  }

  /** Merges a patch into the state: a new object and a notification only on a real change. */
  private set_(entry: Entry, patch: Partial<EntryState<unknown>>) {
    if (differs(patch, entry.state_)) {
      entry.state_ = { ...entry.state_, ...patch };
      entry.listeners_.forEach(guard); // (our wrappers, which pass no argument on)
    }
  }

  /** New data (structurally shared with the current data) and no error. */
  /** @internal */ succeed_(entry: Entry, data: unknown, patch?: Partial<EntryState<unknown>>) {
    this.set_(entry, {
      status: "success",
      data: replaceEqualDeep(entry.state_.data, data),
      error: undefined,
      updatedAt: Date.now(),
      ...patch,
    });
  }

  /** fetch() with the hook's headers and ours (a JSON body's type; X-Mizan-Client on the view
   *  path); no response at all is a MizanError. */
  private async send_(url: string, init: RequestInit, view?: boolean): Promise<Response> {
    try {
      // Without a hook, fetch is called synchronously (no await in between).
      const o = this.options_;
      const headers = new Headers(o.headers && (await o.headers()));
      // The CSRF cookie (readable by scripts) is there while a session is signed in (§9): an
      // unsafe request (one with a body: a call, a POST form) copies it into the header, and a
      // 401 to a request sent with it means that the session ended.
      const token = !isServer && document.cookie.match("(^|; )" + (o.csrfCookie ?? "mizan-csrf") + "=([^;]+)")?.[2];
      if (typeof init.body == "string") headers.set("Content-Type", "application/json");
      if (view) headers.set("X-Mizan-Client", "1");
      if (token && init.body) headers.set(o.csrfHeader ?? "X-Mizan-CSRF", token);
      const res = await (o.fetch ?? fetch)(url, { ...init, headers });
      // Another user (a sign-in, a sign-out, a session that ended): every entry loses its data
      // and the previous user's fetches in flight, observed entries refetch. A 401 does so once
      // per token: refetches that still send it (a server that keeps the cookie) cannot loop.
      if (res.headers.has("x-mizan-identity") || (token && res.status == 401 && this.ended_ != (this.ended_ = token)))
        this.identity_++,
        this.each_((entry) => {
          entry.revalidate_ = true;
          this.set_(entry, INITIAL);
          (entry.inFlight_ || entry.active_) && this.start_(entry, "identity");
        });
      return res;
    } catch (thrown) {
      throw init.signal?.aborted
        ? new MizanError("aborted")
        : thrown instanceof MizanError
          ? thrown
          : new MizanError("network", "" + thrown);
    }
  }

  /** Fetches an entry, aborting a fetch in flight: the GET, its retries (network errors, 429
   *  and 5xx), the state updates. A superseded fetch resolves with the fetch that replaced it.
   *  `depth` counts the context responses whose run-time invalidations led here. */
  /** @internal */ start_(entry: Entry, cause: Cause, depth = 0): Promise<unknown> {
    entry.abort_?.abort();
    const { signal } = (entry.abort_ = new AbortController());
    const retry = this.options_.retry;
    const { retries = 3, baseDelay = 300, maxDelay = 1e4, maxRetryAfter = 6e4 } = retry === false ? { retries: 0 } : (retry ?? {});
    const { context, key } = entry;
    // key = context + "" or "?" + canonical query
    const url = (this.options_.baseUrl ?? "/api/mizan") + "/ctx/" + context + "/" + key.slice(context.length);
    // After an invalidation the browser must revalidate (a conditional GET, 304 when
    // unchanged) instead of serving its cached copy of what just changed.
    const init: RequestInit = { signal, cache: entry.revalidate_ ? "no-cache" : undefined };
    entry.revalidate_ = false;
    this.emit_("fetch", { key, cause });
    const run = async (): Promise<unknown> => {
      for (let failures = 0; ; ) {
        this.set_(entry, { fetchStatus: "fetching", failureCount: failures });
        let res: Response | undefined;
        let data: unknown;
        let error: MizanError | undefined;
        try {
          res = await this.send_(url, init);
          data = await read(res, signal);
        } catch (thrown) {
          error = thrown as MizanError; // send_() and read() throw nothing else
        }
        if (signal.aborted) {
          // Superseded (restarted by an invalidation, or collected): the caller gets the newer
          // fetch's answer, the entry is left to it.
          return entry.inFlight_ ?? (error ? Promise.reject(error) : data);
        }
        if (!error) {
          this.succeed_(entry, data, { fetchStatus: "idle", failureCount: 0, stale: false });
          this.emit_("success", { key, data });
          // Run-time invalidations of a context response (§5.3); not of this entry, whose
          // data is newer than them.
          this.invalidate_(res!.headers, "context:" + key, entry, depth + 1).catch(noop);
          return entry.state_.data;
        }
        if (++failures > retries || !(error.code == "network" || error.status > 499 || error.status == 429)) {
          this.set_(entry, { status: "error", fetchStatus: "idle", error, failureCount: failures });
          this.emit_("error", { key, error });
          throw error;
        }
        this.set_(entry, { fetchStatus: "paused", failureCount: failures });
        let ms = Math.min(maxDelay, baseDelay * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        const after = res?.headers.get("retry-after");
        if (after) {
          // delay-seconds or an HTTP date
          const given = +after >= 0 ? +after * 1e3 : Date.parse(after) - Date.now();
          if (given == given) ms = Math.min(maxRetryAfter, given); // not NaN; a past date waits 0 (setTimeout)
        }
        // the wait, rejecting with "aborted" when the entry's signal fires first
        // (a timer left behind by an abort resolves nothing, and keeps no process alive)
        await new Promise<void>((resolve, reject) => {
          unrefTimeout(resolve, ms);
          signal.onabort = () => reject(new MizanError("aborted")); // (one wait at a time per signal)
        });
      }
    };
    const promise: Promise<unknown> = (entry.inFlight_ = run().finally(() => {
      if (entry.inFlight_ == promise) entry.inFlight_ = undefined;
    }));
    promise.catch(noop); // callers that care have the promise; nobody else should see a rejection
    return promise;
  }

  /** Applies a list, or the X-Mizan-Invalidate header of a response (rejects when it is
   *  malformed); `skip`: an entry whose data is newer than the list. */
  private async invalidate_(from: Invalidation[] | Headers, cause: Cause, skip?: Entry, depth = 0): Promise<void> {
    const list = Array.isArray(from) ? from : decodeInvalidateHeader(from.get("x-mizan-invalidate") ?? "");
    const hit: Entry[] = [];
    for (const item of list) {
      const context = typeof item == "string" ? item : item.context;
      this.invalidatedAt_.set(context, Date.now());
      this.entries_.get(context)?.forEach((entry) => {
        if (entry != skip && hits(item, context, entry.params)) hit.push(entry);
      });
    }
    if (list.length) this.emit_("invalidate", { list, cause, keys: hit.map((entry) => entry.key) });
    // An invalidated entry is stale, and its next fetch revalidates the HTTP cache. It
    // refetches in the round (aborting a fetch in flight, whose answer may predate the change)
    // when observed or fetching, else on its next observer; a chain of context responses
    // invalidating each other is stopped (the entries stay stale).
    for (const entry of hit) {
      entry.revalidate_ = true;
      this.set_(entry, { stale: true });
      entry.pending_ = true;
    }
    if (process.env.NODE_ENV != "production" && depth > MAX_CHAIN)
      console.warn("mizan: context responses invalidate each other in a loop; stopped at", cause, list);
    // One round per microtask: whatever is invalidated before the first of these calls resumes
    // (the body and headers of one response, several responses) refetches each entry once,
    // for the earliest of them that hit it (with its cause and depth).
    await 0;
    if (depth <= MAX_CHAIN)
      for (const entry of hit)
        if (entry.pending_) {
          entry.pending_ = false;
          (entry.inFlight_ || entry.active_) && this.start_(entry, cause, depth);
        }
    // once each has no fetch in flight, restarted fetches included
    for (const entry of hit) while (entry.inFlight_) await entry.inFlight_.catch(noop);
  }

  /** A call or a form submission: the request, the invalidations, settle, the redirect. */
  /** @internal */ async post_(url: string, init: RequestInit, view: boolean, cause: Cause, settle?: boolean) {
    const res = await this.send_(url, init, view);
    const body = view && res.ok ? res : await read(res, init.signal);
    const done = Promise.all([this.invalidate_(res.headers, cause).catch(noop), view || this.invalidate_(body.invalidate || [], cause)]);
    // (the timer may run out after the call settled: it does nothing then, and keeps no
    // process alive)
    if (settle ?? true)
      await Promise.race([done, new Promise<void>((resolve) => unrefTimeout(resolve, this.options_.settleTimeout ?? 5e3))]);
    const to = res.headers.get("x-mizan-redirect");
    if (view && to) (this.options_.navigate ?? ((url) => location.assign(url)))(to);
    return view ? res : body.result;
  }
}
