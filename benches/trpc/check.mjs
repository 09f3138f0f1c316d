// node check.mjs <mizan-body> <trpc-body>: exits non-zero unless tRPC's batch answer
// holds, for each procedure, the same result (as parsed JSON) as Mizan's context body
// `{fn_a, fn_b, fn_c}`. run.sh runs it before measuring, so that both do the same work.
import { deepStrictEqual } from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const PROCEDURES = ['fn_a', 'fn_b', 'fn_c'];

const [mizanFile, trpcFile] = process.argv.slice(2);
if (!mizanFile || !trpcFile) {
  console.error('usage: node check.mjs <mizan-body> <trpc-body>');
  process.exit(2);
}
const mizan = JSON.parse(readFileSync(mizanFile, 'utf8'));
const batch = JSON.parse(readFileSync(trpcFile, 'utf8'));

deepStrictEqual(Object.keys(mizan).sort(), PROCEDURES, 'the keys of the Mizan context body');
if (!Array.isArray(batch) || batch.length !== PROCEDURES.length) {
  throw new Error(`expected a batch of ${PROCEDURES.length} results, got ${JSON.stringify(batch).slice(0, 300)}`);
}
PROCEDURES.forEach((name, i) => {
  const entry = batch[i];
  if (entry?.error !== undefined || entry?.result?.data === undefined) {
    throw new Error(`${name}: tRPC answered ${JSON.stringify(entry).slice(0, 300)}`);
  }
  deepStrictEqual(entry.result.data, mizan[name], `${name}: tRPC's result differs from Mizan's`);
});
console.log(`equal: ${PROCEDURES.join(', ')}`);
