// The static build (`npm run build`, scripts/build.mjs) as a teacher hosts it: dist/ served by a
// plain static file server (it sends Content-Type and nothing else: no Content-Security-Policy,
// no COOP/COEP, no cache headers), from a sub-folder as on GitHub Pages. The page trains, reads a
// drawing and steps through a test digit there; its policy, from the meta tag, is in force. After
// one visit its service worker holds every file: with the server stopped and the network off, a
// reload still trains, draws and steps through. A new build replaces the old one whole: a half
// uploaded build is refused, the open page keeps its own version until it reloads, only changed
// files are downloaded and the old cache is deleted. And the development server's sw.js removes
// a static build's worker that an earlier visit left on the same origin.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { launchBrowser, requireBuilt, tempDir, WWW } from "./harness.mjs";
import { MIME } from "../../scripts/serve.mjs";
import { build } from "../../scripts/build.mjs";

const SUB = "/class/";

let browser;
let site; // the build every test starts from: {out, version, files}

before(async () => {
  requireBuilt();
  site = build({ out: path.join(tempDir(), "dist") });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/**
 * A plain static file server for `root` under SUB: Content-Type only. `root` can be changed while
 * it runs; `requests` lists the paths asked for.
 */
async function plainServer(root, prefix = SUB) {
  const state = { root, requests: [] };
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, "http://x").pathname);
    state.requests.push(pathname);
    if (!pathname.startsWith(prefix) || pathname.includes("..")) return res.writeHead(404).end();
    let file = path.join(state.root, pathname.slice(prefix.length));
    if (pathname.endsWith("/")) file = path.join(file, "index.html");
    fs.readFile(file, (err, body) => {
      if (err) return res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": MIME[path.extname(file)] || "application/octet-stream" });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}${prefix}`;
  const close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, state, close };
}

/**
 * A new browser context (service workers allowed unless `serviceWorkers: "block"`) and a page that
 * records console errors (page and workers), uncaught exceptions, failed requests, and requests to
 * anywhere but 127.0.0.1.
 */
async function newPage({ serviceWorkers = "allow", width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, serviceWorkers });
  const page = await context.newPage();
  const errors = [];
  const external = [];
  const onConsole = (where) => (msg) => msg.type() === "error" && errors.push(`${where}${msg.text()}`);
  page.on("console", onConsole(""));
  page.on("worker", (w) => w.on("console", onConsole("worker: ")));
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!["data:", "blob:"].includes(u.protocol) && u.hostname !== "127.0.0.1") external.push(r.url());
  });
  return { context, page, errors, external };
}

const loaded = (page) => page.waitForFunction(() => window.backpropLab?.model && window.backpropLab?.data, null, { timeout: 60_000 });

