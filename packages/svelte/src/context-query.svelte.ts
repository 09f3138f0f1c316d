import { untrack } from "svelte";
import { createSubscriber } from "svelte/reactivity";
import {
  type ContextDescriptor,
  ContextObserver,
  type ContextObserverOptions,
  type ContextResult,
  type MizanClient,
  type Params,
  type SkipToken,
  skipToken,
} from "@mizan/runtime";

export type ContextQueryOptions<D = any, S = D> = ContextObserverOptions<D, S>;

const noop = () => {};
const KEYS = [
  "data",
  "status",
  "fetchStatus",
  "error",
  "isLoading",
  "isFetching",
  "isPlaceholderData",
  "stale",
  "updatedAt",
  "failureCount",
] as const;

// The getters, one per member of the kernel's ContextResult (defined in the class's static block).
export interface ContextQuery<P extends Params, D, S = D> extends Readonly<Omit<ContextResult<S, D>, "refetch">> {}

/**
 * One context entry (or nothing, with `skipToken`), as reactive getters: `q.data`,
 * `q.status`, `q.fetchStatus`, `q.error`, `q.isLoading`, …
 *
 * The descriptor comes from a function (`() => ctx.todos({project})`), read by every getter,
 * so it follows the `$state` and props it reads; so may the options. The kernel subscription
 * starts when an effect (a template, `$derived`, `$effect`) first reads a getter, follows
 * the entry, and ends when the last reading effect is destroyed: no `destroy()`.
 */
export class ContextQuery<P extends Params, D, S = D> {
  #observer: ContextObserver<P, D, S>;
  #descriptor: () => ContextDescriptor<P, D> | SkipToken;
  #options: ContextQueryOptions<D, S> | (() => ContextQueryOptions<D, S>) | undefined;
  #subscribe: () => void;
  #update: (() => void) | undefined;
  /** what the last read wants observed (the entry and whether actively), and what is */
  #wanted = "";
  #subscribed: string | undefined;
  #unsubscribe = noop;

  constructor(
    client: MizanClient,
    descriptor: () => ContextDescriptor<P, D> | SkipToken,
    options?: ContextQueryOptions<NoInfer<D>, S> | (() => ContextQueryOptions<NoInfer<D>, S>),
  ) {
    this.#observer = new ContextObserver<P, D, S>(client, skipToken);
    this.#descriptor = descriptor;
    this.#options = options;
    this.#subscribe = createSubscriber((update) => {
      this.#update = update;
      this.#follow();
      return () => {
        this.#update = undefined;
        this.#subscribed = undefined;
        this.#unsubscribe();
      };
    });
  }

  /** Fetch now, deduplicated with any fetch in flight; resolves with the context data. */
  refetch = (): Promise<D> => {
    this.#read();
    return this.#observer.refetch();
  };

  /** The current descriptor and options into the observer; its result. */
  #read(): ContextResult<S, D> {
    const d = this.#descriptor();
    const o = typeof this.#options == "function" ? this.#options() : this.#options;
    this.#observer.setOptions(d, o);
    this.#wanted = d == skipToken ? "" : d.key + (o?.enabled == false ? " passive" : "");
    this.#subscribe();
    // (un)subscribing may notify at once (a fetch starts): not a change of what is being read
    untrack(() => this.#follow());
    return this.#observer.getResult();
  }

  /** While some effect reads: observe the wanted entry. */
  #follow() {
    if (this.#update && this.#wanted !== this.#subscribed) {
      this.#unsubscribe();
      this.#subscribed = this.#wanted;
      this.#unsubscribe = this.#observer.subscribe(this.#update);
    }
  }

  static {
    for (const key of KEYS)
      Object.defineProperty(this.prototype, key, {
        get(this: ContextQuery<Params, unknown>) {
          return this.#read()[key];
        },
      });
  }
}
