/** Every failure the client reports: a protocol error (PROTOCOL.md §10, any `code` string),
 *  or one of the client's own codes:
 *
 *  - `"network"` (status 0): the request did not complete (offline, DNS, CORS, a throwing
 *    `headers` hook);
 *  - `"aborted"` (status 0): the request's signal was aborted (GC of an entry, a caller's
 *    `signal`);
 *  - `"http"` (the response's status): a response that is not a Mizan answer, e.g. a proxy's
 *    HTML 502 page or a 200 whose body is not JSON. */
export class MizanError extends Error {
  /** protocol code, or "network" / "aborted" / "http" */
  declare readonly code: string;
  /** HTTP status, 0 when there was no response */
  declare readonly status: number;
  /** field path → messages (`title`, `items[0].name`); `{}` when the error names none */
  declare readonly fields: Record<string, string[]>;

  constructor(code: string, message: string = code, status = 0, fields: Record<string, string[]> = {}) {
    super(message);
    Object.assign(this, { name: "MizanError", code, status, fields });
  }

  /** The error of a response with this status and (parsed JSON, or undefined) body: the
   *  protocol's `{"error": {code, message, fields}}`, else code `"http"`. */
  static fromBody(status: number, body: unknown): MizanError {
    const e = (body as { error?: { code?: unknown; message?: unknown; fields?: unknown } } | null)?.error;
    return typeof e?.code == "string"
      ? new this(
          e.code,
          typeof e.message == "string" ? e.message : e.code,
          status,
          (e.fields && typeof e.fields == "object" ? e.fields : {}) as Record<string, string[]>,
        )
      : new this("http", "HTTP " + status, status);
  }
}
