// A dependency-free JavaScript reference for the canonical forms of spec/PROTOCOL.md, run
// against every vector file in this folder:
//
//     node spec/vectors/reference.mjs
//
// It is the JavaScript side of the cross-check: the Rust implementation passes the same
// vectors (crates/mizan/tests/vectors.rs), so the two agree byte for byte. A TypeScript
// backend or client may copy these functions.

import { createHmac, timingSafeEqual } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------- canonical JSON (RFC 8785)

/** Code-unit order, as Array.prototype.sort() compares strings by default. */
const byCodeUnits = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** RFC 8785 canonical JSON of a parsed JSON value. */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort(byCodeUnits);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new Error("not a finite number");
  }
  // JSON.stringify writes numbers with Number.prototype.toString (-0 as 0) and escapes
  // strings exactly as RFC 8785 requires.
  return JSON.stringify(value);
}

/** JSON.parse, refusing what has no canonical form: non-finite numbers, lone surrogates. */
/** The first integer literal (outside strings) that `JSON.parse` rounds, if any (§4.2). */
const inexactInteger = (text) =>
  text
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .match(/(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g)
    ?.find((t) => BigInt(t) !== BigInt(Number(t)));

export function parseJson(text) {
  const value = JSON.parse(text);
  if (inexactInteger(text)) throw new Error("an integer no double holds exactly");
  const check = (v) => {
    if (typeof v === "number" && !Number.isFinite(v)) throw new Error("number out of range");
    if (typeof v === "string" && !v.isWellFormed()) throw new Error("lone surrogate");
    if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        check(k);
        check(x);
      }
    }
  };
  check(value);
  return value;
}

// ---------------------------------------------------------------- field paths (§10.1)

/** Segments (keys and indices) → the field path of error.fields: '/'-joined, JSON Pointer escapes. */
export const encodeFieldPath = (segments) =>
  segments.map((s) => String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

/** A field path → its segments (indices as decimal strings). */
export const decodeFieldPath = (path) => path.split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));

// ---------------------------------------------------------------- parameters

const dropNulls = (params) =>
  Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null));

/** The canonical query string (no '?'). encodeURIComponent has exactly the protocol's set. */
export function encodeParams(params) {
  return Object.keys(dropNulls(params))
    .sort(byCodeUnits)
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(canonicalJson(params[k]))}`)
    .join("&");
}

export class ParamError extends Error {
  constructor(name, message) {
    super(`parameter \`${name}\` ${message}`);
    this.status = 400;
    this.code = "bad_request";
    this.fields = { [name]: [this.message] };
  }
}

/** Parses any application/x-www-form-urlencoded query; every value must be JSON. */
export function decodeParams(query) {
  const out = {};
  const seen = new Set();
  for (const [name, raw] of new URLSearchParams(query)) {
    if (seen.has(name)) throw new ParamError(name, "appears more than once");
    seen.add(name);
    let value;
    try {
      value = parseJson(raw);
    } catch (e) {
      throw new ParamError(name, `is not JSON (${e.message})`);
    }
    if (value !== null) out[name] = value;
  }
  return out;
}

/** Whether an instance with `instance` params is hit by an invalidation scoped to `scope`:
 *  unless it holds a scope key with a different value (a key it lacks is a hit). */
export function matches(scope, instance) {
  const inst = dropNulls(instance);
  return Object.entries(dropNulls(scope)).every(
    ([k, v]) => !Object.hasOwn(inst, k) || canonicalJson(inst[k]) === canonicalJson(v),
  );
}

// ---------------------------------------------------------------- invalidations

const itemText = (item) =>
  typeof item === "string"
    ? item
    : canonicalJson({ context: item.context, params: dropNulls(item.params) });

/** The X-Mizan-Invalidate value of a list, or null when it is empty. */
export function encodeHeader(list) {
  return list.length === 0 ? null : list.map((i) => encodeURIComponent(itemText(i))).join(", ");
}

/** WHATWG percent-decode (malformed escapes stay literal), then strict UTF-8. */
function percentDecode(text) {
  const bytes = [];
  const raw = new TextEncoder().encode(text);
  for (let i = 0; i < raw.length; i++) {
    const hex = String.fromCharCode(raw[i + 1] ?? 0, raw[i + 2] ?? 0);
    if (raw[i] === 0x25 && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(raw[i]);
    }
  }
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
    new Uint8Array(bytes),
  );
}

