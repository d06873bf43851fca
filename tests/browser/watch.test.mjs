// Watching training and going back in it: the timeline (its snapshots within the vocabulary's
// memory bound, thinning out rather than stopping, kept across a reload; scrubbed with the keyboard,
// showing the model as it was everywhere; two points compared; training continued from a point,
// exactly), the speed control (one step at a time, the ETA at the chosen pace, the weights view
// following every step), the health panel (the core's numbers, and its warning before a huge
// learning rate diverges), the model card and the Start button telling the truth, the phone layout,
// and screenshots of all that at 1440 and 375 px (in target/screenshots/).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startServer, launchBrowser, openPage, requireBuilt, publishedVocabulary, ROOT } from "./harness.mjs";
import { TWO_CORES } from "../../www/lib/cores.js";

const SHOTS = path.join(ROOT, "target", "screenshots");
requireBuilt();
/** The core's vocabulary, as the page has it: the timeline's bound, the speeds. */
const VOCABULARY = await publishedVocabulary();
const BOUND = VOCABULARY.timeline.bytes;

let DATA, server, browser;

before(async () => {
  DATA = JSON.parse(fs.readFileSync(path.join(ROOT, "www/data/manifest.json"), "utf8"));
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the page; resolves once the model and the data are in place. */
async function open(query = "", { width = 1440, height = 900, hash = "" } = {}) {
  const p = await openPage(browser, `${server.url}/${query ? `?${query}` : ""}${hash}`, { width, height });
  await p.page.waitForFunction(() => window.backpropLab?.model && window.backpropLab.data, null, { timeout: 60_000 });
  return p;
}

async function shot(page, name, { full = true } = {}) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: full });
}

/** Records the worker's events of `types` in the page (window.__events[type]). */
async function record(page, types) {
  await page.evaluate((types) => {
    window.__events ??= {};
    for (const t of types) {
      window.__events[t] = [];
      window.backpropLab.client.on(t, (e) => window.__events[t].push(e));
    }
  }, types);
}

const events = (page, type) => page.evaluate((t) => window.__events[t], type);
const app = (page, fn, arg) => page.evaluate(fn, arg);

/** Draws a 7 on the pad. */
async function drawSeven(page) {
  await page.locator(".pad").scrollIntoViewIfNeeded();
  const box = await page.locator(".pad").boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  const stroke = [
    [0.28, 0.22],
    [0.72, 0.22],
    [0.46, 0.82],
  ];
  await page.mouse.move(...at(stroke[0]));
  await page.mouse.down();
  for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
  await page.mouse.up();
  await page.waitForFunction(() => window.backpropLab.drawing, null, { timeout: 10_000 });
}

/** The timeline's snapshots as this browser's IndexedDB keeps them: {runId, step, bytes}. */
const storedSnapshots = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open("backprop-lab");
        req.onsuccess = () => {
          const db = req.result;
          const all = db.transaction("snapshots").objectStore("snapshots").getAll();
          all.onsuccess = () => {
            db.close();
            resolve(all.result.map((r) => ({ runId: r.runId, step: r.step, bytes: r.bytes.byteLength })));
          };
          all.onerror = () => reject(all.error);
        };
        req.onerror = () => reject(req.error);
      }),
  );

