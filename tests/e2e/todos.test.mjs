// The todos example end to end in Debian's Chromium, against the real Rust server, once per
// front end: React (`web`, built in development mode, so StrictMode's double mount is on),
// Vue (`web-vue`) and Svelte (`web-svelte`). Every front end uses only its generated code and
// renders the same markup, so one suite drives all three. `E2E_FRAMEWORKS=vue,svelte` runs
// some of them only. Changes take a signed-in user: the tests that change something sign in
// as alice through the page's form first (the server runs with LOGIN_ATTEMPTS_PER_MINUTE=1000).
//
// Run by scripts/test (`node --test tests/e2e/`); runs alone too. It builds what it serves
// first: the packages' dist (when missing or stale), each front end in development mode
// (`web*/dist-e2e`) and the example binary (a no-op when scripts/test has built it). Needs
// /usr/bin/chromium (scripts/test installs it). The binary's path comes from cargo (so
// CARGO_TARGET_DIR and the like are honoured).
//
// `E2E_EDGE=1` runs the same suite through `mizan edge`: every server the tests start gets an
// edge in front of it (manifest mode, the manifest the example exports), and the tests talk
// to the edge only; a restarted server keeps its edge.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { buildPackages } from "../../scripts/build-packages.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The front ends: name → the directory of its development build. Its server bundle (for
 *  mizan-ssr) goes beside it, in `dist-e2e-server`, where the example looks for it. */
const FRONT_ENDS = {
  react: join(root, "examples", "todos", "web", "dist-e2e"),
  vue: join(root, "examples", "todos", "web-vue", "dist-e2e"),
  svelte: join(root, "examples", "todos", "web-svelte", "dist-e2e"),
};
/** Each front end's server entry. */
const SERVER_ENTRIES = { react: "src/entry-server.tsx", vue: "src/entry-server.ts", svelte: "src/entry-server.ts" };
const frameworks = (process.env.E2E_FRAMEWORKS ?? Object.keys(FRONT_ENDS).join(","))
  .split(",")
  .map((name) => name.trim())
  .filter((name) => {
    if (!(name in FRONT_ENDS)) throw new Error(`E2E_FRAMEWORKS: unknown front end ${name}`);
    return true;
  });
const work = mkdtempSync(join(tmpdir(), "mizan-e2e-"));

/** Builds a front end as a developer runs it (development mode: React's StrictMode double
 *  mount, the devtools panel) into its `dist-e2e`, over the packages' dist. */