/** Draws a 7 on the drawing pad and returns the digit the page reads. */
async function drawSeven(page) {
  await page.locator(".pad").scrollIntoViewIfNeeded();
  const box = await page.locator(".pad").boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at([0.28, 0.22]));
  await page.mouse.down();
  for (const p of [
    [0.72, 0.22],
    [0.46, 0.82],
  ])
    await page.mouse.move(...at(p), { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction(() => /^\d$/.test(document.querySelector(".top-digit").textContent), null, { timeout: 10_000 });
  await page.waitForTimeout(300);
  return page.locator(".top-digit").textContent();
}

/** Steps through test digit 42; returns the loss step's numbers: {loss, probTrue}. */
async function stepThroughDigit(page) {
  await page.click('.tab[data-view="step"]');
  await page.waitForSelector(".st-source", { timeout: 30_000 });
  await page.fill("#st-index", "42");
  await page.click('.st-panel[data-panel="digit"] .btn-primary');
  await page.waitForFunction(() => /^Test digit 42/.test(document.querySelector(".st-status").textContent), null, { timeout: 30_000 });
  await page.$eval('.st-toc-btn[data-step-id="loss"]', (b) => b.click());
  await page.waitForSelector('.st-step[data-step-id="loss"]');
  return page.$$eval(".st-step [data-key]", (els) => {
    const v = Object.fromEntries(els.map((e) => [e.dataset.key, Number(e.dataset.value)]));
    return { loss: v["loss-example"], probTrue: v["prob-true"] };
  });
}

/** Trains a fresh mlp-64 for at least `steps` steps, then pauses; returns the losses of every step. */
async function trainALittle(page, steps = 60) {
  await page.click('.tab[data-view="train"]');
  await page.click("text=Start training");
  await page.waitForFunction((n) => window.backpropLab.history().lossRaw.length >= n, steps, { timeout: 60_000 });
  await page.click("text=Pause");
  await page.waitForFunction(() => window.backpropLab.state === "paused", null, { timeout: 10_000 });
  return page.evaluate(() => window.backpropLab.history().lossRaw);
}

/** Everything the page does, as a student would: a drawn 7, a step through, a little training. */
async function useThePage(page) {
  assert.equal(await drawSeven(page), "7", "the pretrained model reads a drawn 7");
  const { loss, probTrue } = await stepThroughDigit(page);
  assert.ok(probTrue > 0 && probTrue <= 1, `p_y = ${probTrue}`);
  assert.ok(Math.abs(loss + Math.log(probTrue)) <= 1e-5 * Math.max(1, loss), `loss ${loss} = −ln ${probTrue}`);
  const losses = await trainALittle(page);
  const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(losses.length >= 60, `${losses.length} losses`);
  assert.ok(
    mean(losses.slice(-10)) < mean(losses.slice(0, 10)),
    `the loss went from ${mean(losses.slice(0, 10))} to ${mean(losses.slice(-10))}`,
  );
}

const QUERY = "?model=mlp-64&opt=adam&lr=0.003&batch=64&epochs=1&seed=1";

/** The service worker state: once it is active, the cache names of this origin and the files in each. */
const swState = (page) =>
  page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    const caches_ = {};
    for (const name of await caches.keys()) caches_[name] = (await (await caches.open(name)).keys()).map((r) => r.url);
    return { scope: reg.scope, controlled: !!navigator.serviceWorker.controller, caches: caches_ };
  });

/** The paths a build lists in its service worker (every file but sw.js). */
const precached = (b) => b.files.map((f) => f.path).filter((p) => p !== "sw.js");

test("dist/ from a plain static server in a sub-folder: its policy is in force, and it trains, draws and steps through", async () => {
  const server = await plainServer(site.out);
  // Service workers off: the page as a host serves it, on every visit (also where they are unavailable).
  const { context, page, errors, external } = await newPage({ serviceWorkers: "block" });
  try {
    const res = await page.goto(server.url + QUERY);
    const headers = res.headers();
    for (const h of ["content-security-policy", "cross-origin-opener-policy", "cross-origin-embedder-policy", "cache-control"]) {
      assert.equal(headers[h], undefined, `the plain server sent ${h}`);
    }
    await loaded(page);
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), false);
    await useThePage(page);
    assert.deepEqual(errors, []);
    assert.deepEqual(external, []);
    // The meta tag's policy is enforced: an inline script is refused.
    const refused = await page.evaluate(
      () =>
        new Promise((resolve) => {
          document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective), { once: true });
          const s = document.createElement("script");
          s.textContent = "window.__inline = true";
          document.head.append(s);
          setTimeout(() => resolve(window.__inline ? "ran" : "no event"), 2000);
        }),
    );
    assert.equal(refused, "script-src-elem");
  } finally {
    await context.close();
    await server.close();
  }
});

test("after one visit the page works offline: with the server stopped and the network off, a reload trains, draws and steps through", async () => {
  const server = await plainServer(site.out);
  const { context, page, errors, external } = await newPage();
  try {
    await page.goto(server.url + QUERY);
    await loaded(page);
    const st = await swState(page);
    assert.equal(st.scope, server.url);
    const names = Object.keys(st.caches);
    assert.deepEqual(names, [`backprop-lab ${server.url} ${site.version}`]);
    assert.deepEqual(st.caches[names[0]].map((u) => u.slice(server.url.length)).sort(), precached(site).sort());
    await page.waitForFunction(() => /works without a network/.test(document.querySelector(".offline-note")?.textContent ?? ""));

    await server.close();
    await context.setOffline(true);
    await page.reload();
    await loaded(page);
    assert.equal((await swState(page)).controlled, true);
    await useThePage(page);
    assert.deepEqual(errors, []);
    assert.deepEqual(external, []);
  } finally {
    await context.close();
    await server.close();
  }
});

