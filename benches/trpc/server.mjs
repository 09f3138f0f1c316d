// The tRPC v11 peer of benches/ctx-bench: three query procedures fn_a, fn_b, fn_c taking
// `{ project }` and doing the work of work.rs, served by tRPC's standalone adapter (a
// node:http server). The client is `httpBatchLink`'s request: one batch GET of the three.
//
//   node server.mjs [port]      # tRPC-node
//   bun server.mjs [port]       # the same file under Bun (its node:http)
//
// GET /fn_a,fn_b,fn_c?batch=1&input={"0":{"project":3},"1":{"project":3},"2":{"project":3}}
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';

import { Data, items, summary, tags } from './work.mjs';

const t = initTRPC.context().create();

// The input check Mizan's `project: i64` gets from serde: an object with an integer
// `project`. A plain function, not a schema library, so that neither side pays for more
// validation than the other.
const LIMIT = 2 ** 40;
function projectInput(raw) {
  const project = raw?.project;
  if (!Number.isInteger(project) || Math.abs(project) >= LIMIT) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'project: expected an integer' });
  }
  return { project };
}

const procedure = t.procedure.input(projectInput);
const router = t.router({
  fn_a: procedure.query(({ ctx, input }) => items(ctx.data, input.project)),
  fn_b: procedure.query(({ ctx, input }) => summary(ctx.data, input.project)),
  fn_c: procedure.query(({ ctx, input }) => tags(ctx.data, input.project)),
});

const data = new Data();
const port = Number(process.argv[2] ?? 3900);
const runtime = typeof Bun === 'undefined' ? `node ${process.version}` : `bun ${Bun.version}`;

createHTTPServer({ router, createContext: () => ({ data }) }).listen(port, '127.0.0.1', () => {
  console.error(`trpc (${runtime}) listening on http://127.0.0.1:${port}`);
});
