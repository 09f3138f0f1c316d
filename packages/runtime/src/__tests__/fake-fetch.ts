/// <reference types="node" />
// A fake fetch for the client tests: every request waits until the test answers it.
import { vi } from "vitest";

export interface Pending {
  url: string;
  init: RequestInit;
  headers: Headers;
  /** answer with a JSON body (any status) and extra headers */
  json(body: unknown, status?: number, headers?: Record<string, string>): Promise<void>;
  /** answer with a raw Response */
  respond(res: Response): Promise<void>;
  /** fail like fetch does when the network is down */
  fail(): Promise<void>;
}

/** Lets every promise chain that is ready run (real macrotask: the fake timers leave
 *  setImmediate alone). */
export const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

export function fakeFetch() {
  const requests: Pending[] = [];
  const fetch = vi.fn(
    (url: string | URL | Request, init: RequestInit = {}) =>
      new Promise<Response>((resolve, reject) => {
        const settle = (f: () => void) => {
          f();
          return flush();
        };
        requests.push({
          url: String(url),
          init,
          headers: new Headers(init.headers),
          json: (body, status = 200, headers = {}) =>
            settle(() =>
              resolve(
                new Response(JSON.stringify(body), {
                  status,
                  headers: { "Content-Type": "application/json", ...headers },
                }),
              ),
            ),
          respond: (res) => settle(() => resolve(res)),
          fail: () => settle(() => reject(new TypeError("Failed to fetch"))),
        });
        init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      }),
  );
  /** The only request not answered yet, checked. */
  const last = () => {
    const r = requests.at(-1);
    if (!r) throw new Error("no request");
    return r;
  };
  /** The latest request, once the ones started so far have gone out (the client awaits its
   *  headers hook before calling fetch). */
  const next = async () => {
    await flush();
    return last();
  };
  return { fetch: fetch as unknown as typeof globalThis.fetch, mock: fetch, requests, last, next };
}
