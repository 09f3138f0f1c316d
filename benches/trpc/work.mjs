// The work of benches/ctx-bench/src/work.rs, line for line: the same items, titles,
// summary and tags. `check.mjs` compares the results with Mizan's before anything is
// measured. Numbers are doubles here, i64 in Rust: equal while every intermediate value
// is a safe integer, which `server.mjs` guarantees by accepting only |project| < 2^40.

/** Shared application state: what a database would hold, in memory. */
export class Data {
  constructor() {
    this.words = (
      'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima ' +
      'mike november oscar papa quebec romeo sierra tango uniform victor'
    ).split(' ');
    this.tags = 'bug feature docs perf ui api db infra security test ops design'.split(' ');
    this.colors = 'red green blue amber teal violet'.split(' ');
  }
}

/** Rust's `rem_euclid`: a remainder that is never negative. */
function remEuclid(n, len) {
  return ((n % len) + len) % len;
}

function pick(list, n) {
  return list[remEuclid(n, Math.max(list.length, 1))] ?? '';
}

/** `fn_a`: the 20 items of `project`. */
export function items(data, project) {
  const out = [];
  for (let position = 0; position < 20; position++) {
    const n = project * 31 + position;
    out.push({
      done: n % 3 === 0,
      id: project * 1000 + position,
      position,
      project,
      // Rust's `n / 2` on i64 truncates toward zero.
      title: `${pick(data.words, n)} ${pick(data.words, Math.trunc(n / 2))} #${position}`,
    });
  }
  return out;
}

/** `fn_b`: the summary of `project`. */
export function summary(data, project) {
  let done = 0;
  for (let p = 0; p < 20; p++) {
    if ((project * 31 + p) % 3 === 0) done++;
  }
  return {
    done,
    id: project,
    name: `Project ${pick(data.words, project)}`,
    open: 20 - done,
    owner: pick(data.words, project + 7),
  };
}

/** `fn_c`: the tags of `project`. */
export function tags(data, project) {
  const out = [];
  for (let i = 0; i < 12; i++) {
    out.push({
      color: pick(data.colors, project + i),
      count: remEuclid((project + i) * 7, 20),
      name: pick(data.tags, i),
    });
  }
  return out;
}