async function buildFrontEnd(framework) {
  await buildPackages();
  const vite = join(root, "node_modules", "vite", "bin", "vite.js");
  const client = [vite, "build", "--mode", "development", "--outDir", "dist-e2e", "--logLevel", "warn"];
  const server = [...client.slice(0, 4), "--ssr", SERVER_ENTRIES[framework], "--outDir", "dist-e2e-server", "--logLevel", "warn"];
  for (const args of [client, server]) {
    const r = spawnSync(process.execPath, args, {
      cwd: dirname(FRONT_ENDS[framework]),
      env: { ...process.env, NODE_ENV: "development" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`the front end build (vite ${args.slice(1).join(" ")}) failed (exit ${r.status})`);
  }
}

/** The example server's executable, as cargo reports it: `cargo build` is a no-op when
 *  scripts/test has built it already, and it knows the target directory (CARGO_TARGET_DIR,
 *  `build.target-dir`, a `--target` triple), which a path spelled out here would not. */
function exampleBinary(manifest = join(root, "examples", "Cargo.toml"), pkg = "example-todos", name = pkg) {
  const cargo = process.env.CARGO ?? "cargo";
  const args = ["build", "--locked", "--manifest-path", manifest, "-p", pkg, "--bin", name];
  const r = spawnSync(cargo, [...args, "--message-format=json-render-diagnostics"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`\`${cargo} ${args.join(" ")}\` failed (exit ${r.status})`);
  for (const line of r.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const m = JSON.parse(line);
    if (m.reason === "compiler-artifact" && m.target?.name === name && m.executable) return m.executable;
  }
  throw new Error(`\`${cargo} ${args.join(" ")}\` reported no executable for ${name}`);
}

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

/** With E2E_EDGE=1: `mizan edge` in front of `origin`, on a free port, in manifest mode. */
async function startEdge(origin) {
  const child = spawn(edgeBinary, ["edge", "--manifest", edgeManifest, "--origin", origin, "--listen", "127.0.0.1:0"], {
    env: { ...process.env, MIZAN_LOG: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/mizan edge listening on (http:\/\/\S+)/);
      if (m) resolve(m[1].replace(/\/$/, ""));
    });
    child.once("exit", (code) => reject(new Error(`mizan edge exited (${code}) before listening`)));
  });
  return { url, child };
}

/** Stops a server and, with E2E_EDGE=1, its edge. */
function stopServer(server) {
  server?.child.kill();
  server?.edge?.child.kill();
}

/** Starts the example server with the front end built in `webDist` (on `port`, or a free one)
 *  and waits until it answers; with E2E_EDGE=1, behind an edge (`edge`, or a new one), whose
 *  URL is then the server's `url` (the server's own is `originUrl`). */
async function startServer(databaseUrl, webDist, port, edge) {
  port ??= await freePort();
  const child = spawn(binary, [], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      BIND: `127.0.0.1:${port}`,
      WEB_DIST: webDist,
      RUST_LOG: "warn",
      // every test signs in, several times a minute
      LOGIN_ATTEMPTS_PER_MINUTE: "1000",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${url}/api/mizan/ctx/projects/`);
      if (r.ok) {
        if (!EDGE) return { url, child };
        edge ??= await startEdge(url);
        return { url: edge.url, originUrl: url, child, edge };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`the example server did not start on ${url}`);
}

/** Stops a server (waiting for its exit) and starts it again on the same port and database. */
async function restartServer(server) {
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill();
  await exited;
  const { port } = new URL(server.originUrl ?? server.url);
  return { ...(await startServer(server.databaseUrl, server.webDist, Number(port), server.edge)), databaseUrl: server.databaseUrl, webDist: server.webDist };
}

const EDGE = process.env.E2E_EDGE === "1";
let binary;
/** With E2E_EDGE=1: the `mizan` binary and the example's edge manifest. */
let edgeBinary;
let edgeManifest;
let browser;
/** Every response to a Mizan protocol URL in the whole run, and those that redirected. */
const apiResponses = [];
/** The `x-mizan-edge` header of each of those responses, as promises (E2E_EDGE=1 checks them). */
const edgeVerdicts = [];
const redirects = [];

before(async () => {
  for (const framework of frameworks) await buildFrontEnd(framework);
  binary = exampleBinary();
  if (EDGE) {
    edgeBinary = exampleBinary(join(root, "Cargo.toml"), "mizan-cli", "mizan");
    edgeManifest = join(work, "edge-manifest.json");
    const r = spawnSync(binary, ["mizan", "manifest", "--out", edgeManifest], { stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new Error(`exporting the edge manifest failed (exit ${r.status})`);
  }
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
  rmSync(work, { recursive: true, force: true });
});

/** A page with a log of every API request (method + path + query) it makes; in a browser
 *  context of its own unless one is given (pages of one context share a BroadcastChannel). */
async function open(url, context) {
  const page = await (context ?? browser).newPage();
  const log = [];
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (u.pathname.startsWith("/api/") || u.pathname.startsWith("/todos/")) {
      log.push(`${req.method()} ${u.pathname}${u.search}`);
    }
  });
  // The kernel builds canonical URLs, so a server that answers 308 to non-canonical context
  // URLs never has to redirect it. 304 is not a redirect: it answers a conditional request.
  page.on("response", (res) => {
    const u = new URL(res.url());
    if (!u.pathname.startsWith("/api/mizan/")) return;
    apiResponses.push(`${res.status()} ${u.pathname}${u.search}`);
    // (a response a test fulfilled itself, with page.route, came from no server at all)
    const verdict = res.headers()["x-mizan-edge"] ?? `none: ${res.request().method()} ${u.pathname}${u.search}`;
    edgeVerdicts.push(res.serverAddr().then((addr) => (addr ? verdict : "fulfilled by the test"), () => verdict));
    if (res.status() >= 300 && res.status() < 400 && res.status() !== 304) {
      redirects.push(`${res.request().method()} ${u.pathname}${u.search} → ${res.status()} ${res.headers().location ?? ""}`);
    }
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  // Hydration mismatches are reported on the console (React, Vue: errors; Svelte: a warning).
  const consoleProblems = [];
  page.on("console", (m) => {
    if (m.type() === "error" || (m.type() === "warning" && /hydrat/i.test(m.text()))) consoleProblems.push(m.text());
  });
  const response = await page.goto(url);
  return { page, log, errors, consoleProblems, response };
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

/** Signs in through the page's sign-in form (demo password `<name>-demo`) and waits until
 *  the page says who is signed in and its requests have settled. */
async function signIn(page, log, username, password = `${username}-demo`) {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(`[data-signed-in="${username}"]`).waitFor();
  await project1(page).locator("li").first().waitFor();
  await settled(page, log);
}

/** Signs in outside the browser: the cookies and headers a later unsafe request needs. */
async function apiSignIn(url, username) {
  const r = await fetch(`${url}/api/mizan/call/login/`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({ username, password: `${username}-demo` }),
  });
  assert.equal(r.status, 200);
  const cookies = r.headers.getSetCookie().map((c) => c.split(";")[0]);
  const csrf = cookies.find((c) => c.startsWith("mizan-csrf="))?.slice("mizan-csrf=".length);
  assert.ok(csrf, "login set no mizan-csrf cookie");
  return { cookie: cookies.join("; "), "x-mizan-csrf": csrf, origin: url };
}

for (const framework of frameworks) {
  describe(framework, () => {
    // One server and one database per front end: each starts from the same data.
    const database = join(work, `${framework}.db`);
    let server;

    before(async () => {
      const databaseUrl = `sqlite://${database}?mode=rwc`;
      server = { ...(await startServer(databaseUrl, FRONT_ENDS[framework])), databaseUrl, webDist: FRONT_ENDS[framework] };
      // A second project, so that scoping has something to leave alone (changes take a
      // signed-in user).
      const r = await fetch(`${server.url}/api/mizan/call/add_project/`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(await apiSignIn(server.url, "alice")) },
        body: JSON.stringify({ name: "Second" }),
      });
      assert.equal(r.status, 200);
    });

    after(() => stopServer(server));

    test("the page is rendered on the server and hydrates without a request for its contexts", async () => {
      const { page, log, errors, consoleProblems, response } = await open(server.url);
      assert.equal(response.headers()["x-mizan-ssr"], "rendered");
      const html = await response.text();
      // The markup holds the preloaded data: the first project's todos are in the page.
      assert.match(html, /<div id="root">.*Read the README/s);
      assert.match(html, /<script id="mizan-data" type="application\/json">/);
      await project1(page).locator("li").first().waitFor();
      assert.deepEqual(await settled(page, log), []);
      assert.deepEqual(errors, []);
      assert.deepEqual(consoleProblems, []);
      // Hydrated: the page is live (switching projects fetches the other one).
      await page.locator('[data-project-link="2"]').click();
      await page.locator('section[data-project="2"] h2', { hasText: "Second" }).waitFor();
      assert.deepEqual(await settled(page, log), ["GET /api/mizan/ctx/todos/?project=2"]);
      await page.close();
    });

    test("a signed-in user's page is rendered for them, and `?project=` picks what is preloaded", async () => {
      const context = await browser.newContext();
      const { cookie } = await apiSignIn(server.url, "bob");
      await context.addCookies(
        cookie.split("; ").map((pair) => {
          const [name, ...value] = pair.split("=");
          return { name, value: value.join("="), url: server.url };
        }),
      );
      const { page, log, errors, consoleProblems, response } = await open(`${server.url}/?project=2`, context);
      assert.equal(response.headers()["x-mizan-ssr"], "rendered");
      assert.equal(response.headers()["cache-control"], "private, no-cache");
      const html = await response.text();
      assert.match(html, /data-signed-in="bob"/);
      assert.match(html, /"todos\?project=2"/);
      await page.locator('section[data-project="2"] h2', { hasText: "Second" }).waitFor();
      assert.deepEqual(await settled(page, log), []);
      assert.deepEqual(errors, []);
      assert.deepEqual(consoleProblems, []);
      await context.close();
    });

    test("without server rendering, the page loads each context once (React: even in StrictMode)", async () => {
      // index.html as a static file: the shell alone, rendered in the browser.
      const { page, log, errors } = await open(`${server.url}/index.html`);
      await project1(page).locator("li").first().waitFor();
      const requests = await settled(page, log);
      assert.deepEqual(requests.sort(), [
        "GET /api/mizan/ctx/me/",
        "GET /api/mizan/ctx/projects/",
        "GET /api/mizan/ctx/todos/?project=1",
      ]);
      assert.deepEqual(errors, []);
      await page.close();
    });

    test("the sidebar switches projects, one GET per project, the previous one shown meanwhile", async () => {
      const { page, log } = await open(server.url);
      await project1(page).locator("li").first().waitFor();
      await settled(page, log);
      log.length = 0;
      await page.locator('[data-project-link="2"]').click();
      await page.locator('section[data-project="2"] h2', { hasText: "Second" }).waitFor();
      assert.equal(await page.locator('[data-project-link="2"]').getAttribute("aria-current"), "page");
      assert.deepEqual(await settled(page, log), ["GET /api/mizan/ctx/todos/?project=2"]);
      // back to project 1: its entry is still fresh, no request
      await page.locator('[data-project-link="1"]').click();
      await project1(page).locator("li").first().waitFor();
      assert.deepEqual(await settled(page, log), ["GET /api/mizan/ctx/todos/?project=2"]);
      await page.close();
    });

    test("adding a todo shows it, refetching exactly what the server invalidated", async () => {
      const { page, log } = await open(server.url);
      await project1(page).locator("li").first().waitFor();
      await signIn(page, log, "alice");
      log.length = 0;

      await page.getByLabel("New todo in project 1").fill("Buy milk");
      await page.getByLabel("New todo in project 1").press("Enter");
      await project1(page).getByText("Buy milk").waitFor();
      // (the form may check the title as it is typed: validate-only calls change nothing)
      const requests = (await settled(page, log)).filter((r) => !r.endsWith("?validate=1"));
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

    test("deleting a todo removes it, refetching exactly what the server invalidated", async () => {
      const { page, log } = await open(server.url);
      await project1(page).locator("li").first().waitFor();
      await signIn(page, log, "alice");
      await page.getByLabel("New todo in project 1").fill("Short-lived");
      await page.getByLabel("New todo in project 1").press("Enter");
      const row = project1(page).locator("li", { hasText: "Short-lived" });
      await row.waitFor();
      await settled(page, log);
      const count = await project1(page).getByTestId("count").textContent();
      log.length = 0;

      await row.getByRole("button", { name: "Delete Short-lived" }).click();
      await row.waitFor({ state: "detached" });
      const requests = await settled(page, log);
      // delete_todo invalidates the todos of the deleted todo's project and the project list
      assert.equal(requests[0], "POST /api/mizan/call/delete_todo/");
      assert.deepEqual(requests.slice(1).sort(), [
        "GET /api/mizan/ctx/projects/",
        "GET /api/mizan/ctx/todos/?project=1",
      ]);
      const before = Number(/\((\d+) todos\)/.exec(count ?? "")?.[1]);
      await page.waitForFunction(
        (n) => document.querySelector('section[data-project="1"] [data-testid="count"]')?.textContent === `(${n} todos)`,
        before - 1,
      );
      await page.close();
    });

    test("toggling refetches only the project it changed", async () => {
      const { page, log } = await open(server.url);
      const first = project1(page).locator('li[data-todo="1"]');
      await first.waitFor();
      await signIn(page, log, "alice");
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
      await signIn(page, log, "alice");
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

    test("the add form checks the title as it is typed and on submit: the schema's rules, then the server's 422", async () => {
      const { page, log } = await open(server.url);
      await project1(page).locator("li").first().waitFor();
      await signIn(page, log, "alice");
      const count = await project1(page).getByTestId("count").textContent();
      const input = page.getByLabel("New todo in project 1");
      const message = project1(page).locator(".field-error");
      log.length = 0;

      // Empty: the schema's minLength, checked in the browser; nothing is sent.
      await input.press("Enter");
      await message.waitFor();
      assert.deepEqual(await settled(page, log), []);

      // Only spaces pass minLength but not the server's own rule: the debounced validate-only
      // call brings its message under the field, and nothing is added.
      await input.fill("   ");
      await message.filter({ hasText: "must not be only whitespace" }).waitFor();
      assert.equal(await input.getAttribute("aria-invalid"), "true");
      assert.deepEqual(await settled(page, log), ["POST /api/mizan/call/add_todo/?validate=1"]);
      // Submitted anyway: the real call's 422 lands on the same field.
      log.length = 0;
      await input.press("Enter");
      assert.deepEqual(await settled(page, log), ["POST /api/mizan/call/add_todo/"]);
      await message.filter({ hasText: "must not be only whitespace" }).waitFor();
      assert.equal(await project1(page).getByTestId("count").textContent(), count);

      // Fixed: added, the field emptied, no message left.
      await input.fill("Checked as typed");
      await input.press("Enter");
      await project1(page).getByText("Checked as typed").waitFor();
      await message.waitFor({ state: "detached" });
      assert.equal(await input.inputValue(), "");
      await page.close();
    });

    test("a server 500 shows the typed error in the UI", async () => {
      // The same database, opened read-only: reads work, every write fails inside SQLite —
      // a real fault, not a mock.
      const readOnly = await startServer(`sqlite://${database}?mode=ro`, FRONT_ENDS[framework]);
      try {
        // (sessions live in the server's memory: signing in writes nothing)
        const { page, log } = await open(readOnly.url);
        await project1(page).locator("li").first().waitFor();
        await signIn(page, log, "alice");
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
        stopServer(readOnly);
      }
    });

    test("refetch on focus: a page that becomes visible again revalidates what it shows", async () => {
      const context = await browser.newContext();
      const { page, log } = await open(server.url, context);
      await project1(page).locator("li").first().waitFor();
      await settled(page, log);
      // another tab comes to the front, then this one again; headless Chromium has no window
      // focus to move, so the focus event the browser would send is dispatched by hand
      const other = await context.newPage();
      await other.bringToFront();
      log.length = 0;
      await page.bringToFront();
      await page.evaluate(() => window.dispatchEvent(new Event("focus")));
      const requests = await settled(page, log);
      assert.deepEqual([...new Set(requests)].sort(), [
        "GET /api/mizan/ctx/me/",
        "GET /api/mizan/ctx/projects/",
        "GET /api/mizan/ctx/todos/?project=1",
      ]);
      await context.close();
    });

    test("cross-tab: a change in one tab refetches what it invalidated in the other", async () => {
      const context = await browser.newContext();
      const a = await open(server.url, context);
      const b = await open(server.url, context);
      // (the tabs share the cookies; tab B learns of the sign-in through the invalidation of
      // `me` that tab A passes on)
      await project1(a.page).locator("li").first().waitFor();
      await signIn(a.page, a.log, "alice");
      for (const { page, log } of [a, b]) {
        await project1(page).locator("li").first().waitFor();
        await settled(page, log);
      }
      b.log.length = 0;
      await a.page.getByLabel("New todo in project 1").fill("From tab A");
      await a.page.getByLabel("New todo in project 1").press("Enter");
      await project1(b.page).getByText("From tab A").waitFor();
      assert.deepEqual((await settled(b.page, b.log)).sort(), [
        "GET /api/mizan/ctx/projects/",
        "GET /api/mizan/ctx/todos/?project=1",
      ]);
      // tab B's devtools name the mutation in tab A as the cause
      await b.page.locator('#devtools [data-log] tr[data-cause="tab:mutation:add_todo"]').first().waitFor();
      await context.close();
    });

    test("an optimistic toggle shows at once and rolls back when the server fails", async () => {
      const { page, log } = await open(server.url);
      const first = project1(page).locator('li[data-todo="1"]');
      await first.waitFor();
      await signIn(page, log, "alice");
      await settled(page, log);
      const before = await first.getAttribute("data-done");
      let release;
      const held = new Promise((resolve) => (release = resolve));
      await page.route("**/api/mizan/call/toggle_todo/", async (route) => {
        await held;
        await route.fulfill({
          status: 500,
          contentType: "application/json",
          body: JSON.stringify({ error: { code: "internal", message: "internal error" } }),
        });
      });
      await first.getByRole("checkbox").click();
      // flipped before the server answered
      assert.notEqual(await first.getAttribute("data-done"), before);
      release();
      const alert = project1(page).getByRole("alert");
      await alert.waitFor();
      assert.equal(await alert.getAttribute("data-status"), "500");
      assert.equal(await first.getAttribute("data-done"), before);
      assert.equal(await first.getByRole("checkbox").isChecked(), before === "true");
      await page.close();
    });

    test("an anonymous visitor reads everything and sees no control that changes something", async () => {
      const { page, log, errors } = await open(server.url);
      await project1(page).locator('li[data-todo="1"]').waitFor();
      await settled(page, log);
      await page.getByRole("form", { name: "Sign in" }).waitFor();
      assert.equal(await page.getByLabel("New todo in project 1").count(), 0);
      assert.equal(await page.getByLabel("New project").count(), 0);
      assert.equal(await page.getByRole("button", { name: "toggle (form)" }).count(), 0);
      assert.equal(await page.getByRole("button", { name: /^Delete / }).count(), 0);
      assert.equal(await page.getByRole("button", { name: "delete project" }).count(), 0);
      assert.equal(await project1(page).locator('li[data-todo="1"]').getByRole("checkbox").isDisabled(), true);
      // nothing was even tried
      assert.deepEqual(log.filter((r) => !r.startsWith("GET ")), []);
      assert.deepEqual(errors, []);
      await page.close();
    });

    test("a wrong password shows the 401 message; only staff get the delete-project control", async () => {
      const { page, log } = await open(server.url);
      await project1(page).locator("li").first().waitFor();
      await signIn(page, log, "alice");
      await page.getByRole("button", { name: "delete project" }).waitFor();
      await page.getByRole("button", { name: "sign out" }).click();
      await page.getByLabel("Username").fill("bob");
      await page.getByLabel("Password").fill("not-his-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.getByRole("form", { name: "Sign in" }).getByRole("alert");
      await alert.waitFor();
      assert.equal(await alert.getAttribute("data-status"), "401");
      assert.match(await alert.textContent(), /wrong username or password/);
      await signIn(page, log, "bob");
      // bob may change todos, not delete projects: the control is not there for him
      await page.getByLabel("New todo in project 1").waitFor();
      assert.equal(await page.getByRole("button", { name: "delete project" }).count(), 0);
      await page.close();
    });

    test("alice signs out and bob signs in on the same page: bob never sees alice's data", async () => {
      const { page, log } = await open(server.url);
      await project1(page).locator("li").first().waitFor();
      await signIn(page, log, "alice");
      assert.equal(await page.getByTestId("username").textContent(), "alice");
      await page.getByRole("button", { name: "sign out" }).click();
      await page.getByRole("form", { name: "Sign in" }).waitFor();
      await settled(page, log);
      assert.equal(await page.getByText("alice").count(), 0);

      // From bob's sign-in on: every request the page sends, and the bodies of their answers.
      const sent = new Set();
      const bodies = [];
      page.on("request", (req) => sent.add(req));
      page.on("response", (res) => {
        if (sent.has(res.request()) && new URL(res.url()).pathname.startsWith("/api/mizan/"))
          bodies.push(
            res
              .text()
              .catch(() => "")
              .then((text) => [`${res.request().method()} ${new URL(res.url()).pathname}`, text]),
          );
      });
      await signIn(page, log, "bob");
      assert.equal(await page.getByTestId("username").textContent(), "bob");
      assert.equal(await page.getByText("alice").count(), 0);
      const seen = await Promise.all(bodies);
      const names = seen.map(([request]) => request);
      assert.ok(names.includes("POST /api/mizan/call/login/"), `no login seen: ${names}`);
      assert.ok(names.includes("GET /api/mizan/ctx/me/"), `no me seen: ${names}`);
      for (const [request, text] of seen) assert.doesNotMatch(text, /alice/, `${request} answered ${text}`);
      // what `me` said last is bob
      const me = seen.filter(([request]) => request === "GET /api/mizan/ctx/me/").at(-1)[1];
      assert.deepEqual(JSON.parse(me), { current_user: { staff: false, username: "bob" } });
      await page.close();
    });

    test("the devtools panel lists the entries and the mutation that caused each refetch", async () => {
      // Rendered in the browser (index.html as a static file), so that the page fetches its
      // contexts (a server-rendered page starts with them).
      const { page, log } = await open(`${server.url}/index.html`);
      await project1(page).locator("li").first().waitFor();
      await settled(page, log);
      const panel = page.locator("#devtools [data-mizan-devtools]");
      await panel.locator('[data-entries] tr[data-key="todos?project=1"]').waitFor();
      // mounted before the first render, the panel saw the page's first fetches and their cause
      for (const key of ["projects", "todos?project=1"])
        await panel.locator(`[data-log] tr[data-key="${key}"][data-cause="mount"]`).first().waitFor({ timeout: 2000 });
      assert.equal(await panel.locator('[data-log] tr[data-cause="(before devtools)"]').count(), 0);
      await signIn(page, log, "alice");
      await page.getByLabel("New todo in project 1").fill("Seen by devtools");
      await page.getByLabel("New todo in project 1").press("Enter");
      await project1(page).getByText("Seen by devtools").waitFor();
      const refetch = panel.locator('[data-log] tr[data-key="todos?project=1"][data-cause="mutation:add_todo"]');
      await refetch.first().waitFor();
      assert.match(await refetch.first().textContent(), /mutation:add_todo/);
      await page.close();
    });

    test("live: bob sees alice's new todo without reloading, and no frame of hers reaches him", async () => {
      // Two browsers (contexts): no shared cookies and no BroadcastChannel between them, so
      // only the WebSocket push can tell bob's page.
      const alice = await browser.newContext();
      const bob = await browser.newContext();
      const a = await open(server.url, alice);
      const b = await open(server.url, bob);
      const frames = [];
      b.page.on("websocket", (ws) => ws.on("framereceived", ({ payload }) => frames.push(String(payload))));
      await project1(a.page).locator("li").first().waitFor();
      await project1(b.page).locator("li").first().waitFor();
      await signIn(a.page, a.log, "alice");
      await signIn(b.page, b.log, "bob");
      await settled(a.page, a.log);
      a.log.length = 0;
      b.log.length = 0;
      frames.length = 0;

      await a.page.getByLabel("New todo in project 1").fill("Live from alice");
      await a.page.getByLabel("New todo in project 1").press("Enter");
      await project1(b.page).getByText("Live from alice").waitFor();
      // bob refetched, with his own credentials, exactly what alice's call invalidated
      assert.deepEqual((await settled(b.page, b.log)).sort(), [
        "GET /api/mizan/ctx/projects/",
        "GET /api/mizan/ctx/todos/?project=1",
      ]);
      // pushes carry invalidations, never data: nothing of alice's reached bob's socket
      const pushed = frames.map((f) => JSON.parse(f)).filter((m) => m.type === "invalidate");
      assert.ok(pushed.length > 0, "bob's page received no push");
      for (const frame of frames) assert.doesNotMatch(frame, /alice|Live from alice/);
      for (const m of pushed) assert.equal(m.source, "add_todo");
      // alice's own page applied her change once: her push was paired with her response
      await settled(a.page, a.log);
      assert.equal(a.log.filter((r) => r === "GET /api/mizan/ctx/todos/?project=1").length, 1);
      // bob's devtools name the push as the cause
      await b.page.locator('#devtools [data-log] tr[data-cause="push:add_todo"]').first().waitFor();
      assert.equal(await b.page.locator('[data-signed-in="bob"]').count(), 1, "bob is still bob");
      await alice.close();
      await bob.close();
    });

    test("live: after the server restarts, the page reconnects and is current", async () => {
      const context = await browser.newContext();
      const b = await open(server.url, context);
      await project1(b.page).locator("li").first().waitFor();
      await settled(b.page, b.log);
      server = await restartServer(server);
      // a change right after the restart: the page learns of it by the refetch that follows
      // its reconnection, or by a push once it is subscribed again
      const r = await fetch(`${server.url}/api/mizan/call/add_todo/`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(await apiSignIn(server.url, "alice")) },
        body: JSON.stringify({ project: 1, title: "After the restart" }),
      });
      assert.equal(r.status, 200);
      await project1(b.page).getByText("After the restart").waitFor({ timeout: 20_000 });
      // and it is live again
      const again = await fetch(`${server.url}/api/mizan/call/add_todo/`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(await apiSignIn(server.url, "bob")) },
        body: JSON.stringify({ project: 1, title: "Pushed after the restart" }),
      });
      assert.equal(again.status, 200);
      await project1(b.page).getByText("Pushed after the restart").waitFor();
      await context.close();
    });
  });
}

