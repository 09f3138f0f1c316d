// The scale-out end to end: `scripts/scale` starts PostgreSQL (or uses the local one),
// Redis, two instances of the todos example (A and B) and `mizan edge` in front of both;
// Debian's Chromium drives them.
//
// Which instance serves whom is never left to chance where it matters:
// - "across instances": alice's browser talks to instance A directly, bob's to instance B
//   directly, so the only way bob's page can hear of alice's change is the Redis bus
//   between the two processes (and the sign-ins prove the shared session store);
// - "through the edge": alice's browser talks to the edge only (every API response it gets
//   carries the edge's `x-mizan-edge` header; which instance the edge picks is its own
//   round-robin), bob's to instance B directly; each sees the other's change;
// - the edge's cache: a context cached at the edge (`x-mizan-edge: hit`) is fresh right
//   after a mutation made through the edge (purged by the response's invalidations) and
//   after one made on instance A directly, which the edge only hears of over the Redis bus.
//
// Run by scripts/test after the other e2e tests (`node --test tests/e2e/scale.test.mjs`);
// runs alone too. Needs what scripts/scale needs (it installs PostgreSQL and Redis from
// Debian when they are missing) and /usr/bin/chromium. On a local PostgreSQL the test
// uses a database of its own, dropped at the end.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The running scale-out: its URLs, and the script's process. */
let scale;
let browser;

/** Starts scripts/scale on free ports and waits for "scale-out is up"; resolves with the
 *  URLs it printed. Its output is kept for the error message when it fails. */
function startScale() {
  const child = spawn("bash", [join(root, "scripts", "scale")], {
    cwd: root,
    env: {
      ...process.env,
      EDGE_PORT: "0",
      PORT_A: "0",
      PORT_B: "0",
      METRICS_PORT: "0",
      SCALE_DATABASE: `mizan_scale_e2e_${process.pid}`,
      SCALE_DROP_DATABASE: "1",
      LOGIN_ATTEMPTS_PER_MINUTE: "1000",
      RUST_LOG: process.env.RUST_LOG ?? "warn",
      MIZAN_LOG: process.env.MIZAN_LOG ?? "warn",
    },
    stdio: ["ignore", "pipe", "inherit"],
    // its own process group: the script's cleanup stops what it started
    detached: false,
  });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scripts/scale did not come up in time:\n${out}`)), 15 * 60_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
      if (/^scale-out is up$/m.test(out)) {
        clearTimeout(timer);
        const url = (label) => {
          const m = out.match(new RegExp(`^\\s+${label}\\s+(http://\\S+?)/?(?:\\s|$)`, "m"));
          if (!m) reject(new Error(`scripts/scale printed no ${label} URL:\n${out}`));
          return m[1];
        };
        resolve({ child, edge: url("edge"), a: url("instance A"), b: url("instance B"), metrics: url("metrics") });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`scripts/scale exited (${code}) before it was up:\n${out}`));
    });
  });
}

before(async () => {
  scale = await startScale();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
  });
});

after(async () => {
  await browser?.close();
  if (scale) {
    const exited = new Promise((resolve) => scale.child.once("exit", resolve));
    scale.child.kill("SIGTERM");
    await exited;
  }
});

/** A page in a browser context of its own, with a log of its API requests and of the
 *  `x-mizan-edge` header of every API response. */
async function open(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = [];
  const responses = [];
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (u.pathname.startsWith("/api/")) log.push(`${req.method()} ${u.pathname}${u.search}`);
  });
  page.on("response", (res) => {
    const u = new URL(res.url());
    if (u.pathname.startsWith("/api/mizan/")) {
      responses.push({ url: `${u.origin}${u.pathname}${u.search}`, status: res.status(), edge: res.headers()["x-mizan-edge"] });
    }
  });
  const frames = [];
  page.on("websocket", (ws) => ws.on("framereceived", ({ payload }) => frames.push(String(payload))));
  await page.goto(url);
  return { context, page, log, responses, frames };
}

const project1 = (page) => page.locator('section[data-project="1"]');

/** Waits until the log stops growing. */
async function settled(page, log, quietMs = 400) {
  let n = -1;
  while (n !== log.length) {
    n = log.length;
    await page.waitForTimeout(quietMs);
  }
  return [...log];
}

