// Calls from a form: JSON through the kernel, or multipart/form-data when a file is among the
// arguments (PROTOCOL.md §6.2), and validate-only calls (§6.1).
import type { MizanClient } from "./client";
import type { CallDescriptor } from "./types";

const isFile = (v: unknown): v is Blob => typeof Blob != "undefined" && v instanceof Blob;

/** Whether an argument (or an element of an array argument) is a file. */
export const hasFile = (args: object): boolean =>
  Object.values(args).some((v) => isFile(v) || (Array.isArray(v) && v.some(isFile)));

/** The arguments as multipart parts: files as files (every element of an array), strings as
 *  they are, other values as JSON; null and undefined are left out (absent). */
export function toFormData(args: object): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(args)) {
    for (const v of Array.isArray(value) && value.some(isFile) ? value : [value]) {
      if (v === undefined || v === null) continue;
      if (isFile(v)) body.append(name, v, (v as File).name ?? "blob");
      else body.append(name, typeof v == "string" ? v : JSON.stringify(v));
    }
  }
  return body;
}

/** POST the arguments to `{base}/call/{fn}/` (with `?validate=1` when `validate`): JSON, or
 *  multipart with X-Mizan-Client when a file is present. Resolves with the parsed body (or,
 *  for a view-path function, the Response); an error status rejects with a MizanError. */
export async function post<A extends object>(
  client: MizanClient,
  c: CallDescriptor<A, unknown>,
  args: A,
  validate: boolean,
  settle?: boolean,
): Promise<unknown> {
  const multipart = hasFile(args);
  // (private members of the same package: one build renames them alike)
  const internal = client as unknown as { options_: { baseUrl?: string } };
  const url = (internal.options_.baseUrl ?? "/api/mizan") + "/call/" + c.fn + "/" + (validate ? "?validate=1" : "");
  const cause = (validate ? "validate:" : "mutation:") + c.fn;
  if (!multipart) {
    if (!validate) return client.call(c, args, { settle });
    return client.post_(url, { method: "POST", body: JSON.stringify(args) }, false, cause, false);
  }
  // X-Mizan-Client (sent on the view path) is what lets a multipart call through (§6.2).
  const res = (await client.post_(url, { method: "POST", body: toFormData(args) }, true, cause, settle)) as Response;
  if (c.view && !validate) return res;
  const body = (await res.json()) as { result?: unknown; invalidate?: [] };
  const done = client.invalidate(body.invalidate ?? [], cause);
  if (settle ?? true) await done;
  return validate ? body : body.result;
}

/** A client whose call() sends multipart when a file is among the arguments: what a form's
 *  MutationObserver calls through, so its state machine, optimistic updates and invalidations
 *  stay the kernel's. */
export function formClient(client: MizanClient): MizanClient {
  return Object.assign(Object.create(client) as MizanClient, {
    call: <A, R>(c: CallDescriptor<A, R>, args: A, options: { settle?: boolean } = {}) =>
      hasFile(args as object)
        ? (post(client, c as CallDescriptor<object, unknown>, args as object, false, options.settle) as Promise<R>)
        : client.call(c, args, options),
    record_: (apply: () => void) => client.record_(apply),
  });
}
