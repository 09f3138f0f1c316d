import { effectScope } from "vue";
import { describe, expect, it } from "vitest";
import { defineChannel, type LiveConnection } from "@mizan/runtime/ws";
import { useChannel } from "@mizan/vue";

const notes = defineChannel<{ text: string }>("notes");

describe("useChannel", () => {
  it("listens until the effect scope is disposed", () => {
    const listeners = new Set<(payload: unknown) => void>();
    const socket = {
      channel: (_: unknown, listener: (payload: unknown) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    } as unknown as LiveConnection;
    const seen: string[] = [];
    const scope = effectScope();
    scope.run(() => useChannel(socket, notes, (n) => seen.push(n.text)));
    listeners.forEach((l) => l({ text: "hi" }));
    expect(seen).toEqual(["hi"]);
    scope.stop();
    expect(listeners.size).toBe(0);
  });
});