// Last (node:test runs these top-level tests in order): over every page of every test above.
describe("javascript off", () => {
  let server;
  before(async () => {
    server = await startServer(`sqlite://${join(work, "no-js.db")}?mode=rwc`, FRONT_ENDS[frameworks[0]]);
  });
  after(() => stopServer(server));

  test("the plain page's add form works without JavaScript: 303 back, the server's messages rendered", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/plain`);
    await page.locator('input[name="username"]').fill("alice");
    await page.locator('input[name="password"]').fill("alice-demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#me", { hasText: "Signed in as" }).waitFor();

    const form = page.locator("#add-1");
    const input = form.getByLabel("New todo in project 1");
    // Only spaces: the same rule as the JSON API's 422, rendered by the server next to the
    // field, with what was typed kept.
    await input.fill("   ");
    await Promise.all([page.waitForURL(/\/plain#add-1$/), form.getByRole("button", { name: "Add" }).click()]);
    assert.equal(await form.locator(".field-error").textContent(), "must not be only whitespace");
    assert.equal(await input.getAttribute("aria-invalid"), "true");
    assert.equal(await input.inputValue(), "   ");
    // Shown once: a reload is clean.
    await page.reload();
    assert.equal(await form.locator(".field-error").count(), 0);

    await input.fill("Written without JavaScript");
    await form.getByRole("button", { name: "Add" }).click();
    await page.getByText("Written without JavaScript").waitFor();
    assert.equal(await form.locator(".field-error").count(), 0);
    // and the JSON API sees it
    const todos = await (await fetch(`${server.url}/api/mizan/ctx/todos/?project=1`)).json();
    assert.ok(todos.todo_list.some((t) => t.title === "Written without JavaScript"));
    await context.close();
  });
});

test("the kernel sent no request that was redirected, in the whole run, in any front end", () => {
  assert.ok(apiResponses.length > 0, "no response to a /api/mizan/ URL was seen");
  assert.deepEqual(redirects, []);
});

test("with E2E_EDGE=1: every API response came through the edge, and some from its cache", { skip: !EDGE && "E2E_EDGE is not 1" }, async () => {
  const verdicts = (await Promise.all(edgeVerdicts)).filter((v) => v !== "fulfilled by the test");
  const missing = verdicts.filter((v) => !["hit", "miss", "pass"].includes(v));
  assert.deepEqual(missing, []);
  assert.ok(verdicts.includes("hit"), `no response was an edge hit: ${[...new Set(verdicts)]}`);
});
