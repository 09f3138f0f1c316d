// Field paths of error.fields (PROTOCOL.md §10.1): "items/2/qty".

/** Segments (keys and indices) → a field path: '/'-joined, each escaped as in a JSON Pointer. */
export const encodeFieldPath = (segments: readonly (string | number)[]): string =>
  segments.map((s) => String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

/** A field path → its segments (indices come back as decimal strings). */
export const decodeFieldPath = (path: string): string[] =>
  path.split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
