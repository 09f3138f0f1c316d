import type { CallDescriptor } from "./types";

/** `defineCall<AddTodoArgs, Todo>("add_todo")`; `{view: true}` for a view-path function,
 *  whose call resolves with the Response. */
export function defineCall<A, R>(fn: string, options?: { view?: boolean }): CallDescriptor<A, R> {
  return { fn, view: !!options?.view };
}