/** Signs in through the page's form and waits until the page says so. */
async function signIn(page, log, username) {
  await project1(page).locator("li").first().waitFor();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(`${username}-demo`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(`[data-signed-in="${username}"]`).waitFor();
  await settled(page, log);
}

/** Adds a todo to project 1 through the page's form. */
async function addTodo(page, title) {
  await page.getByLabel("New todo in project 1").fill(title);
  await page.getByLabel("New todo in project 1").press("Enter");
  await project1(page).getByText(title).waitFor();
}

/** Signs in outside the browser: the headers a later unsafe request needs. */
async function apiSignIn(url, username) {
  const r = await fetch(`${url}/api/mizan/call/login/`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({ username, password: `${username}-demo` }),
  });
  assert.equal(r.status, 200, `login as ${username} at ${url}`);
  const cookies = r.headers.getSetCookie().map((c) => c.split(";")[0]);
  const csrf = cookies.find((c) => c.startsWith("mizan-csrf="))?.slice("mizan-csrf=".length);
  assert.ok(csrf, "login set no mizan-csrf cookie");
  return { cookie: cookies.join("; "), "x-mizan-csrf": csrf, origin: url };
}

/** Calls a function with the headers of `apiSignIn`. */
async function call(url, headers, fn, args) {
  const r = await fetch(`${url}/api/mizan/call/${fn}/`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(args),
  });
  const text = await r.text();
  assert.equal(r.status, 200, `${fn}: ${text}`);
  return JSON.parse(text);
}

/** GETs the todos of project 1 (anonymous) and returns the titles and the edge's verdict. */
async function todos(url) {
  const r = await fetch(`${url}/api/mizan/ctx/todos/?project=1`);
  assert.equal(r.status, 200);
  const body = await r.json();
  return { titles: body.todo_list.map((t) => t.title), edge: r.headers.get("x-mizan-edge") };
}

