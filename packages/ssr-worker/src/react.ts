/// <reference types="node" />
// Renders React pages: renderToPipeableStream to completion (every Suspense boundary
// resolved), aborted at the deadline.
import type { ReactNode } from "react";
import { renderToPipeableStream } from "react-dom/server";
import { Writable } from "node:stream";

import type { RenderInput, Renderer } from "./types";

/** The default export of a React server bundle: `export default reactRenderer((input) =>
 *  <MizanProvider client={clientFor(input)}><App url={input.url} /></MizanProvider>)`. */
export function reactRenderer(page: (input: RenderInput) => ReactNode): Renderer {
  return {
    render: (input, signal) =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let failed: unknown;
        const sink = new Writable({
          write(chunk: Buffer, _encoding, done) {
            chunks.push(chunk);
            done();
          },
          final(done) {
            if (failed === undefined) resolve({ html: Buffer.concat(chunks).toString("utf8") });
            else reject(failed);
            done();
          },
        });
        const stream = renderToPipeableStream(page(input), {
          onAllReady: () => stream.pipe(sink),
          onShellError: reject,
          onError: (error) => {
            failed ??= error;
          },
        });
        signal.addEventListener("abort", () => {
          failed ??= signal.reason;
          stream.abort(signal.reason);
          reject(signal.reason);
        });
      }),
  };
}
