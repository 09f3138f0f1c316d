// @mizan/svelte/form — the Svelte 5 binding of the form core (`@mizan/runtime/form`): `Form`.
// An entry point of its own, so `@mizan/svelte` stays within its budget for apps without forms.
import { createSubscriber } from "svelte/reactivity";
import type { CallDescriptor, MizanClient } from "@mizan/runtime";
import { FormObserver, type FormOptions, type FormState } from "@mizan/runtime/form";

export type { FieldRules, FormOptions, FormState } from "@mizan/runtime/form";

/**
 * A form of one call, as reactive getters over the form core: `form.values`, `form.errors`,
 * `form.touched`, `form.dirty`, `form.submitting`, `form.formErrors`, `form.call`, … and the
 * methods `setValue`, `onInput`, `blur`, `validate`, `validateField`, `submit`, `reset`.
 * Followed while some effect (a template) reads it; nothing to destroy.
 */
export class Form<A extends object, R> {
  #observer: FormObserver<A, R>;
  #subscribe: () => void;

  constructor(client: MizanClient, c: CallDescriptor<A, R>, options: FormOptions<A, R>) {
    const o = (this.#observer = new FormObserver(client, c, options));
    this.#subscribe = createSubscriber(o.subscribe);
    this.setValue = o.setValue;
    this.setValues = o.setValues;
    this.blur = o.blur;
    this.validate = o.validate;
    this.validateField = o.validateField;
    this.reset = o.reset;
  }

  #state(): FormState<A, R> {
    this.#subscribe();
    return this.#observer.getResult();
  }

  get values(): A {
    return this.#state().values;
  }
  get initial(): A {
    return this.#state().initial;
  }
  get dirty(): FormState<A, R>["dirty"] {
    return this.#state().dirty;
  }
  get isDirty(): boolean {
    return this.#state().isDirty;
  }
  get touched(): Record<string, boolean> {
    return this.#state().touched;
  }
  get errors(): Record<string, string[]> {
    return this.#state().errors;
  }
  get formErrors(): string[] {
    return this.#state().formErrors;
  }
  get isValid(): boolean {
    return this.#state().isValid;
  }
  get submitting(): boolean {
    return this.#state().submitting;
  }
  get validating(): Record<string, boolean> {
    return this.#state().validating;
  }
  get call(): FormState<A, R>["call"] {
    return this.#state().call;
  }

  setValue: (path: string, value: unknown) => void;
  setValues: (values: Partial<A>) => void;
  blur: (path: string) => void;
  validate: () => Promise<boolean>;
  validateField: (name: keyof A & string) => Promise<boolean>;
  reset: (to?: "initial" | "submitted") => void;

  /** `oninput={(e) => form.onInput("title", e)}`: a checkbox's checked, a number, a file… */
  onInput = (path: string, event: Event): void => this.#observer.setFromEvent(path, event);

  /** `onsubmit={form.submit}`: prevents the browser's own submission, then submits. */
  submit = (event?: Event): Promise<R | undefined> => {
    event?.preventDefault();
    return this.#observer.submit();
  };
}
