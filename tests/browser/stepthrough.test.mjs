// The step-through view: its numbers are the core's numbers. A spec loaded into the custom-network
// mode shows exactly what `backprop-lab trace --spec` computes (loss, gradients, every Adam
// quantity, the new weight), before and after taking a step; on a real test digit the page agrees
// with itself (the loss is −ln of the shown probability, the Adam step is −α·m̂/(√v̂+ε) of the
// shown values); a fresh preset from a seed shows its first step, the numbers of `backprop-lab
// trace --model --seed`, the same for the same seed; every step can be walked with the keyboard; a bad spec shows the core's error
// naming the field; the walk-through exports as Markdown, the same as `npm run walkthrough`.
// Then what keeps the view usable: axe-core at 1440 and 375 px; focus and scrolling on Next and
// Back; formulas that scroll visibly and by keyboard; the diagram by touch; the spec kept across
// reloads; errors on the fields; a million weights without freezing (the longest main-thread
// task is reported as a diagnostic, never a pass/fail threshold). Screenshots at 1280, 1440 and
// 375 px wide go to target/screenshots/.
//
// The page tags every number it shows with data-key (what it is) and data-value (the number the
// core sent, every digit). The core computes in f32, so numbers are compared as f32.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { startServer, launchBrowser, openPage, requireBuilt, tempDir, ROOT } from "./harness.mjs";

const SHOTS = path.join(ROOT, "target", "screenshots");
const CLI = path.join(ROOT, "target/release/backprop-lab");
const PRESETS = path.join(ROOT, "www/presets");

let server;
let browser;