/** Updates the registration; resolves to the new worker's state once it has settled ("installed" or "redundant"). */
const update = (page) =>
  page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    await reg.update();
    const w = reg.installing || reg.waiting;
    if (!w) return "no new worker";
    const settled = () => w.state === "installed" || w.state === "redundant";
    if (!settled()) await new Promise((resolve) => w.addEventListener("statechange", () => settled() && resolve()));
    return w.state;
  });

test("a new build replaces the old one whole: never half uploaded, never mixed with the open page, only changed files downloaded", async () => {
  const tmp = tempDir();
  const live = path.join(tmp, "live");
  fs.cpSync(site.out, live, { recursive: true });
  // The second build: www with one lazily loaded module changed.
  const src2 = path.join(tmp, "www2");
  fs.cpSync(WWW, src2, { recursive: true, dereference: true });
  const changed = "views/stepthrough/dom.js";
  fs.appendFileSync(path.join(src2, changed), "// the second build\n");
  const site2 = build({ src: src2, out: path.join(tmp, "dist2") });
  assert.notEqual(site2.version, site.version);
  const differ = site2.files.filter((f, i) => f.sha256 !== site.files[i].sha256).map((f) => f.path);
  assert.deepEqual(differ.sort(), [changed, "sw.js"].sort());

  const server = await plainServer(live);
  const { context, page, errors } = await newPage();
  const v1 = `backprop-lab ${server.url} ${site.version}`;
  const v2 = `backprop-lab ${server.url} ${site2.version}`;
  const moduleText = () => page.evaluate((p) => fetch(p).then((r) => r.text()), changed);
  try {
    await page.goto(server.url);
    await loaded(page);
    assert.deepEqual(Object.keys((await swState(page)).caches), [v1]);
    await page.reload(); // now controlled
    await loaded(page);

    // Half uploaded: the new sw.js is there, the changed module is still the old one. The new
    // worker finds a file that is not the one it lists and gives up; the old version stays whole.
    fs.copyFileSync(path.join(site2.out, "sw.js"), path.join(live, "sw.js"));
    assert.equal(await update(page), "redundant");
    assert.deepEqual(Object.keys((await swState(page)).caches), [v1]);
    assert.equal(await page.locator(".alert", { hasText: "new version" }).count(), 0);

    // The upload completes: the new worker downloads only what changed and waits.
    fs.copyFileSync(path.join(site2.out, changed), path.join(live, changed));
    server.state.requests = [];
    assert.equal(await update(page), "installed");
    assert.deepEqual(
      server.state.requests.filter((p) => p !== `${SUB}sw.js`),
      [SUB + changed],
    );
    assert.deepEqual(Object.keys((await swState(page)).caches).sort(), [v1, v2].sort());
    // The open page still gets its own version of every file, and is offered the new one.
    assert.doesNotMatch(await moduleText(), /the second build/);
    const alert = page.locator(".alert", { hasText: "A new version of backprop-lab is ready" });
    await alert.waitFor({ timeout: 10_000 });
    await Promise.all([page.waitForEvent("load"), alert.locator("button", { hasText: "Reload now" }).click()]);
    await loaded(page);
    assert.match(await moduleText(), /the second build/);
    const st = await swState(page);
    assert.deepEqual(Object.keys(st.caches), [v2]);
    assert.equal(st.caches[v2].length, precached(site2).length);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test("the development server's sw.js removes the worker a static build left on the same origin", async () => {
  const server = await plainServer(site.out);
  const { context, page } = await newPage();
  try {
    await page.goto(server.url);
    await loaded(page);
    assert.equal(Object.keys((await swState(page)).caches).length, 1);
    // The same origin now serves www/ as `npm start` does; the old worker still answers the next
    // visit from its cache, its page asks for sw.js, and that one removes it all and reloads.
    server.state.root = WWW;
    await page.reload();
    const deadline = Date.now() + 30_000;
    let last;
    for (;;) {
      try {
        last = await page.evaluate(async () => ({
          controlled: !!navigator.serviceWorker.controller,
          registrations: (await navigator.serviceWorker.getRegistrations()).length,
          caches: (await caches.keys()).length,
          built: !!document.querySelector('meta[name="backprop-lab:service-worker"]'),
        }));
        if (!last.controlled && !last.registrations && !last.caches && !last.built) break;
      } catch {
        // the page is being reloaded
      }
      assert.ok(Date.now() < deadline, `still ${JSON.stringify(last)}`);
      await page.waitForTimeout(200);
    }
    await loaded(page);
  } finally {
    await context.close();
    await server.close();
  }
});
