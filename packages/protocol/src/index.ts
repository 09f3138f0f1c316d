export { issueMwt, MWT_MAX_TOKEN_LEN, MWT_VERSION } from "./issue-mwt";
export { verifyMwt } from "./verify-mwt";
export { MwtKeys, type MwtKeyOptions, MWT_DEFAULT_LEEWAY, MWT_DEFAULT_LIFETIME, MWT_MIN_SECRET_LEN, unixNow } from "./mwt-keys";
export { type MwtClaims, normalizeMwtClaims } from "./mwt-claims";
export { MwtError, type MwtErrorKind } from "./mwt-error";
export { MwtIssueError, type MwtIssueErrorKind } from "./mwt-issue-error";
export { MwtKeyError } from "./mwt-key-error";
export {
  MWT_COOKIE,
  MWT_HEADER,
  MWT_ROLE_STAFF,
  MWT_ROLE_SUPERUSER,
  mwtClearCookie,
  mwtSetCookie,
  presentedMwt,
  refreshMwt,
  type MwtRefresh,
} from "./mwt-transport";
export { cacheKey, cacheKeyEncoding, type CacheKeyInput, type CacheScope } from "./cache-key";
export { canonicalQuery } from "./canonical-query";
