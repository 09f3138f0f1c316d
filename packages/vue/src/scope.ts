import { getCurrentScope, onScopeDispose } from "vue";

declare const process: { env: { NODE_ENV?: string } };

/** Runs `stop` when the current effect scope (a component's setup, an `effectScope()`) is
 *  disposed. Outside of one there is nothing to stop with: a development warning says so. */
export function disposeWithScope(stop: () => void, name: string): void {
  if (getCurrentScope()) onScopeDispose(stop);
  else if (process.env.NODE_ENV != "production")
    console.warn(`@mizan/vue: ${name}() outside an effect scope (a component's setup or effectScope().run()) is never unsubscribed`);
}
