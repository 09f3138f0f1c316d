import { MwtIssueError } from "./mwt-issue-error";

/**
 * What an MWT says about its holder (spec/MWT.md §3): a cache scope, never a credential.
 * Verified claims have a non-empty `sub`, `roles` sorted in UTF-16 code-unit order without
 * duplicates or empty strings, and an integer `exp` (seconds since the Unix epoch) within
 * 0…2^53 − 1.
 */
export interface MwtClaims {
  /** The subject: the identity's stable id (an opaque key, never an email address). */
  readonly sub: string;
  /** The role set. */
  readonly roles: readonly string[];
  /** The expiry, seconds since the Unix epoch. */
  readonly exp: number;
}

/** Strings with a lone surrogate have no UTF-8 form and no canonical JSON. */
const LONE_SURROGATE = /\p{Cs}/u;

const validString = (s: unknown): s is string => typeof s === "string" && s !== "" && !LONE_SURROGATE.test(s);

/**
 * Claims with their roles sorted (UTF-16 code units, as `Array.prototype.sort` compares) and
 * deduplicated; throws `MwtIssueError("invalid_claims")` for an empty `sub`, an empty role, a
 * lone surrogate or an `exp` that is not an integer within 0…2^53 − 1.
 */
export function normalizeMwtClaims(claims: MwtClaims): MwtClaims {
  const { sub, roles, exp } = claims;
  if (!validString(sub)) throw new MwtIssueError("invalid_claims", "`sub` is empty or not a string");
  if (!Array.isArray(roles) || !roles.every(validString)) {
    throw new MwtIssueError("invalid_claims", "a role is empty or not a string");
  }
  if (!Number.isSafeInteger(exp) || exp < 0) {
    throw new MwtIssueError("invalid_claims", "`exp` is not an integer within 0…2^53 - 1");
  }
  return { sub, roles: [...new Set(roles)].sort(), exp };
}

/** The payload text: canonical JSON (spec/PROTOCOL.md §3) of normalized claims. */
export const mwtPayload = ({ sub, roles, exp }: MwtClaims): string =>
  // JSON.stringify writes strings exactly as canonical JSON does; exp is a plain integer.
  `{"exp":${exp},"roles":${JSON.stringify(roles)},"sub":${JSON.stringify(sub)}}`;
