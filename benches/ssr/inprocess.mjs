// The in-process side of the SSR benchmark: the same renderer, called directly in one process
// of the same runtime (no bridge). `node inprocess.mjs <rows> <renders>` (or `bun …`) prints
// {"p50_us", "p99_us", "per_s"} as JSON.
import renderer, { inputFor } from "./page.mjs";

const [rows, count] = process.argv.slice(2).map(Number);
const signal = new AbortController().signal;
for (let i = 0; i < 50; i++) await renderer.render(inputFor(rows), signal);
const times = [];
const start = performance.now();
for (let i = 0; i < count; i++) {
  const t = performance.now();
  // a fresh input each time, as a request brings (the bridge parses one per render)
  await renderer.render(JSON.parse(JSON.stringify(inputFor(rows))), signal);
  times.push(performance.now() - t);
}
const total = performance.now() - start;
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
console.log(JSON.stringify({ p50_us: at(0.5) * 1000, p99_us: at(0.99) * 1000, per_s: count / (total / 1000) }));
