import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../base64url";
import {
  issueMwt,
  MWT_MAX_TOKEN_LEN,
  MwtError,
  MwtIssueError,
  MwtKeyError,
  MwtKeys,
  mwtClearCookie,
  mwtSetCookie,
  presentedMwt,
  refreshMwt,
  verifyMwt,
} from "../index";

const secret = (byte: number, length = 32) => new Uint8Array(length).fill(byte);
const kind = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (e: unknown) => (e instanceof MwtError || e instanceof MwtIssueError ? e.kind : String(e)),
  );

describe("base64url", () => {
  it("round-trips every length and refuses other spellings", () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const text = encodeBase64url(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64url"));
      expect(decodeBase64url(text)).toEqual(bytes);
    }
    expect(decodeBase64url("AQ")).toEqual(Uint8Array.of(1));
    for (const bad of ["AR", "AQ==", "A", "AQ=", "+w", "/w", "AQ A"]) expect(decodeBase64url(bad)).toBeUndefined();
  });
});

describe("MwtKeys", () => {
  it("checks key ids, secrets and the signing key id", async () => {
    await expect(MwtKeys.create("k1", { k1: secret(1) })).resolves.toBeInstanceOf(MwtKeys);
    for (const kid of ["", "k.1", "é", "k+1", "k".repeat(33)]) {
      await expect(MwtKeys.create(kid, { [kid]: secret(1) })).rejects.toBeInstanceOf(MwtKeyError);
    }
    await expect(MwtKeys.create("k1", { k1: secret(1, 31) })).rejects.toThrow(/shorter than 32 bytes/);
    await expect(MwtKeys.create("k2", { k1: secret(1) })).rejects.toThrow(/has no secret/);
    await expect(MwtKeys.create("k1", { k1: secret(1) }, { leeway: -1 })).rejects.toBeInstanceOf(MwtKeyError);
    const keys = await MwtKeys.create("k1", new Map([["k1", secret(1)], ["k0", secret(2)]]), { leeway: 5, lifetime: 90 });
    expect([keys.kids, keys.signingKid, keys.leeway, keys.lifetime]).toEqual([["k0", "k1"], "k1", 5, 90]);
    expect(keys.claimsFor("u", ["b", "a", "b"], 1000)).toEqual({ sub: "u", roles: ["a", "b"], exp: 1090 });
  });

  it("looks key ids up as own entries only", async () => {
    const keys = await MwtKeys.create("k1", { k1: secret(1) });
    const token = await issueMwt({ sub: "u", roles: [], exp: 100 }, keys);
    for (const kid of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      await expect(kind(verifyMwt(token.replace(".k1.", `.${kid}.`), keys, 0))).resolves.toBe("unknown_key");
    }
  });
});

describe("issue and verify", () => {
  it("agree with each other and with the leeway", async () => {
    const keys = await MwtKeys.create("k1", { k1: secret(1) }, { leeway: 60 });
    const token = await issueMwt({ sub: "42", roles: ["editor", "admin"], exp: 1000 }, keys);
    const claims = { sub: "42", roles: ["admin", "editor"], exp: 1000 };
    expect(token.startsWith("mwt1.k1.eyJleHAiOjEwMDAsInJvbGVzIjpbImFkbWluIiwiZWRpdG9yIl0sInN1YiI6IjQyIn0.")).toBe(true);
    await expect(verifyMwt(token, keys, 1059)).resolves.toEqual(claims);
    await expect(kind(verifyMwt(token, keys, 1060))).resolves.toBe("expired");
    const now = Math.floor(Date.now() / 1000);
    const fresh = await issueMwt({ sub: "42", roles: [], exp: now + 10 }, keys);
    await expect(verifyMwt(fresh, keys)).resolves.toEqual({ sub: "42", roles: [], exp: now + 10 });
  });

  it("refuses every single-bit flip of a token", async () => {
    const keys = await MwtKeys.create("k1", { k1: secret(1) });
    const token = await issueMwt({ sub: "42", roles: ["admin"], exp: 1000 }, keys);
    const results = new Set<string>();
    for (let i = 0; i < token.length; i++) {
      for (let bit = 0; bit < 7; bit++) {
        const flipped = token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ (1 << bit)) + token.slice(i + 1);
        const result = await kind(verifyMwt(flipped, keys, 0));
        expect(result, `char ${i} bit ${bit}`).not.toBe("ok");
        results.add(result);
      }
    }
    expect([...results].sort()).toEqual(["bad_signature", "malformed", "unknown_key"]);
  });

  it("refuses invalid claims and tokens over the limit at issue", async () => {
    const keys = await MwtKeys.create("k1", { k1: secret(1) });
    for (const claims of [
      { sub: "", roles: [], exp: 1 },
      { sub: "u", roles: [""], exp: 1 },
      { sub: "u", roles: [], exp: 1.5 },
      { sub: "u", roles: [], exp: -1 },
      { sub: "\ud800", roles: [], exp: 1 },
      { sub: "u", roles: [7 as unknown as string], exp: 1 },
    ]) {
      await expect(kind(issueMwt(claims, keys))).resolves.toBe("invalid_claims");
    }
    const roles = Array.from({ length: 400 }, (_, i) => `role-${i}`);
    await expect(kind(issueMwt({ sub: "u", roles, exp: 1 }, keys))).resolves.toBe("too_large");
    await expect(kind(verifyMwt("A".repeat(MWT_MAX_TOKEN_LEN + 1), keys, 0))).resolves.toBe("malformed");
  });
});

