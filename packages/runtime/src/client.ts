import { canonicalJson } from "./canonical-json";
import { defineContext } from "./define-context";
import { hits } from "./hits";
import { decodeInvalidateHeader } from "./invalidate-header";
import { MizanError } from "./mizan-error";
import { parseQuery } from "./parse-query";
import type {
  CallDescriptor,
  ClientOptions,
  ContextDescriptor,
  EntryState,
  HydrationData,
  Invalidation,
  Params,
} from "./types";

/** One (context, canonical params) entry. Short member names: they survive minification. */
interface Entry {
  /** the descriptor (context, params, key) */
  d: ContextDescriptor<Params, unknown>;
  /** the current state, replaced (never mutated) on change */
  s: EntryState<unknown>;
  /** listeners, one wrapper per subscription: observers = l.size */
  l: Set<() => void>;
  /** the in-flight fetch, shared by every caller (dedupe) */
  p?: Promise<unknown> | undefined;
  /** aborts the in-flight fetch (GC) */
  c?: AbortController;
  /** sequence number of the latest fetch; bumped to drop an in-flight response (hydrate, GC) */
  n: number;
  /** invalidated while fetching: fetch once more when the current fetch lands */
  a?: boolean;
  /** invalidated since the last fetch started: the next one must not be answered from the
   *  browser's HTTP cache (context responses may carry max-age) */
  i?: boolean;
  /** the GC timer */
  t?: ReturnType<typeof setTimeout>;
}

const INITIAL: EntryState<never> = {
  status: "pending",
  fetchStatus: "idle",
  data: undefined,
  error: undefined,
  updatedAt: 0,
  failureCount: 0,
  stale: false,
};

const noop = () => {};
const JSON_TYPE = { "Content-Type": "application/json" };
const CLIENT = { "X-Mizan-Client": "1" };

/** The error for a request that produced no usable response. */
const failure = (x: unknown, signal?: AbortSignal | null) =>
  signal?.aborted ? new MizanError("aborted") : x instanceof MizanError ? x : new MizanError("network", "" + x);

/** The JSON body of a response; a MizanError for an error status or a body that is not JSON. */
const read = async (res: Response, signal?: AbortSignal | null): Promise<any> => {
  const body = await res.json().catch(noop);
  if (signal?.aborted) throw failure(0, signal);
  if (!res.ok || body === undefined) throw MizanError.fromBody(res.status, body);
  return body;
};

/** Waits `ms`, rejecting with "aborted" when the signal fires first. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(new MizanError("aborted"));
      },
      { once: true },
    );
  });

/** Resolves once the entry has no fetch in flight, follow-up fetches included. */
const idle = async (e: Entry) => {
  while (e.p) await e.p.catch(noop);
};

/** The state of a successful fetch (or of hydration). */
const success = (data: unknown): Partial<EntryState<unknown>> => ({
  status: "success",
  fetchStatus: "idle",
  data,
  error: undefined,
  updatedAt: Date.now(),
  failureCount: 0,
  stale: false,
});

export class MizanClient {
  /** key → entry */
  private m = new Map<string, Entry>();
  /** entries hit by the invalidations of the current round */
  private q = new Set<Entry>();
  /** the current round: refreshes `q` one microtask after its first invalidation */
  private r: Promise<void> | undefined;
  private o: ClientOptions;

  constructor(options: ClientOptions = {}) {
    this.o = options;
    if (options.hydrate) this.hydrate(options.hydrate);
  }

  /** The entry's current state (creates a pending entry on first use). */
  getState<P extends Params, D>(d: ContextDescriptor<P, D>): EntryState<D> {
    return this.entry(d).s as EntryState<D>;
  }

  /** Observe an entry; the first observer of an entry without fresh data (pending, error or
   *  stale, and not already fetching) fetches it. Returns the unsubscribe function; the last
   *  unsubscribe starts the GC timer. */
  subscribe<P extends Params, D>(d: ContextDescriptor<P, D>, listener: () => void): () => void {
    const e = this.entry(d);
    const o = () => listener();
    clearTimeout(e.t);
    e.l.add(o);
    if (e.l.size == 1 && !e.p && (e.s.status != "success" || e.s.stale)) this.start(e);
    return () => {
      if (e.l.delete(o) && !e.l.size) this.gc(e);
    };
  }

  /** Fetch now (deduplicated with any in-flight fetch of the same entry). */
  fetch<P extends Params, D>(d: ContextDescriptor<P, D>): Promise<D> {
    const e = this.entry(d);
    return (e.p ?? this.start(e)) as Promise<D>;
  }

