import type { ChannelDescriptor, LiveConnection } from "@mizan/runtime/ws";

/** Calls `listener` with every message of a custom channel while the calling component (or
 *  effect) lives: subscribed in an `$effect`, unsubscribed by its teardown (`socket` from
 *  `live(client)` of `@mizan/runtime/ws`). Call it during component initialisation. */
export function useChannel<T>(socket: LiveConnection, d: ChannelDescriptor<T>, listener: (payload: T) => void): void {
  $effect(() => socket.channel(d, listener));
}
