import { type Ref, shallowReactive, shallowReadonly, toRefs } from "vue";
import { type CallDescriptor, type CallOptions, type CallState, MutationObserver } from "@mizan/runtime";
import { useMizan } from "./plugin";
import { disposeWithScope } from "./scope";

type Methods = "call" | "callAsync" | "reset";

/** What `useCall` returns: one read-only ref per member of the kernel's `CallState` (`status`,
 *  `data`, `error`, `variables`, `isPending`, …), and `call`, `callAsync`, `reset`. */
export type CallRefs<A, R> = {
  readonly [K in Exclude<keyof CallState<A, R>, Methods>]: Readonly<Ref<CallState<A, R>[K]>>;
} & Pick<CallState<A, R>, Methods>;

/** A call (mutation) with its own state, kept by the kernel's MutationObserver; the refs stop
 *  following it when the calling effect scope (the component) is disposed. */
export function useCall<A, R>(c: CallDescriptor<A, R>, options?: CallOptions<A, R>): CallRefs<A, R> {
  const observer = new MutationObserver(useMizan(), c, options);
  const state = shallowReactive({ ...observer.getResult() });
  disposeWithScope(
    observer.subscribe(() => void Object.assign(state, observer.getResult())),
    "useCall",
  );
  const { call, callAsync, reset } = observer;
  return { ...toRefs(shallowReadonly(state)), call, callAsync, reset };
}