/** Decodes the values of every X-Mizan-Invalidate field of a response into one list. */
export function decodeHeaders(fields) {
  const out = [];
  for (const field of fields) {
    for (const piece of field.split(",")) {
      const item = piece.replace(/^[ \t]+|[ \t]+$/g, "");
      if (item === "") continue;
      const text = percentDecode(item);
      if (!text.startsWith("{")) {
        out.push(text);
        continue;
      }
      // plain JSON: §4.2's stricter checks are for parameters a server decodes (§7.4)
      const { context, params } = JSON.parse(text);
      if (typeof context !== "string" || params === null || typeof params !== "object" || Array.isArray(params)) {
        throw new Error(`invalid X-Mizan-Invalidate item: ${text}`);
      }
      out.push({ context, params: dropNulls(params) });
    }
  }
  return out;
}

/** Removes duplicates and scoped entries covered by an unscoped one; first-occurrence order. */
export function normalize(list) {
  const whole = new Set(list.filter((i) => typeof i === "string"));
  const seen = new Set();
  return list.filter((i) => {
    if (typeof i !== "string" && whole.has(i.context)) return false;
    const key = encodeURIComponent(itemText(i));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const same = (a, b) => canonicalJson(a) === canonicalJson(b);

// ---------------------------------------------------------------- MWT (spec/MWT.md)

export const MWT_MAX_TOKEN_LEN = 4000;
const MWT_MAX_EXP = Number.MAX_SAFE_INTEGER;
const KID = /^[A-Za-z0-9_-]{1,32}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

export class MwtError extends Error {
  /** kind: malformed | unknown_key | bad_signature | expired (verify); invalid_claims | too_large (issue). */
  constructor(kind) {
    super(`MWT: ${kind}`);
    this.kind = kind;
  }
}

/** Unpadded base64url that is the one encoding of its bytes (no padding, zero trailing bits). */
function base64urlDecode(text) {
  const bytes = Buffer.from(text, "base64url");
  if (!B64URL.test(text) || bytes.toString("base64url") !== text) throw new MwtError("malformed");
  return bytes;
}

const mac = (secret, text) => createHmac("sha256", secret).update(text, "latin1").digest();

/** Claims with roles sorted by UTF-16 code units and deduplicated; invalid claims throw. */
export function mwtClaims({ sub, roles, exp }) {
  const ok =
    typeof sub === "string" && sub !== "" && sub.isWellFormed() &&
    Array.isArray(roles) && roles.every((r) => typeof r === "string" && r !== "" && r.isWellFormed()) &&
    Number.isSafeInteger(exp) && exp >= 0 && exp <= MWT_MAX_EXP;
  if (!ok) throw new MwtError("invalid_claims");
  return { sub, roles: [...new Set(roles)].sort(byCodeUnits), exp };
}

/** keys: { signing: kid, secrets: { kid: Buffer } }. */
export function issueMwt(claims, keys) {
  const { sub, roles, exp } = mwtClaims(claims);
  const payload = Buffer.from(canonicalJson({ exp, roles, sub }), "utf8").toString("base64url");
  const signed = `mwt1.${keys.signing}.${payload}`;
  const token = `${signed}.${mac(keys.secrets[keys.signing], signed).toString("base64url")}`;
  if (token.length > MWT_MAX_TOKEN_LEN) throw new MwtError("too_large");
  return token;
}

/** The claims of a token, or a thrown MwtError; the steps of spec/MWT.md §5 in order. */
export function verifyMwt(token, keys, now, leeway) {
  const malformed = () => new MwtError("malformed");
  if (token.length > MWT_MAX_TOKEN_LEN) throw malformed();
  const parts = token.split(".");
  if (parts.length !== 4) throw malformed();
  const [version, kid, payload, tag] = parts;
  if (version !== "mwt1" || !KID.test(kid) || !B64URL.test(payload) || tag.length !== 43) throw malformed();
  const expected = base64urlDecode(tag);
  if (!Object.hasOwn(keys.secrets, kid)) throw new MwtError("unknown_key");
  const actual = mac(keys.secrets[kid], `${version}.${kid}.${payload}`);
  if (!timingSafeEqual(actual, expected)) throw new MwtError("bad_signature");
  let text;
  let value;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(base64urlDecode(payload));
    value = JSON.parse(text);
  } catch {
    throw malformed();
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw malformed();
  const keysOf = Object.keys(value).sort();
  if (keysOf.join(",") !== "exp,roles,sub") throw malformed();
  let claims;
  try {
    claims = mwtClaims(value);
  } catch {
    throw malformed();
  }
  if (!same(claims.roles, value.roles) || canonicalJson(value) !== text) throw malformed();
  if (now - claims.exp >= leeway) throw new MwtError("expired");
  return claims;
}

// ---------------------------------------------------------------- cache keys (spec/CACHE_KEYING.md)

/** The scope field: "public", "anonymous", or "user:" + the identity's id. */
const scopeText = (scope) => (typeof scope === "string" ? scope : `user:${scope.user}`);

/** The revs field: name=rev pairs sorted by name, joined by "&". */
const revsText = (revs) =>
  Object.keys(revs)
    .sort(byCodeUnits)
    .map((name) => `${name}=${revs[name]}`)
    .join("&");

/** The canonical encoding: five fields, each a u32 big-endian byte length and UTF-8 bytes. */
export function cacheKeyEncoding({ version, name, revs, params, scope }) {
  const fields = [String(version), name, revsText(revs), encodeParams(params), scopeText(scope)];
  return Buffer.concat(
    fields.flatMap((text) => {
      const bytes = Buffer.from(text, "utf8");
      const len = Buffer.alloc(4);
      len.writeUInt32BE(bytes.length);
      return [len, bytes];
    }),
  );
}

/** The cache key: lowercase hex of HMAC-SHA256(secret, encoding). */
export const cacheKey = (secret, input) =>
  createHmac("sha256", secret).update(cacheKeyEncoding(input)).digest("hex");

// ---------------------------------------------------------------- the vectors

/** Checks one MWT vector against the file's keys, now and leeway. */
function checkMwt(v, file) {
  const secrets = Object.fromEntries(
    Object.entries(file.keys).map(([kid, hex]) => [kid, Buffer.from(hex, "hex")]),
  );
  const attempt = (f) => {
    try {
      return { value: f() };
    } catch (e) {
      if (!(e instanceof MwtError)) throw e;
      return { error: e.kind };
    }
  };
  if (v.issue) {
    const issued = attempt(() => issueMwt(v.issue.claims, { signing: v.issue.kid, secrets }));
    if (v.token === undefined) return issued.error === v.error;
    if (issued.value !== v.token) return false;
  }
  const verified = attempt(() => verifyMwt(v.token, { secrets }, file.now, file.leeway));
  return v.claims ? verified.value !== undefined && same(verified.value, v.claims) : verified.error === v.error;
}

const checks = {
  mwt: checkMwt,
  "cache-key": (v, file) =>
    cacheKeyEncoding(v.input).toString("hex") === v.encoding &&
    cacheKey(Buffer.from(file.secret, "hex"), v.input) === v.key,
  "field-path": (v) =>
    encodeFieldPath(v.segments) === v.path && same(decodeFieldPath(v.path), v.segments.map(String)),
  "canonical-json": (v) => canonicalJson(v.value) === v.canonical,
  "params-encode": (v) => encodeParams(v.params) === v.query,
  "params-decode": (v) => {
    let params;
    try {
      params = decodeParams(v.query);
    } catch (e) {
      if (!(e instanceof ParamError) || !v.error) return false;
      return (
        e.status === v.error.status &&
        e.code === v.error.code &&
        same(Object.keys(e.fields), v.error.fields)
      );
    }
    return !v.error && same(params, v.params) && encodeParams(params) === v.canonical;
  },
  "invalidation-match": (v) => matches(v.scope, v.instance) === v.hit,
  normalize: (v) => same(normalize(v.list), v.normalized),
  "invalidate-header": (v) => {
    if (v.fields === undefined) {
      return encodeHeader(v.list) === v.header && same(decodeHeaders(v.header === null ? [] : [v.header]), v.list);
    }
    try {
      const list = decodeHeaders(v.fields);
      return !v.error && same(list, v.list);
    } catch {
      return v.error === true;
    }
  },
  "ws-messages": (v) => {
    try {
      const message = parseWsMessage(v.text);
      return !v.error && same(message, v.message);
    } catch (e) {
      return !!v.error && e.id === v.error.id && e.code === v.error.code && e.field === v.error.field;
    }
  },
};

// ---------------------------------------------------------------- WebSocket messages (§17.2)

/** Whether JSON text names a key twice in one object, at any depth (a small tokenizer). */
function duplicateKey(text) {
  const stack = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const str = JSON.parse(text.slice(i, j + 1));
      const top = stack[stack.length - 1];
      if (top instanceof Set && expectKey) {
        if (top.has(str)) return true;
        top.add(str);
        expectKey = false;
      }
      i = j;
    } else if (c === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      stack.push("array");
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return false;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MEMBERS = {
  subscribe: ["context", "params", "channel"],
  unsubscribe: [],
  call: ["fn", "args"],
  publish: ["channel", "payload"],
  ping: [],
};

/** A client's WebSocket message → the request (params/args defaulted to {}), or throws
 *  {id, code, field} as the server answers. */
export function parseWsMessage(text) {
  const fail = (id, field) => {
    throw { id, code: "bad_request", field };
  };
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    fail(null, null);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || duplicateKey(text)) fail(null, null);
  const { type, id, ...rest } = value;
  if (typeof type !== "string") fail(null, "type");
  const idOk = typeof id === "string" && id.length > 0 && new TextEncoder().encode(id).length <= 64;
  if (!idOk && !(type === "ping" && id === undefined)) fail(null, "id");
  if (!(type in MEMBERS)) fail(id, "type");
  const out = { type };
  if (id !== undefined) out.id = id;
  const name = (key) => {
    if (rest[key] === undefined) return undefined;
    if (typeof rest[key] !== "string" || !NAME.test(rest[key])) fail(id, key);
    return rest[key];
  };
  const object = (key) => {
    const v = rest[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== "object" || Array.isArray(v)) fail(id, key);
    return v;
  };
  const used = [];
  if (type === "subscribe") {
    const context = name("context");
    const channel = name("channel");
    if ((context === undefined) === (channel === undefined)) fail(id, null);
    if (context !== undefined) {
      out.context = context;
      out.params = object("params");
      used.push("context", "params");
    } else {
      out.channel = channel;
      used.push("channel");
    }
  } else if (type === "call") {
    out.fn = name("fn") ?? fail(id, "fn");
    out.args = object("args");
    used.push("fn", "args");
  } else if (type === "publish") {
    out.channel = name("channel") ?? fail(id, "channel");
    if (!("payload" in rest)) fail(id, "payload");
    out.payload = rest.payload;
    used.push("channel", "payload");
  }
  const extra = Object.keys(rest).find((k) => !used.includes(k));
  if (extra !== undefined) fail(id, extra);
  return out;
}
// ---------------------------------------------------------------- SSR (spec/SSR.md)

/** One frame of the SSR worker socket (§2): lengths, the JSON part (canonical JSON: compact,
 *  members sorted), the blob. */
export function encodeSsrFrame(message, blob) {
  const json = Buffer.from(canonicalJson(message), "utf8");
  const body = Buffer.from(blob, "utf8");
  const header = Buffer.alloc(8);
  header.writeUInt32BE(json.length, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, json, body]);
}

/** The one frame in `bytes`: `{message, blob}`, or throws its error kind. */
export function decodeSsrFrame(bytes) {
  if (bytes.length < 8) throw new Error("closed");
  const jsonLength = bytes.readUInt32BE(0);
  const blobLength = bytes.readUInt32BE(4);
  if (jsonLength > 16 * 1024 * 1024 || blobLength > 256 * 1024 * 1024) throw new Error("too_large");
  if (bytes.length < 8 + jsonLength + blobLength) throw new Error("closed");
  let message;
  try {
    message = JSON.parse(bytes.subarray(8, 8 + jsonLength).toString("utf8"));
  } catch {
    throw new Error("not_json");
  }
  if (message === null || typeof message != "object" || Array.isArray(message)) throw new Error("not_json");
  return { message, blob: bytes.subarray(8 + jsonLength, 8 + jsonLength + blobLength).toString("utf8") };
}

/** The page data script of a server-rendered page (§4). */
export const pageDataScript = (data) =>
  `<script id="mizan-data" type="application/json">${canonicalJson(data).replace(/</g, "\\u003c")}</script>`;

checks["ssr-frame"] = (v) => {
  const bytes = Buffer.from(v.hex, "hex");
  if (v.error) {
    try {
      decodeSsrFrame(bytes);
      return false;
    } catch (e) {
      return e.message === v.error;
    }
  }
  const decoded = decodeSsrFrame(bytes);
  return encodeSsrFrame(v.message, v.blob).toString("hex") === v.hex && same(decoded.message, v.message) && decoded.blob === v.blob;
};

checks["page-data"] = (v) => {
  const script = pageDataScript(v.data);
  const inner = script.slice(script.indexOf(">") + 1, -"</script>".length);
  return script === v.script && same(JSON.parse(inner), v.data);
};

// ---------------------------------------------------------------- the edge manifest (spec/EDGE_MANIFEST.md)

const ROLE_GUARDS = ["authenticated", "staff", "superuser"];

/** The `{name}` and `{*name}` segments of a route pattern, by name. */
const routeParams = (pattern) =>
  pattern
    .split("/")
    .filter((seg) => seg.startsWith("{") && seg.endsWith("}"))
    .map((seg) => seg.slice(1, -1).replace(/^\*+/, ""));

/** Whose copy a context response is: widen rather than miss (EDGE_MANIFEST.md §3.2). */
function contextScope(ctx, functions) {
  if (functions.some((f) => f === undefined || (f.reads_caller ?? []).length > 0)) return "user";
  if (!ctx.private && !functions.some((f) => f.private || f.auth != null)) return "public";
  const byRoles = functions.length > 0 && functions.every((f) => !f.private && ROLE_GUARDS.includes(f.auth));
  return byRoles ? "roles" : "user";
}

/** The edge manifest of a schema document, with the origin's MWT names (or null). */
export function edgeManifest(doc, mwt) {
  const base = doc.base_path;
  const contexts = {};
  for (const name of Object.keys(doc.contexts).sort(byCodeUnits)) {
    const ctx = doc.contexts[name];
    const functions = ctx.functions.map((f) => doc.functions[f]);
    const revs = {};
    for (const f of [...ctx.functions].sort(byCodeUnits)) {
      if (doc.functions[f]) revs[f] = doc.functions[f].rev;
    }
    contexts[name] = {
      path: `${base}/ctx/${name}/`,
      params: Object.keys(ctx.params).sort(byCodeUnits),
      ttl: ctx.cache,
      scope: contextScope(ctx, functions),
      revs,
      content_type: "application/json",
    };
  }
  const names = Object.keys(doc.functions).sort(byCodeUnits);
  const routes = [];
  for (const name of names) {
    const f = doc.functions[name];
    if (f.kind !== "query" || f.path !== "view" || !f.route || f.cache == null) continue;
    if (!f.route.methods.includes("GET")) continue;
    const context = f.context ?? name;
    if (!contexts[context]) continue;
    const inPath = routeParams(f.route.path);
    routes.push({
      function: name,
      context,
      pattern: f.route.path,
      params: Object.keys(f.args.properties ?? {}).filter((p) => !inPath.includes(p)).sort(byCodeUnits),
      ttl: f.cache,
      scope: contexts[context].scope,
      rev: f.rev,
      content_type: "text/html",
    });
  }
  const purges = {};
  for (const name of names) {
    const f = doc.functions[name];
    if (!(f.kind === "mutation" || (f.path === "view" && f.route))) continue;
    const targets = f.affects
      .map((t) => {
        if (doc.contexts[t]) return t;
        const g = doc.functions[t];
        return g && g.kind === "query" && g.context && doc.contexts[g.context] ? g.context : null;
      })
      .filter((t) => t !== null);
    const affected = [...new Set(targets)].sort(byCodeUnits);
    purges[name] = {
      route: f.route ? { pattern: f.route.path, methods: [...new Set(f.route.methods)].sort(byCodeUnits) } : null,
      contexts: affected,
      routes: [...new Set(routes.filter((r) => affected.includes(r.context)).map((r) => r.pattern))].sort(byCodeUnits),
    };
  }
  return {
    format: "mizan-edge-manifest",
    version: 1,
    protocol: doc.protocol,
    base_path: base,
    credentials: { session_cookie: doc.auth?.session_cookie ?? null, bearer: doc.auth?.bearer ?? false },
    mwt: mwt ?? null,
    contexts,
    routes,
    purges,
  };
}

checks["edge-manifest"] = (v) => same(edgeManifest(v.schema, v.mwt), v.manifest);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = dirname(fileURLToPath(import.meta.url));
  let passed = 0;
  let failed = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".json") && n !== "vectors.schema.json").sort()) {
    const file = JSON.parse(readFileSync(join(dir, name), "utf8"));
    const check = checks[file.feature];
    if (!check) throw new Error(`${name}: unknown feature ${file.feature}`);
    for (const v of file.vectors) {
      let ok;
      try {
        ok = check(v, file);
      } catch (e) {
        ok = false;
        v.thrown = String(e);
      }
      if (ok) {
        passed++;
      } else {
        failed++;
        console.log(`FAIL ${name}: ${v.description}${v.thrown ? ` (${v.thrown})` : ""}`);
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}
