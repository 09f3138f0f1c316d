/** Why claims could not become a token (spec/MWT.md §3), as spec/vectors/mwt.json spells it. */
export type MwtIssueErrorKind = "invalid_claims" | "too_large";

/** Claims outside their ranges (`invalid_claims`), or a token longer than 4000 bytes (`too_large`). */
export class MwtIssueError extends Error {
  override readonly name = "MwtIssueError";

  constructor(
    readonly kind: MwtIssueErrorKind,
    detail: string,
  ) {
    super(`MWT not issued: ${detail}`);
  }
}
