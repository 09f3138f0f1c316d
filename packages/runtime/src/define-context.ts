import { canonicalQuery } from "./canonical-query";
import type { ContextFactory, Params } from "./types";
import { dropNulls } from "./util";

/** `defineContext<TodosParams, TodosData>("todos", {page: 1})`: a factory of descriptors whose
 *  `key` is `todos?page=1&project=3` (plain `todos` without params), the identity of an entry.
 *  `defaults` are the parameters' schema defaults (codegen emits them): they fill in absent
 *  (or `null`) members before keying, so `{}` and `{page: 1}` are one entry and one URL. The
 *  descriptor's `params` is a frozen copy. */
export function defineContext<P extends Params, D>(context: string, defaults: Params = {}): ContextFactory<P, D> {
  return Object.assign(
    (given: P) => {
      // Given members after the defaults, so that they win; a null one is dropped first, so
      // the default stays. Spreading defines own properties: a `__proto__` parameter stays one.
      const params = dropNulls({ ...defaults, ...dropNulls(given) });
      const query = canonicalQuery(params);
      return { context, params: Object.freeze(params) as P, key: query ? context + "?" + query : context };
    },
    { context },
  );
}
