// Shared set-up of the browser tests: a local server, Debian's Chromium driven by playwright-core,
// and a page that records what went wrong.
//
//   import { startServer, launchBrowser, openPage } from "./harness.mjs";
//
//   const server = await startServer();            // www/ at "/", tests/browser/fixtures/ at "/__test__/"
//   const browser = await launchBrowser();
//   const { page, consoleErrors, externalRequests, close } = await openPage(browser, server.url + "/", { width: 1280, height: 800 });
//   ...                                             // drive the page
//   assert.deepEqual(consoleErrors, []);            // console.error, uncaught exceptions (page and workers), CSP violations
//   assert.deepEqual(externalRequests, []);         // any request not to 127.0.0.1 (it is blocked, then listed here)
//   await close(); await browser.close(); await server.close();
//
// The tests expect the set-up step to have run (wasm in www/pkg, data in www/data, the default
// model in www/model); `requireBuilt()` fails early with a message that says so.
// CHROMIUM=/path/to/chromium overrides the browser (default /usr/bin/chromium).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { createServer, listen } from "../../scripts/serve.mjs";
import { ROOT } from "../../scripts/paths.mjs";

export { ROOT };
export const WWW = path.join(ROOT, "www");
export const FIXTURES = path.join(ROOT, "tests", "browser", "fixtures");

/** The core's vocabulary (src/vocabulary.rs) as the wasm build published it for the page. */
export async function publishedVocabulary() {
  return (await import(pathToFileURL(path.join(WWW, "pkg", "vocabulary.js")).href)).default;
}

/** Throws a helpful error when the set-up step has not produced what the page loads. */
export function requireBuilt({ data = true, model = true } = {}) {
  const need = [
    ["www/pkg/simd/backprop_lab.js", "the wasm build"],
    ["www/pkg/nosimd/backprop_lab.js", "the wasm fallback build"],
    ["www/vendor/katex/katex.min.js", "the vendored front-end libraries"],
  ];
  if (data) need.push(["www/data/manifest.json", "the data"]);
  if (model) need.push(["www/model/default.safetensors", "the default model"]);
  const missing = need.filter(([f]) => !fs.existsSync(path.join(ROOT, f)));
  if (missing.length) {
    throw new Error(`missing ${missing.map(([f, what]) => `${what} (${f})`).join(", ")}; run \`node scripts/setup.mjs\` first`);
  }
}

/**
 * Serves www/ at "/" and the test fixtures at "/__test__/" on 127.0.0.1, on a free port.
 * Extra `[prefix, directory]` mounts come first (for example to serve a broken data set);
 * `isolated: false` serves without COOP/COEP (a page that is not cross-origin isolated).
 * @returns {Promise<{url: string, port: number, close: () => Promise<void>}>}
 */
export async function startServer({ mounts = [], isolated = true } = {}) {
  const server = createServer({ mounts: [...mounts, ["/__test__/", FIXTURES], ["/", WWW]], isolated });
  const { url, port } = await listen(server, 0);
  return {
    url,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Timers and rAF keep their pace although no window is ever focused.
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
];

/**
 * Launches headless Chromium (never downloads one). playwright-core gives every launch a fresh,
 * temporary profile directory and removes it on close.
 */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  if (!fs.existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}; install it (Debian: apt-get install chromium) or set CHROMIUM=...`);
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/**
 * Opens `url` in a new context of its own (no shared storage between tests).
 * - consoleErrors: strings, from console.error in the page and its workers, uncaught exceptions,
 *   and failed same-origin requests (a 404 shows up here too).
 * - externalRequests: URLs of requests to anywhere but 127.0.0.1 (blocked).
 * - waitUntil: passed to page.goto (default "load").
 * - contextOptions: more options of the browser context (for example `{hasTouch: true, isMobile: true}`).
 * @returns {Promise<{page, context, consoleErrors: string[], externalRequests: string[], close: () => Promise<void>}>}
 */
export async function openPage(browser, url, { width = 1280, height = 800, waitUntil = "load", contextOptions = {} } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, serviceWorkers: "block", ...contextOptions });
  const consoleErrors = [];
  const externalRequests = [];
  await context.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === "data:" || u.protocol === "blob:" || u.hostname === "127.0.0.1") return route.continue();
    externalRequests.push(route.request().url());
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const onConsole = (where) => (msg) => {
    if (msg.type() === "error") consoleErrors.push(`${where}console.error: ${msg.text()}`);
  };
  page.on("console", onConsole(""));
  page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.stack || e.message}`));
  page.on("worker", (w) => w.on("console", onConsole("worker ")));
  page.on("requestfailed", (r) => {
    const u = new URL(r.url());
    if (u.hostname === "127.0.0.1") consoleErrors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
  await page.goto(url, { waitUntil });
  return { page, context, consoleErrors, externalRequests, close: () => context.close() };
}

/**
 * Measures the main thread's frame gaps for `ms` milliseconds while `during()` runs; resolves to
 * {gaps: number[], maxGap, frames, result}. Gaps are requestAnimationFrame deltas in the page.
 */
export async function measureFrames(page, ms, during = async () => undefined) {
  await page.evaluate(() => {
    window.__frames = { last: 0, gaps: [], on: true };
    const tick = (t) => {
      const f = window.__frames;
      if (!f.on) return;
      if (f.last) f.gaps.push(t - f.last);
      f.last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  const result = await during();
  const left = ms - (Date.now() - started);
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  const gaps = await page.evaluate(() => {
    window.__frames.on = false;
    return window.__frames.gaps;
  });
  return { gaps, maxGap: Math.max(0, ...gaps), frames: gaps.length, result };
}

/** A scratch directory removed at process exit. */
export function tempDir(prefix = "backprop-lab-test-") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Draws strokes on the drawing pad with the mouse; points are fractions of its size. */
export async function draw(page, strokes) {
  await page.locator(".pad").scrollIntoViewIfNeeded();
  const box = await page.locator(".pad").boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const s of strokes) {
    await page.mouse.move(...at(s[0]));
    await page.mouse.down();
    for (const p of s.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
    await page.mouse.up();
  }
}
