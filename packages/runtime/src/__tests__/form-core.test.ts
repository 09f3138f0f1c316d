// The form core (@mizan/runtime/form): values, dirty/touched, field errors by path, submit
// through the kernel, validate-only calls, the H12 regression and the debounce race.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { defineCall, defineContext, MizanClient } from "@mizan/runtime";
import { checkRules, FormObserver } from "@mizan/runtime/form";
import { fakeFetch, flush } from "./fake-fetch";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 1_000_000 });
});
afterEach(() => vi.useRealTimers());

interface SignUp {
  email: string;
  name: string;
  items: { sku: string; qty: number }[];
}
const signUp = defineCall<SignUp, number>("sign_up");
const members = defineContext<Record<string, never>, { count: number }>("members");
const initial: SignUp = { email: "", name: "", items: [{ sku: "a", qty: 1 }] };

function setup(extra: Partial<ConstructorParameters<typeof FormObserver<SignUp, number>>[2]> = {}) {
  const f = fakeFetch();
  const client = new MizanClient({ fetch: f.fetch });
  const form = new FormObserver(client, signUp, {
    initial,
    rules: { email: { type: "string", required: true, pattern: "@" }, name: { type: "string", minLength: 2, maxLength: 5 } },
    validateOn: ["email"],
    debounce: 200,
    ...extra,
  });
  const seen: number[] = [];
  form.subscribe(() => seen.push(1));
  return { f, client, form, seen };
}

const body = (init: RequestInit) => JSON.parse(String(init.body));

