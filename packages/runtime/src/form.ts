// The form core (`@mizan/runtime/form`): a form's state on top of the kernel's
// MutationObserver, framework-free. Adapters bind `subscribe`/`getResult` as they bind the
// other observers. Not part of the kernel's budget: an application without forms never
// loads it.
import { guard, type MizanClient, noop } from "./client";
import { checkRules, type FieldRules } from "./field-rules";
import { decodeFieldPath } from "./field-path";
import { formClient, post } from "./form-call";
import { MizanError } from "./mizan-error";
import { type CallOptions, type CallState, MutationObserver } from "./mutation-observer";
import type { CallDescriptor } from "./types";

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
  private listeners_ = new Set<() => void>();
  private mutation_: MutationObserver<A, R>;
  private values_: A;
  private initial_: A;
  private submitted_: A | undefined;
  private touched_: Record<string, boolean> = {};
  private clientErrors_: Errors = {};
  private serverErrors_: Errors = {};
  private formErrors_: string[] = [];
  private validating_: Record<string, boolean> = {};
  /** per field path: the number of its latest server validation (older answers are dropped) */
  private latest_: Record<string, number> = {};
  private timers_: Record<string, ReturnType<typeof setTimeout>> = {};
  private declare state_: FormState<A, R>;

  constructor(
    private client_: MizanClient,
    private descriptor_: CallDescriptor<A, R>,
    private options_: FormOptions<A, R>,
  ) {
    this.values_ = this.initial_ = options_.initial;
    this.mutation_ = new MutationObserver(formClient(client_), descriptor_, options_);
    this.mutation_.subscribe(() => this.notify_());
    this.notify_();
  }

  /** New options (a re-render); the values are kept. */
  setOptions(options: FormOptions<A, R>): void {
    this.options_ = options;
    this.mutation_.setOptions(this.descriptor_, options);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners_.add(listener);
    return () => {
      this.listeners_.delete(listener);
      if (!this.listeners_.size) Object.values(this.timers_).forEach(clearTimeout);
    };
  };

  getResult = (): FormState<A, R> => this.state_;

  /** Sets the value at a field path (`title`, `items/2/qty`). Clears the server's messages
   *  there (they were about the old value), rechecks the client rules of a field that shows
   *  errors, and schedules the server validation of a `validateOn` argument. */
  setValue = (path: string, value: unknown): void => {
    const segments = decodeFieldPath(path);
    this.values_ = setAt(this.values_, segments, value) as A;
    this.serverErrors_ = replaceUnder(this.serverErrors_, path);
    const top = segments[0]!;
    if (this.clientErrors_[top] || this.touched_[top]) this.checkClient_(top);
    if (this.options_.validateOn?.includes(top as keyof A & string)) {
      clearTimeout(this.timers_[top]);
      this.timers_[top] = setTimeout(() => this.validateField(top, true).catch(noop), this.options_.debounce ?? 300);
    }
    this.notify_();
  };

  /** Sets several arguments at once. */
  setValues = (values: Partial<A>): void => {
    for (const [k, v] of Object.entries(values)) this.setValue(k, v);
  };

  /** The value at a field path. */
  getValue = (path: string): unknown => getAt(this.values_, decodeFieldPath(path));

  /** The user left the field: it is touched and its client rules are checked. */
  blur = (path: string): void => {
    this.touched_ = { ...this.touched_, [path]: true };
    this.checkClient_(decodeFieldPath(path)[0]!);
    this.notify_();
  };

  /** Checks one argument now, with the current values: its client rules, then (unless they
   *  fail, or `client` only) a validate-only call whose messages for this argument replace
   *  the server's ones. Resolves with whether the argument is valid; an answer for values
   *  that have changed since is dropped. */
  validateField = async (name: string, server = true): Promise<boolean> => {
    clearTimeout(this.timers_[name]);
    if (this.checkClient_(name).length || !server) return this.notify_(), !this.clientErrors_[name];
    const id = (this.latest_[name] = (this.latest_[name] ?? 0) + 1);
    const sent = this.values_;
    this.validating_ = { ...this.validating_, [name]: true };
    this.notify_();
    let errors: Errors = {};
    try {
      await post(this.client_, this.descriptor_, sent, true);
    } catch (e) {
      errors = fieldsOf(e);
    }
    // A newer validation of this field makes this answer stale, and so does a newer value.
    if (id != this.latest_[name]) return false;
    this.validating_ = { ...this.validating_, [name]: false };
    if (!equal(getAt(sent, [name]), getAt(this.values_, [name]))) return this.notify_(), false;
    this.serverErrors_ = replaceUnder(this.serverErrors_, name, errors);
    this.notify_();
    return !Object.keys(errors).some((k) => under(k, name));
  };

  /** Checks every argument now, with the current values: the client rules, then a
   *  validate-only call of the whole form. Resolves with whether the form is valid. */
  validate = async (): Promise<boolean> => {
    if (!this.checkAll_()) return false;
    const sent = this.values_;
    let errors: Errors = {};
    this.formErrors_ = [];
    try {
      await post(this.client_, this.descriptor_, sent, true);
    } catch (e) {
      errors = fieldsOf(e);
      if (!Object.keys(errors).length) this.formErrors_ = [(e as Error).message];
    }
    if (sent === this.values_) this.serverErrors_ = errors;
    this.notify_();
    return !Object.keys(errors).length && !this.formErrors_.length;
  };

  /** Checks the client rules, then calls the function with the current values through the
   *  kernel (its invalidations applied, settled as any call). The server's field errors land
   *  on their fields, others in `formErrors`. Resolves with the result, or undefined when
   *  the form is invalid or the call failed (never rejects). */
  submit = async (): Promise<R | undefined> => {
    for (const t of Object.values(this.timers_)) clearTimeout(t);
    const values = this.values_;
    this.touched_ = Object.fromEntries(Object.keys(values).map((k) => [k, true]));
    if (!this.checkAll_()) return this.notify_(), undefined;
    this.formErrors_ = [];
    this.serverErrors_ = {};
    try {
      const result = await this.mutation_.callAsync(values);
      this.submitted_ = values;
      return result;
    } catch (e) {
      const fields = fieldsOf(e);
      this.serverErrors_ = fields;
      if (!Object.keys(fields).length) this.formErrors_ = [(e as Error).message];
      return undefined;
    } finally {
      this.notify_();
    }
  };

  /** Back to the initial values (or, with `"submitted"`, to the last submitted ones): no
   *  errors, nothing touched, the call idle, validations in flight ignored. */
  reset = (to: "initial" | "submitted" = "initial"): void => {
    for (const t of Object.values(this.timers_)) clearTimeout(t);
    for (const k in this.latest_) this.latest_[k]!++;
    this.values_ = to == "submitted" ? (this.submitted_ ?? this.initial_) : this.initial_;
    this.touched_ = {};
    this.clientErrors_ = this.serverErrors_ = {};
    this.formErrors_ = [];
    this.validating_ = {};
    this.mutation_.reset();
  };

  /** The client rules of one argument, against the current value; returns its messages. */
  private checkClient_(name: string): string[] {
    const rules = this.options_.rules?.[name as keyof A];
    const messages = rules ? checkRules(rules, getAt(this.values_, [name])) : [];
    const { [name]: _, ...rest } = this.clientErrors_;
    this.clientErrors_ = messages.length ? { ...rest, [name]: messages } : rest;
    return messages;
  }

  /** Every argument's client rules; whether all pass. */
  private checkAll_(): boolean {
    let ok = true;
    for (const name of Object.keys({ ...this.options_.rules, ...this.values_ })) ok = !this.checkClient_(name).length && ok;
    return ok;
  }

  private notify_() {
    const values = this.values_;
    const initial = this.initial_;
    const dirty: FormState<A, R>["dirty"] = {};
    for (const k of Object.keys({ ...initial, ...values }) as (keyof A)[]) dirty[k] = !equal(values[k], initial[k]);
    const errors: Errors = { ...this.serverErrors_ };
    for (const [k, v] of Object.entries(this.clientErrors_)) errors[k] = [...v, ...(errors[k] ?? [])];
    const call = this.mutation_.getResult();
    this.state_ = {
      values,
      initial,
      dirty,
      isDirty: Object.values(dirty).some(Boolean),
      touched: this.touched_,
      errors,
      formErrors: this.formErrors_,
      isValid: !Object.keys(errors).length && !this.formErrors_.length,
      submitting: call.isPending,
      validating: this.validating_,
      call,
    };
    this.listeners_.forEach((l) => guard(l));
  }
}

/** The field errors of a failed call (400 and 422 name fields), else `{}`. */
const fieldsOf = (e: unknown): Errors => (e instanceof MizanError ? e.fields : {});