describe("transport", () => {
  it("writes the cookie", () => {
    expect(mwtSetCookie("mwt1.k.e.m", 300)).toBe("mizan-mwt=mwt1.k.e.m; Path=/; Max-Age=300; HttpOnly; Secure; SameSite=Lax");
    expect(mwtClearCookie(false)).toBe("mizan-mwt=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  });

  it("finds the presented token: the header wins, ambiguity presents none", () => {
    expect(presentedMwt([], [])).toBeUndefined();
    expect(presentedMwt(["h"], ["mizan-mwt=c"])).toBe("h");
    expect(presentedMwt(["h", "i"], ["mizan-mwt=c"])).toBeUndefined();
    expect(presentedMwt([], ["a=1; mizan-mwt=c ;b=2"])).toBe("c");
    expect(presentedMwt([], ["a=1", "mizan-mwt=c"])).toBe("c");
    expect(presentedMwt([], ["mizan-mwt=c; mizan-mwt=d"])).toBeUndefined();
    expect(presentedMwt([], ["mizan-mwt=c", "mizan-mwt=d"])).toBeUndefined();
    expect(presentedMwt([], ["x-mizan-mwt=c; mizan-mwtx=d"])).toBeUndefined();
  });

  it("keeps, issues or clears", async () => {
    const keys = await MwtKeys.create("k1", { k1: secret(1) }, { lifetime: 300 });
    const now = 10_000;
    const alice = { sub: "alice", roles: ["a"] };
    const token = await issueMwt(keys.claimsFor("alice", ["a"], now), keys);
    await expect(refreshMwt(undefined, undefined, keys, now)).resolves.toEqual({ action: "keep" });
    await expect(refreshMwt(token, undefined, keys, now)).resolves.toEqual({ action: "clear" });
    await expect(refreshMwt("junk", undefined, keys, now)).resolves.toEqual({ action: "clear" });
    await expect(refreshMwt(token, alice, keys, now)).resolves.toEqual({ action: "keep" });
    await expect(refreshMwt(token, alice, keys, now + 150)).resolves.toEqual({ action: "keep" });
    await expect(refreshMwt(token, alice, keys, now + 151)).resolves.toEqual({
      action: "issue",
      claims: { sub: "alice", roles: ["a"], exp: now + 451 },
    });
    const bob = { sub: "bob", roles: ["a"] };
    const forBob = { action: "issue", claims: { ...bob, exp: now + 300 } };
    await expect(refreshMwt(token, bob, keys, now)).resolves.toEqual(forBob);
    await expect(refreshMwt(undefined, bob, keys, now)).resolves.toEqual(forBob);
    await expect(refreshMwt("junk", bob, keys, now)).resolves.toEqual(forBob);
    await expect(refreshMwt(token, { sub: "alice", roles: ["b", "a"] }, keys, now)).resolves.toEqual({
      action: "issue",
      claims: { sub: "alice", roles: ["a", "b"], exp: now + 300 },
    });
  });
});
