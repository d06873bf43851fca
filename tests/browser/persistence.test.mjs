// Nothing a user makes is lost: the trained model, its training settings, a drawing on the pad,
// the tiny network being edited in the step-through (with the steps taken), and a training run
// cut short, each checked after a reload and after a crashed worker — terminated (it dies without
// a word: the page notices that it stopped answering) or killed by an uncaught error. The page
// must say what happened and what is kept, and a restarted worker must go on where the user was.
// A run cut short resumes from its last autosave and ends with the very weights of a run that
// was never interrupted (same seed, same shuffling: the trainer's place is in the saved model).
// Own digits have no page yet; their row joins this matrix with them.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { startServer, launchBrowser, openPage, requireBuilt, tempDir, ROOT, draw } from "./harness.mjs";

const CLI = path.join(ROOT, "target/release/backprop-lab");
const AXE = fs.readFileSync(path.join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");

let server;
let browser;
/** Steps in one epoch at batch 200 on the data the page serves. */
let STEPS_PER_EPOCH;

before(async () => {
  requireBuilt();
  if (!fs.existsSync(CLI)) throw new Error(`missing the command-line tool (${CLI}); run \`cargo build --release\` first`);
  const data = JSON.parse(fs.readFileSync(path.join(ROOT, "www/data/manifest.json"), "utf8"));
  STEPS_PER_EPOCH = Math.ceil(data.train / 200);
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(query, { width = 1280, height = 900 } = {}) {
  const p = await openPage(browser, `${server.url}/?${query}`, { width, height });
  await ready(p.page);
  return p;
}

/** Waits for the model and the data (after a load, a reload or a restart). */
async function ready(page) {
  await page.waitForFunction(() => window.backpropLab?.model && window.backpropLab.state === "idle", null, { timeout: 60_000 });
  await page.waitForFunction(() => window.backpropLab.data, null, { timeout: 60_000 });
}

const SEVEN = [
  [
    [0.28, 0.22],
    [0.72, 0.22],
    [0.46, 0.82],
  ],
];

async function goToStep(page, id) {
  await page.$eval(`.st-toc-btn[data-step-id="${id}"]`, (b) => b.click());
  await page.waitForSelector(`.st-step[data-step-id="${id}"]`);
}

/** `backprop-lab trace --spec file --steps n`: the core's traces, natively. */
function cliTraces(specFile, steps) {
  const r = spawnSync(CLI, ["trace", "--spec", specFile, "--steps", String(steps)], { encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `backprop-lab trace failed: ${r.stderr}`);
  return JSON.parse(r.stdout).traces;
}

/** The same f32 as the core's, within the last bits (the wasm build has no fused multiply-add). */
function sameF32(actual, expected, what) {
  const tol = 1e-5 * Math.max(Math.abs(actual), Math.abs(expected)) + 1e-10;
  assert.ok(Math.abs(Math.fround(actual) - Math.fround(expected)) <= tol, `${what}: page ${actual}, core ${expected}`);
}

/** The step-through's loss at the step on show ("loss"), as the core sent it. */
async function shownLoss(page) {
  await goToStep(page, "loss");
  return Number(await page.$eval('.st-step [data-key="loss"]', (e) => e.dataset.value));
}

/**
 * Everything the user made, as the page holds it: the settings (form and URL), the model (its step,
 * the first layer's weights and a test digit's probabilities, from the worker), the drawing (its
 * strokes and what the page reads), and the step-through's tiny network (steps taken).
 */
async function made(page) {
  return page.evaluate(async () => {
    const app = window.backpropLab;
    const form = {};
    for (const f of document.querySelector("form.settings").elements) if (f.name) form[f.name] = f.value;
    const w = await app.client.request("weights", { layer: 0 });
    const digit = await app.client.request("predictTestDigit", { index: 0 });
    return {
      form,
      query: location.search,
      model: { step: app.model.step, settings: app.model.settings, weights: Array.from(w.slice(0, 200)), probs: digit.probs },
      strokes: localStorage.getItem("backprop-lab:drawing"),
      read: document.querySelector(".top-digit").textContent,
      stepsTaken: document.querySelector('[data-key="steps-taken"]')?.dataset.value ?? null,
    };
  });
}

/** The crash alert: says the worker stopped and what is kept; restarting brings the page back. */
async function restartAfterCrash(page) {
  const alert = page.locator(".alert", { hasText: "The worker that runs the network stopped" });
  await alert.waitFor({ timeout: 30_000 });
  const text = await alert.innerText();
  assert.match(text, /Kept: your model as saved .+ ago, your settings, your drawing and your network in the step-through/);
  assert.equal(await page.evaluate(() => window.backpropLab.state), "failed");
  // The message is accessible like the rest of the page (a11y.test.mjs).
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () =>
    (await window.axe.run(document.querySelector("#alerts"), { resultTypes: ["violations"] })).violations.map(
      (v) => `${v.id} (${v.impact})`,
    ),
  );
  assert.deepEqual(violations, [], "axe on the message");
  await alert.locator("button", { hasText: "Restart the worker" }).click();
  await ready(page);
  return text;
}

/**
 * Kills the page's worker without a word (as a browser may): only its silence tells, the next time
 * the page asks it something (here: the user opens the weights view, which asks for the weights).
 */
async function terminateWorker(page) {
  await page.evaluate(() => {
    const c = window.backpropLab.client;
    c.silenceMs = 2_000; // the page's own watchdog, quicker for the test
    c.worker.terminate();
  });
  const view = await page.evaluate(() => location.hash);
  await page.click('.tab[data-view="weights"]');
  await page.locator(".alert", { hasText: "The worker that runs the network stopped" }).waitFor({ timeout: 30_000 });
  await page.evaluate((v) => (location.hash = v), view);
}

/** An uncaught error in the worker (a bug escaping every handler). */
async function throwInWorker(page) {
  const worker = page.workers().find((w) => w.url().endsWith("/worker.js"));
  assert.ok(worker, "the page's worker is running");
  await worker.evaluate(() =>
    setTimeout(() => {
      throw new Error("simulated crash");
    }),
  );
}

/** Console errors besides the ones a simulated crash makes on purpose. */
const unexpected = (errors) => errors.filter((e) => !/simulated crash|the worker was restarted|has not answered/.test(e));

test("the model, its settings, a drawing and the spec being edited survive a reload and a crashed worker", async (t) => {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, "www/presets/relu-softmax-adam.json"), "utf8"));
  const file = path.join(tempDir(), "spec.json");
  fs.writeFileSync(file, JSON.stringify(spec));
  const traces = cliTraces(file, 3);

  const epochs = Math.max(1, Math.round(150 / STEPS_PER_EPOCH));
  const { page, consoleErrors, close } = await open(`model=mlp-64&opt=adam&lr=0.002&batch=200&epochs=${epochs}&seed=3`);
  try {
    // Settings: one changed in the form (it goes to the URL).
    await page.fill('form.settings [name="seed"]', "5");
    await page.locator('form.settings [name="seed"]').dispatchEvent("change");
    await page.waitForFunction(() => /seed=5/.test(location.search));
    // A model, trained.
    await page.click("text=Start training");
    await page.waitForFunction(() => window.backpropLab.state === "done", null, { timeout: 120_000 });
    await page.waitForFunction(() => /Saved in this browser/.test(document.querySelector(".model-card").textContent));
    // A drawing.
    await draw(page, SEVEN);
    await page.waitForFunction(() => /^\d$/.test(document.querySelector(".top-digit").textContent), null, { timeout: 10_000 });
    // A tiny network in the step-through, one step taken.
    await page.evaluate(() => (location.hash = "step"));
    await page.waitForSelector(".st-source", { timeout: 60_000 });
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    await page.selectOption("#st-preset", "relu-softmax-adam");
    await page.waitForFunction(() => /3-4-3 ReLU/.test(document.querySelector(".st-title")?.textContent || ""));
    await page.click('[data-action="take-step"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "1");
    await page.waitForTimeout(500); // the network after the step is stored once the worker has exported it
    sameF32(await shownLoss(page), traces[1].loss.value, "the second step's loss");
    const before = await made(page);
    assert.equal(before.model.settings.seed, 5);
    assert.equal(before.stepsTaken, "1");
    assert.match(before.read, /^\d$/);

    // (1) A reload.
    await page.reload();
    await ready(page);
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "1", null, { timeout: 60_000 });
    await page.waitForFunction(() => /^\d$/.test(document.querySelector(".top-digit").textContent), null, { timeout: 10_000 });
    assert.deepEqual(await made(page), before, "after a reload");
    assert.equal(await page.evaluate(() => window.backpropLab.modelOrigin), "restored");
    sameF32(await shownLoss(page), traces[1].loss.value, "the spec after a reload");

    // (2) A worker that dies without a word: the page notices, says so and what is kept.
    await terminateWorker(page);
    t.diagnostic(`terminated: ${await restartAfterCrash(page)}`);
    await page.waitForFunction(() => /^\d$/.test(document.querySelector(".top-digit").textContent), null, { timeout: 10_000 });
    assert.deepEqual(await made(page), before, "after the worker was terminated and restarted");
    // The tiny network goes on where it was: the next step is the core's third.
    await page.click('[data-action="take-step"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "2");
    sameF32(await shownLoss(page), traces[2].loss.value, "the spec's next step after the restart");

    // (3) An uncaught error in the worker.
    await throwInWorker(page);
    t.diagnostic(`uncaught error: ${await restartAfterCrash(page)}`);
    const again = await made(page);
    assert.deepEqual({ ...again, stepsTaken: "2" }, { ...before, stepsTaken: "2" }, "after an uncaught error and a restart");
    assert.deepEqual(unexpected(consoleErrors), []);
  } finally {
    await close();
  }
});

/** The first layer's weights and the step of the model in the worker. */
const modelState = (page) =>
  page.evaluate(async () => ({
    step: window.backpropLab.model.step,
    weights: Array.from(await window.backpropLab.client.request("weights", { layer: 0 })),
  }));

/**
 * Waits for the run in training to reach `step`, then saves it as the page does every few seconds;
 * resolves to the steps it was saved between (training goes on meanwhile). Training, not just the
 * step: right after Start the page still holds the model being replaced (it is kept as the previous
 * model first), whose step may already be past `step`.
 */
async function autosaveAfter(page, step) {
  await page.waitForFunction((s) => window.backpropLab.state === "training" && window.backpropLab.model.step >= s, step, {
    timeout: 120_000,
  });
  return page.evaluate(async () => {
    const app = window.backpropLab;
    const from = app.model.step;
    await app.autosave();
    return { from, to: (await app.client.request("describe")).step };
  });
}

/** The offer to resume, with the place of the last save; accepting it trains on. */
async function resume(page) {
  const button = page.locator(".alert button", { hasText: /^Resume training from epoch \d+, step [\d,]+$/ });
  await button.waitFor({ timeout: 30_000 });
  const label = await button.innerText();
  const m = await page.evaluate(() => window.backpropLab.model);
  assert.equal(label, `Resume training from epoch ${m.epoch + 1}, step ${m.step.toLocaleString("en-US")}`);
  await button.click();
  await page.waitForFunction(() => window.backpropLab.state === "training", null, { timeout: 10_000 });
  return { label, step: m.step };
}

/**
 * Ending with the same weights needs the trainer's place (shuffles, position in the epoch, epoch
 * count) in the saved model file (src/train.rs `Place`); until the core saves it, a resumed run
 * starts its epochs afresh, so this test waits for it.
 */
const PLACE_SAVED = fs.readFileSync(path.join(ROOT, "src/train.rs"), "utf8").includes("pub struct Place");

test(
  "a training run cut short by a crash and by a reload resumes from its last autosave and ends where an uninterrupted run ends",
  {
    skip: !PLACE_SAVED && "the model file does not keep the trainer's place yet",
  },
  async (t) => {
    const settings = "model=mlp-64&opt=adam&lr=0.001&batch=200&epochs=2&seed=11";
    const total = 2 * STEPS_PER_EPOCH;

    // The run as it goes when nothing interrupts it.
    let straight;
    {
      const { page, consoleErrors, close } = await open(settings);
      try {
        await page.click("text=Start training");
        await page.waitForFunction(() => window.backpropLab.state === "done", null, { timeout: 240_000 });
        straight = await modelState(page);
        assert.equal(straight.step, total);
        assert.deepEqual(consoleErrors, []);
      } finally {
        await close();
      }
    }

    const { page, consoleErrors, close } = await open(settings);
    try {
      await page.click("text=Start training");
      // A crash a third into the first epoch, after an autosave.
      const saved1 = await autosaveAfter(page, Math.floor(STEPS_PER_EPOCH / 3));
      await throwInWorker(page);
      const crash = await restartAfterCrash(page);
      assert.match(crash, /Training stopped; the steps since that save are lost/);
      const r1 = await resume(page);
      t.diagnostic(`after the crash: "${r1.label}" (saved between steps ${saved1.from} and ${saved1.to})`);
      assert.ok(r1.step >= saved1.from && r1.step <= saved1.to, `resumed at step ${r1.step}`);
      // A reload half-way through the second epoch, after an autosave.
      const saved2 = await autosaveAfter(page, STEPS_PER_EPOCH + Math.floor(STEPS_PER_EPOCH / 2));
      await page.reload();
      await ready(page);
      assert.match(await page.locator(".alert").first().innerText(), /Training was cut short when the page was closed or reloaded/);
      const r2 = await resume(page);
      t.diagnostic(`after the reload: "${r2.label}" (saved between steps ${saved2.from} and ${saved2.to})`);
      assert.ok(r2.step > STEPS_PER_EPOCH && r2.step >= saved2.from && r2.step <= saved2.to, `resumed at step ${r2.step}`);
      await page.waitForFunction(() => window.backpropLab.state === "done", null, { timeout: 240_000 });
      const resumed = await modelState(page);
      assert.equal(resumed.step, total);
      assert.ok(
        resumed.weights.every((w, i) => w === straight.weights[i]),
        "the same weights, bit for bit, as the run never interrupted",
      );
      // Finished: nothing left to resume.
      await page.reload();
      await ready(page);
      assert.equal(await page.locator(".alert button", { hasText: "Resume training" }).count(), 0);
      assert.deepEqual(unexpected(consoleErrors), []);
    } finally {
      await close();
    }
  },
);