  /** POST {base}/call/{fn}/ and apply the invalidations from the body (data path) or the
   *  X-Mizan-Invalidate header (view path). With settle: true the promise resolves only after
   *  the observed entries it invalidated have refetched. Never retried. A view-path call sends
   *  X-Mizan-Client, follows X-Mizan-Redirect through options.navigate (after settling) and
   *  resolves with the Response; an error status rejects with a MizanError either way. */
  call<A, R>(c: CallDescriptor<A, R>, args: A, options: { settle?: boolean; signal?: AbortSignal } = {}): Promise<R> {
    return this.post(
      this.base() + "/call/" + c.fn + "/",
      { method: "POST", body: canonicalJson(args ?? {}), signal: options.signal ?? null },
      c.view ? { ...JSON_TYPE, ...CLIENT } : JSON_TYPE,
      c.view,
      options.settle,
    ) as Promise<R>;
  }

  /** Submit a form to a view-path route with X-Mizan-Client; applies X-Mizan-Invalidate and
   *  follows X-Mizan-Redirect through options.navigate. A form without files is sent as
   *  application/x-www-form-urlencoded (what routes accept), a GET form in the query string.
   *  An error status rejects with a MizanError (fields from the protocol's error body). */
  submit(form: HTMLFormElement | { action: string; method?: string; body: URLSearchParams | FormData }): Promise<Response> {
    // `"elements" in form` tells a form from the plain object. The attributes are read rather
    // than form.action/form.method, which a control named "action" or "method" shadows.
    const f =
      "elements" in form
        ? { action: form.getAttribute("action") ?? location.href, method: form.getAttribute("method"), body: new FormData(form) }
        : form;
    let { action, body } = f;
    const method = (f.method || "GET").toUpperCase();
    if (!(body instanceof URLSearchParams) && ![...body.values()].some((v) => typeof v != "string"))
      body = new URLSearchParams(body as unknown as string[][]);
    if (method == "GET") action = action.replace(/[?#].*/, "") + "?" + body;
    return this.post(action, { method, body: method == "GET" ? null : body }, CLIENT, true) as Promise<Response>;
  }

  /** Apply invalidations: matching observed entries refetch in one batch (one microtask);
   *  unobserved matching entries are marked stale. Resolves when the refetches it caused
   *  have landed (never rejects). */
  invalidate(list: Invalidation[]): Promise<void> {
    return this.inv(list);
  }

  /** Apply the X-Mizan-Invalidate header of any response (rejects when it is malformed). */
  applyHeaders(headers: Headers): Promise<void> {
    return this.header(headers);
  }

  /** Set entries from page data (SSR): each becomes success/idle without a fetch. A response
   *  still in flight for one of them is dropped. */
  hydrate(data: HydrationData): void {
    for (const [key, value] of Object.entries(data)) {
      const i = key.indexOf("?");
      const e = this.entry(defineContext(i < 0 ? key : key.slice(0, i))(i < 0 ? {} : parseQuery(key.slice(i + 1))));
      // A fetch in flight is superseded: its response is dropped, and so is its follow-up.
      e.n++;
      e.p = undefined;
      e.a = false;
      this.set(e, success(value));
    }
  }

  /** Every successful entry's data by key, for hydrate() on the other side. */
  dehydrate(): HydrationData {
    return Object.fromEntries([...this.m].filter(([, e]) => e.s.status == "success").map(([k, e]) => [k, e.s.data]));
  }

  // ------------------------------------------------------------------------- internals

  private base() {
    return this.o.baseUrl ?? "/api/mizan";
  }

  private entry(d: ContextDescriptor<Params, unknown>): Entry {
    let e = this.m.get(d.key);
    if (!e) {
      this.m.set(d.key, (e = { d, s: INITIAL, l: new Set(), n: 0 }));
      this.gc(e);
    }
    return e;
  }

  /** Starts the GC timer of an entry without observers: it is then removed and its in-flight
   *  request aborted. setTimeout cannot wait 2^31 ms or more (it would fire at once), so such a
   *  gcTime (Infinity) keeps entries forever. */
  private gc(e: Entry) {
    const t = this.o.gcTime ?? 3e5;
    if (t < 2 ** 31)
      e.t = setTimeout(() => {
        e.c?.abort();
        e.n++;
        this.m.delete(e.d.key);
      }, t);
  }

  /** Merges a patch into the state: a new object and a notification only on a real change. */
  private set(e: Entry, patch: Partial<EntryState<unknown>>) {
    const s = e.s as unknown as Record<string, unknown>;
    if (Object.entries(patch).some(([k, v]) => s[k] !== v)) {
      e.s = { ...e.s, ...patch };
      e.l.forEach((f) => f());
    }
  }

  /** fetch() with the hook's headers and ours; no response at all is a MizanError. */
  private async send(url: string, init: RequestInit, own: Record<string, string> = {}): Promise<Response> {
    try {
      // Without a hook, fetch is called synchronously (no await in between).
      const hook = this.o.headers;
      const headers = new Headers(hook && (await hook()));
      for (const [k, v] of Object.entries(own)) headers.set(k, v);
      return await (this.o.fetch ?? fetch)(url, { ...init, headers });
    } catch (x) {
      throw failure(x, init.signal);
    }
  }

  /** Fetches an entry: the GET, its retries (network errors and 5xx), the state updates. */
  private start(e: Entry): Promise<unknown> {
    const n = ++e.n;
    const live = () => n == e.n;
    const { signal } = (e.c = new AbortController());
    const { retries = 3, baseDelay = 300, maxDelay = 1e4 } = this.o.retry || { retries: 0 };
    // key = context + "" or "?" + canonical query
    const url = this.base() + "/ctx/" + e.d.context + "/" + e.d.key.slice(e.d.context.length);
    // After an invalidation the browser must revalidate (a conditional GET, 304 when
    // unchanged) instead of serving its cached copy of what just changed.
    const init: RequestInit = e.i ? { signal, cache: "no-cache" } : { signal };
    e.i = false;
    const p = (async () => {
      for (let failures = 0; ; failures++) {
        this.set(e, { fetchStatus: "fetching", failureCount: failures });
        let res: Response | undefined;
        let data: unknown;
        let error: MizanError | undefined;
        try {
          res = await this.send(url, init);
          data = await read(res, signal);
        } catch (x) {
          error = x as MizanError; // send() and read() throw nothing else
        }
        // The state changes are outside the try: a throwing listener is not a failed fetch.
        if (!live()) {
          if (error) throw error;
          return data; // superseded: the caller still gets its answer, the entry does not
        }
        if (!error) {
          this.set(e, success(data));
          // Run-time invalidations of a context response (§5.3); not of this entry, whose
          // data is newer than them.
          this.header(res!.headers, e).catch(noop);
          return data;
        }
        if (failures >= retries || !(error.code == "network" || error.status > 499)) {
          this.set(e, { status: "error", fetchStatus: "idle", error, failureCount: failures + 1 });
          throw error;
        }
        this.set(e, { fetchStatus: "paused", failureCount: failures + 1 });
        let ms = Math.min(maxDelay, baseDelay * 2 ** failures) * (0.5 + Math.random() / 2);
        const after = res?.headers.get("retry-after");
        if (after) {
          // delay-seconds or an HTTP date
          const t = +after >= 0 ? +after * 1e3 : Date.parse(after) - Date.now();
          if (t == t) ms = Math.max(0, t); // not NaN
        }
        await sleep(ms, signal);
      }
    })();
    const q = (e.p = p.finally(() => {
      if (e.p == q) e.p = undefined; // unless hydrate() or a newer fetch replaced it
      if (live() && e.a) {
        e.a = false;
        this.refresh(e);
      }
    }));
    q.catch(noop); // callers that care have the promise; nobody else should see a rejection
    return q;
  }

  /** An invalidated entry: refetch when observed (after the in-flight fetch, if any), else
   *  mark it stale so that its next first observer refetches. */
  private refresh(e: Entry) {
    e.i = true;
    if (e.p) e.a = true;
    else if (e.l.size) this.start(e);
    else this.set(e, { stale: true });
  }

  private async header(headers: Headers, skip?: Entry) {
    return this.inv(decodeInvalidateHeader(headers.get("x-mizan-invalidate") ?? ""), skip);
  }

  private inv(list: Invalidation[], skip?: Entry): Promise<void> {
    const hit: Entry[] = [];
    for (const e of this.m.values())
      if (e != skip && list.some((i) => hits(i, e.d.context, e.d.params))) hit.push(e), this.q.add(e);
    // One round per microtask: whatever is invalidated before it runs (the body and headers of
    // one response, several responses) refreshes each entry once.
    this.r ??= Promise.resolve().then(() => {
      const q = this.q;
      this.q = new Set();
      this.r = undefined;
      q.forEach((e) => this.refresh(e));
    });
    return this.r.then(() => Promise.all(hit.map(idle))).then(noop);
  }

  /** A call or a form submission: the request, the invalidations, settle, the redirect. */
  private async post(url: string, init: RequestInit, own: Record<string, string>, view: boolean, settle?: boolean) {
    const res = await this.send(url, init, own);
    const body = view && res.ok ? res : await read(res, init.signal);
    const done = Promise.all([this.header(res.headers).catch(noop), view || this.inv(body.invalidate || [])]);
    if (settle) await done;
    const to = res.headers.get("x-mizan-redirect");
    if (view && to) (this.o.navigate ?? ((url) => location.assign(url)))(to);
    return view ? res : body.result;
  }
}