test("the timeline keeps its snapshots within the memory bound, thins out rather than stops, and survives a reload", async () => {
  // mlp-512-dropout: about 8 MB a snapshot (weights and Adam's two moments), so the bound is
  // reached within the first ten steps.
  const { page, consoleErrors, close } = await open("model=mlp-512-dropout&opt=adam&lr=0.001&batch=32&epochs=1&seed=1");
  try {
    await record(page, ["timeline"]);
    await page.click("text=Start training");
    await page.waitForFunction(() => (window.__events.timeline.at(-1)?.entries.at(-1)?.step ?? 0) >= 250, null, { timeout: 120_000 });
    await page.click("button:has-text('Pause')");
    await page.waitForFunction(() => window.backpropLab.state === "paused");
    await page.waitForFunction(() => /Saved in this browser/.test(document.querySelector(".model-card").textContent), null, {
      timeout: 30_000,
    });

    const timelines = await events(page, "timeline");
    const size = timelines.find((t) => t.entries.length)?.entries[0].bytes;
    assert.ok(size > 7e6, `a snapshot of mlp-512-dropout is about 8 MB (${size})`);
    const room = Math.floor(BOUND / size);
    let full = -1;
    for (const [i, t] of timelines.entries()) {
      assert.equal(t.bound, BOUND, "the vocabulary's bound");
      assert.ok(t.held <= BOUND, `the worker holds ${t.held} bytes, over the bound ${BOUND}`);
      assert.equal(t.held, t.bytes, "the worker holds exactly what the core's timeline counts");
      assert.ok(t.entries.length <= room);
      if (full < 0 && t.entries.length === room) full = i;
    }
    assert.ok(full >= 0, "the bound was reached");
    // After that, the newest snapshot keeps moving on: the timeline thins out rather than stops.
    const newest = new Set(timelines.slice(full).map((t) => t.entries.at(-1).step));
    assert.ok(newest.size >= 5, `new snapshots after the bound was reached: ${[...newest].join(", ")}`);
    const last = timelines.at(-1);
    assert.equal(last.entries[0].step, 0, "the start is kept");
    // Spread over the run, dense early: some before step 10, some after 100.
    const steps = last.entries.map((e) => e.step);
    assert.ok(steps.some((s) => s > 0 && s < 10) && steps.some((s) => s > 100), `spread: ${steps}`);

    // IndexedDB keeps the same snapshots, of this run only, within the bound too. The worker
    // writes and deletes them as it goes, so the last of these may still be landing after Pause:
    // wait (up to 10 s) for the store to settle on the timeline's steps.
    const sameSteps = (list) => JSON.stringify(list.map((s) => s.step).sort((a, b) => a - b)) === JSON.stringify(steps);
    let stored = await storedSnapshots(page);
    for (let i = 0; i < 50 && !sameSteps(stored); i++) {
      await page.waitForTimeout(200);
      stored = await storedSnapshots(page);
    }
    const runId = await app(page, () => window.backpropLab.runId);
    assert.deepEqual(
      stored.map((s) => s.runId),
      stored.map(() => runId),
    );
    assert.deepEqual(
      stored.map((s) => s.step).sort((a, b) => a - b),
      steps,
    );
    assert.ok(stored.reduce((a, s) => a + s.bytes, 0) <= BOUND, "the stored bytes stay within the bound");

    // A reload brings the run's timeline back.
    await page.reload();
    await page.waitForFunction(() => window.backpropLab?.model && window.backpropLab.timeline, null, { timeout: 60_000 });
    const back = await app(page, () => window.backpropLab.timeline);
    assert.deepEqual(
      back.entries.map((e) => e.step),
      steps,
    );
    assert.equal(back.held, last.held);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("scrubbing shows the model as it was everywhere; two points compare; training goes on exactly from a point", async () => {
  // mlp-64 for two epochs of batches of 200.
  const perEpoch = Math.ceil(DATA.train / 200);
  const steps = 2 * perEpoch;
  const { page, consoleErrors, close } = await open("model=mlp-64&opt=adam&lr=0.001&batch=200&epochs=2&seed=1");
  try {
    await drawSeven(page);
    await page.click("text=Start training");
    await page.waitForFunction(() => window.backpropLab.state === "done", null, { timeout: 180_000 });
    const original = await app(page, () => ({
      history: window.backpropLab.history(),
      accuracy: window.backpropLab.lastEvaluation.accuracy,
      entries: window.backpropLab.timeline.entries,
    }));
    assert.equal(original.history.lossXs.at(-1), steps);
    const ends = original.entries.filter((e) => e.epoch_end).map((e) => e.step);
    assert.deepEqual(ends, [perEpoch, steps], "every epoch's end is kept");
    const drawing = await app(page, () => Array.from(window.backpropLab.drawing));
    const classify = () => app(page, (px) => window.backpropLab.client.request("classify", { pixels: Float32Array.from(px) }), drawing);
    const live = await classify();

    // The slider, from the keyboard: Home is the first snapshot, step 0, before any training.
    await page.locator(".timeline-range").focus();
    await page.keyboard.press("Home");
    await page.waitForFunction(() => window.backpropLab.viewing?.step === 0);
    assert.match(await page.locator(".timeline-where").innerText(), /step 0, before any training/);
    assert.match(await page.locator(".model-text").innerText(), /^Showing the model as it was at step 0/);
    assert.match(await page.locator("#status-model").innerText(), /showing step 0 of the timeline/);
    // The test results of the nearest epoch's end.
    assert.match(
      await page.locator(".results h3").first().innerText(),
      new RegExp(`after epoch 1, at step ${perEpoch.toLocaleString("en-US")}`),
    );
    // Every read answers from that snapshot: its weights are the fresh preset's of seed 1 (the
    // step-through's fresh network, another path through the core)...
    const w0 = await app(page, () => window.backpropLab.client.request("weights", { layer: 0 }).then((w) => Array.from(w.slice(0, 2000))));
    const fresh = await app(
      page,
      (px) =>
        window.backpropLab.client
          .request("trace", { pixels: Float32Array.from(px), label: 7, fresh: { model: "mlp-64", seed: 1 } })
          // The trace writes each f32 as its shortest decimal (crossing as a Float64Array): back to the same f32.
          .then((t) => Array.from(t.layers[0].params[0].before.slice(0, 2000), Math.fround)),
      drawing,
    );
    assert.deepEqual(w0, fresh);
    // ...and the drawing's reading is the untrained model's.
    const then = await classify();
    assert.notDeepEqual(then.probs, live.probs);
    await page.click(".tab[data-view=weights]");
    await page.waitForFunction(() => /^Step 0, from the timeline/.test(document.querySelector(".snap-note").textContent), null, {
      timeout: 10_000,
    });

    // Two points compared in the weights view: A = step 0, B = now; B − A from the core.
    await page.check(".segmented input[value=compare]");
    await page.locator(".compare-picks select").first().selectOption("0");
    await page.locator(".compare-picks select").nth(1).selectOption("");
    await page.waitForFunction(() => /‖B − A‖ = /.test(document.querySelector(".compare-note").textContent), null, { timeout: 10_000 });
    const c = await app(page, () =>
      window.backpropLab.client.request("compareWeights", { layer: 0, a: 0, b: null }).then((c) => ({
        a: Array.from(c.a.slice(0, 500)),
        b: Array.from(c.b.slice(0, 500)),
        d: Array.from(c.diff.slice(0, 500)),
        n: c.diff_norm,
      })),
    );
    assert.deepEqual(c.a, fresh.slice(0, 500));
    for (let i = 0; i < 500; i++) assert.equal(c.d[i], Math.fround(c.b[i] - c.a[i]));
    assert.ok(c.n > 0);
    assert.match(await page.locator("#view-weights .legend-text").innerText(), /^B − A: from step 0, before any training to now/);
    await shot(page, "timeline-compare-1440");

    // End: back to now.
    await page.click(".tab[data-view=train]");
    await page.locator(".timeline-range").focus();
    await page.keyboard.press("End");
    await page.waitForFunction(() => window.backpropLab.viewing === null);
    assert.deepEqual((await classify()).probs, live.probs);

    // Continue from a point in the first epoch: the same losses as the first time, bit for bit,
    // and the same final model (it really continues, with the optimizer's state of then).
    const point = original.entries.filter((e) => !e.epoch_end && e.step > 20 && e.step < perEpoch).at(-1);
    const index = original.entries.findIndex((e) => e.step === point.step);
    await page.locator(".timeline-range").focus();
    await page.keyboard.press("Home");
    for (let i = 0; i < index; i++) await page.keyboard.press("ArrowRight");
    await page.waitForFunction((s) => window.backpropLab.viewing?.step === s, point.step);
    await page.click("text=Continue training from here");
    await page.waitForFunction(() => window.backpropLab.state === "training" || window.backpropLab.state === "done", null, {
      timeout: 10_000,
    });
    await page.waitForFunction(() => window.backpropLab.state === "done", null, { timeout: 180_000 });
    const again = await app(page, () => ({ history: window.backpropLab.history(), accuracy: window.backpropLab.lastEvaluation.accuracy }));
    assert.deepEqual(again.history.lossXs, original.history.lossXs);
    assert.deepEqual(again.history.lossRaw, original.history.lossRaw, "the same loss at every step");
    assert.equal(again.accuracy, original.accuracy, "the same final model");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("at a chosen speed training goes step by step: a progress event per step, the ETA at that pace, the weights following every step", async () => {
  const perEpoch = Math.ceil(DATA.train / 64);
  const { page, consoleErrors, close } = await open("model=mlp-64&opt=adam&lr=0.001&batch=64&epochs=1&seed=1");
  try {
    // The slider from the keyboard: slowest at the left; two steps right of it is 3 steps a second.
    await page.locator(".speed-range").focus();
    await page.keyboard.press("Home");
    assert.equal(await page.locator(".speed-value").innerText(), VOCABULARY.speeds.at(-1).label);
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.locator(".speed-value").innerText(), "3 steps a second");
    await page.waitForFunction(() => window.backpropLab.speed === 3);
    await record(page, ["progress"]);
    await page.click("text=Start training");
    await page.click(".tab[data-view=weights]");
    // The weights view follows every step.
    const notes = [];
    for (let i = 0; i < 4; i++) {
      await page.waitForFunction(
        (prev) => {
          const t = document.querySelector(".snap-note").textContent;
          return /^Live: every step at this speed \(step \d+\)/.test(t) && t !== prev;
        },
        notes.at(-1) ?? "",
        { timeout: 10_000 },
      );
      notes.push(await page.locator(".snap-note").textContent());
    }
    await page.click(".tab[data-view=train]");
    await page.waitForFunction(() => window.__events.progress.length >= 6, null, { timeout: 20_000 });
    assert.match(await page.locator(".progress-text").innerText(), /· 3 steps a second as chosen · about/);
    await page.click("button:has-text('Pause')");
    await page.waitForFunction(() => window.backpropLab.state === "paused");
    const stepsSeen = notes.map((n) => Number(/step (\d+)/.exec(n)[1]));
    assert.ok(
      stepsSeen.every((s, i) => i === 0 || s > stepsSeen[i - 1]),
      `the weights view moves on: ${stepsSeen}`,
    );

    const progress = (await events(page, "progress")).filter((p) => p.state === "training");
    assert.ok(progress.length >= 5);
    for (const [i, p] of progress.entries()) {
      assert.equal(p.losses.length, 1, "one progress event per step, with its loss");
      if (i) assert.equal(p.step, progress[i - 1].step + 1);
      assert.equal(p.speed, 3);
      assert.equal(p.fullStepsPerSec, 0, "full speed is not known: it was never measured in this run");
      assert.equal(p.stepsPerSec, 3, "the speed shown is the pace kept, the chosen one");
      // The ETA follows the chosen pace (at full speed it would be some hundred times less).
      const left = perEpoch - p.stepInEpoch;
      assert.ok(p.etaSeconds >= left / 3 - 1, `about ${left / 3} s left at 3 steps a second, not ${p.etaSeconds}`);
    }

    // Paused: one step at a time, with its health.
    const before = await app(page, () => window.backpropLab.model.step);
    await page.click("button:has-text('One step')");
    await page.waitForFunction((s) => window.backpropLab.model.step === s + 1, before, { timeout: 10_000 });
    await page.waitForFunction((s) => new RegExp(`^After step ${s + 1},`).test(document.querySelector(".health-when").textContent), before);
    assert.match(await page.locator(".progress-text").innerText(), new RegExp(`One step taken: step ${before + 1}`));
    assert.equal(await app(page, () => window.backpropLab.state), "paused");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("the health panel shows the core's numbers per layer, and warns before a huge learning rate diverges", async () => {
  const { page, consoleErrors, close } = await open("model=mlp-64&opt=sgd&lr=1e20&momentum=0.9&batch=64&epochs=1&seed=1");
  try {
    // A fresh model from these settings, then one step at 10²⁰: the update is many times the
    // weights' size. A warning, and no divergence yet (the step's loss came before its update).
    await page.click("button:has-text('Reset')");
    await page.waitForFunction(() => window.backpropLab.model.settings.model === "mlp-64" && window.backpropLab.model.step === 0);
    await page.click("button:has-text('One step')");
    await page.waitForSelector(".health-warning:not([hidden])", { timeout: 10_000 });
    assert.equal(await app(page, () => window.backpropLab.model.step), 1);
    assert.equal(await page.locator(".divergence").isHidden(), true);
    const warning = await page.locator(".health-warning").innerText();
    assert.match(warning, /training is likely to blow up/);
    assert.match(warning, /The last step moved layer 0's weights by .+ of their size/);
    assert.match(warning, /Use 0\.05/);
    // The table: one row per layer with weights, the core's numbers, the alarm level in words.
    const health = await app(page, () => window.backpropLab.client.request("health"));
    assert.deepEqual(
      health.layers.map((l) => l.index),
      [0, 2],
    );
    const rows = page.locator(".health-table tbody tr");
    assert.equal(await rows.count(), 2);
    const first = await rows.first().innerText();
    assert.match(first, /^0: dense 784 → 64/);
    assert.match(first, /ALARM/);
    const shown = Number((await rows.first().locator("td").first().innerText()).replace("−", "-"));
    assert.equal(shown, Number(health.layers[0].grad_norm.toPrecision(3)));
    // Under the table, each figure out of its range with what to try, in the vocabulary's words.
    const tryThis = await page.evaluate(async () => (await import("/lib/vocabulary.js")).healthStat("update_ratio").try_this);
    const ratioShown = await rows
      .first()
      .locator("td")
      .nth(1)
      .locator(".health-value")
      .evaluate((e) => e.firstChild.textContent);
    const advice = await page.locator(".health-advice li").allInnerTexts();
    assert.equal(advice[0], `Layer 0, update / weight ${ratioShown} (alarm): ${tryThis}`);
    // The model of one step is not called untrained.
    assert.match(await page.locator("#status-model").innerText(), /mlp-64 · 50,890 weights · step 1$/);
    await shot(page, "health-warning-1440", { full: false });

    // Going on at that rate: the loss becomes NaN and training pauses itself, as before.
    await page.click("button:has-text('Resume')");
    await page.waitForSelector(".divergence:not([hidden])", { timeout: 60_000 });
    assert.match(await page.locator(".divergence").innerText(), /Training paused itself: the loss blew up/);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("the model card tells the truth while training, Start keeps the pretrained model one click away, and on a phone the buttons, progress and loss chart fit one screen", async () => {
  const { page, consoleErrors, close } = await open("model=mlp-64&opt=adam&lr=0.001&batch=64&epochs=1&seed=1", { width: 375, height: 800 });
  try {
    await page.waitForFunction(() => window.backpropLab.lastEvaluation, null, { timeout: 60_000 });
    const acc = await app(page, () => window.backpropLab.lastEvaluation.accuracy);
    assert.match(
      await page.locator(".run-note").innerText(),
      new RegExp(`^Start trains a fresh mlp-64; the pretrained cnn \\(${(100 * acc).toFixed(1)}%\\) stays one click away`),
    );
    // Slow enough to read the card mid-epoch.
    await page.locator(".speed-range").focus();
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await page.click("text=Start training");
    await page.waitForFunction(() => window.backpropLab.model.settings.model === "mlp-64" && window.backpropLab.model.step >= 3, null, {
      timeout: 20_000,
    });
    const card = await page.locator(".model-text").innerText();
    assert.doesNotMatch(card, /not trained yet/);
    assert.match(card, /^A model being trained here: mlp-64.*training now: epoch 1 of 1, step [\d,]+ of [\d,]+/);
    assert.match(await page.locator(".replaced-note").innerText(), /^The pretrained cnn \([\d.]+%\) is kept/);

    // The buttons, the progress and the loss chart within one screen's height.
    const startBox = await page.locator("button:has-text('Start training')").boundingBox();
    const progressBox = await page.locator(".progress-box").boundingBox();
    const lossBox = await page.locator(".chart-canvas").first().boundingBox();
    assert.ok(progressBox.y > startBox.y && lossBox.y > progressBox.y);
    assert.ok(
      lossBox.y + lossBox.height - startBox.y <= 800,
      `from Start to the bottom of the loss chart: ${lossBox.y + lossBox.height - startBox.y} px`,
    );
    await page.locator("button:has-text('Start training')").scrollIntoViewIfNeeded();
    // The run card just below the tabs, which stay at the top.
    await page.evaluate(() =>
      window.scrollBy(
        0,
        document.querySelector(".run-card").getBoundingClientRect().top - document.querySelector(".tabs").offsetHeight - 8,
      ),
    );
    await shot(page, "train-slow-375", { full: false });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the train view is ${overflow} px wider than the screen`);

    // At full speed the line says which cores it trains on after the speed (the page is
    // cross-origin isolated); no longer than the chosen pace's line measured above.
    if (TWO_CORES) {
      const slowLine = await page.locator(".progress-text").boundingBox();
      await page.locator(".speed-range").focus();
      await page.keyboard.press("End");
      // The line's height taken at the moment it names the cores (the run may end just after).
      const fullHeight = await (
        await page.waitForFunction(
          (words) => {
            const line = document.querySelector(".progress-text");
            return line.textContent.includes(words) && line.getBoundingClientRect().height;
          },
          VOCABULARY.cores.two,
          { timeout: 30_000, polling: 50 },
        )
      ).jsonValue();
      assert.ok(fullHeight <= slowLine.height, `the line at full speed is ${fullHeight} px high, at the chosen pace ${slowLine.height} px`);
    }

    // The way back: one click.
    await page.click(".replaced-note button:has-text('Bring it back')");
    await page.waitForFunction(
      () => window.backpropLab.model.settings.model === "cnn" && window.backpropLab.modelOrigin === "pretrained",
      null,
      {
        timeout: 20_000,
      },
    );
    assert.match(await page.locator(".model-text").innerText(), /^The pretrained model: cnn/);
    await page.waitForSelector(".replaced-note", { state: "hidden", timeout: 10_000 });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("screenshots: training slowly, the health panel and the timeline at 1440 and 375 px", async () => {
  for (const [width, height] of [
    [1440, 900],
    [375, 800],
  ]) {
    const { page, consoleErrors, close } = await open("model=mlp-128&opt=adam&lr=0.001&batch=64&epochs=3&seed=1", { width, height });
    try {
      if (width < 1100) await page.click(".tab[data-view=draw]");
      await drawSeven(page);
      if (width < 1100) await page.click(".tab[data-view=train]");
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.click("text=Start training");
      await page.waitForFunction(
        () => window.backpropLab.model.settings.model === "mlp-128" && window.backpropLab.model.step >= 300,
        null,
        {
          timeout: 60_000,
        },
      );
      await page.locator(".speed-range").focus();
      await page.keyboard.press("Home");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      await page.waitForFunction(() => /10 steps a second as chosen/.test(document.querySelector(".progress-text").textContent), null, {
        timeout: 20_000,
      });
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot(page, `train-slow-${width}`);
      // A past point of the timeline, and the health panel.
      await page.locator(".timeline-range").focus();
      await page.keyboard.press("Home");
      for (let i = 0; i < 12; i++) await page.keyboard.press("ArrowRight");
      await page.waitForFunction(() => window.backpropLab.viewing?.step > 0, null, { timeout: 10_000 });
      await page.locator(".timeline-card").scrollIntoViewIfNeeded();
      await shot(page, `timeline-${width}`, { full: false });
      await page.locator(".health-card").scrollIntoViewIfNeeded();
      await shot(page, `health-${width}`, { full: false });
      await page.click("button:has-text('Pause')");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${overflow} px wider than the screen`);
      assert.deepEqual(consoleErrors, []);
    } finally {
      await close();
    }
  }
});
