// Form submission to view-path routes (progressive enhancement). A standalone function rather
// than a client method: an application that submits no forms does not ship it (it is not part
// of the kernel's budget).
import type { MizanClient } from "./client";

/** Submit a form to a view-path route through `client`, with X-Mizan-Client; applies
 *  X-Mizan-Invalidate and follows X-Mizan-Redirect through the client's `navigate` option
 *  (after settling, as client.call() does). A form without files is sent as
 *  application/x-www-form-urlencoded (what routes accept), a GET form in the query string. An
 *  error status rejects with a MizanError (fields from the protocol's error body). */
export function submitForm(
  client: MizanClient,
  form: HTMLFormElement | { action: string; method?: string; body: URLSearchParams | FormData },
): Promise<Response> {
  // `"elements" in form` tells a form from the plain object. The attributes are read rather
  // than form.action/form.method, which a control named "action" or "method" shadows.
  const given =
    "elements" in form
      ? { action: form.getAttribute("action") ?? location.href, method: form.getAttribute("method"), body: new FormData(form) }
      : form;
  let { action, body } = given;
  const method = (given.method || "GET").toUpperCase();
  // (a URLSearchParams is copied)
  if ([...body.values()].every((v) => typeof v == "string")) body = new URLSearchParams(body as unknown as string[][]);
  const get = method == "GET";
  if (get) action = action.replace(/[?#].*/, "") + "?" + body;
  return client.post_(action, { method, body: get ? null : body }, true, "route:" + action) as Promise<Response>;
}
