#!/usr/bin/env node
/// <reference types="node" />
// The SSR worker process (bin `mizan-ssr-worker`), started and supervised by the Rust crate
// mizan-ssr; not meant to be run by hand. Environment:
//
//   MIZAN_SSR_SOCKET  the Unix socket the Rust side listens on (a dedicated channel: the
//                     application's console.log goes to stdout, which the Rust side logs)
//   MIZAN_SSR_BUNDLE  the application's server bundle (an ES module whose default export is a
//                     Renderer: reactRenderer, vueRenderer or svelteRenderer)
//
// Protocol (spec/SSR.md): the worker connects and sends `ready` with the SHA-256 of the bundle
// it loaded (or `failed` with the error when the bundle cannot be loaded, then exits); then
// answers every `render` request with a result frame (HTML in the blob) or an error carrying
// the JavaScript stack; `shutdown` makes it exit once the renders in progress are answered.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { pathToFileURL } from "node:url";

import { FrameReader, encodeFrame } from "./frame";
import type { RenderInput, Renderer } from "./types";

const socketPath = process.env.MIZAN_SSR_SOCKET;
const bundlePath = process.env.MIZAN_SSR_BUNDLE;
if (!socketPath || !bundlePath) {
  console.error("mizan-ssr-worker is started by the Rust server (mizan-ssr): MIZAN_SSR_SOCKET and MIZAN_SSR_BUNDLE must be set");
  process.exit(2);
}

/** An error's message and stack, for the Rust side's log (and its strict mode). */
const describe = (error: unknown) =>
  error instanceof Error ? { message: error.message || error.name, stack: error.stack ?? "" } : { message: String(error), stack: "" };

const runtime = typeof (globalThis as { Bun?: unknown }).Bun == "object" ? "bun" : "node";
const socket: Socket = createConnection(socketPath);
const send = (message: object, blob?: string) => socket.write(encodeFrame({ jsonrpc: "2.0", ...message }, blob));
let inProgress = 0;
let stopping = false;
const exitIfDone = () => {
  if (stopping && inProgress == 0) socket.end(() => process.exit(0));
};

async function load(): Promise<{ renderer: Renderer; hash: string }> {
  const hash = createHash("sha256").update(readFileSync(bundlePath!)).digest("hex");
  const module = (await import(pathToFileURL(bundlePath!).href)) as { default?: Partial<Renderer> };
  const renderer = module.default;
  if (!renderer || typeof renderer.render != "function")
    throw new Error(`${bundlePath}: the server bundle's default export must be a renderer (reactRenderer, vueRenderer or svelteRenderer from @mizan/ssr-worker)`);
  return { renderer: renderer as Renderer, hash };
}

async function render(renderer: Renderer, id: unknown, params: Record<string, unknown>) {
  inProgress++;
  const controller = new AbortController();
  const deadline = typeof params.deadlineMs == "number" ? params.deadlineMs : 2000;
  const timer = setTimeout(() => controller.abort(new Error(`the render took longer than its deadline of ${deadline} ms`)), deadline);
  try {
    const input: RenderInput = {
      url: String(params.url ?? "/"),
      props: (params.props ?? {}) as Record<string, unknown>,
      identity: params.identity ?? null,
      data: (params.data ?? {}) as RenderInput["data"],
    };
    const { html, head } = await renderer.render(input, controller.signal);
    send({ id, result: { head: head ?? "" } }, html);
  } catch (error) {
    send({ id, error: { code: -32000, message: "render failed", data: describe(error) } });
  } finally {
    clearTimeout(timer);
    inProgress--;
    exitIfDone();
  }
}

socket.on("connect", async () => {
  let loaded: Awaited<ReturnType<typeof load>>;
  try {
    loaded = await load();
  } catch (error) {
    send({ method: "failed", params: describe(error) });
    socket.end(() => process.exit(1));
    return;
  }
  const reader = new FrameReader();
  socket.on("data", (chunk: Buffer) => {
    let frames;
    try {
      frames = reader.push(chunk);
    } catch (error) {
      console.error("mizan-ssr-worker: a broken frame from the server:", describe(error).message);
      process.exit(1);
    }
    for (const { message } of frames) {
      if (message.method == "render") void render(loaded.renderer, message.id, (message.params ?? {}) as Record<string, unknown>);
      else if (message.method == "shutdown") {
        stopping = true;
        exitIfDone();
      } else if (message.id !== undefined) send({ id: message.id, error: { code: -32601, message: `no method ${String(message.method)}` } });
    }
  });
  send({ method: "ready", params: { bundleHash: loaded.hash, runtime, version: process.version, pid: process.pid } });
});
// The server went away (or closed the channel): nothing is left to do.
socket.on("close", () => process.exit(0));
socket.on("error", (error) => {
  console.error("mizan-ssr-worker:", error.message);
  process.exit(1);
});
