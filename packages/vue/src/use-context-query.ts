import { type MaybeRefOrGetter, type Ref, shallowReactive, shallowReadonly, toRefs, toValue, watchEffect } from "vue";
import {
  type ContextDescriptor,
  ContextObserver,
  type ContextObserverOptions,
  type ContextResult,
  type Params,
  type SkipToken,
  skipToken,
} from "@mizan/runtime";
import { useMizan } from "./plugin";
import { disposeWithScope } from "./scope";

export type ContextQueryOptions<D = any, S = D> = ContextObserverOptions<D, S>;

/** What `useContextQuery` returns: one read-only ref per member of the kernel's
 *  `ContextResult` (`data`, `status`, `fetchStatus`, `error`, `isLoading`, …), and `refetch`. */
export type ContextQueryRefs<S, D = S> = {
  readonly [K in Exclude<keyof ContextResult<S, D>, "refetch">]: Readonly<Ref<ContextResult<S, D>[K]>>;
} & { refetch: () => Promise<D> };

/**
 * Observe one context entry (or nothing, with `skipToken`). The descriptor and the options
 * may be refs or getters (`() => ctx.todos({project: project.value})`): the composable follows
 * them, resubscribing only when the entry or `enabled` changes. Unsubscribes when the
 * calling effect scope (the component) is disposed.
 */
export function useContextQuery<P extends Params, D, S = D>(
  d: MaybeRefOrGetter<ContextDescriptor<P, D> | SkipToken>,
  options?: MaybeRefOrGetter<ContextQueryOptions<NoInfer<D>, S> | undefined>,
): ContextQueryRefs<S, D> {
  const observer = new ContextObserver<P, D, S>(useMizan(), skipToken);
  // shallow: the kernel's data is shared and compared by identity, never made deeply reactive
  const state = shallowReactive({} as ContextResult<S, D>);
  const sync = () => void Object.assign(state, observer.getResult());
  let subscribed: string | undefined;
  let unsubscribe = () => {};
  watchEffect(() => {
    const descriptor = toValue(d);
    const o = toValue(options) ?? {};
    observer.setOptions(descriptor, o);
    const target = descriptor == skipToken ? "" : descriptor.key + (o.enabled == false ? " passive" : "");
    if (target !== subscribed) {
      unsubscribe();
      subscribed = target;
      unsubscribe = observer.subscribe(sync);
    }
    sync();
  });
  disposeWithScope(() => unsubscribe(), "useContextQuery");
  return { ...toRefs(shallowReadonly(state)), refetch: observer.refetch } as ContextQueryRefs<S, D>;
}