/** GETs until the edge answers from its cache (a miss stores; the next GET hits). */
async function cachedAtEdge(url) {
  for (let i = 0; i < 20; i++) {
    const got = await todos(url);
    if (got.edge === "hit") return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the edge never answered the todos context from its cache");
}

describe("scale-out", () => {
  test("across instances: bob on B sees alice's change on A, pushed over the Redis bus", async () => {
    const alice = await open(scale.a);
    const bob = await open(scale.b);
    await signIn(alice.page, alice.log, "alice");
    await signIn(bob.page, bob.log, "bob");
    bob.log.length = 0;
    bob.frames.length = 0;

    await addTodo(alice.page, "Made on A");
    await project1(bob.page).getByText("Made on A").waitFor();
    assert.deepEqual((await settled(bob.page, bob.log)).sort(), ["GET /api/mizan/ctx/projects/", "GET /api/mizan/ctx/todos/?project=1"]);
    const pushed = bob.frames.map((f) => JSON.parse(f)).filter((m) => m.type === "invalidate");
    assert.ok(pushed.some((m) => m.source === "add_todo"), `bob's socket on B got no push: ${bob.frames}`);
    for (const frame of bob.frames) assert.doesNotMatch(frame, /alice|Made on A/);

    // and a toggle: the checkbox on bob's page follows
    const item = (page) => project1(page).locator("li", { hasText: "Made on A" });
    await item(alice.page).getByRole("checkbox").click();
    await bob.page.waitForFunction(() => {
      const li = [...document.querySelectorAll('section[data-project="1"] li')].find((l) => l.textContent.includes("Made on A"));
      return li?.querySelector('input[type="checkbox"]')?.checked === true;
    });
    await alice.context.close();
    await bob.context.close();
  });

  test("through the edge: alice via the edge, bob on B; bob sees her change pushed", async () => {
    const alice = await open(scale.edge);
    const bob = await open(scale.b);
    await signIn(alice.page, alice.log, "alice");
    await signIn(bob.page, bob.log, "bob");
    bob.log.length = 0;
    bob.frames.length = 0;

    // Cached at the edge first: what alice's page shows before her change.
    await cachedAtEdge(scale.edge);
    const mark = alice.responses.length;
    await addTodo(alice.page, "Made through the edge");
    await project1(bob.page).getByText("Made through the edge").waitFor();
    const pushed = bob.frames.map((f) => JSON.parse(f)).filter((m) => m.type === "invalidate");
    assert.ok(pushed.some((m) => m.source === "add_todo"), `bob's socket on B got no push: ${bob.frames}`);
    // The GETs alice's page made after her change were fresh: the edge purged on the
    // call's response, so none of them was answered from the entry cached before it.
    await settled(alice.page, alice.log);
    // (the first GET of each URL: a later one may rightly hit the entry the first stored)
    const firsts = new Map();
    for (const r of alice.responses.slice(mark)) {
      if ((r.url.includes("/ctx/todos/") || r.url.includes("/ctx/projects/")) && !firsts.has(r.url)) firsts.set(r.url, r);
    }
    const refetched = [...firsts.values()];
    assert.ok(refetched.some((r) => r.url.endsWith("/ctx/todos/?project=1")), JSON.stringify(refetched));
    for (const r of refetched) assert.notEqual(r.edge, "hit", `${r.url} was answered from the edge's cache after the change`);

    // The other way: bob toggles on B; alice's page, pushed by the instance her WebSocket
    // reached through the edge, refetches through the edge and shows it.
    await cachedAtEdge(scale.edge);
    const item = (page) => project1(page).locator("li", { hasText: "Made through the edge" });
    await item(bob.page).getByRole("checkbox").click();
    await alice.page.waitForFunction(() => {
      const li = [...document.querySelectorAll('section[data-project="1"] li')].find((l) => l.textContent.includes("Made through the edge"));
      return li?.querySelector('input[type="checkbox"]')?.checked === true;
    });

    // Every API response alice's page got came through the edge.
    assert.ok(alice.responses.length > 0);
    for (const r of alice.responses) {
      assert.ok(r.url.startsWith(scale.edge), r.url);
      assert.match(r.edge ?? "", /^(hit|miss|pass)$/, `${r.url} has no x-mizan-edge header`);
    }
    // What her page fetched after her own change was fresh: it shows the new todo, and no
    // cached GET after the mutation answered with the list from before it.
    assert.ok(await project1(alice.page).getByText("Made through the edge").isVisible());
    await alice.context.close();
    await bob.context.close();
  });

  test("the edge's cached contexts are fresh after a mutation through the edge or on an instance", async (t) => {
    const before = await cachedAtEdge(scale.edge);
    assert.equal(before.edge, "hit");

    // A mutation through the edge: the response's invalidations purge the entry.
    const alice = await apiSignIn(scale.edge, "alice");
    await call(scale.edge, alice, "add_todo", { project: 1, title: "Purged by the response" });
    const afterEdge = await todos(scale.edge);
    assert.notEqual(afterEdge.edge, "hit", "a stale entry was served after a mutation through the edge");
    assert.ok(afterEdge.titles.includes("Purged by the response"), afterEdge.titles.join(", "));

    // Cached again; then a mutation on instance A directly, which the edge hears of only
    // over the Redis bus.
    await cachedAtEdge(scale.edge);
    const aliceOnA = await apiSignIn(scale.a, "alice");
    const { result } = await call(scale.a, aliceOnA, "add_todo", { project: 1, title: "Purged by the bus" });
    // The bus is asynchronous: the edge may answer from the old entry for the moment the
    // event takes to arrive (reported below), never longer than the loop's 2 s.
    let fresh;
    let stale = 0;
    const since = Date.now();
    for (let i = 0; i < 40; i++) {
      fresh = await todos(scale.edge);
      if (fresh.titles.includes("Purged by the bus")) break;
      stale += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(fresh.titles.includes("Purged by the bus"), `the edge kept serving a stale list: ${fresh.titles.join(", ")}`);
    t.diagnostic(`after a mutation on instance A: ${stale} stale answer(s) from the edge, fresh after ${Date.now() - since} ms`);

    // A toggle on instance B: the done flag through the edge follows.
    const aliceOnB = await apiSignIn(scale.b, "alice");
    await cachedAtEdge(scale.edge);
    await call(scale.b, aliceOnB, "toggle_todo", { id: result.id });
    let done;
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`${scale.edge}/api/mizan/ctx/todos/?project=1`);
      done = (await r.json()).todo_list.find((t) => t.id === result.id)?.done;
      if (done) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(done, true, "the edge kept serving the todo as not done");
  });

  test("the edge's metrics count the hits, the purges, the bus events and the WebSockets", async () => {
    const r = await fetch(scale.metrics);
    assert.equal(r.status, 200);
    const text = await r.text();
    const counter = (name) => {
      const m = text.match(new RegExp(`^mizan_edge_${name}_total (\\d+)$`, "m"));
      assert.ok(m, `no mizan_edge_${name}_total in the metrics`);
      return Number(m[1]);
    };
    for (const name of ["hits", "misses", "stores", "purges", "bus_events", "websocket_upgrades"]) {
      assert.ok(counter(name) > 0, `mizan_edge_${name}_total is 0`);
    }
  });
});
