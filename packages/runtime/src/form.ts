// The form core (`@mizan/runtime/form`): a form's state on top of the kernel's
// MutationObserver, framework-free. Adapters bind `subscribe`/`getResult` as they bind the
// other observers. Not part of the kernel's budget: an application without forms never
// loads it.
// The kernel's values come through the package's public entry (external to this entry point's
// build), so the kernel's own bundle stays one file, unchanged by this module.
import { MizanError, MutationObserver } from "@mizan/runtime";
import type { MizanClient } from "./client";
import { checkRules, type FieldRules } from "./field-rules";
import { decodeFieldPath } from "./field-path";
import { formClient, post } from "./form-call";
import type { CallOptions, CallState } from "./mutation-observer";
import type { CallDescriptor } from "./types";

const noop = () => {};

export { encodeFieldPath, decodeFieldPath } from "./field-path";
export { checkRules, type FieldRules } from "./field-rules";
export { hasFile, toFormData } from "./form-call";

export type Errors = Record<string, string[]>;

export interface FormOptions<A extends object, R> extends CallOptions<A, R> {
  /** the values the form starts with (and `reset()` returns to) */
  initial: A;
  /** client-side rules per argument (a generated form hook passes the schema's) */
  rules?: { readonly [K in keyof A]?: FieldRules };
  /** arguments checked on the server as they change (a validate-only call, debounced) */
  validateOn?: readonly (keyof A & string)[];
  /** the debounce of `validateOn`, in ms (default 300) */
  debounce?: number;
}

export interface FormState<A extends object, R> {
  values: A;
  initial: A;
  /** per argument: it differs from its initial value */
  dirty: { [K in keyof A]?: boolean };
  isDirty: boolean;
  /** per field path: the user has left it (`blur`) or the form was submitted */
  touched: Record<string, boolean>;
  /** per field path: the client's and the server's messages */
  errors: Errors;
  /** messages about the form as a whole (an error without fields: 403, 409, network…) */
  formErrors: string[];
  /** no known error */
  isValid: boolean;
  /** a submission is in flight */
  submitting: boolean;
  /** field paths with a server validation in flight */
  validating: Record<string, boolean>;
  /** the call's own state (status, result, error) */
  call: CallState<A, R>;
}

const equal = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** `value` with the member at `path` replaced (copies along the path, never mutates). */
function setAt(value: unknown, path: string[], to: unknown): unknown {
  if (!path.length) return to;
  const [head, ...rest] = path as [string, ...string[]];
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[head] = setAt(copy[head], rest, to);
  return copy;
}

/** The member at `path`, or undefined. */
const getAt = (value: unknown, path: string[]): unknown =>
  path.reduce<any>((v, k) => (v == null ? undefined : v[k]), value);

/** Whether `path` is `prefix` or below it (`items/2/qty` is below `items`). */
const under = (path: string, prefix: string) => path == prefix || path.startsWith(prefix + "/");

/** Errors without the paths under `prefix`, plus `add`. */
const replaceUnder = (errors: Errors, prefix: string, add: Errors = {}): Errors => {
  const out: Errors = {};
  for (const [k, v] of Object.entries(errors)) if (!under(k, prefix)) out[k] = v;
  for (const [k, v] of Object.entries(add)) if (under(k, prefix)) out[k] = v;
  return out;
};

/**
 * One form of one call: values, dirty/touched, the client's and the server's field errors,
 * debounced server validation with stale answers dropped, and submit through the kernel (a
 * multipart body when a file is among the values). `validate()` and `validateField()` read
 * the values when they run, never values captured earlier.
 */
export class FormObserver<A extends object, R> {
  #listeners = new Set<() => void>();
  #mutation: MutationObserver<A, R>;
  #values: A;
  #initial: A;
  #submitted: A | undefined;
  #touched: Record<string, boolean> = {};
  #clientErrors: Errors = {};
  #serverErrors: Errors = {};
  #formErrors: string[] = [];
  #validating: Record<string, boolean> = {};
  /** per field path: the number of its latest server validation (older answers are dropped) */
  #latest: Record<string, number> = {};
  #timers: Record<string, ReturnType<typeof setTimeout>> = {};
  #state!: FormState<A, R>;

