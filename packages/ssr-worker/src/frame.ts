/// <reference types="node" />
// The frames of the SSR socket (spec/SSR.md): an 8-byte header — the JSON part's length and
// the blob's length, unsigned 32-bit big-endian — then a JSON-RPC 2.0 message (UTF-8) and the
// blob (a render's HTML, raw UTF-8: a large page is never escaped into a JSON string).

/** The largest JSON part and blob a peer accepts; anything larger is a broken stream. */
export const MAX_JSON = 16 * 1024 * 1024;
export const MAX_BLOB = 256 * 1024 * 1024;

export interface Frame {
  message: Record<string, unknown>;
  blob: Buffer;
}

/** One frame's bytes. */
export function encodeFrame(message: object, blob: string | Buffer = ""): Buffer {
  const json = Buffer.from(JSON.stringify(message), "utf8");
  const body = typeof blob == "string" ? Buffer.from(blob, "utf8") : blob;
  const header = Buffer.alloc(8);
  header.writeUInt32BE(json.length, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, json, body]);
}

/** Splits a byte stream into frames: `push` each chunk as it arrives, get the complete frames
 *  back. Throws on a frame that cannot be one (too large, JSON that is not an object). */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered.length < 8) return frames;
      const jsonLength = this.buffered.readUInt32BE(0);
      const blobLength = this.buffered.readUInt32BE(4);
      if (jsonLength > MAX_JSON || blobLength > MAX_BLOB) throw new Error(`a frame of ${jsonLength} + ${blobLength} bytes is over the limit`);
      const end = 8 + jsonLength + blobLength;
      if (this.buffered.length < end) return frames;
      const message: unknown = JSON.parse(this.buffered.subarray(8, 8 + jsonLength).toString("utf8"));
      if (!message || typeof message != "object" || Array.isArray(message)) throw new Error("a frame's JSON part is not an object");
      frames.push({ message: message as Record<string, unknown>, blob: this.buffered.subarray(8 + jsonLength, end) });
      this.buffered = this.buffered.subarray(end);
    }
  }
}
