// Mounting and unmounting a component 1,000 times leaves the kernel with no observer, and,
// once the GC time has passed, with no entry and no pending timer.
import { listEntries } from "@mizan/runtime";
import { afterEach, expect, it, vi } from "vitest";
import { clientFor, observe, todoServer } from "../../../react/src/__tests__/harness";
import Both from "./Both.svelte";
import { mount } from "./mount";

afterEach(() => void vi.useRealTimers());

it("1,000 mounts and unmounts leave zero observers and no pending timers", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  const server = todoServer();
  const client = clientFor(server, { gcTime: 60_000 });
  const observers = observe(client);
  for (let i = 0; i < 1000; i++) {
    const view = mount(client, Both, { project: 3 + (i % 2) });
    if (i % 100 == 0) await vi.advanceTimersByTimeAsync(10); // let some fetches finish
    view.unmount();
  }
  // the last reading effect's teardown runs in a microtask
  await vi.advanceTimersByTimeAsync(10);
  // A component subscribes a microtask after its first render (see ContextQuery): one unmounted
  // within the same task never subscribed at all; the others did, and unsubscribed.
  expect(observers.subscribes).toBeGreaterThan(0);
  expect(observers.subscribes).toBeLessThanOrEqual(2000);
  expect(observers.live).toBe(0);
  expect(listEntries(client).map((e) => e.observers)).toEqual([0, 0, 0]);
  // one GC timer per entry, not one per mount
  expect(vi.getTimerCount()).toBe(3);
  await vi.advanceTimersByTimeAsync(60_000);
  expect(listEntries(client)).toEqual([]);
  expect(vi.getTimerCount()).toBe(0);
});
