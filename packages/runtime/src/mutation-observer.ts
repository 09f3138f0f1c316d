import { guard, type MizanClient, noop } from "./client";
import type { MizanError } from "./mizan-error";
import { Observer } from "./observer";
import type { CallDescriptor } from "./types";

/** Callbacks of one call (`call(args, {onSuccess})`): run only when it is still the latest
 *  call of its observer. */
export interface CallCallbacks<A, R> {
  onSuccess?(result: R, args: A): void;
  onError?(error: MizanError, args: A): void;
  onSettled?(result: R | undefined, error: MizanError | undefined, args: A): void;
}

/** Options of a mutation observer (a call hook); its callbacks run for every call. */
export interface CallOptions<A, R> extends CallCallbacks<A, R> {
  /** Default true: the call settles once the on-screen entries it invalidated have refetched
   *  (waiting at most the client's `settleTimeout`), so a form is not cleared before the new
   *  row appears. `false`: as soon as the server answered. */
  settle?: boolean;
  /** An optimistic update: called before the request, its `client.setData()` calls are
   *  rolled back if the call fails (the server's invalidation corrects them on success). */
  optimistic?(args: A, client: MizanClient): void;
}

export type CallStatus = "idle" | "pending" | "success" | "error";

export interface CallState<A, R> {
  status: CallStatus;
  data: R | undefined;
  error: MizanError | undefined;
  /** the arguments of the latest call */
  variables: A | undefined;
  isIdle: boolean;
  isPending: boolean;
  isSuccess: boolean;
  isError: boolean;
  /** Run the call; never rejects (the error goes to `error` and `onError`). */
  call(args: A, callbacks?: CallCallbacks<A, R>): void;
  /** Run the call; resolves with the result, rejects with the MizanError. */
  callAsync(args: A, callbacks?: CallCallbacks<A, R>): Promise<R>;
  /** Back to idle; the result of a call still in flight no longer changes the state. */
  reset(): void;
}

/**
 * A call's state machine, framework-free (what a call hook shows): idle → pending → success
 * or error, the latest call wins the state, optimistic updates with rollback, settle. An
 * adapter binds `subscribe`/`getResult` (stable functions) to its reactivity.
 */
export class MutationObserver<A, R> extends Observer<CallDescriptor<A, R>, CallOptions<A, R>> {
  private listeners_ = new Set<() => void>();
  /** numbers calls: only the latest writes the state */
  private latest_ = 0;
  private declare result_: CallState<A, R>;

  constructor(client: MizanClient, c: CallDescriptor<A, R>, options?: CallOptions<A, R>) {
    super(client, c, options);
    this.reset();
  }

  subscribe = (listener: () => void): (() => void) => {
    const subscription = () => listener();
    this.listeners_.add(subscription);
    return () => this.listeners_.delete(subscription);
  };

  getResult = (): CallState<A, R> => this.result_;

  call = (args: A, callbacks?: CallCallbacks<A, R>): void => {
    this.callAsync(args, callbacks).catch(noop);
  };

  callAsync = async (args: A, callbacks: CallCallbacks<A, R> = {}): Promise<R> => {
    const id = ++this.latest_;
    const client = this.client_;
    const { optimistic, settle } = this.options_;
    let data: R | undefined;
    let error: MizanError | undefined;
    let rollback = noop;
    this.set_("pending", data, error, args);
    try {
      if (optimistic) rollback = client.record_(() => optimistic(args, client));
      data = await client.call(this.descriptor_, args, { settle });
    } catch (thrown) {
      error = thrown as MizanError;
      rollback();
    }
    // The state and the per-call callbacks belong to the latest call; the observer's
    // callbacks run for every call.
    const latest = id == this.latest_;
    if (latest) this.set_(error ? "error" : "success", data, error, args);
    for (const c of [this.options_, latest ? callbacks : {}])
      guard(() => {
        if (error) c.onError?.(error, args);
        else c.onSuccess?.(data!, args);
        c.onSettled?.(data, error, args);
      });
    if (error) throw error;
    return data!;
  };

  reset = (): void => {
    this.latest_++;
    this.set_("idle");
  };

  private set_(status: CallStatus, data?: R, error?: MizanError, variables?: A) {
    this.result_ = {
      status,
      data,
      error,
      variables,
      isIdle: status == "idle",
      isPending: status == "pending",
      isSuccess: status == "success",
      isError: status == "error",
      call: this.call,
      callAsync: this.callAsync,
      reset: this.reset,
    };
    this.listeners_.forEach(guard); // (our wrappers, which pass no argument on)
  }
}
