// The client-side checks a generated form hook declares per field (from the function's JSON
// Schema): the same rules the server enforces, checked before a request is sent.

/** What codegen knows of one field. */
export interface FieldRules {
  /** the JSON type (`file` for an upload) */
  type?: "string" | "number" | "integer" | "boolean" | "file" | "array" | "object";
  /** the value must be given (an empty string is not given) */
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  /** a regular expression (JSON Schema: unanchored, ECMA-262) */
  pattern?: string;
  /** the allowed values (an enum): a form shows them as a select's options */
  options?: readonly (string | number)[];
}

const empty = (v: unknown) => v === undefined || v === null || v === "";

/** The messages of a value against its rules; `[]` when it passes. */
export function checkRules(rules: FieldRules, value: unknown): string[] {
  if (empty(value)) return rules.required ? ["required"] : [];
  const out: string[] = [];
  const { minLength, maxLength, minimum, maximum, pattern, options, type } = rules;
  if (typeof value == "string") {
    const length = [...value].length;
    if (minLength !== undefined && length < minLength) out.push(`at least ${minLength} characters`);
    if (maxLength !== undefined && length > maxLength) out.push(`at most ${maxLength} characters`);
    if (pattern !== undefined && !new RegExp(pattern, "u").test(value)) out.push("does not match the expected format");
  }
  if (typeof value == "number") {
    if (type == "integer" && !Number.isInteger(value)) out.push("a whole number");
    if (minimum !== undefined && value < minimum) out.push(`at least ${minimum}`);
    if (maximum !== undefined && value > maximum) out.push(`at most ${maximum}`);
  } else if ((type == "number" || type == "integer") && typeof value != "number") {
    out.push("a number");
  }
  if (options && !options.includes(value as string | number)) out.push("one of " + options.join(", "));
  return out;
}
