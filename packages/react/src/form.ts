/**
 * @mizan/react/form — React binding of the form core (`@mizan/runtime/form`): `useForm`.
 * An entry point of its own, so `@mizan/react` stays within its budget for apps without forms.
 */
import { useMemo, useSyncExternalStore } from "react";
import type { CallDescriptor } from "@mizan/runtime";
import { FormObserver, type FormOptions, type FormState } from "@mizan/runtime/form";
import { useMizan } from "./index";

export type { FieldRules, FormOptions, FormState } from "@mizan/runtime/form";

/** The props that bind an `<input>`, `<select>` or `<textarea>` to a field. */
export interface InputProps {
  name: string;
  value?: string | number;
  checked?: boolean;
  onChange(event: { target: EventTarget }): void;
  onBlur(): void;
}

/** What `useForm` returns: the form's state and what changes it. */
export interface Form<A extends object, R> extends FormState<A, R> {
  setValue(path: string, value: unknown): void;
  setValues(values: Partial<A>): void;
  blur(path: string): void;
  validate(): Promise<boolean>;
  validateField(name: keyof A & string): Promise<boolean>;
  /** submits; as an `onSubmit` handler it prevents the browser's own submission */
  submit(event?: { preventDefault(): void }): Promise<R | undefined>;
  reset(to?: "initial" | "submitted"): void;
  /** `<input {...form.input("title")}>`: value (or checked), onChange, onBlur */
  input(path: string): InputProps;
}

/** A form of the call `c` (a generated `useXxxForm` passes the rules of its arguments). */
export function useForm<A extends object, R>(c: CallDescriptor<A, R>, options: FormOptions<A, R>): Form<A, R> {
  const client = useMizan();
  const o = useMemo(() => new FormObserver(client, c, options), [client]);
  o.setOptions(options);
  const state = useSyncExternalStore(o.subscribe, o.getResult, o.getResult);
  return useMemo(
    () => ({
      ...state,
      setValue: o.setValue,
      setValues: o.setValues,
      blur: o.blur,
      validate: o.validate,
      validateField: o.validateField,
      submit: (event) => (event?.preventDefault(), o.submit()),
      reset: o.reset,
      input: (path) => {
        const v = o.getValue(path);
        return {
          name: path,
          ...(typeof v == "boolean" ? { checked: v } : v == null || typeof v == "object" ? {} : { value: v as string | number }),
          onChange: (e) => o.setFromEvent(path, e.target),
          onBlur: () => o.blur(path),
        };
      },
    }),
    [state],
  );
}
