// Unpadded base64url (RFC 4648 §5), strict: the decoder accepts only the one spelling the
// encoder writes (no padding, no other alphabet, zero spare bits), so a token has one form.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Map([...ALPHABET].map((c, i) => [c.charCodeAt(0), i]));

/** Unpadded base64url of `bytes`. */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 4) / 3));
    for (let j = 0; j < chars; j++) out += ALPHABET[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

/** The bytes of canonical unpadded base64url `text`, or `undefined` when it is not that. */
export function decodeBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const v = VALUES.get(text.charCodeAt(i));
    if (v === undefined) return undefined;
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  // The spare bits of the last character must be zero.
  return (acc & ((1 << bits) - 1)) === 0 ? out : undefined;
}

/** Whether `text` is non-empty and only of the base64url alphabet. */
export const isBase64url = (text: string): boolean => /^[A-Za-z0-9_-]+$/.test(text);
