/**
 * @mizan/vue/form — Vue binding of the form core (`@mizan/runtime/form`): `useForm`. An entry
 * point of its own, so `@mizan/vue` stays within its budget for apps without forms.
 */
import { onScopeDispose, type Ref, shallowRef } from "vue";
import type { CallDescriptor } from "@mizan/runtime";
import { FormObserver, type FormOptions, type FormState } from "@mizan/runtime/form";
import { useMizan } from "./composables";

export type { FieldRules, FormOptions, FormState } from "@mizan/runtime/form";

/** What `useForm` returns: `state` (a read-only ref of the form's state: values, errors,
 *  touched, dirty, submitting, …) and what changes it. */
export interface Form<A extends object, R> {
  state: Readonly<Ref<FormState<A, R>>>;
  setValue(path: string, value: unknown): void;
  setValues(values: Partial<A>): void;
  /** `@input="form.onInput('title', $event)"`: a checkbox's checked, a number, a file… */
  onInput(path: string, event: Event): void;
  blur(path: string): void;
  validate(): Promise<boolean>;
  validateField(name: keyof A & string): Promise<boolean>;
  /** `@submit.prevent="form.submit()"` */
  submit(): Promise<R | undefined>;
  reset(to?: "initial" | "submitted"): void;
}

/** A form of the call `c`, followed until the calling effect scope (the component) is
 *  disposed (a generated `useXxxForm` passes the rules of its arguments). */
export function useForm<A extends object, R>(c: CallDescriptor<A, R>, options: FormOptions<A, R>): Form<A, R> {
  const o = new FormObserver(useMizan(), c, options);
  const state = shallowRef(o.getResult());
  onScopeDispose(
    o.subscribe(() => (state.value = o.getResult())),
    true,
  );
  return {
    state,
    setValue: o.setValue,
    setValues: o.setValues,
    onInput: (path, event) => o.setFromEvent(path, event),
    blur: o.blur,
    validate: o.validate,
    validateField: o.validateField,
    submit: o.submit,
    reset: o.reset,
  };
}
