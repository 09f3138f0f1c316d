// @vitest-environment jsdom
import { cleanup, renderHook } from "@testing-library/react";
import { StrictMode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { defineChannel, type LiveConnection } from "@mizan/runtime/ws";
import { useChannel } from "@mizan/react";

afterEach(cleanup);

const notes = defineChannel<{ text: string }>("notes");

/** A socket's channel API (what useChannel binds): delivers messages to its listeners. */
function channels() {
  const listeners = new Set<(payload: unknown) => void>();
  const socket = {
    channel: (_: unknown, listener: (payload: unknown) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as LiveConnection;
  return { socket, listeners, send: (payload: unknown) => listeners.forEach((l) => l(payload)) };
}

describe("useChannel", () => {
  it("listens while mounted (once under StrictMode), calls the latest listener, stops on unmount", () => {
    const { socket, listeners, send } = channels();
    const seen: string[] = [];
    const hook = renderHook(({ tag }) => useChannel(socket, notes, (n) => seen.push(tag + n.text)), {
      initialProps: { tag: "a:" },
      wrapper: StrictMode,
    });
    expect(listeners.size).toBe(1);
    send({ text: "1" });
    hook.rerender({ tag: "b:" });
    expect(listeners.size).toBe(1);
    send({ text: "2" });
    expect(seen).toEqual(["a:1", "b:2"]);
    hook.unmount();
    expect(listeners.size).toBe(0);
  });
});