before(async () => {
  requireBuilt({ model: false });
  if (!fs.existsSync(CLI)) throw new Error(`missing the command-line tool (${CLI}); run \`cargo build --release\` first`);
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** `backprop-lab trace --spec file --steps n`: the core's traces, natively. */
function cliTraces(specFile, steps) {
  const r = spawnSync(CLI, ["trace", "--spec", specFile, "--steps", String(steps)], { encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `backprop-lab trace failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.equal(out.traces.length, steps);
  return out.traces;
}

/** `backprop-lab trace --model M --seed S --index I`: a fresh preset's first step, natively, on the page's data. */
function cliFreshTrace(model, seed, index) {
  const args = ["trace", "--model", model, "--seed", String(seed), "--data", path.join(ROOT, "www/data"), "--index", String(index)];
  const r = spawnSync(CLI, args, { encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `backprop-lab trace failed: ${r.stderr}`);
  return JSON.parse(r.stdout).traces[0];
}

/** The f32 a number stands for: the page and the CLI write the shortest decimal that reads back as it. */
const f32 = Math.fround;

/**
 * The same number as the core computed natively. The page's numbers come from the wasm build,
 * whose matrix products cannot use the fused multiply-add the native build does, so the two may
 * differ in the last bit or two of an f32: 1e-5 relative, as the other wasm-vs-native tests.
 */
function sameF32(actual, expected, what) {
  assert.ok(Number.isFinite(actual), `${what}: the page shows ${actual}`);
  const tol = 1e-5 * Math.max(Math.abs(actual), Math.abs(expected)) + 1e-10;
  assert.ok(Math.abs(f32(actual) - f32(expected)) <= tol, `${what}: page ${actual}, core ${expected}`);
}

async function open({ width = 1280, height = 900, contextOptions = {} } = {}) {
  const p = await openPage(browser, `${server.url}/#step`, { width, height, contextOptions });
  await p.page.waitForSelector(".st-source", { timeout: 60_000 });
  return p;
}

/** Every tagged number of the step on show: {key: value}. */
const shown = (page) =>
  page.$$eval(".st-step [data-key]", (els) => Object.fromEntries(els.map((e) => [e.dataset.key, Number(e.dataset.value)])));

/** Jumps to a step through the list of all steps (folded away on the page, so clicked in the DOM). */
async function goToStep(page, id) {
  await page.$eval(`.st-toc-btn[data-step-id="${id}"]`, (b) => b.click());
  await page.waitForSelector(`.st-step[data-step-id="${id}"]`);
}

const stepInfo = (page) => page.$eval(".st-step", (e) => ({ ...e.dataset }));

/** Loads spec text through the custom mode's JSON editor and waits for its walk-through. */
async function loadSpec(page, text) {
  await page.click('.st-mode[data-mode="custom"]');
  await page.waitForSelector(".st-net");
  await page.click(".st-editor > summary");
  await page.click('.st-mode[data-edit="json"]');
  await page.fill("#st-spec", text);
  await page.click('.st-json button:has-text("Use this spec")');
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Checks the page's numbers for the current custom step against one CLI trace. */
async function checkAgainstTrace(page, tr) {
  await goToStep(page, "loss");
  const loss = await shown(page);
  sameF32(loss.loss, tr.loss.value, "loss");

  // A weight gradient, and the gradient check beside it.
  await goToStep(page, "bwd-0");
  const b = await stepInfo(page);
  const grads = await shown(page);
  const W = tr.layers[Number(b.layer)].params.find((p) => p.name === b.param);
  sameF32(grads["grad-w"], W.grad[Number(b.index)], "∂L/∂W of the picked weight");
  await page.waitForSelector(".st-step [data-key='gc-ok']", { timeout: 20_000 });
  const gc = await shown(page);
  // Agreement up to 1%, or up to what the f32 rounding of the two losses allows (tiny gradients).
  const ulp = 2 ** (Math.floor(Math.log2(Math.max(gc["gc-loss-plus"], gc["gc-loss-minus"]))) - 23);
  const allowed = 1e-2 * Math.abs(gc["gc-analytic"]) + ulp / gc["gc-h"];
  assert.ok(
    Math.abs(gc["gc-analytic"] - gc["gc-numeric"]) <= allowed,
    `gradient check: analytic ${gc["gc-analytic"]}, numeric ${gc["gc-numeric"]}`,
  );
  assert.equal(gc["gc-ok"], 1, "the page says they agree");
  sameF32(gc["gc-analytic"], grads["grad-w"], "the gradient check's analytic gradient is the trace's");

  // The optimizer step of the picked weight of the first layer (the last step of the walk).
  await page.keyboard.press("End");
  await page.waitForSelector('.st-step[data-step-id="upd-0"]');
  const u = await stepInfo(page);
  const v = await shown(page);
  const P = tr.layers[Number(u.layer)].params.find((p) => p.name === u.param);
  const i = Number(u.index);
  const cfg = tr.optimizer.config;
  sameF32(v.g, P.grad[i], "g");
  sameF32(v.before, P.before[i], "weight before");
  sameF32(v.after, P.after[i], "weight after");
  sameF32(v.step, P.update.step[i], "step");
  if (cfg.type === "adam") {
    for (const [key, field] of [
      ["m-prev", "m_before"],
      ["v-prev", "v_before"],
      ["m", "m"],
      ["v", "v"],
      ["m-hat", "m_hat"],
      ["v-hat", "v_hat"],
    ])
      sameF32(v[key], P.update[field][i], key);
    sameF32(v.bc1, tr.optimizer.bias_correction.bc1, "1 − β1ᵗ");
    sameF32(v.bc2, tr.optimizer.bias_correction.bc2, "1 − β2ᵗ");
    assert.equal(v.t, tr.optimizer.t);
    for (const k of ["lr", "beta1", "beta2", "eps"]) assert.equal(v[k], cfg[k], k);
  } else {
    sameF32(v.velocity, P.update.velocity[i], "velocity");
    assert.equal(v.lr, cfg.lr);
  }
  return { layer: Number(u.layer), index: i, after: v.after };
}

test("a spec in the custom mode shows the numbers of `backprop-lab trace --spec`, before and after a step", async () => {
  const text = fs.readFileSync(path.join(PRESETS, "relu-softmax-adam.json"), "utf8");
  const dir = tempDir();
  const file = path.join(dir, "spec.json");
  fs.writeFileSync(file, text);
  const traces = cliTraces(file, 3);
  const { page, consoleErrors, externalRequests, close } = await open();
  try {
    await loadSpec(page, text);
    await page.waitForFunction(() => /3-4-3 ReLU/.test(document.querySelector(".st-title")?.textContent || ""));
    await checkAgainstTrace(page, traces[0]);
    await shot(page, "stepthrough-custom-adam-1280");

    // Take a step: the walk-through now shows the second step, with m and v carried over.
    await page.click('[data-action="take-step"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "1");
    await checkAgainstTrace(page, traces[1]);
    const v = await shown(page);
    assert.notEqual(v["m-prev"], 0, "the second step starts from the first step's m");
    await page.click('[data-action="take-step"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "2");
    await checkAgainstTrace(page, traces[2]);

    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(externalRequests, []);
  } finally {
    await close();
  }
});

test("the 2-2-2 preset reproduces the classic worked example, and the diagram shows every weight", async () => {
  const file = path.join(PRESETS, "mazur-2-2-2-sgd.json");
  const [tr] = cliTraces(file, 1);
  const { page, consoleErrors, close } = await open();
  try {
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    // Published: E = 0.298371109 before training; after one step w5 = 0.35891648, w1 = 0.149780716.
    await goToStep(page, "loss");
    const l = await shown(page);
    assert.ok(Math.abs(l.loss - 0.298371109) < 1e-7, `loss ${l.loss}`);
    await goToStep(page, "upd-2");
    const w5 = await shown(page);
    assert.ok(Math.abs(w5.after - 0.35891648) < 1e-7, `w5 after ${w5.after}`);
    await goToStep(page, "upd-0");
    const w1 = await shown(page);
    assert.ok(Math.abs(w1.after - 0.149780716) < 1e-7, `w1 after ${w1.after}`);
    const { after } = await checkAgainstTrace(page, tr);
    assert.ok(after > 0);
    // Every weight of the network is on the diagram (2 × 2 + 2 × 2 lines).
    assert.equal(await page.locator(".st-net .st-net-edge").count(), 8);
    // Picking a weight on the diagram picks it in the walk-through.
    await page.locator('.st-net-hit[aria-label^="weight 1,0 of layer 2"]').click();
    await goToStep(page, "bwd-2");
    const info = await stepInfo(page);
    assert.equal(info.index, "2", "weight (1, 0) of a 2-input layer is element 2");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("the form edits the network; steps can be taken and undone; each mode keeps its walk-through", async () => {
  const spec = JSON.parse(fs.readFileSync(path.join(PRESETS, "mazur-2-2-2-sgd.json"), "utf8"));
  spec.layers[0].weights[0][0] = 0.3;
  const file = path.join(tempDir(), "edited.json");
  fs.writeFileSync(file, JSON.stringify(spec));
  const [tr] = cliTraces(file, 1);
  const { page, consoleErrors, close } = await open();
  try {
    await page.waitForFunction(() => /^Test digit/.test(document.querySelector(".st-status").textContent), null, { timeout: 60_000 });
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    await page.click(".st-editor > summary");
    await page.fill('input[aria-label="layer 1 weight 0,0"]', "0.3");
    await page.keyboard.press("Tab");
    await goToStep(page, "fwd-0");
    await page.waitForFunction(() => Number(document.querySelector('.st-step [data-key="z"]').dataset.value) > 0.38);
    sameF32((await shown(page)).z, tr.layers[0].output[0], "z of the edited network");
    await goToStep(page, "loss");
    sameF32((await shown(page)).loss, tr.loss.value, "loss of the edited network");
    assert.match(await page.inputValue("#st-spec"), /"weights": \[\s*\[\s*0\.3,/, "the JSON follows the form");

    await page.click('button:has-text("Take 10 steps")');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "10");
    assert.equal(await page.locator(".st-sparkline").count(), 1);
    assert.equal(await page.$eval(".st-step", (e) => e.dataset.stepId), "loss", "taking steps stays on the step on show");

    // To the digit and back: each walk-through is as it was left.
    await page.click('.st-mode[data-mode="digit"]');
    await page.waitForFunction(() => /^Test digit 0/.test(document.querySelector(".st-title").textContent));
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector('.st-step[data-step-id="loss"]');
    assert.equal(await page.$eval('[data-key="steps-taken"]', (e) => e.dataset.value), "10");

    await page.click('button:has-text("Back to the start")');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "0");
    sameF32((await shown(page)).loss, tr.loss.value, "back to the start, the first step again");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("every step can be walked with the keyboard, forward and back", async () => {
  const { page, consoleErrors, close } = await open();
  try {
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press("Home");
    const total = Number(await page.$eval(".st-progress", (e) => e.dataset.total));
    assert.ok(total >= 10, `${total} steps`);
    const seen = [];
    for (let k = 1; k <= total; k++) {
      const at = Number(await page.$eval(".st-progress", (e) => e.dataset.at));
      assert.equal(at, k);
      seen.push(await page.$eval(".st-step", (e) => e.dataset.stepId));
      await page.keyboard.press("ArrowRight");
    }
    assert.equal(new Set(seen).size, total, "each step is a different one");
    assert.deepEqual(seen.slice(0, 2), ["input", "fwd-0"]);
    assert.ok(seen.includes("loss") && seen.includes("dout"));
    assert.equal(Number(await page.$eval(".st-progress", (e) => e.dataset.at)), total, "→ on the last step stays there");
    assert.equal(await page.locator(".st-nav .btn-primary").first().isDisabled(), true);
    for (let k = total - 1; k >= 1; k--) {
      await page.keyboard.press("ArrowLeft");
      assert.equal(Number(await page.$eval(".st-progress", (e) => e.dataset.at)), k);
    }
    // Typing in the spec editor does not move the walk.
    await page.click(".st-editor > summary");
    await page.click('.st-mode[data-edit="json"]');
    await page.focus("#st-spec");
    await page.keyboard.press("ArrowRight");
    assert.equal(Number(await page.$eval(".st-progress", (e) => e.dataset.at)), 1);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("on a real test digit the page agrees with itself: loss = −ln p_y, Adam step = −α·m̂/(√v̂+ε)", async () => {
  const { page, consoleErrors, close } = await open();
  try {
    await page.waitForFunction(() => window.backpropLab?.data, null, { timeout: 60_000 });
    await page.fill("#st-index", "42");
    await page.click('.st-panel[data-panel="digit"] .btn-primary');
    await page.waitForFunction(() => /^Test digit 42/.test(document.querySelector(".st-status").textContent), null, { timeout: 30_000 });
    await shot(page, "stepthrough-digit-input-1280");

    await goToStep(page, "input");
    const { label } = await shown(page);
    assert.ok(Number.isInteger(label) && label >= 0 && label <= 9, `label ${label}`);
    await goToStep(page, "softmax");
    const soft = await shown(page);
    const probs = Array.from({ length: 10 }, (_, k) => soft[`prob-${k}`]);
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-5, "the probabilities add up to 1");

    await goToStep(page, "loss");
    const l = await shown(page);
    assert.equal(l["prob-true"], probs[label], "the loss step shows p_y of the softmax step");
    const expected = -Math.log(l["prob-true"]);
    assert.ok(Math.abs(l["loss-example"] - expected) <= 1e-6 * Math.max(1, expected), `loss ${l["loss-example"]} vs −ln p_y ${expected}`);
    assert.equal(l.loss, l["loss-example"], "one example: the batch loss is its loss");

    for (const id of await page.$$eval('.st-toc-btn[data-step-id^="upd-"]', (bs) => bs.map((b) => b.dataset.stepId))) {
      await goToStep(page, id);
      const a = await shown(page);
      const step = (-a.lr * a["m-hat"]) / (Math.sqrt(a["v-hat"]) + a.eps);
      assert.ok(Math.abs(step - a.step) <= 1e-5 * Math.abs(a.step) + 1e-12, `${id}: −α·m̂/(√v̂+ε) = ${step}, shown ${a.step}`);
      assert.ok(Math.abs(a.m - (a.beta1 * a["m-prev"] + (1 - a.beta1) * a.g)) <= 1e-5 * Math.abs(a.m) + 1e-12, `${id}: m`);
      assert.ok(Math.abs(a["m-hat"] - a.m / a.bc1) <= 1e-5 * Math.abs(a["m-hat"]) + 1e-12, `${id}: m̂ = m/(1 − β1ᵗ)`);
      assert.equal(f32(f32(a.before) + f32(a.step)), f32(a.after), `${id}: the weight after is the weight before plus the step`);
    }
    await page.keyboard.press("End");
    await shot(page, "stepthrough-digit-adam-1280");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

/** Waits until no trace is being computed. */
const settled = (page) =>
  page.waitForFunction(() => !document.querySelector(".st").classList.contains("st-busy"), null, { timeout: 30_000 });

/** Waits until the walk-through's numbers come from a fresh `model` from `seed`. */
async function showsFresh(page, model, seed) {
  await page.waitForSelector(`.st-which[data-network="fresh"][data-model="${model}"][data-seed="${seed}"]`, { timeout: 30_000 });
  await settled(page);
}

/** Chooses "a fresh `model` from seed `seed`" in the view's network choice. */
async function chooseFresh(page, model, seed) {
  await page.selectOption("#st-fresh-model", model);
  await page.fill("#st-fresh-seed", String(seed));
  await page.press("#st-fresh-seed", "Enter");
  await showsFresh(page, model, seed);
  // ← → Home End step through the walk once the focus has left the field.
  await page.evaluate(() => document.activeElement?.blur());
}

/** The numbers of the loss step and the last update step, as the page tags them. */
async function someNumbers(page) {
  await goToStep(page, "loss");
  const loss = await shown(page);
  await page.keyboard.press("End");
  const update = await shown(page);
  return { loss, update, step: (await stepInfo(page)).stepId };
}

test("a fresh network from a seed: its first step (t = 1, m = v = 0), the numbers of `backprop-lab trace --model --seed`, the same again for the same seed", async () => {
  const { page, consoleErrors, close } = await open();
  try {
    await page.waitForFunction(() => window.backpropLab?.data, null, { timeout: 60_000 });
    await page.fill("#st-index", "42");
    await page.click('.st-panel[data-panel="digit"] .btn-primary');
    await page.waitForFunction(() => /^Test digit 42/.test(document.querySelector(".st-status").textContent), null, { timeout: 30_000 });
    assert.equal(await page.$eval(".st-which", (e) => e.dataset.network), "current");
    assert.match(await page.locator(".st-which").innerText(), /^Network: a copy of the current model \(cnn\)/);

    // By keyboard: the arrow key picks "a fresh …", by default the current model's preset from seed 1.
    await page.focus("#st-network-current");
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.isChecked("#st-network-fresh"), true);
    await showsFresh(page, "cnn", 1);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "st-fresh-model");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "st-fresh-seed");

    await chooseFresh(page, "mlp-64", 1);
    assert.match(
      await page.locator(".st-which").innerText(),
      /^Network: a fresh mlp-64 with the random weights of seed 1 and a fresh Adam \(α = 0\.001\) optimizer: its first step, t = 1, from m = v = 0\.$/,
    );
    assert.match(await page.locator(".st-title").innerText(), /^Test digit 42/);
    await goToStep(page, "input");
    assert.equal((await shown(page))["steps-before"], 0, "no steps before the first");
    // The numbers of the same fresh network, natively; the gradient check's analytic gradient is
    // the trace's, so it checked the same fresh network.
    const cli = cliFreshTrace("mlp-64", 1, 42);
    assert.equal(cli.optimizer.t, 1);
    await checkAgainstTrace(page, cli);
    for (const id of await page.$$eval('.st-toc-btn[data-step-id^="upd-"]', (bs) => bs.map((b) => b.dataset.stepId))) {
      await goToStep(page, id);
      const a = await shown(page);
      assert.equal(a.t, 1, `${id}: t`);
      assert.equal(a["m-prev"], 0, `${id}: m before`);
      assert.equal(a["v-prev"], 0, `${id}: v before`);
    }
    const first = await someNumbers(page);
    const expected = -Math.log(first.loss["prob-true"]);
    assert.ok(
      Math.abs(first.loss["loss-example"] - expected) <= 1e-6 * Math.max(1, expected),
      `loss ${first.loss["loss-example"]} vs −ln p_y ${expected}`,
    );
    await shot(page, "stepthrough-fresh-1280");

    // Another seed, other numbers; the same seed again, the same numbers.
    await chooseFresh(page, "mlp-64", 2);
    const other = await someNumbers(page);
    assert.notEqual(other.loss.loss, first.loss.loss, "seed 2 gives another loss");
    assert.notEqual(other.update.before, first.update.before, "and other weights");
    await chooseFresh(page, "mlp-64", 1);
    assert.deepEqual(await someNumbers(page), first, "seed 1 again gives the same numbers");

    // The choice stays when the digit changes.
    await page.fill("#st-index", "7");
    await page.press("#st-index", "Enter");
    await page.waitForFunction(() => /^Test digit 7/.test(document.querySelector(".st-status").textContent), null, { timeout: 30_000 });
    await showsFresh(page, "mlp-64", 1);
    await goToStep(page, "loss");
    sameF32((await shown(page)).loss, cliFreshTrace("mlp-64", 1, 7).loss.value, "loss of test digit 7");

    // A bad seed gets the core's message and changes nothing; so do bad requests.
    await page.fill("#st-fresh-seed", "1.5");
    await page.press("#st-fresh-seed", "Enter");
    await page.waitForFunction(() => /seed/.test(document.querySelector(".st-error").textContent), null, { timeout: 10_000 });
    assert.match(await page.locator(".st-error").innerText(), /seed: expected a whole number from 0 to 9007199254740991, found 1\.5/);
    assert.equal(await page.$eval(".st-which", (e) => e.dataset.seed), "1");
    const errors = await page.evaluate(async () => {
      const fail = (p) =>
        p.then(
          () => "no error",
          (e) => e.message,
        );
      const pixels = new Float32Array(784);
      const client = window.backpropLab.client;
      return {
        model: await fail(client.request("trace", { pixels, label: 3, fresh: { model: "resnet", seed: 1 } })),
        seed: await fail(
          client.request("gradientCheck", { pixels, label: 3, layer: 0, param: "weight", index: 0, fresh: { model: "mlp-64", seed: -1 } }),
        ),
        lr: await fail(
          client.request("trace", { pixels, label: 3, fresh: { model: "mlp-64", seed: 1, optimizer: { type: "adam", lr: 0 } } }),
        ),
        field: await fail(client.request("trace", { pixels, label: 3, fresh: { model: "mlp-64" } })),
      };
    });
    assert.match(errors.model, /unknown model 'resnet'; choose one of mlp-64, mlp-128, cnn, mlp-512-dropout/);
    assert.match(errors.seed, /seed: expected a whole number from 0 to 9007199254740991, found -1/);
    assert.match(errors.lr, /optimizer\.lr: expected a positive number, found 0/);
    assert.match(errors.field, /missing field `seed`/);

    // At 375 px the choice fits on the screen.
    await page.fill("#st-fresh-seed", "1");
    await page.press("#st-fresh-seed", "Enter");
    await settled(page);
    await page.setViewportSize({ width: 375, height: 800 });
    await page.evaluate(() => window.scrollTo(0, 0));
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 375, `the page is ${wide} px wide`);
    await page.locator(".st-source").screenshot({ path: path.join(SHOTS, "stepthrough-fresh-375.png") });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("a drawn digit and a digit handed over by the training view open in the step-through", async () => {
  const p = await openPage(browser, `${server.url}/#train`, { width: 1280, height: 900 });
  const { page, consoleErrors, close } = p;
  try {
    await page.waitForFunction(() => window.backpropLab?.model && window.backpropLab?.data, null, { timeout: 60_000 });
    // A 7, drawn with the mouse on the drawing pad beside the training view.
    const box = await page.locator(".pad").boundingBox();
    const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
    await page.mouse.move(...at([0.28, 0.22]));
    await page.mouse.down();
    for (const q of [
      [0.72, 0.22],
      [0.46, 0.82],
    ])
      await page.mouse.move(...at(q), { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => window.backpropLab.drawing, null, { timeout: 10_000 });
    await page.click('.tab[data-view="step"]');
    await page.waitForSelector(".st-source");
    await page.click('.st-mode[data-mode="drawing"]');
    await page.selectOption("#st-label", "7");
    await page.click('.st-panel[data-panel="drawing"] .btn-primary');
    await page.waitForFunction(() => /^Your drawing, taken to be a 7/.test(document.querySelector(".st-title")?.textContent || ""), null, {
      timeout: 30_000,
    });
    assert.equal((await shown(page)).label, 7);
    // The input the network saw is the drawing, preprocessed like MNIST (28 × 28, ink in [0, 1]).
    const drawn = await page.evaluate(() => Array.from(window.backpropLab.drawing));
    assert.ok(
      drawn.some((v) => v > 0.5),
      "there is ink",
    );
    await page.click(".st-step details.st-table > summary");
    await page.waitForSelector(".st-step .st-table tbody tr");
    // The table shows its 784 rows a page at a time.
    const seen = [];
    for (;;) {
      seen.push(...(await page.$$eval(".st-step .st-table tbody tr td:last-child .num", (els) => els.map((e) => Number(e.dataset.value)))));
      const next = page.locator('.st-step .st-pager button:has-text("Next")');
      if (await next.isDisabled()) break;
      await next.click();
    }
    assert.equal(seen.length, 784);
    seen.forEach((v, k) => assert.equal(f32(v), f32(drawn[k]), `pixel ${k}`));
    await goToStep(page, "loss");
    const l = await shown(page);
    assert.ok(Math.abs(l["loss-example"] + Math.log(l["prob-true"])) < 1e-5 * Math.max(1, l["loss-example"]));

    // The training view hands over a test digit (its gallery of misread digits does this).
    await page.evaluate(() => window.backpropLab.openTestDigit(3));
    await page.waitForFunction(() => /^Test digit 3/.test(document.querySelector(".st-status").textContent), null, { timeout: 30_000 });
    assert.equal(await page.$eval('.st-mode[data-mode="digit"]', (b) => b.getAttribute("aria-pressed")), "true");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("a bad spec shows the core's error, naming the field; the walk-through exports as Markdown", async () => {
  const { page, consoleErrors, close } = await open();
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(PRESETS, "mazur-2-2-2-sgd.json"), "utf8"));
    spec.layers[2].weights[1].push(0.7);
    await loadSpec(page, JSON.stringify(spec, null, 2));
    await page.waitForFunction(() => document.querySelector(".st-spec-error").textContent.length > 0);
    const message = await page.locator(".st-spec-error").textContent();
    assert.match(message, /layers\[2\]\.weights/);
    assert.match(message, /found a row of 3/);

    await page.fill(
      "#st-spec",
      '{"input": [1], "layers": [{"type": "dense", "weights": [[1]], "bias": [0]}], "target": [1], "loss": "hinge"}',
    );
    await page.click('.st-json button:has-text("Use this spec")');
    await page.waitForFunction(
      () =>
        /loss/.test(document.querySelector(".st-spec-error").textContent) &&
        /hinge/.test(document.querySelector(".st-spec-error").textContent),
    );

    // Markdown with the formulas.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('.st-export button:has-text("Markdown")')]);
    const md = fs.readFileSync(await download.path(), "utf8");
    assert.match(md, /^# /);
    assert.match(md, /\$\$\n.*\\frac\{1\}\{1 \+ e\^/m, "the sigmoid formula is there, in LaTeX");
    assert.match(md, /0\.298371/, "with the loss");
    assert.match(md, /W\^\{\[2\]\}_\{0,0\} = 0\.4 - 0\.5 \\cdot 0\.082167 = 0\.358916/, "and the update of w5 with its numbers");
    // And the trace as JSON.
    const [jd] = await Promise.all([page.waitForEvent("download"), page.click('.st-export button:has-text("Trace (JSON)")')]);
    const tr = JSON.parse(fs.readFileSync(await jd.path(), "utf8"));
    assert.equal(tr.loss.kind, "half_sse");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("screenshots at 375 px wide: readable, nothing wider than the screen", async () => {
  const { page, consoleErrors, close } = await open({ width: 375, height: 800 });
  try {
    await page.waitForFunction(() => document.querySelector(".st-step[data-step-id]"), null, { timeout: 60_000 });
    await goToStep(page, "fwd-0");
    await shot(page, "stepthrough-digit-dense-375");
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 375, `the page is ${wide} px wide`);
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    await goToStep(page, "bwd-2");
    await shot(page, "stepthrough-custom-375");
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 375);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

// ---- never freeze, never lose the spec, navigation and phones, accessibility, export ----------

const AXE = fs.readFileSync(path.join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");

/** axe-core's violations on the step-through view, with the first few nodes of each. */
async function axeViolations(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document.querySelector("#view-step"), { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
}

/** Opens every "Show every number" table of the step on show. */
const openTables = (page) =>
  page.evaluate(() => {
    for (const d of document.querySelectorAll(".st-step details")) d.open = true;
  });

/** Waits for the gradient check of the step on show, if it has one. */
async function checked(page) {
  if (await page.locator(".st-step .st-gradcheck").count()) await page.waitForSelector(".st-step [data-key='gc-ok']", { timeout: 30_000 });
}

/** Visits every step (tables open, gradient checks done) and collects axe's findings by rule. */
async function axeEveryStep(page, where, found) {
  const ids = await page.$$eval(".st-toc-btn", (bs) => bs.map((b) => b.dataset.stepId));
  for (const id of ids) {
    await goToStep(page, id);
    await openTables(page);
    await checked(page);
    for (const v of await axeViolations(page)) {
      const seen = (found[v.id] ??= { impact: v.impact, where: [] });
      seen.where.push(`${where} ${id}: ${v.nodes.join(", ")}`);
    }
  }
}

test("axe-core finds no serious or critical violation on the view, at 1440 and 375 px, in digit and tiny-network modes", async (t) => {
  for (const width of [1440, 375]) {
    const { page, consoleErrors, close } = await open({ width, height: 900 });
    try {
      await page.waitForFunction(() => /^Test digit/.test(document.querySelector(".st-status").textContent), null, { timeout: 60_000 });
      const found = {};
      await axeEveryStep(page, "digit", found);
      await page.click('.st-mode[data-mode="custom"]');
      await page.waitForSelector(".st-net");
      await page.click('[data-action="take-step"]');
      await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "1");
      await page.click(".st-editor > summary");
      await axeEveryStep(page, "custom (form)", found);
      await page.click('.st-mode[data-edit="json"]');
      for (const v of await axeViolations(page)) (found[v.id] ??= { impact: v.impact, where: [] }).where.push("custom (JSON)");
      t.diagnostic(`axe at ${width} px: ${JSON.stringify(found)}`);
      const serious = Object.entries(found).filter(([, v]) => v.impact === "serious" || v.impact === "critical");
      assert.deepEqual(serious, [], `at ${width} px`);
      assert.deepEqual(consoleErrors, []);
    } finally {
      await close();
    }
  }
});

test("Next and Back, top and bottom, and the arrow keys bring the new step's top into view and put the focus on its heading", async () => {
  for (const width of [1440, 375]) {
    const { page, consoleErrors, close } = await open({ width, height: 800 });
    try {
      await page.waitForFunction(() => /^Test digit/.test(document.querySelector(".st-status").textContent), null, { timeout: 60_000 });
      const where = () =>
        page.evaluate(() => {
          const title = document.querySelector(".st-title");
          return {
            focused: document.activeElement === title,
            top: title.getBoundingClientRect().top,
            height: window.innerHeight,
            at: Number(document.querySelector(".st-progress").dataset.at),
          };
        });
      // The bottom Next, far below the step's top.
      for (let k = 1; k <= 3; k++) {
        const before = (await where()).at;
        await page.locator('.st-nav-bottom [data-go="next"]').scrollIntoViewIfNeeded();
        await page.locator('.st-nav-bottom [data-go="next"]').click();
        const w = await where();
        assert.equal(w.at, before + 1);
        assert.ok(w.focused, `${width} px: the heading has the focus after the bottom Next`);
        assert.ok(w.top >= 0 && w.top < w.height * 0.75, `${width} px: the step's heading is on screen (top ${w.top} of ${w.height})`);
      }
      await page.locator('.st-nav-bottom [data-go="back"]').click();
      assert.ok((await where()).focused, "Back too");
      // The top Next, and the keys.
      await page.locator('.st-nav-top [data-go="next"]').click();
      assert.ok((await where()).focused);
      await page.keyboard.press("ArrowRight");
      let w = await where();
      assert.ok(w.focused && w.top >= 0 && w.top < w.height, "→ moves the focus to the new heading");
      // The last step: Next is disabled there, and the focus stays on the heading, not the page.
      await page.keyboard.press("End");
      w = await where();
      assert.equal(w.at, Number(await page.$eval(".st-progress", (e) => e.dataset.total)));
      assert.ok(w.focused, "on the last step the heading has the focus");
      await page.keyboard.press("ArrowRight");
      assert.notEqual(await page.evaluate(() => document.activeElement.tagName), "BODY");
      assert.deepEqual(consoleErrors, []);
    } finally {
      await close();
    }
  }
});

test("at 375 px a formula wider than the screen says it scrolls, and scrolls by keyboard", async () => {
  const { page, consoleErrors, close } = await open({ width: 375, height: 800 });
  try {
    await page.waitForFunction(() => /^Test digit/.test(document.querySelector(".st-status").textContent), null, { timeout: 60_000 });
    await goToStep(page, "fwd-0");
    const box = page.locator(".st-step .st-eq-tex.st-scrolls").first();
    await box.waitFor({ timeout: 10_000 });
    assert.equal(await box.getAttribute("tabindex"), "0");
    assert.equal(await box.getAttribute("role"), "group");
    assert.match(await box.getAttribute("aria-label"), /scroll sideways/);
    // Visibly: the row's tag says so.
    const tag = await box.evaluate((b) => getComputedStyle(b.parentElement.querySelector(".st-eq-tag"), "::after").content);
    assert.match(tag, /scrolls/);
    const at = await page.$eval(".st-progress", (e) => e.dataset.at);
    await box.focus();
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await page.waitForFunction((el) => el.scrollLeft > 0, await box.elementHandle());
    assert.equal(await page.$eval(".st-progress", (e) => e.dataset.at), at, "the arrow keys scroll the formula, not the walk");
    // Nothing else is wider than the screen.
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 375);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("on a phone the diagram shows the whole network, works by touch and never says hover", async () => {
  const { page, consoleErrors, close } = await open({ width: 375, height: 800, contextOptions: { hasTouch: true, isMobile: true } });
  try {
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    assert.doesNotMatch(await page.locator(".st-diagram").innerText(), /hover/i);
    // Scaled to fit: every unit is inside the card, on screen.
    const fits = await page.evaluate(() => {
      const card = document.querySelector(".st-diagram").getBoundingClientRect();
      return [...document.querySelectorAll(".st-net-node rect")].every((r) => {
        const b = r.getBoundingClientRect();
        return b.left >= card.left - 1 && b.right <= card.right + 1 && b.right <= window.innerWidth;
      });
    });
    assert.ok(fits, "every unit of the network is on screen");
    // A tap on a line picks that weight: the walk-through follows it, and its digits show below the drawing.
    await page.locator('.st-net-hit[aria-label^="weight 1,0 of layer 2"]').tap();
    await page.waitForFunction(() => /weight 1,0 of layer 2/.test(document.querySelector(".st-net-details").textContent));
    await goToStep(page, "bwd-2");
    assert.equal((await stepInfo(page)).index, "2");
    const digits = await page.locator(".st-net-picked").innerText();
    assert.match(digits, /W\[2\]1,0\s+0\.5\b/);
    // A tap on a unit picks it.
    await page.locator('.st-net-node[data-layer="0"][data-unit="0"]').tap();
    await page.waitForFunction(() => /into unit 0/.test(document.querySelector(".st-net-details").textContent));
    // Actual size: readable, scrolled sideways, and it says so.
    await page.click(".st-net-size");
    await page.waitForSelector(".st-net-scroll-hint:not([hidden])");
    assert.match(await page.locator(".st-net-scroll-hint").innerText(), /Scroll the drawing sideways/);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 375, "the page itself does not scroll sideways");
    await shot(page, "stepthrough-diagram-touch-375");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("the spec being edited survives a reload: form edits, broken JSON being typed, and the steps taken", async () => {
  const spec = JSON.parse(fs.readFileSync(path.join(PRESETS, "relu-softmax-adam.json"), "utf8"));
  spec.layers[0].weights[0][0] = 0.3;
  const file = path.join(tempDir(), "edited.json");
  fs.writeFileSync(file, JSON.stringify(spec));
  const traces = cliTraces(file, 3);
  const { page, consoleErrors, close } = await open();
  try {
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    await page.selectOption("#st-preset", "relu-softmax-adam");
    await page.waitForFunction(() => /3-4-3 ReLU/.test(document.querySelector(".st-title")?.textContent || ""));
    await page.click(".st-editor > summary");
    await page.fill('input[aria-label="layer 1 weight 0,0"]', "0.3");
    await page.keyboard.press("Tab");
    await goToStep(page, "loss");
    await page.waitForFunction(
      (v) => Number(document.querySelector('.st-step [data-key="loss"]').dataset.value) === v,
      traces[0].loss.value,
    );
    // Two steps, then a reload: the same network, two steps on (weights and Adam's m, v, t).
    await page.click('[data-action="take-step"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "1");
    await page.click('[data-action="take-step"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "2");
    await page.waitForTimeout(500); // the state is saved once the worker has exported it
    await page.reload();
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "2", null, { timeout: 60_000 });
    assert.equal(
      await page.$eval('.st-mode[data-mode="custom"]', (b) => b.getAttribute("aria-pressed")),
      "true",
      "back in the tiny-network mode",
    );
    await checkAgainstTrace(page, traces[2]);
    assert.equal(await page.inputValue('input[aria-label="layer 1 weight 0,0"]'), "0.3", "the form shows the edit");
    assert.match(await page.inputValue("#st-spec"), /"weights": \[\s*\[\s*0\.3,/);
    // Back to the start goes back to the spec as edited, not to the state after the steps.
    await page.click('[data-action="reset"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "0");
    await goToStep(page, "loss");
    sameF32((await shown(page)).loss, traces[0].loss.value, "back to the start");

    // Broken JSON being typed is kept as typed, with its error, across a reload.
    await page.click('.st-mode[data-edit="json"]');
    await page.fill("#st-spec", '{"input": [1, 2], "layers": [');
    await page.waitForFunction(() => /Not valid JSON yet/.test(document.querySelector("#st-json-error").textContent));
    await page.waitForTimeout(800);
    await page.reload();
    await page.waitForFunction(() => document.querySelector("#st-spec")?.value.startsWith('{"input": [1, 2]'), null, { timeout: 60_000 });
    assert.equal(await page.inputValue("#st-spec"), '{"input": [1, 2], "layers": [');
    assert.match(await page.locator("#st-json-error").innerText(), /Not valid JSON yet, line 1, column \d+/);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("form and JSON errors are always shown: broken JSON on the form tab, a weight that is not a number", async () => {
  const { page, consoleErrors, close } = await open();
  try {
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    await page.click(".st-editor > summary");
    await page.click('.st-mode[data-edit="json"]');
    await page.fill("#st-spec", '{"input": [0.05, 0.10], "layers": [}');
    await page.click('.st-mode[data-edit="form"]');
    const note = page.locator(".st-form-note");
    await note.waitFor();
    assert.match(await note.innerText(), /The spec JSON has an error, line 1, column 36: Unexpected token '}'/);
    assert.equal(await page.locator(".st-form").isHidden(), true, "the form does not pretend to show the broken JSON");
    await page.click('button:has-text("Discard the JSON edits")');
    await page.waitForSelector('input[aria-label="layer 1 weight 0,0"]');

    // "abc" in a weight: the text stays, the field says what is wrong (the core's words), the walk-through stays.
    const loss = await page.$eval('[data-key="custom-loss"]', (e) => e.dataset.value);
    await page.fill('input[aria-label="layer 1 weight 1,0"]', "abc");
    await page.keyboard.press("Tab");
    const field = page.locator('input[aria-label="layer 1 weight 1,0"]');
    await page.waitForFunction(
      () => document.querySelector('input[aria-label="layer 1 weight 1,0"]').getAttribute("aria-invalid") === "true",
    );
    assert.equal(await field.inputValue(), "abc");
    const err = await page.$eval(
      'input[aria-label="layer 1 weight 1,0"]',
      (el) => document.getElementById(el.getAttribute("aria-describedby")).textContent,
    );
    assert.match(err, /expected a number, found the string "abc"/);
    assert.match(await page.locator(".st-spec-error").innerText(), /layers\[0\]\.weights\[1\]\[0\]: expected a number/);
    assert.equal(await page.$eval('[data-key="custom-loss"]', (e) => e.dataset.value), loss, "the last good network stays on show");
    // Fixed: the error goes.
    await field.fill("0.2");
    await page.keyboard.press("Tab");
    await page.waitForFunction(
      () => document.querySelector('input[aria-label="layer 1 weight 1,0"]').getAttribute("aria-invalid") === "false",
    );
    assert.equal(await page.locator(".st-spec-error").innerText(), "");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

/** A 100 → 10,000 → 1 ReLU network (1,010,001 weights and biases), its weights from a fixed LCG. */
function wideSpec() {
  let s = 1;
  const r = () => Math.round(((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 2000) / 10000;
  return {
    name: "wide 100-10000-1",
    input: Array.from({ length: 100 }, (_, k) => k / 100),
    layers: [
      { type: "dense", weights: Array.from({ length: 10000 }, () => Array.from({ length: 100 }, r)), bias: new Array(10000).fill(0) },
      { type: "relu" },
      { type: "dense", weights: [Array.from({ length: 10000 }, r)], bias: [0] },
    ],
    target: [1],
    loss: "mse",
    optimizer: { type: "adam", lr: 0.001 },
  };
}

test("a spec with a million weights opens, steps and shows every step without freezing the page", async (t) => {
  const text = JSON.stringify(wideSpec());
  const { page, consoleErrors, close } = await open({ width: 1440, height: 900 });
  try {
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    // The file as a user would pick it: a file chooser hands the page a File. (Playwright's
    // setInputFiles would push 7.5 MB through the debugging protocol inside the page's own task,
    // and making the File from a string is the test's work: both happen before the measure.)
    await page.evaluate((json) => (window.__specFile = new File([json], "wide.json", { type: "application/json" })), text);
    await page.evaluate(() => {
      window.__long = [];
      new PerformanceObserver((list) => window.__long.push(...list.getEntries().map((e) => e.duration))).observe({ type: "longtask" });
    });
    await page.waitForTimeout(500);
    await page.evaluate(() => {
      window.__long.length = 0;
      const files = new DataTransfer();
      files.items.add(window.__specFile);
      delete window.__specFile;
      const input = document.querySelector("#st-file");
      input.files = files.files;
      input.dispatchEvent(new Event("change"));
    });
    await page.waitForFunction(() => /wide 100-10000-1/.test(document.querySelector(".st-title")?.textContent || ""), null, {
      timeout: 300_000,
    });
    const opening = await page.evaluate(() => window.__long.splice(0));
    // The editor summarises it (download, import) instead of holding 7.5 MB in a text area.
    assert.equal(await page.locator(".st-big-spec").isVisible(), true);
    assert.match(
      await page.locator(".st-big-spec").innerText(),
      /1,020,001 weights and biases in 3 layers \(dense 100 → 10,000, relu, dense 10,000 → 1\)/,
    );
    assert.equal(await page.inputValue("#st-spec"), "");
    await page.click('.st-mode[data-edit="form"]');
    assert.match(await page.locator(".st-form").innerText(), /The form cannot show this spec/);
    await shot(page, "stepthrough-1m-1440");

    await page.click('[data-action="take-step"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "1", null, { timeout: 300_000 });
    const stepping = await page.evaluate(() => window.__long.splice(0));
    let nodes = 0;
    for (const id of await page.$$eval(".st-toc-btn", (bs) => bs.map((b) => b.dataset.stepId))) {
      await goToStep(page, id);
      await openTables(page);
      await page.waitForTimeout(200);
      nodes = Math.max(nodes, await page.evaluate(() => document.getElementsByTagName("*").length));
    }
    const walking = await page.evaluate(() => window.__long.splice(0));
    // "Take 10 steps" takes them in the core untraced: one specAdvance, no traced step (the
    // diagram does not draw a network this size), one trace of the step to show.
    await page.evaluate(() => {
      window.__sent = [];
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function (msg, ...rest) {
        if (msg && typeof msg.type === "string") window.__sent.push(msg.type);
        return post.call(this, msg, ...rest);
      };
    });
    const t0 = Date.now();
    await page.click('[data-action="take-10"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "11", null, {
      timeout: 300_000,
    });
    const tenMs = Date.now() - t0;
    const taking = await page.evaluate(() => window.__long.splice(0));
    const sent = await page.evaluate(() => window.__sent.filter((m) => m.startsWith("spec")));
    assert.deepEqual(
      sent.filter((m) => m !== "specExport"),
      ["specAdvance", "specPeek"],
    );
    assert.match(await page.locator(".st-step-info").innerText(), /shows step 12\b/);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("HeapProfiler.collectGarbage");
    const heap = await cdp.send("Runtime.getHeapUsage");
    const longest = (a) => Math.round(Math.max(0, ...a));
    t.diagnostic(
      `longest main-thread task: opening ${longest(opening)} ms, a step ${longest(stepping)} ms, walking every step with its tables ${longest(walking)} ms, 10 steps ${longest(taking)} ms (${tenMs} ms in all); at most ${nodes} elements; main-thread memory: JS heap ${Math.round(heap.usedSize / 1e6)} MB, array buffers ${Math.round((heap.backingStorageSize ?? 0) / 1e6)} MB`,
    );
    assert.ok(nodes < 6000, `the page holds ${nodes} elements`);
    await page.setViewportSize({ width: 375, height: 800 });
    await goToStep(page, "fwd-0");
    await shot(page, "stepthrough-1m-375");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("the Markdown export runs every gradient check first; the spec export is the core's", async () => {
  const { page, consoleErrors, close } = await open();
  try {
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    await goToStep(page, "input"); // no gradient check opened by hand
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-action="export-md"]')]);
    const md = fs.readFileSync(await download.path(), "utf8");
    assert.doesNotMatch(md, /not run/);
    const checks = md.match(/Gradient check of/g) || [];
    const gradSteps = await page.$$eval('.st-toc-btn[data-step-id^="bwd-"]', (bs) => bs.length);
    assert.ok(checks.length >= 2 && checks.length <= gradSteps, `${checks.length} gradient checks in the Markdown`);

    // The spec export is the core's own: it reads back, and goes on from where it was.
    await page.click('[data-action="take-step"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "1");
    const [spec] = await Promise.all([page.waitForEvent("download"), page.click('[data-action="export-spec"]')]);
    const exported = fs.readFileSync(await spec.path(), "utf8");
    const doc = JSON.parse(exported);
    assert.equal(doc.name, JSON.parse(fs.readFileSync(path.join(PRESETS, "mazur-2-2-2-sgd.json"), "utf8")).name, "the name stays");
    const file = path.join(tempDir(), "exported.json");
    fs.writeFileSync(file, exported);
    const [tr] = cliTraces(file, 1);
    await goToStep(page, "loss");
    sameF32((await shown(page)).loss, tr.loss.value, "the exported spec's first step is the page's next step");
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

/** What `npm run walkthrough -- ARGS` prints (the script itself, run as the command runs it). */
function walkthroughCli(args) {
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/walkthrough.mjs"), ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `npm run walkthrough failed: ${r.stderr}`);
  return r.stdout.replace(/\n$/, "");
}

/** The page's Markdown export of the walk-through on show. */
async function pageMarkdown(page) {
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 120_000 }), page.click('[data-action="export-md"]')]);
  return fs.readFileSync(await download.path(), "utf8");
}

test("the page's Markdown is what `npm run walkthrough` prints for the same input: a spec, a spec after a step, a test digit, a fresh preset", async () => {
  const data = path.join(ROOT, "www/data");
  const { page, consoleErrors, close } = await open();
  try {
    // Test digit 3 through the current model: the default model file, untouched.
    await page.waitForFunction(() => window.backpropLab?.data, null, { timeout: 60_000 });
    await page.fill("#st-index", "3");
    await page.click('.st-panel[data-panel="digit"] .btn-primary');
    await page.waitForFunction(() => /^Test digit 3/.test(document.querySelector(".st-status").textContent), null, { timeout: 30_000 });
    assert.equal(
      await pageMarkdown(page),
      walkthroughCli(["--model-file", path.join(ROOT, "www/model/default.safetensors"), "--data", data, "--index", "3"]),
    );

    // A fresh mlp-64 from seed 1 on test digit 42.
    await page.fill("#st-index", "42");
    await page.press("#st-index", "Enter");
    await page.waitForFunction(() => /^Test digit 42/.test(document.querySelector(".st-status").textContent), null, { timeout: 30_000 });
    await chooseFresh(page, "mlp-64", 1);
    assert.equal(await pageMarkdown(page), walkthroughCli(["--model", "mlp-64", "--seed", "1", "--data", data, "--index", "42"]));

    // Mazur's spec, then the 3-4-3 Adam spec after one step (the second of `--steps 2`'s documents).
    await page.click('.st-mode[data-mode="custom"]');
    await page.waitForSelector(".st-net");
    assert.equal(await pageMarkdown(page), walkthroughCli(["--spec", path.join(PRESETS, "mazur-2-2-2-sgd.json")]));
    await page.selectOption("#st-preset", "relu-softmax-adam");
    await page.waitForFunction(() => /3-4-3 ReLU/.test(document.querySelector(".st-title")?.textContent || ""));
    await page.click('[data-action="take-step"]');
    await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "1");
    const docs = walkthroughCli(["--spec", path.join(PRESETS, "relu-softmax-adam.json"), "--steps", "2"]).split(/\n\n(?=# )/);
    assert.equal(docs.length, 2);
    assert.equal(await pageMarkdown(page), docs[1]);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await close();
  }
});

test("screenshots at 1440 and 375 px: a test digit, Mazur's network after one step, a gradient check; nothing wider than the screen", async () => {
  for (const width of [1440, 375]) {
    const { page, consoleErrors, close } = await open({ width, height: 900 });
    try {
      await page.waitForFunction(() => /^Test digit/.test(document.querySelector(".st-status").textContent), null, { timeout: 60_000 });
      await goToStep(page, "fwd-0");
      await shot(page, `stepthrough-digit-${width}`);
      await page.click('.st-mode[data-mode="custom"]');
      await page.waitForSelector(".st-net");
      await page.click('[data-action="take-step"]');
      await page.waitForFunction(() => document.querySelector('[data-key="steps-taken"]')?.dataset.value === "1");
      await goToStep(page, "input");
      await shot(page, `stepthrough-mazur-step-${width}`);
      await goToStep(page, "bwd-0");
      await checked(page);
      await page.locator(".st-step .st-gradcheck").scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(SHOTS, `stepthrough-gradcheck-${width}.png`) });
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width, `nothing wider than ${width} px`);
      assert.deepEqual(consoleErrors, []);
    } finally {
      await close();
    }
  }
});

test("a trace crosses from the worker as typed arrays and comes back unchanged: the same numbers, the same JSON", async () => {
  const { typedTrace, traceJsonParts } = await import("../../www/lib/trace-arrays.js");
  // A CNN trace (max-pool argmax, Adam, softmax) of the default model on test digit 5, as the CLI writes it.
  const args = [
    "trace",
    "--model-file",
    path.join(ROOT, "www/model/default.safetensors"),
    "--data",
    path.join(ROOT, "www/data"),
    "--index",
    "5",
  ];
  const r = spawnSync(CLI, args, { encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const text = JSON.stringify(JSON.parse(r.stdout).traces[0]);
  const { trace, buffers } = typedTrace(JSON.parse(text));
  assert.ok(
    ArrayBuffer.isView(trace.layers[0].params[0].update.m_hat) &&
      ArrayBuffer.isView(trace.layers[2].argmax) &&
      ArrayBuffer.isView(trace.input_grad),
  );
  const sent = buffers.reduce((n, b) => n + b.byteLength, 0) / 8;
  assert.ok(sent > 3_000_000, `${sent} numbers travel in transferred buffers`);
  // As the page receives it (a structured clone that transfers the buffers), and uses it: typed.
  const received = structuredClone(trace, { transfer: buffers });
  const plain = JSON.stringify(received, (_, v) => (ArrayBuffer.isView(v) ? Array.from(/** @type {any} */ (v)) : v));
  assert.deepEqual(JSON.parse(plain), JSON.parse(text), "exactly the doubles JSON.parse reads");
  assert.equal((await traceJsonParts(received)).join(""), text, "and written back, the core's own text");
});
