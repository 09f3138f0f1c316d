import { getContext, setContext } from "svelte";
import { createSubscriber } from "svelte/reactivity";
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

// One module for the whole adapter: what it imports from Svelte and the kernel is imported
// once (the bundle-size table keeps both external, so every import statement counts).

const KEY = Symbol("mizan");

/** Makes `client` available to the components below this one (call it in a component's
 *  `<script>`, e.g. the root's). */
export const setMizan = (client: MizanClient): MizanClient => setContext(KEY, client);

/** The client of the nearest `setMizan` above (in a component's `<script>`); throws without one. */
export function getMizan(): MizanClient {
  const client = getContext<MizanClient | undefined>(KEY);
  if (!client) throw Error("@mizan/svelte: no setMizan(client) above");
  return client;
}

/**
 * The base of `ContextQuery` and `Call`: a getter per member of what `read` returns (the
 * kernel observer's result, read while subscribed), defined on the class's prototype by its
 * first instance from the members of `result` (the observer's first result).
 */
class Observed {
  #read: () => Record<string, unknown>;

  constructor(read: () => object, result: object) {
    this.#read = read as () => Record<string, unknown>;
    for (const key in result)
      key in this ||
        Object.defineProperty(new.target.prototype, key, {
          get(this: Observed) {
            return this.#read()[key];
          },
        });
  }
}

export type ContextQueryOptions<D = any, S = D> = ContextObserverOptions<D, S>;

// The getters (defined by `Observed`), one per member of the kernel's ContextResult.
export interface ContextQuery<P extends Params, D, S = D> extends Readonly<ContextResult<S, D>> {}

/**
 * One context entry (or nothing, with `skipToken`), as reactive getters: `q.data`,
 * `q.status`, `q.fetchStatus`, `q.error`, `q.isLoading`, …, and `q.refetch()`.
 *
 * The descriptor comes from a function (`() => ctx.todos({project})`), read by every getter,
 * so it follows the `$state` and props it reads; so may the options. The kernel subscription
 * starts when an effect (a template, `$derived`, `$effect`) first reads a getter, follows
 * the entry, and ends when the last reading effect is destroyed: no `destroy()`.
 */
export class ContextQuery<P extends Params, D, S = D> extends Observed {
  constructor(
    client: MizanClient,
    descriptor: () => ContextDescriptor<P, D> | SkipToken,
    options?: ContextQueryOptions<NoInfer<D>, S> | (() => ContextQueryOptions<NoInfer<D>, S>),
  ) {
    const observer = new ContextObserver<P, D, S>(client, skipToken);
    // the current descriptor and options into the observer (its refetch() uses them too)
    const input = () => observer.setOptions(descriptor(), typeof options == "function" ? options() : options);
    // From the first reading effect to the last: an effect of its own follows the params and
    // options (resubscribing when they change); destroyed with the subscription. Created a
    // microtask later: createSubscriber starts untracked, and while hydrating server-rendered
    // markup Svelte runs a new effect at once, so created here it would track nothing and
    // never follow the params.
    const subscribe = createSubscriber((update) => {
      let stop: (() => void) | undefined;
      let stopped = false;
      queueMicrotask(() => {
        if (!stopped)
          stop = $effect.root(() => {
            $effect.pre(() => {
              input();
              return observer.subscribe(update);
            });
          });
      });
      return () => {
        stopped = true;
        stop?.();
      };
    });
    super(() => {
      input();
      subscribe();
      return observer.getResult();
    }, observer.getResult());
  }
}

// The getters (defined by `Observed`), one per member of the kernel's CallState.
export interface Call<A, R> extends Readonly<CallState<A, R>> {}

/**
 * A call (mutation) with its own state, as reactive getters (`c.status`, `c.data`,
 * `c.error`, `c.variables`, `c.isPending`, …) and `c.call()`, `c.callAsync()`, `c.reset()`.
 * The state is the kernel's MutationObserver's, followed while some effect reads it.
 */
export class Call<A, R> extends Observed {
  constructor(client: MizanClient, c: CallDescriptor<A, R>, options?: CallOptions<A, R>) {
    const observer = new MutationObserver(client, c, options);
    const subscribe = createSubscriber(observer.subscribe);
    super(() => {
      subscribe();
      return observer.getResult();
    }, observer.getResult());
  }
}
