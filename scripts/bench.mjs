// The benchmark: training speed and single-image inference latency in headless Chromium (in the
// worker, as the page runs them) and natively (`cargo bench`), with the wasm/native ratio.
//
//   node scripts/bench.mjs [--quick] [--variants simd,nosimd] [--skip-native] [--skip-soak]   (npm run bench)
//
// In the browser: the training set in www/data (full MNIST when MNIST_DIR was given at set-up),
// batch 64, Adam (lr 0.001), seed 1; mlp-128 for 3 epochs and cnn for 1 (--quick: 1 and a third),
// timed from the start of each epoch to its last step (the test-set evaluation is timed apart).
// Inference: `predict` (784 pixels -> 10 probabilities) and `predictDrawing` (a 280x280 drawing,
// preprocessed like MNIST, then classified), each the median of 30 round trips from the page.
// Writes bench-results/browser.json.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setup, ROOT } from "./setup.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const QUICK = args.includes("--quick");
const VARIANTS = opt("--variants", "simd,nosimd").split(",");
const MODELS = [
  { model: "mlp-128", epochs: 3 },
  { model: "cnn", epochs: 1 },
];
const SETTINGS = { optimizer: { type: "adam", lr: 0.001 }, batch: 64, seed: 1 };
const RUNS = 30;

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, digits = 0) => (x == null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

await setup({ test: true });
const { startServer, launchBrowser, openPage } = await import("../tests/browser/harness.mjs");

// --- native -------------------------------------------------------------------------------------

let native = null;
if (!args.includes("--skip-native")) {
  console.log("\nbench: native (cargo bench --bench train)");
  const r = spawnSync("cargo", ["bench", "--locked", "--bench", "train"], { cwd: ROOT, stdio: "inherit" });
  const file = path.join(ROOT, "bench-results", "native.json");
  if (r.status === 0 && fs.existsSync(file)) native = JSON.parse(fs.readFileSync(file, "utf8")).native;
  else console.log("bench: the native benchmark failed; reporting the browser alone");
}

// --- browser ------------------------------------------------------------------------------------

async function browserRun(browser, server, variant) {
  const { page, consoleErrors, close } = await openPage(browser, `${server.url}/__test__/runtime.html`);
  try {
    await page.waitForFunction(() => window.client);
    const init = await page.evaluate(
      ([s, v]) => client.request("init", { settings: { model: "mlp-128", ...s }, wasm: v }),
      [SETTINGS, variant],
    );
    const data = await page.evaluate(() => client.request("loadData", { base: "/data" }));
    const rows = [];
    for (const { model, epochs: fullEpochs } of MODELS) {
      const epochs = QUICK ? 1 : fullEpochs;
      console.log(`bench: ${variant} ${model}, ${epochs} epoch${epochs > 1 ? "s" : ""} on ${data.description}`);
      await page.evaluate(([s, m]) => client.request("configure", { settings: { ...s, model: m } }), [SETTINGS, model]);
      const fromEvent = await page.evaluate(() => events.length);
      await page.evaluate((e) => client.request("train", { epochs: e }), epochs);
      await page.waitForFunction(
        (n) => events.slice(n).some((e) => e.type === "state" && (e.state === "done" || e.state === "paused")),
        fromEvent,
        { timeout: 30 * 60_000, polling: 250 },
      );
      // Epoch k runs from the moment training (re)starts to the progress event of its last step.
      const timing = await page.evaluate((n) => {
        const ev = events.slice(n);
        const out = [];
        let start = ev.find((e) => e.type === "state" && e.state === "training").at;
        for (const e of ev) {
          if (e.type === "progress" && e.stepInEpoch === e.stepsPerEpoch) out.push({ train: e.at - start, evalStart: e.at });
          if (e.type === "epoch") {
            out.at(-1).eval = e.at - out.at(-1).evalStart;
            out.at(-1).accuracy = e.evaluation.accuracy;
            start = e.at;
          }
        }
        return out;
      }, fromEvent);
      const after = await page.evaluate(() => client.request("describe"));
      const epochSeconds = median(timing.map((t) => t.train)) / 1000;
      const latency = await page.evaluate(async (runs) => {
        const x = new Float32Array(784).map((_, i) => (i % 29) / 29);
        // A digit 7, drawn on a 280x280 canvas as the page's drawing pad would.
        const canvas = new OffscreenCanvas(280, 280);
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "white";
        ctx.fillRect(0, 0, 280, 280);
        ctx.strokeStyle = "black";
        ctx.lineWidth = 22;
        ctx.lineCap = ctx.lineJoin = "round";
        ctx.beginPath();
        ctx.moveTo(70, 60);
        ctx.lineTo(210, 60);
        ctx.lineTo(120, 230);
        ctx.stroke();
        const rgba = ctx.getImageData(0, 0, 280, 280).data;
        const time = async (fn) => {
          for (let i = 0; i < 5; i++) await fn(); // warm-up
          const t = [];
          for (let i = 0; i < runs; i++) {
            const t0 = performance.now();
            await fn();
            t.push(performance.now() - t0);
          }
          return t;
        };
        const predict = await time(() => client.request("predict", { pixels: x.slice() }));
        let drawn;
        const drawing = await time(async () => {
          const copy = rgba.slice();
          drawn = await client.request("predictDrawing", { rgba: copy, width: 280, height: 280 }, [copy.buffer]);
        });
        const argmax = drawn.probs.indexOf(Math.max(...drawn.probs));
        return { predict, drawing, drawnPrediction: argmax };
      }, RUNS);
      rows.push({
        variant,
        model,
        batch: 64,
        epochs,
        train_samples: data.train,
        epoch_seconds: round(epochSeconds, 2),
        epoch_seconds_each: timing.map((t) => round(t.train / 1000, 2)),
        train_samples_per_s: round(data.train / epochSeconds),
        eval_seconds: round(median(timing.map((t) => t.eval)) / 1000, 2),
        test_accuracy: timing.at(-1)?.accuracy ?? null,
        predict_ms: round(median(latency.predict), 3),
        predict_drawing_ms: round(median(latency.drawing), 3),
        drawn_seven_read_as: latency.drawnPrediction,
        latency_runs: RUNS,
        heap_mb: round(after.heapBytes / 2 ** 20, 1),
      });
      console.log(`bench: ${JSON.stringify(rows.at(-1))}`);
    }
    if (consoleErrors.length) console.log(`bench: console errors: ${consoleErrors.join("\n")}`);
    return { init, data, rows };
  } finally {
    await close();
  }
}

const server = await startServer();
const browser = await launchBrowser();
const browserVersion = `Chromium ${browser.version()}`;
const runs = [];
try {
  for (const v of VARIANTS) runs.push(await browserRun(browser, server, v));
} finally {
  await browser.close();
  await server.close();
}

// --- report -------------------------------------------------------------------------------------

const rows = runs.flatMap((r) => r.rows);
for (const row of rows) {
  const n = native?.find((x) => x.model === row.model);
  if (n) {
    row.native_train_samples_per_s = n.train_samples_per_s;
    row.native_inference_ms = n.inference_ms;
    row.wasm_native_training_ratio = round(row.train_samples_per_s / n.train_samples_per_s, 2);
    row.wasm_native_inference_ratio = round(row.predict_ms / n.inference_ms, 1);
  }
}
const result = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.arch()}`,
  },
  browser: browserVersion,
  data: runs[0]?.data.description,
  heap_mb_with_data: round(runs[0]?.data.heapBytes / 2 ** 20, 1),
  settings: { ...SETTINGS, optimizer: "adam" },
  browser_results: rows,
  native_results: native,
  notes: [
    "epoch_seconds: wall time of one training epoch in the worker (chunked, answering messages in between), evaluation excluded",
    "predict_ms / predict_drawing_ms: median round trip from the page to the worker and back (includes messaging)",
    "native: cargo bench --bench train (training steps on random digits, single-image Network::predict)",
  ],
};

fs.mkdirSync(path.join(ROOT, "bench-results"), { recursive: true });
fs.writeFileSync(path.join(ROOT, "bench-results", "browser.json"), JSON.stringify(result, null, 2) + "\n");

const pad = (s, n) => String(s).padStart(n);
console.log(`\n${result.browser}, ${result.machine.cpus} CPUs (${result.machine.cpu}); data: ${result.data}`);
console.log(
  `${"variant".padEnd(8)} ${"model".padEnd(8)} ${pad("samples/s", 10)} ${pad("s/epoch", 8)} ${pad("native/s", 9)} ${pad("ratio", 6)} ${pad("predict ms", 11)} ${pad("drawing ms", 11)} ${pad("native ms", 10)} ${pad("heap MB", 8)}`,
);
for (const r of rows) {
  console.log(
    `${r.variant.padEnd(8)} ${r.model.padEnd(8)} ${pad(r.train_samples_per_s, 10)} ${pad(r.epoch_seconds, 8)} ${pad(r.native_train_samples_per_s ?? "-", 9)} ${pad(r.wasm_native_training_ratio ?? "-", 6)} ${pad(r.predict_ms, 11)} ${pad(r.predict_drawing_ms, 11)} ${pad(r.native_inference_ms ?? "-", 10)} ${pad(r.heap_mb, 8)}`,
  );
}
console.log("wrote bench-results/browser.json");

// The soak: memory before and after 20 epochs on the page (scripts/soak.mjs, bench-results/soak.json).
if (!args.includes("--skip-soak")) await (await import("./soak.mjs")).soak({ epochs: QUICK ? 2 : 20 });
