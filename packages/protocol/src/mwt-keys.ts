import { type MwtClaims, normalizeMwtClaims } from "./mwt-claims";
import { MwtKeyError } from "./mwt-key-error";

/** The shortest secret accepted, in bytes. */
export const MWT_MIN_SECRET_LEN = 32;
/** Seconds after `exp` a token still verifies, by default. */
export const MWT_DEFAULT_LEEWAY = 60;
/** Seconds an issued token lives, by default: also how long a revoked role may still read its cached entries at the edge. */
export const MWT_DEFAULT_LIFETIME = 300;

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/** Options of {@link MwtKeys.create}. */
export interface MwtKeyOptions {
  /** Seconds after `exp` a token still verifies (default 60). */
  leeway?: number;
  /** Seconds an issued token lives (default 300). */
  lifetime?: number;
}

/**
 * The MWT keys of a deployment (spec/MWT.md §4): every key id that verifies with its secret,
 * the one that signs, the leeway and the lifetime. Secrets are imported as non-extractable
 * Web Crypto keys and not kept as bytes.
 *
 * Rotation: add the new key everywhere first, then make it the signing key, then drop the old
 * one once every token it signed has expired (lifetime plus leeway).
 */
export class MwtKeys {
  private constructor(
    /** The key id that signs. */
    readonly signingKid: string,
    private readonly keys: ReadonlyMap<string, CryptoKey>,
    /** Seconds after `exp` a token still verifies. */
    readonly leeway: number,
    /** Seconds an issued token lives. */
    readonly lifetime: number,
  ) {}

  /**
   * Imports `secrets` (key id → at least 32 random bytes of MWT's own, never the session, JWT
   * or cache secret); `signingKid` must be one of them. Throws {@link MwtKeyError} for a key id
   * outside `[A-Za-z0-9_-]{1,32}`, a short secret, or a signing key id without a secret.
   */
  static async create(
    signingKid: string,
    secrets: Readonly<Record<string, Uint8Array>> | ReadonlyMap<string, Uint8Array>,
    options: MwtKeyOptions = {},
  ): Promise<MwtKeys> {
    const entries = secrets instanceof Map ? [...secrets] : Object.entries(secrets);
    const keys = new Map<string, CryptoKey>();
    for (const [kid, secret] of entries) {
      if (!KID.test(kid)) throw new MwtKeyError(`MWT key id "${kid}" is not 1 to 32 characters of A-Z a-z 0-9 _ -`);
      if (secret.length < MWT_MIN_SECRET_LEN) {
        throw new MwtKeyError(`the MWT secret of key id "${kid}" is shorter than ${MWT_MIN_SECRET_LEN} bytes`);
      }
      const key = await crypto.subtle.importKey("raw", new Uint8Array(secret), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
        "verify",
      ]);
      keys.set(kid, key);
    }
    if (!keys.has(signingKid)) throw new MwtKeyError(`the MWT signing key id "${signingKid}" has no secret`);
    const seconds = (value: number | undefined, fallback: number, what: string) => {
      const s = value ?? fallback;
      if (!Number.isSafeInteger(s) || s < 0) throw new MwtKeyError(`the MWT ${what} is not a whole number of seconds`);
      return s;
    };
    return new MwtKeys(
      signingKid,
      keys,
      seconds(options.leeway, MWT_DEFAULT_LEEWAY, "leeway"),
      seconds(options.lifetime, MWT_DEFAULT_LIFETIME, "lifetime"),
    );
  }

  /** Every key id that verifies, sorted. */
  get kids(): string[] {
    return [...this.keys.keys()].sort();
  }

  /** The Web Crypto key of a key id, if the map has it. @internal */
  key(kid: string): CryptoKey | undefined {
    return this.keys.get(kid);
  }

  /** Claims for `sub` with `roles`, expiring {@link lifetime} seconds after `now` (seconds). */
  claimsFor(sub: string, roles: readonly string[], now: number = unixNow()): MwtClaims {
    return normalizeMwtClaims({ sub, roles, exp: now + this.lifetime });
  }
}

/** The current time in whole seconds since the Unix epoch. */
export const unixNow = (): number => Math.floor(Date.now() / 1000);