  #client: MizanClient;
  #descriptor: CallDescriptor<A, R>;
  #options: FormOptions<A, R>;

  constructor(client: MizanClient, descriptor: CallDescriptor<A, R>, options: FormOptions<A, R>) {
    this.#client = client;
    this.#descriptor = descriptor;
    this.#options = options;
    this.#values = this.#initial = options.initial;
    this.#mutation = new MutationObserver(formClient(client), descriptor, options);
    this.#mutation.subscribe(() => this.#notify());
    this.#notify();
  }

  /** New options (a re-render); the values are kept. */
  setOptions(options: FormOptions<A, R>): void {
    this.#options = options;
    this.#mutation.setOptions(this.#descriptor, options);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (!this.#listeners.size) Object.values(this.#timers).forEach(clearTimeout);
    };
  };

  getResult = (): FormState<A, R> => this.#state;

  /** Sets the value at a field path (`title`, `items/2/qty`). Clears the server's messages
   *  there (they were about the old value), rechecks the client rules of a field that shows
   *  errors, and schedules the server validation of a `validateOn` argument. */
  setValue = (path: string, value: unknown): void => {
    const segments = decodeFieldPath(path);
    this.#values = setAt(this.#values, segments, value) as A;
    this.#serverErrors = replaceUnder(this.#serverErrors, path);
    const top = segments[0]!;
    if (this.#clientErrors[top] || this.#touched[top]) this.#checkClient(top);
    if (this.#options.validateOn?.includes(top as keyof A & string)) {
      clearTimeout(this.#timers[top]);
      this.#timers[top] = setTimeout(() => this.validateField(top, true).catch(noop), this.#options.debounce ?? 300);
    }
    this.#notify();
  };

  /** Sets several arguments at once. */
  setValues = (values: Partial<A>): void => {
    for (const [k, v] of Object.entries(values)) this.setValue(k, v);
  };

  /** The value at a field path. */
  getValue = (path: string): unknown => getAt(this.#values, decodeFieldPath(path));

  /** Sets the value at a field path from an input's event (or the element): a checkbox's
   *  `checked`, a number input's number (`null` when empty), a file input's file (`null` for
   *  none; every file when `multiple`), a multiple select's values, else the text. */
  setFromEvent = (path: string, event: Event | EventTarget): void => {
    const el = ("target" in event ? event.target : event) as HTMLInputElement & Pick<HTMLSelectElement, "selectedOptions">;
    const type: string = el.type;
    this.setValue(
      path,
      type == "checkbox"
        ? el.checked
        : type == "number" || type == "range"
          ? el.value == ""
            ? null
            : el.valueAsNumber
          : type == "file"
            ? el.multiple
              ? [...(el.files ?? [])]
              : (el.files?.[0] ?? null)
            : type == "select-multiple"
              ? [...el.selectedOptions].map((o) => o.value)
              : el.value,
    );
  };

  /** The user left the field: it is touched and its client rules are checked. */
  blur = (path: string): void => {
    this.#touched = { ...this.#touched, [path]: true };
    this.#checkClient(decodeFieldPath(path)[0]!);
    this.#notify();
  };

  /** Checks one argument now, with the current values: its client rules, then (unless they
   *  fail, or `client` only) a validate-only call whose messages for this argument replace
   *  the server's ones. Resolves with whether the argument is valid; an answer for values
   *  that have changed since is dropped. */
  validateField = async (name: string, server = true): Promise<boolean> => {
    clearTimeout(this.#timers[name]);
    if (this.#checkClient(name).length || !server) return this.#notify(), !this.#clientErrors[name];
    const id = (this.#latest[name] = (this.#latest[name] ?? 0) + 1);
    const sent = this.#values;
    this.#validating = { ...this.#validating, [name]: true };
    this.#notify();
    let errors: Errors = {};
    try {
      await post(this.#client, this.#descriptor, sent, true);
    } catch (e) {
      errors = fieldsOf(e);
    }
    // A newer validation of this field makes this answer stale, and so does a newer value.
    if (id != this.#latest[name]) return false;
    this.#validating = { ...this.#validating, [name]: false };
    if (!equal(getAt(sent, [name]), getAt(this.#values, [name]))) return this.#notify(), false;
    this.#serverErrors = replaceUnder(this.#serverErrors, name, errors);
    this.#notify();
    return !Object.keys(errors).some((k) => under(k, name));
  };

  /** Checks every argument now, with the current values: the client rules, then a
   *  validate-only call of the whole form. Resolves with whether the form is valid. */
  validate = async (): Promise<boolean> => {
    if (!this.#checkAll()) return false;
    const sent = this.#values;
    let errors: Errors = {};
    this.#formErrors = [];
    try {
      await post(this.#client, this.#descriptor, sent, true);
    } catch (e) {
      errors = fieldsOf(e);
      if (!Object.keys(errors).length) this.#formErrors = [(e as Error).message];
    }
    if (sent === this.#values) this.#serverErrors = errors;
    this.#notify();
    return !Object.keys(errors).length && !this.#formErrors.length;
  };

  /** Checks the client rules, then calls the function with the current values through the
   *  kernel (its invalidations applied, settled as any call). The server's field errors land
   *  on their fields, others in `formErrors`. Resolves with the result, or undefined when
   *  the form is invalid or the call failed (never rejects). */
  submit = async (): Promise<R | undefined> => {
    for (const t of Object.values(this.#timers)) clearTimeout(t);
    const values = this.#values;
    this.#touched = Object.fromEntries(Object.keys(values).map((k) => [k, true]));
    if (!this.#checkAll()) return this.#notify(), undefined;
    this.#formErrors = [];
    this.#serverErrors = {};
    try {
      const result = await this.#mutation.callAsync(values);
      this.#submitted = values;
      return result;
    } catch (e) {
      const fields = fieldsOf(e);
      this.#serverErrors = fields;
      if (!Object.keys(fields).length) this.#formErrors = [(e as Error).message];
      return undefined;
    } finally {
      this.#notify();
    }
  };

  /** Back to the initial values (or, with `"submitted"`, to the last submitted ones): no
   *  errors, nothing touched, the call idle, validations in flight ignored. */
  reset = (to: "initial" | "submitted" = "initial"): void => {
    for (const t of Object.values(this.#timers)) clearTimeout(t);
    for (const k in this.#latest) this.#latest[k]!++;
    this.#values = to == "submitted" ? (this.#submitted ?? this.#initial) : this.#initial;
    this.#touched = {};
    this.#clientErrors = this.#serverErrors = {};
    this.#formErrors = [];
    this.#validating = {};
    this.#mutation.reset();
  };

  /** The client rules of one argument, against the current value; returns its messages. */
  #checkClient(name: string): string[] {
    const rules = this.#options.rules?.[name as keyof A];
    const messages = rules ? checkRules(rules, getAt(this.#values, [name])) : [];
    const { [name]: _, ...rest } = this.#clientErrors;
    this.#clientErrors = messages.length ? { ...rest, [name]: messages } : rest;
    return messages;
  }

  /** Every argument's client rules; whether all pass. */
  #checkAll(): boolean {
    let ok = true;
    for (const name of Object.keys({ ...this.#options.rules, ...this.#values })) ok = !this.#checkClient(name).length && ok;
    return ok;
  }

  #notify() {
    const values = this.#values;
    const initial = this.#initial;
    const dirty: FormState<A, R>["dirty"] = {};
    for (const k of Object.keys({ ...initial, ...values }) as (keyof A)[]) dirty[k] = !equal(values[k], initial[k]);
    const errors: Errors = { ...this.#serverErrors };
    for (const [k, v] of Object.entries(this.#clientErrors)) errors[k] = [...v, ...(errors[k] ?? [])];
    const call = this.#mutation.getResult();
    this.#state = {
      values,
      initial,
      dirty,
      isDirty: Object.values(dirty).some(Boolean),
      touched: this.#touched,
      errors,
      formErrors: this.#formErrors,
      isValid: !Object.keys(errors).length && !this.#formErrors.length,
      submitting: call.isPending,
      validating: this.#validating,
      call,
    };
    // a throwing listener is reported, never thrown into the form
    this.#listeners.forEach((l) => {
      try {
        l();
      } catch (e) {
        console.error(e);
      }
    });
  }
}

/** The field errors of a failed call (400 and 422 name fields), else `{}`. */
const fieldsOf = (e: unknown): Errors => (e instanceof MizanError ? e.fields : {});
