import { canonicalJson } from "./canonical-json";
import type { Invalidation } from "./types";
import { dropNulls } from "./util";

/** The text of an invalidation item (internal): a name as is, a scope as the canonical JSON of
 *  `{"context", "params"}` with top-level null params dropped. Names cannot start with `{`, so
 *  the two never collide. */
export const itemText = (i: Invalidation): string =>
  typeof i == "string" ? i : canonicalJson({ context: i.context, params: dropNulls(i.params) });