describe("FormObserver", () => {
  it("tracks values, dirty and touched; nested paths update immutably", () => {
    const { form } = setup();
    const before = form.getResult();
    form.setValue("items/0/qty", 3);
    const after = form.getResult();
    expect(after.values.items[0]).toEqual({ sku: "a", qty: 3 });
    expect(before.values.items[0]!.qty).toBe(1);
    expect(after.dirty).toMatchObject({ items: true, email: false });
    expect(after.isDirty).toBe(true);
    expect(form.getValue("items/0/qty")).toBe(3);
    form.setValue("items/0/qty", 1);
    expect(form.getResult().isDirty).toBe(false);
    form.blur("name");
    expect(form.getResult().touched).toEqual({ name: true });
  });

  it("checks the client rules on blur and submit, and sends nothing while they fail", async () => {
    const { f, form } = setup();
    form.setValue("name", "x");
    form.blur("name");
    expect(form.getResult().errors).toEqual({ name: ["at least 2 characters"] });
    // the message goes as soon as the value is fixed
    form.setValue("name", "Ann");
    expect(form.getResult().errors).toEqual({});
    expect(await form.submit()).toBeUndefined();
    expect(form.getResult().errors).toEqual({ email: ["required"] });
    expect(f.requests).toHaveLength(0);
    expect(checkRules({ options: ["a", "b"] }, "c")).toEqual(["one of a, b"]);
    expect(checkRules({ type: "integer", minimum: 1, maximum: 9 }, 10.5)).toEqual(["a whole number", "at most 9"]);
  });

  it("submits through the kernel: the result, the invalidations, and field errors by path", async () => {
    const { f, client, form } = setup();
    client.subscribe(members({}), () => {});
    await f.last().json({ members: { count: 1 } });
    form.setValues({ email: "ann@example.com", name: "Ann" });
    const done = form.submit();
    await flush();
    expect(form.getResult().submitting).toBe(true);
    const call = f.last();
    expect(call.url).toBe("/api/mizan/call/sign_up/");
    expect(body(call.init)).toEqual({ email: "ann@example.com", items: [{ qty: 1, sku: "a" }], name: "Ann" });
    await call.json({ result: 7, invalidate: ["members"] });
    // the invalidated entry on screen refetches before the submission settles
    expect(f.last().url).toBe("/api/mizan/ctx/members/");
    await f.last().json({ members: { count: 2 } });
    expect(await done).toBe(7);
    expect(form.getResult()).toMatchObject({ submitting: false, call: { status: "success", data: 7 } });

    // the server's 422: messages by field path
    form.setValue("items/0/qty", 0);
    const again = form.submit();
    await flush();
    await f.last().json(
      { error: { code: "validation", message: "validation failed", fields: { "items/0/qty": ["lower than 1"], email: ["this email is taken"] } } },
      422,
    );
    expect(await again).toBeUndefined();
    expect(form.getResult().errors).toEqual({ "items/0/qty": ["lower than 1"], email: ["this email is taken"] });
    expect(form.getResult().isValid).toBe(false);
    // changing a field clears the server's messages about it, and only those
    form.setValue("items/0/qty", 2);
    expect(form.getResult().errors).toEqual({ email: ["this email is taken"] });

    // an error without fields is a form error
    const third = form.submit();
    await flush();
    await f.last().json({ error: { code: "conflict", message: "try again" } }, 409);
    await third;
    expect(form.getResult().formErrors).toEqual(["try again"]);
  });

  it("H12: validate() and validateField() read the values when they run, not when the handler was made", async () => {
    const { f, form } = setup();
    // handlers made at "render" time, before the user types
    const onBlur = () => form.validateField("email");
    const { validate } = form;
    form.setValue("email", "new@example.com");
    form.setValue("name", "Bea");
    const field = onBlur();
    await flush();
    const v1 = f.last();
    expect(v1.url).toBe("/api/mizan/call/sign_up/?validate=1");
    expect(body(v1.init)).toMatchObject({ email: "new@example.com", name: "Bea" });
    await v1.json({ valid: true });
    expect(await field).toBe(true);
    form.setValue("email", "newer@example.com");
    const whole = validate();
    await flush();
    expect(body(f.last().init).email).toBe("newer@example.com");
    await f.last().json({ valid: true });
    expect(await whole).toBe(true);
  });

  it("debounces server validation and drops a slow answer for an older value", async () => {
    const { f, form } = setup();
    form.setValue("email", "a@");
    await vi.advanceTimersByTimeAsync(100);
    form.setValue("email", "ab@");
    await vi.advanceTimersByTimeAsync(199);
    expect(f.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(f.requests).toHaveLength(1);
    const slow = f.last();
    expect(body(slow.init).email).toBe("ab@");
    expect(form.getResult().validating).toEqual({ email: true });
    // the user types on: a second validation goes out and answers first
    form.setValue("email", "abc@");
    await vi.advanceTimersByTimeAsync(200);
    await flush();
    const fast = f.last();
    expect(body(fast.init).email).toBe("abc@");
    await fast.json({ valid: true });
    expect(form.getResult()).toMatchObject({ errors: {}, validating: { email: false } });
    // the old answer arrives late: dropped
    await slow.json({ error: { code: "validation", message: "validation failed", fields: { email: ["this email is taken"] } } }, 422);
    expect(form.getResult().errors).toEqual({});
    // a field's validation keeps only its own messages (others' fields are not shown yet)
    form.setValue("email", "taken@");
    await vi.advanceTimersByTimeAsync(200);
    await flush();
    await f.last().json(
      { error: { code: "validation", message: "validation failed", fields: { email: ["this email is taken"], name: ["too short"] } } },
      422,
    );
    expect(form.getResult().errors).toEqual({ email: ["this email is taken"] });
  });

  it("sends multipart with X-Mizan-Client when a file is among the values", async () => {
    const f = fakeFetch();
    const client = new MizanClient({ fetch: f.fetch });
    const avatar = defineCall<{ avatar: Blob | null; caption: string }, number>("set_avatar");
    const form = new FormObserver(client, avatar, { initial: { avatar: null, caption: "" } });
    form.setValue("avatar", new File(["png"], "me.png", { type: "image/png" }));
    form.setValue("caption", "me");
    const done = form.submit();
    await flush();
    const r = f.last();
    expect(r.url).toBe("/api/mizan/call/set_avatar/");
    expect(r.headers.get("x-mizan-client")).toBe("1");
    const sent = r.init.body as FormData;
    expect(sent).toBeInstanceOf(FormData);
    expect(sent.get("caption")).toBe("me");
    expect((sent.get("avatar") as File).name).toBe("me.png");
    await r.json({ result: 3, invalidate: [] });
    expect(await done).toBe(3);
  });

  it("resets to the initial or to the last submitted values", async () => {
    const { f, form } = setup();
    form.setValues({ email: "a@b", name: "Ann" });
    const done = form.submit();
    await flush();
    await f.last().json({ result: 1, invalidate: [] });
    await done;
    form.setValue("name", "Bob");
    form.reset("submitted");
    expect(form.getResult().values).toMatchObject({ email: "a@b", name: "Ann" });
    expect(form.getResult().call.status).toBe("idle");
    form.reset();
    expect(form.getResult()).toMatchObject({ values: initial, isDirty: false, errors: {}, touched: {} });
  });
});
