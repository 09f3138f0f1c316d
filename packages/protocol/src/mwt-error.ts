/** Why a token did not verify (spec/MWT.md §5), as spec/vectors/mwt.json spells it. */
export type MwtErrorKind = "malformed" | "unknown_key" | "bad_signature" | "expired";

/**
 * A token that did not verify. `kind` is all there is to know: the message never carries the
 * token or a secret. An edge treats every kind alike: the request has no scope.
 */
export class MwtError extends Error {
  override readonly name = "MwtError";

  constructor(readonly kind: MwtErrorKind) {
    super(`MWT: ${kind.replace("_", " ")}`);
  }
}
