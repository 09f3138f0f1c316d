import {
  type App,
  getCurrentScope,
  inject,
  type InjectionKey,
  type MaybeRefOrGetter,
  onScopeDispose,
  provide,
  type Ref,
  shallowReactive,
  shallowReadonly,
  toRefs,
  toValue,
  watchEffect,
} from "vue";
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

// One module for the whole adapter: what it imports from Vue and the kernel is imported once
// (the bundle-size table keeps both external, so every import statement counts).

declare const process: { env: { NODE_ENV?: string } };

const KEY: InjectionKey<MizanClient> = Symbol("mizan");

/** A plugin that provides `client` to every component of the app: `app.use(createMizan(client))`. */
export const createMizan = (client: MizanClient) => ({
  install: (app: App) => void app.provide(KEY, client),
});

/** Provides `client` to the components below this one (in a component's setup). */
export const provideMizan = (client: MizanClient): void => provide(KEY, client);

/** The client provided by `createMizan` or `provideMizan`; throws when there is none (or
 *  when called outside a component's setup or `app.runWithContext`). */
export function useMizan(): MizanClient {
  const client = inject(KEY, null);
  if (!client) throw new Error("@mizan/vue: no createMizan(client) above");
  return client;
}

/** Mirrors an observer's result into a shallow reactive object (the kernel's data is shared
 *  and compared by identity, never made deeply reactive), as read-only refs; `start` subscribes `sync`
 *  until the current effect scope (a component's setup, an `effectScope()`) is disposed.
 *  Outside of one nothing would ever unsubscribe: a development warning says so. */
function mirror<T extends object>(observer: { getResult(): T }, start: (sync: () => void) => void) {
  const state = shallowReactive({} as T);
  start(() => void Object.assign(state, observer.getResult()));
  if (!getCurrentScope() && process.env.NODE_ENV != "production")
    console.warn("@mizan/vue: a composable called outside an effect scope (a component's setup or effectScope().run()) is never unsubscribed");
  return toRefs(shallowReadonly(state));
}

export type ContextQueryOptions<D = any, S = D> = ContextObserverOptions<D, S>;

/** What `useContextQuery` returns: one read-only ref per member of the kernel's
 *  `ContextResult` (`data`, `status`, `fetchStatus`, `error`, `isLoading`, …), and `refetch`. */
export type ContextQueryRefs<S, D = S> = {
  readonly [K in Exclude<keyof ContextResult<S, D>, "refetch">]: Readonly<Ref<ContextResult<S, D>[K]>>;
} & { refetch: () => Promise<D> };

/**
 * Observe one context entry (or nothing, with `skipToken`). The descriptor and the options
 * may be refs or getters (`() => ctx.todos({project: project.value})`): the composable follows
 * them. Unsubscribes when the
 * calling effect scope (the component) is disposed.
 */
export function useContextQuery<P extends Params, D, S = D>(
  d: MaybeRefOrGetter<ContextDescriptor<P, D> | SkipToken>,
  options?: MaybeRefOrGetter<ContextQueryOptions<NoInfer<D>, S> | undefined>,
): ContextQueryRefs<S, D> {
  const observer = new ContextObserver<P, D, S>(useMizan(), skipToken);
  const refs = mirror(observer, (sync) =>
    // Runs again when the params or options it reads change: subscribes to the entry they
    // name (an unchanged entry keeps its data; its GC timer, started and cleared at once,
    // never fires). Stopped with the scope, which unsubscribes.
    watchEffect((onCleanup) => {
      observer.setOptions(toValue(d), toValue(options));
      onCleanup(observer.subscribe(sync));
      sync();
    }),
  );
  return { ...refs, refetch: observer.refetch } as ContextQueryRefs<S, D>;
}

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
  const { call, callAsync, reset } = observer;
  const refs = mirror(observer, (sync) => {
    sync();
    onScopeDispose(observer.subscribe(sync), true);
  });
  return { ...refs, call, callAsync, reset } as CallRefs<A, R>;
}
