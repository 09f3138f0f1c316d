import { onScopeDispose } from "vue";
import type { ChannelDescriptor, LiveConnection } from "@mizan/runtime/ws";

/** Calls `listener` with every message of a custom channel until the effect scope (the
 *  component's setup) is disposed (`socket` from `live(client)` of `@mizan/runtime/ws`). */
export function useChannel<T>(socket: LiveConnection, d: ChannelDescriptor<T>, listener: (payload: T) => void): void {
  onScopeDispose(socket.channel(d, listener), true);
}
