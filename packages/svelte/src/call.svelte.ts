import { createSubscriber } from "svelte/reactivity";
import { type CallDescriptor, type CallOptions, type CallState, type MizanClient, MutationObserver } from "@mizan/runtime";

type Methods = "call" | "callAsync" | "reset";
const KEYS = ["status", "data", "error", "variables", "isIdle", "isPending", "isSuccess", "isError"] as const;

// The getters, one per member of the kernel's CallState (defined in the class's static block).
export interface Call<A, R> extends Readonly<Omit<CallState<A, R>, Methods>> {}

/**
 * A call (mutation) with its own state, as reactive getters (`c.status`, `c.data`,
 * `c.error`, `c.variables`, `c.isPending`, …) and `call`, `callAsync`, `reset`. The state is
 * the kernel's MutationObserver's, followed while some effect reads it.
 */
export class Call<A, R> {
  #observer: MutationObserver<A, R>;
  #subscribe: () => void;
  /** Run the call; never rejects (the error goes to `error` and `onError`). */
  call: CallState<A, R>["call"];
  /** Run the call; resolves with the result, rejects with the MizanError. */
  callAsync: CallState<A, R>["callAsync"];
  /** Back to idle; the result of a call still in flight no longer changes the state. */
  reset: CallState<A, R>["reset"];

  constructor(client: MizanClient, c: CallDescriptor<A, R>, options?: CallOptions<A, R>) {
    const observer = (this.#observer = new MutationObserver(client, c, options));
    this.#subscribe = createSubscriber((update) => observer.subscribe(update));
    ({ call: this.call, callAsync: this.callAsync, reset: this.reset } = observer);
  }

  static {
    for (const key of KEYS)
      Object.defineProperty(this.prototype, key, {
        get(this: Call<unknown, unknown>) {
          this.#subscribe();
          return this.#observer.getResult()[key];
        },
      });
  }
}
