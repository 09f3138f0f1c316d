// The todos example end to end in Debian's Chromium, against the real Rust server, with the
// React front end built in development mode (so StrictMode's double mount is on).
//
// Run by scripts/test (`node --test tests/e2e/`), after it has built the example binary and
// the front end (`web/dist-e2e`). Needs /usr/bin/chromium (scripts/test installs it).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const binary = join(root, "examples", "target", "debug", "example-todos");
const webDist = join(root, "examples", "todos", "web", "dist-e2e");
const work = mkdtempSync(join(tmpdir(), "mizan-e2e-"));
const database = join(work, "todos.db");

/** A free TCP port on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts the example server and waits until it answers. */
async function startServer(databaseUrl) {
  const port = await freePort();
  const child = spawn(binary, [], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      BIND: `127.0.0.1:${port}`,
      WEB_DIST: webDist,
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${url}/api/mizan/ctx/projects/`);
      if (r.ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`the example server did not start on ${url}`);
}

let server;
let browser;

before(async () => {
  server = await startServer(`sqlite://${database}?mode=rwc`);
  // A second project, so that scoping has something to leave alone.
  const r = await fetch(`${server.url}/api/mizan/call/add_project/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "Second" }),
  });
  assert.equal(r.status, 200);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.child.kill();
  rmSync(work, { recursive: true, force: true });
});

/** A page with a log of every API request (method + path + query) it makes. */
async function open(url) {
  const page = await browser.newPage();
  const log = [];
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (u.pathname.startsWith("/api/") || u.pathname.startsWith("/todos/")) {
      log.push(`${req.method()} ${u.pathname}${u.search}`);
    }
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(url);
  return { page, log, errors };
}

/** Waits until the log stops growing (no request for a while), then returns a copy. */
async function settled(page, log, quietMs = 400) {
  let n = -1;
  while (n !== log.length) {
    n = log.length;
    await page.waitForTimeout(quietMs);
  }
  return [...log];
}

const project1 = (page) => page.locator('section[data-project="1"]');

test("the page loads each context once, even in StrictMode", async () => {
  const { page, log, errors } = await open(server.url);
  await project1(page).locator("li").first().waitFor();
  const requests = await settled(page, log);
  assert.deepEqual(requests.sort(), [
    "GET /api/mizan/ctx/projects/",
    "GET /api/mizan/ctx/todos/?project=1",
    "GET /api/mizan/ctx/todos/?project=2",
  ]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("adding a todo shows it, refetching exactly what the server invalidated", async () => {
  const { page, log } = await open(server.url);
  await project1(page).locator("li").first().waitFor();
  await settled(page, log);
  log.length = 0;

  await page.getByLabel("New todo in project 1").fill("Buy milk");
  await page.getByLabel("New todo in project 1").press("Enter");
  await project1(page).getByText("Buy milk").waitFor();
  const requests = await settled(page, log);
  // add_todo invalidates todos for project 1 (scoped) and the projects list (counts):
  // one request each, after the call, and nothing for project 2.
  assert.equal(requests[0], "POST /api/mizan/call/add_todo/");
  assert.deepEqual(requests.slice(1).sort(), [
    "GET /api/mizan/ctx/projects/",
    "GET /api/mizan/ctx/todos/?project=1",
  ]);
  assert.equal(await project1(page).getByTestId("count").textContent(), "(3 todos)");
  await page.close();
});

test("toggling refetches only the project it changed", async () => {
  const { page, log } = await open(server.url);
  const first = project1(page).locator('li[data-todo="1"]');
  await first.waitFor();
  await settled(page, log);
  const before = await first.getAttribute("data-done");
  log.length = 0;

  await first.getByRole("checkbox").click();
  await page.waitForFunction(
    (b) => document.querySelector('li[data-todo="1"]')?.getAttribute("data-done") !== b,
    before,
  );
  const requests = await settled(page, log);
  assert.deepEqual(requests, [
    "POST /api/mizan/call/toggle_todo/",
    "GET /api/mizan/ctx/todos/?project=1",
  ]);
  await page.close();
});

test("a view-path form submission updates the list through X-Mizan-Invalidate", async () => {
  const { page, log } = await open(server.url);
  const second = project1(page).locator('li[data-todo="2"]');
  await second.waitFor();
  await settled(page, log);
  const before = await second.getAttribute("data-done");
  // A marker that a full page load would erase: the update must not come from a reload.
  await page.evaluate(() => {
    window.__noReload = true;
  });
  log.length = 0;

  const answer = page.waitForResponse((r) => r.url().endsWith("/todos/2/toggle"));
  await second.getByRole("button", { name: "toggle (form)" }).click();
  const response = await answer;
  assert.equal(response.status(), 204);
  assert.match(response.headers()["x-mizan-invalidate"] ?? "", /%22project%22%3A1/);
  await page.waitForFunction(
    (b) => document.querySelector('li[data-todo="2"]')?.getAttribute("data-done") !== b,
    before,
  );
  assert.equal(await page.evaluate(() => window.__noReload), true);
  const requests = await settled(page, log);
  assert.deepEqual(requests, ["POST /todos/2/toggle", "GET /api/mizan/ctx/todos/?project=1"]);
  await page.close();
});

test("a validation error shows its field messages", async () => {
  const { page } = await open(server.url);
  await project1(page).locator("li").first().waitFor();
  await page.getByLabel("New todo in project 1").press("Enter");
  const alert = project1(page).getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.getAttribute("data-status"), "422");
  assert.equal(await alert.getAttribute("data-code"), "validation");
  assert.match(await alert.locator('[data-field="title"]').textContent(), /title: /);
  await page.close();
});

test("a server 500 shows the typed error in the UI", async () => {
  // The same database, opened read-only: reads work, every write fails inside SQLite —
  // a real fault, not a mock.
  const readOnly = await startServer(`sqlite://${database}?mode=ro`);
  try {
    const { page } = await open(readOnly.url);
    await project1(page).locator("li").first().waitFor();
    await page.getByLabel("New todo in project 1").fill("Cannot be written");
    await page.getByLabel("New todo in project 1").press("Enter");
    const alert = project1(page).getByRole("alert");
    await alert.waitFor();
    assert.equal(await alert.getAttribute("data-status"), "500");
    assert.equal(await alert.getAttribute("data-code"), "internal");
    const text = await alert.textContent();
    assert.equal(text, "500 internal: internal error");
    await page.close();
  } finally {
    readOnly.child.kill();
  }
});
