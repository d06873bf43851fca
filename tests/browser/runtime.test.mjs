// The runtime in a real browser: wasm in the worker, the data pipeline, training, responsiveness,
// agreement with the native CLI, pause/resume and errors that reach the page.
//
// Most tests drive the worker through WorkerClient on a bare fixture page
// (tests/browser/fixtures/runtime.html, which exposes `client` and the `events` it received);
// the load and broken-data tests open the real page.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { startServer, launchBrowser, openPage, measureFrames, requireBuilt, tempDir, ROOT } from "./harness.mjs";

const MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, "www/data/manifest.json"), "utf8"));
const CLI = path.join(ROOT, "target/release/backprop-lab");
const SETTINGS = { model: "mlp-64", optimizer: { type: "adam", lr: 0.001 }, batch: 64, seed: 1 };

let server;
let browser;

before(async () => {
  requireBuilt();
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The fixture page with the worker initialised (and the data loaded unless `data: false`). */
async function fixture({ settings = SETTINGS, modelUrl, data = true, wasm } = {}) {
  const p = await openPage(browser, `${server.url}/__test__/runtime.html`);
  await p.page.waitForFunction(() => window.client);
  p.init = await p.page.evaluate(
    ([settings, modelUrl, wasm]) => client.request("init", { settings, modelUrl, wasm }),
    [settings, modelUrl, wasm],
  );
  if (data) p.data = await p.page.evaluate(() => client.request("loadData", { base: "/data" }));
  return p;
}

/** Resolves once the worker has sent `count` more events of `type` (after `since` events in total). */
function waitForEvents(page, type, count = 1, timeout = 120_000) {
  return page.waitForFunction(([type, count]) => window.events.filter((e) => e.type === type).length >= count, [type, count], {
    timeout,
    polling: 50,
  });
}

test("the page loads and says which data it uses, with no console errors and no request outside 127.0.0.1", async () => {
  const { page, consoleErrors, externalRequests, close } = await openPage(browser, `${server.url}/`);
  try {
    // The page must always show which data it uses: the manifest's own words.
    await page.waitForFunction((d) => document.body.innerText.includes(d), MANIFEST.description, { timeout: 60_000 });
    // Let the wasm, the model and the data settle, then look.
    await page.waitForTimeout(1500);
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(externalRequests, []);
  } finally {
    await close();
  }
});

test("the worker picks the SIMD build, loads the default model and the data within the memory budget", async () => {
  const p = await fixture({ modelUrl: "/model/default.safetensors" });
  try {
    assert.equal(p.init.variant, "simd", "Chromium runs wasm SIMD");
    assert.equal(p.init.model.source, "file", JSON.stringify(p.init.model));
    assert.equal(p.data.description, MANIFEST.description);
    assert.equal(p.data.train, MANIFEST.train);
    assert.equal(p.data.test, MANIFEST.test);
    const progress = await p.page.evaluate(() => events.filter((e) => e.type === "dataProgress").map((e) => [e.loaded, e.total]));
    assert.ok(progress.length >= 2, "data progress events");
    const total = Object.values(MANIFEST.files).reduce((s, f) => s + f.bytes, 0);
    assert.deepEqual(progress.at(-1), [total, total]);
    // Images stay u8 in the core: full MNIST must fit well under 256 MB of wasm heap.
    assert.ok(p.data.heapBytes < 256 * 2 ** 20, `wasm heap ${(p.data.heapBytes / 2 ** 20).toFixed(0)} MB`);
    console.log(`wasm heap with ${p.data.description}: ${(p.data.heapBytes / 2 ** 20).toFixed(0)} MB`);
    // The default model reads test digits (it was trained at set-up).
    const ev = await p.page.evaluate(() => client.request("evaluate"));
    assert.equal(ev.count, MANIFEST.test);
    assert.ok(ev.accuracy > 0.9, `default model test accuracy ${ev.accuracy}`);
    assert.deepEqual(p.consoleErrors, []);
  } finally {
    await p.close();
  }
});

test("training in the worker lowers the loss, with progress events at most ~10 per second", async () => {
  const p = await fixture();
  try {
    const t0 = await p.page.evaluate(() => performance.now());
    await p.page.evaluate(() => client.request("train", { epochs: 10 })); // the small data set's epochs are short
    await p.page.waitForFunction(() => events.filter((e) => e.type === "progress").reduce((n, e) => n + e.losses.length, 0) >= 300, null, {
      timeout: 120_000,
      polling: 100,
    });
    await p.page.evaluate(() => client.request("pause"));
    const { losses, progress } = await p.page.evaluate(() => {
      const prog = events.filter((e) => e.type === "progress");
      return {
        losses: prog.flatMap((e) => Array.from(e.losses)),
        progress: prog.map((e) => ({ at: e.at, step: e.step, sps: e.samplesPerSec, eta: e.etaSeconds })),
      };
    });
    const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
    const first = mean(losses.slice(0, 20));
    const last = mean(losses.slice(-20));
    assert.ok(first > 1.5, `an untrained model starts near ln 10: ${first}`);
    assert.ok(last < first * 0.6, `loss went from ${first.toFixed(3)} to ${last.toFixed(3)}`);
    assert.equal(losses.length, progress.at(-1).step, "one loss per step");
    // Rate: no two progress events closer than ~the throttle, apart from an epoch's end.
    const span = (progress.at(-1).at - t0) / 1000;
    assert.ok(progress.length <= span * 12 + 2, `${progress.length} progress events in ${span.toFixed(1)} s`);
    assert.ok(progress.at(-1).sps > 0 && progress.at(-1).eta > 0, "speed and ETA are reported");
    assert.deepEqual(p.consoleErrors, []);
  } finally {
    await p.close();
  }
});

test("while the CNN trains, frames keep coming and predictions and pauses are answered promptly", async () => {
  const p = await fixture({ settings: { ...SETTINGS, model: "cnn" } });
  try {
    await p.page.evaluate(() => client.request("train", { epochs: 3 }));
    await waitForEvents(p.page, "progress", 3); // past the first chunks (compilation, warm-up)
    // The machine may be busy with other work: judge the best of three windows of 2 s each.
    const windows = [];
    for (let i = 0; i < 3; i++) {
      const w = await measureFrames(p.page, 2000, () =>
        p.page.evaluate(async () => {
          const times = [];
          for (let k = 0; k < 8; k++) {
            const t = performance.now();
            const probs = await client.request("predict", { pixels: new Float32Array(784).fill(0.1) });
            times.push(performance.now() - t);
            if (probs.length !== 10) throw new Error("expected 10 probabilities");
            await new Promise((r) => setTimeout(r, 150));
          }
          return times.sort((a, b) => a - b);
        }),
      );
      windows.push({ maxGap: w.maxGap, frames: w.frames, predictMedian: w.result[4], predictMax: w.result.at(-1) });
      if (w.maxGap <= 100 && w.result[4] <= 50) break;
    }
    console.log(`frame gaps and predict times during CNN training: ${JSON.stringify(windows)}`);
    const best = windows.reduce((a, b) =>
      Math.max(a.maxGap / 100, a.predictMedian / 50) <= Math.max(b.maxGap / 100, b.predictMedian / 50) ? a : b,
    );
    assert.ok(best.frames > 30, `frames were drawn (${best.frames})`);
    assert.ok(best.maxGap <= 100, `longest frame gap ${best.maxGap.toFixed(0)} ms`);
    assert.ok(best.predictMedian <= 50, `predict answered in ${best.predictMedian.toFixed(1)} ms (median)`);

    const pauseMs = await p.page.evaluate(async () => {
      const t = performance.now();
      await client.request("pause");
      return performance.now() - t;
    });
    console.log(`pause answered in ${pauseMs.toFixed(1)} ms`);
    assert.ok(pauseMs <= 50 * 2, `pause answered in ${pauseMs.toFixed(0)} ms`);
    assert.deepEqual(p.consoleErrors, []);
  } finally {
    await p.close();
  }
});

test("pause stops training where it is and resume carries on from there", async () => {
  const p = await fixture();
  try {
    await p.page.evaluate(() => client.request("train", { epochs: 20 }));
    await waitForEvents(p.page, "progress", 3);
    await p.page.evaluate(() => client.request("pause"));
    const a = await p.page.evaluate(() => client.request("describe"));
    assert.equal(a.state, "paused");
    await p.page.waitForTimeout(500);
    const b = await p.page.evaluate(() => client.request("describe"));
    assert.equal(b.step, a.step, "no steps while paused");
    const states = await p.page.evaluate(() => events.filter((e) => e.type === "state").map((e) => e.state));
    assert.equal(states.at(-1), "paused");

    const before = await p.page.evaluate(() => events.length);
    await p.page.evaluate(() => client.request("train", { epochs: 20 }));
    await p.page.waitForFunction((n) => events.slice(n).some((e) => e.type === "progress"), before);
    const c = await p.page.evaluate(() => client.request("describe"));
    assert.ok(c.step > b.step, `resumed: step ${b.step} -> ${c.step}`);
    const firstAfter = await p.page.evaluate((n) => events.slice(n).find((e) => e.type === "progress"), before);
    // It goes on from where it was: steps and epochs count on (nothing restarted from zero).
    assert.ok(firstAfter.step > b.step && firstAfter.epoch >= b.epoch, `resumed at step ${firstAfter.step}, epoch ${firstAfter.epoch}`);
    const { epoch, stepsPerEpoch, stepInEpoch } = firstAfter; // epoch: completed epochs
    const epochStart = (stepInEpoch === stepsPerEpoch ? epoch - 1 : epoch) * stepsPerEpoch;
    assert.equal(firstAfter.step, epochStart + stepInEpoch);
    await p.page.evaluate(() => client.request("pause"));
    assert.deepEqual(p.consoleErrors, []);
  } finally {
    await p.close();
  }
});

test("an epoch ends with a chunked evaluation and an epoch event", async () => {
  // A small training set makes an epoch short: serve the first 2,000 training images only.
  const dir = tempDir();
  const raw = (name) => zlib.gunzipSync(fs.readFileSync(path.join(ROOT, "www/data", name)));
  const images = raw(MANIFEST.files.trainImages.path);
  const labels = raw(MANIFEST.files.trainLabels.path);
  const n = 2000;
  images.writeUInt32BE(n, 4);
  labels.writeUInt32BE(n, 4);
  const files = {
    trainImages: images.subarray(0, 16 + n * 784),
    trainLabels: labels.subarray(0, 8 + n),
    testImages: raw(MANIFEST.files.testImages.path),
    testLabels: raw(MANIFEST.files.testLabels.path),
  };
  const manifest = { source: "test", description: "a small test set", files: {} };
  for (const [k, buf] of Object.entries(files)) {
    const gz = zlib.gzipSync(buf, { level: 1 });
    fs.writeFileSync(path.join(dir, `${k}.gz`), gz);
    manifest.files[k] = { path: `${k}.gz`, bytes: gz.length };
  }
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
  const small = await startServer({ mounts: [["/small-data/", dir]] });
  const p = await openPage(browser, `${small.url}/__test__/runtime.html`);
  try {
    await p.page.waitForFunction(() => window.client);
    await p.page.evaluate((s) => client.request("init", { settings: s }), SETTINGS);
    const data = await p.page.evaluate(() => client.request("loadData", { base: "/small-data" }));
    assert.equal(data.train, n);
    await p.page.evaluate(() => client.request("train", { epochs: 1 }));
    await waitForEvents(p.page, "epoch", 1);
    await p.page.waitForFunction(() => events.some((e) => e.type === "state" && e.state === "done"));
    const { epoch, states } = await p.page.evaluate(() => ({
      epoch: events.find((e) => e.type === "epoch"),
      states: events.filter((e) => e.type === "state").map((e) => e.state),
    }));
    assert.equal(epoch.epoch, 1);
    assert.equal(epoch.evaluation.count, MANIFEST.test);
    assert.ok(epoch.evaluation.accuracy > 0.5, `test accuracy after one small epoch: ${epoch.evaluation.accuracy}`);
    assert.ok(epoch.trainAccuracy > 0.3 && epoch.trainLoss > 0);
    assert.deepEqual(states, ["training", "evaluating", "done"]);
    assert.deepEqual(p.consoleErrors, []);
  } finally {
    await p.close();
    await small.close();
  }
});

test("wasm (SIMD and fallback) and the native CLI give the same probabilities for the same model and test digit", async (t) => {
  const help = spawnSync(CLI, ["predict", "--help"], { encoding: "utf8" });
  if (help.status !== 0 || !help.stdout.includes("--test-index")) return t.skip("the CLI has no `predict --test-index` yet");
  const model = path.join(ROOT, "www/model/default.safetensors");
  for (const wasm of ["simd", "nosimd"]) {
    const p = await fixture({ modelUrl: "/model/default.safetensors", wasm });
    try {
      assert.equal(p.init.variant, wasm);
      for (const index of [0, 7, 1234 % MANIFEST.test]) {
        const fromWasm = await p.page.evaluate(async (index) => {
          const { pixels } = await client.request("testImage", { index });
          const x = new Float32Array(784);
          for (let i = 0; i < 784; i++) x[i] = pixels[i] / 255;
          return Array.from(await client.request("predict", { pixels: x }));
        }, index);
        const cli = spawnSync(
          CLI,
          ["predict", "--model-file", model, "--data", path.join(ROOT, "www/data"), "--test-index", String(index)],
          { encoding: "utf8" },
        );
        assert.equal(cli.status, 0, cli.stderr);
        const native = JSON.parse(cli.stdout).probabilities;
        assert.equal(native.length, 10);
        const worst = Math.max(...native.map((v, i) => Math.abs(v - fromWasm[i])));
        assert.ok(worst <= 1e-5, `${wasm}, test digit ${index}: largest difference ${worst}`);
      }
      assert.deepEqual(p.consoleErrors, []);
    } finally {
      await p.close();
    }
  }
});

test("divergence pauses training, restores the last good weights and says so", async () => {
  const p = await fixture({ settings: { ...SETTINGS, optimizer: { type: "sgd", lr: 1e10 } } });
  try {
    await p.page.evaluate(() => client.request("train", { epochs: 1 }));
    await waitForEvents(p.page, "diverged", 1, 60_000);
    const { diverged, state } = await p.page.evaluate(() => ({
      diverged: events.find((e) => e.type === "diverged"),
      state: events.filter((e) => e.type === "state").at(-1).state,
    }));
    assert.equal(state, "paused");
    assert.match(diverged.message, /smaller learning rate/);
    assert.ok(diverged.restoredStep < diverged.step);
    const d = await p.page.evaluate(() => client.request("describe"));
    assert.equal(d.step, diverged.restoredStep);
    const probs = await p.page.evaluate(() => client.request("predict", { pixels: new Float32Array(784).fill(0.5) }).then(Array.from));
    assert.ok(probs.every(Number.isFinite), `restored weights give finite probabilities: ${probs}`);
    // With a sensible learning rate, training goes on from there.
    await p.page.evaluate(() => client.request("setLearningRate", { lr: 0.01 }));
    const n = await p.page.evaluate(() => events.length);
    await p.page.evaluate(() => client.request("train", { epochs: 1 }));
    await p.page.waitForFunction((n) => events.slice(n).filter((e) => e.type === "progress").length >= 2, n);
    await p.page.evaluate(() => client.request("pause"));
    const after = await p.page.evaluate(
      (n) =>
        events
          .slice(n)
          .filter((e) => e.type === "progress")
          .at(-1),
      n,
    );
    assert.ok(Number.isFinite(after.loss) && after.step > diverged.restoredStep);
    assert.ok(after.stepInEpoch <= after.stepsPerEpoch && after.stepInEpoch > 0);
  } finally {
    await p.close();
  }
});

/** A data directory like www/data with one file replaced by `bytes`. */
function brokenData(file, bytes) {
  const dir = tempDir();
  for (const f of Object.values(MANIFEST.files)) fs.copyFileSync(path.join(ROOT, "www/data", f.path), path.join(dir, f.path));
  fs.copyFileSync(path.join(ROOT, "www/data/manifest.json"), path.join(dir, "manifest.json"));
  fs.writeFileSync(path.join(dir, file), bytes);
  return dir;
}

test("a broken data file is reported by name, and the worker stays usable", async () => {
  const name = MANIFEST.files.testImages.path;
  const cases = [
    ["not gzip at all", Buffer.from("this is not a gzip file"), /damaged/],
    ["a valid gzip of something that is not IDX", zlib.gzipSync(Buffer.from("hello, world: certainly not an IDX file")), /test data/],
    ["a truncated gzip", fs.readFileSync(path.join(ROOT, "www/data", name)).subarray(0, 5000), /damaged/],
  ];
  for (const [what, bytes, pattern] of cases) {
    const dir = brokenData(name, bytes);
    const s = await startServer({ mounts: [["/broken/", dir]] });
    const p = await openPage(browser, `${s.url}/__test__/runtime.html`);
    try {
      await p.page.waitForFunction(() => window.client);
      await p.page.evaluate((st) => client.request("init", { settings: st }), SETTINGS);
      const err = await p.page.evaluate(() =>
        client.request("loadData", { base: "/broken" }).then(
          () => null,
          (e) => e.message,
        ),
      );
      assert.ok(err, `${what}: loadData must fail`);
      assert.match(err, pattern, `${what}: ${err}`);
      if (!/test data/.test(err)) assert.ok(err.includes(name), `${what}: the message names the file: ${err}`);
      // Still alive: a prediction works.
      const probs = await p.page.evaluate(() => client.request("predict", { pixels: new Float32Array(784) }).then((x) => x.length));
      assert.equal(probs, 10);
    } finally {
      await p.close();
      await s.close();
    }
  }
  // A host that sends the .gz files with `Content-Encoding: gzip` (so the browser unpacks them on
  // the way) still works.
  const s = await startServer({ mounts: [["/gzipped/", path.join(ROOT, "www/data"), { ".gz": { "Content-Encoding": "gzip" } }]] });
  const g = await openPage(browser, `${s.url}/__test__/runtime.html`);
  try {
    await g.page.waitForFunction(() => window.client);
    await g.page.evaluate((st) => client.request("init", { settings: st }), SETTINGS);
    const counts = await g.page.evaluate(() => client.request("loadData", { base: "/gzipped" }).then((d) => [d.train, d.test]));
    assert.deepEqual(counts, [MANIFEST.train, MANIFEST.test]);
  } finally {
    await g.close();
    await s.close();
  }
  // A missing manifest says what to do.
  const p = await fixture({ data: false });
  try {
    const err = await p.page.evaluate(() =>
      client.request("loadData", { base: "/no-such-data" }).then(
        () => null,
        (e) => e.message,
      ),
    );
    assert.match(err, /manifest.*404/);
  } finally {
    await p.close();
  }
});

test("on the page, a broken data file shows a clear error instead of a blank page", async () => {
  const dir = brokenData(MANIFEST.files.trainImages.path, Buffer.from("garbage, not gzip"));
  const s = await startServer({ mounts: [["/data/", dir]] });
  const { page, close } = await openPage(browser, `${s.url}/`);
  try {
    await page.waitForFunction(() => /damaged|could not|corrupt/i.test(document.body.innerText), null, { timeout: 60_000 });
    const text = await page.evaluate(() => document.body.innerText);
    assert.match(text, new RegExp(MANIFEST.files.trainImages.path.replace(/[.]/g, "\\.")));
  } finally {
    await close();
    await s.close();
  }
});

test("bad requests are rejected with a message, and a restarted worker works", async () => {
  const p = await fixture({ data: false });
  try {
    const errors = await p.page.evaluate(async () => {
      const fail = (promise) =>
        promise.then(
          () => "no error",
          (e) => e.message,
        );
      return {
        settings: await fail(
          client.request("configure", { settings: { model: "mlp-9000", optimizer: { type: "adam", lr: 0.001 }, batch: 64, seed: 1 } }),
        ),
        trainWithoutData: await fail(client.request("train", { epochs: 1 })),
        model: await fail(client.request("loadModel", { bytes: new Uint8Array([1, 2, 3]) })),
        pixels: await fail(client.request("predict", { pixels: new Float32Array(5) })),
        spec: await fail(client.request("specCreate", { lab: "a", json: '{"layers": 3}' })),
        unknown: await fail(client.request("nonsense")),
      };
    });
    assert.match(errors.settings, /mlp-9000/);
    assert.match(errors.trainWithoutData, /not loaded/);
    assert.notEqual(errors.model, "no error");
    assert.match(errors.pixels, /784/);
    assert.notEqual(errors.spec, "no error");
    assert.match(errors.unknown, /unknown request/);
    // The model is unchanged and the worker still answers.
    const d = await p.page.evaluate(() => client.request("describe"));
    assert.equal(d.settings.model, "mlp-64");

    const after = await p.page.evaluate(
      async (s) => {
        client.restart();
        const init = await client.request("init", { settings: s });
        return init.describe.settings.model;
      },
      { ...SETTINGS, model: "mlp-128" },
    );
    assert.equal(after, "mlp-128");
    assert.deepEqual(p.consoleErrors, []);
  } finally {
    await p.close();
  }
});
