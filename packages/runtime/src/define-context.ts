import { canonicalQuery } from "./canonical-query";
import type { ContextFactory, Params } from "./types";

/** `defineContext<TodosParams, TodosData>("todos")`: a factory of descriptors whose `key` is
 *  `todos?project=3` (plain `todos` without params), the identity of an entry. */
export function defineContext<P extends Params, D>(context: string): ContextFactory<P, D> {
  return Object.assign(
    (params: P) => {
      const q = canonicalQuery(params);
      return { context, params, key: q ? context + "?" + q : context };
    },
    { context },
  );
}
