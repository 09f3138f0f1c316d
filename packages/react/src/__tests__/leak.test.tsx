// @vitest-environment jsdom
// Mounting and unmounting a component 1,000 times leaves the kernel with no observer, and,
// once the GC time has passed, with no entry and no pending timer (as for Vue and Svelte).
import { act, render } from "@testing-library/react";
import { StrictMode } from "react";
import { afterEach, expect, it, vi } from "vitest";
import { listEntries } from "@mizan/runtime";
import { MizanProvider, useCall, useContextQuery } from "../index";
import { call, clientFor, ctx, observe, todoServer } from "./harness";

afterEach(() => void vi.useRealTimers());

function Both({ project }: { project: number }) {
  const todos = useContextQuery(ctx.todos({ project }));
  const stats = useContextQuery(ctx.stats({}), { select: (d) => d.count });
  const add = useCall(call.addTodo);
  return <p>{[todos.data?.todo_list.length, stats.data, add.status].join()}</p>;
}

it("1,000 mounts and unmounts leave zero observers and no pending timers", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  const server = todoServer();
  const client = clientFor(server, { gcTime: 60_000 });
  const observers = observe(client);
  for (let i = 0; i < 1000; i++) {
    const view = render(
      <StrictMode>
        <MizanProvider client={client}>
          <Both project={3 + (i % 2)} />
        </MizanProvider>
      </StrictMode>,
    );
    if (i % 100 == 0) await act(() => vi.advanceTimersByTimeAsync(10)); // let some fetches finish
    view.unmount();
  }
  await act(() => vi.advanceTimersByTimeAsync(10));
  expect(observers.subscribes).toBeGreaterThanOrEqual(2000); // StrictMode subscribes twice
  expect(observers.live).toBe(0);
  expect(listEntries(client).map((e) => e.observers)).toEqual([0, 0, 0]);
  // one GC timer per entry, not one per mount
  expect(vi.getTimerCount()).toBe(3);
  await act(() => vi.advanceTimersByTimeAsync(60_000));
  expect(listEntries(client)).toEqual([]);
  expect(vi.getTimerCount()).toBe(0);
});
