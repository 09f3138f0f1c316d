import { flushSync } from "svelte";
import { expect, it } from "vitest";
import { MizanClient } from "@mizan/runtime";
import { defineChannel, type LiveConnection } from "@mizan/runtime/ws";
import Channel from "./Channel.svelte";
import { mount } from "./mount";

it("useChannel listens while the component lives", () => {
  const listeners = new Set<(payload: unknown) => void>();
  const socket = {
    channel: (_: unknown, listener: (payload: unknown) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as LiveConnection;
  const view = mount(new MizanClient(), Channel, { socket, channel: defineChannel<{ text: string }>("notes") });
  expect(listeners.size).toBe(1);
  listeners.forEach((l) => l({ text: "hello" }));
  flushSync();
  expect(view.text()).toBe("hello");
  view.unmount();
  flushSync();
  expect(listeners.size).toBe(0);
});
