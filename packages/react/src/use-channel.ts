import { useEffect, useRef } from "react";
import type { ChannelDescriptor, LiveConnection } from "@mizan/runtime/ws";

/** Calls `listener` with every message of a custom channel while the component is mounted
 *  (`socket` from `live(client)` of `@mizan/runtime/ws`). The latest `listener` is called;
 *  changing it does not resubscribe. */
export function useChannel<T>(socket: LiveConnection, d: ChannelDescriptor<T>, listener: (payload: T) => void): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => socket.channel(d, (payload) => latest.current(payload)), [socket, d.channel]);
}
