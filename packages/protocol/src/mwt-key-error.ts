/** A key map that may not be built (spec/MWT.md §4): a bad key id, a short secret, no signing key. */
export class MwtKeyError extends Error {
  override readonly name = "MwtKeyError";
}
