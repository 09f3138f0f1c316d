/** Pass instead of a descriptor (or a generated hook's params) to observe nothing and fetch
 *  nothing, e.g. for a dependent query whose params are not known yet (as TanStack Query's
 *  `skipToken`): `useTodos(project === undefined ? skipToken : { project })`. */
export const skipToken: unique symbol = Symbol("skipToken");
export type SkipToken = typeof skipToken;

/** `placeholderData: keepPreviousData`: while the params change (paging, search), show the
 *  data of the previous params until the new ones arrive. */
export const keepPreviousData = <T>(previous: T): T => previous;
