// The benchmark: training speed and single-image inference latency in headless Chromium (in the
// worker, as the page runs them) and natively, with TensorFlow.js beside us as the anchor.
//
//   node scripts/bench.mjs [--quick] [--variants simd,nosimd] [--skip-native] [--skip-tfjs] [--skip-soak]   (npm run bench)
//
// Every training run uses the same data (www/data: full MNIST when MNIST_DIR was given at set-up),
// batch 64, Adam (lr 0.001), seed 1; mlp-128 for 3 epochs and cnn for 1 (--quick: 1 each), timed
// from the start of each epoch to its last step (the test-set evaluation is timed apart).
//
// - ours in the browser: both wasm builds, in the page's worker; `predict` (784 pixels -> 10
//   probabilities) and `predictDrawing` (a 280x280 drawing, preprocessed like MNIST, then
//   classified), each the median of 30 round trips from the page;
// - ours natively: the CLI (`backprop-lab train`) on one thread and on every core;
// - TF.js 4.22, wasm backend (SIMD, one thread), in a worker (bench/tfjs-worker.js, which adds the
//   Conv2DBackpropFilter kernel the backend lacks), served from node_modules;
// - the optimizer's share of a training step: `cargo bench` natively, and the same measurement
//   built for wasm (examples/step_parts.rs) in a worker, for each wasm build.
//
// Writes bench-results/browser.json: one row per library, model and build (`library`, `model`,
// `variant`, `train_samples_per_s`, `epoch_seconds`, `test_accuracy`, ...), the ratios, the profile.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setup, ROOT, CLI } from "./setup.mjs";
import { readConfig } from "./build-wasm.mjs";

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
const CORES = os.availableParallelism();
/** Steps per timed run of the step-parts measurement, and runs (the median is kept). */
const STEP_PARTS = { "mlp-128": 100, cnn: 10, runs: 5 };

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, digits = 0) => (x == null ? null : Math.round(x * 10 ** digits) / 10 ** digits);
/**
 * A training run's speed, the same fields in every row: the median epoch's seconds, each epoch's,
 * and training samples a second at the median epoch.
 * @param {number} trainSamples @param {number[]} secondsEach
 */
function speed(trainSamples, secondsEach) {
  const seconds = median(secondsEach);
  return {
    train_samples: trainSamples,
    epoch_seconds: round(seconds, 2),
    epoch_seconds_each: secondsEach.map((s) => round(s, 2)),
    train_samples_per_s: round(trainSamples / seconds),
  };
}
const epochsOf = (model) => (QUICK ? 1 : MODELS.find((m) => m.model === model).epochs);

function run(cmd, cmdArgs, env = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env }, encoding: "utf8" });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(" ")} failed (exit ${r.status})`);
  return r.stdout;
}

await setup({ test: true });
// Other work on the machine slows every figure and skews ratios between runs taken minutes apart:
// the load is recorded with the results, and a busy machine is called out.
const loadBefore = os.loadavg();
if (loadBefore[0] > CORES / 2) {
  console.log(`bench: the machine is busy (load average ${loadBefore[0].toFixed(1)} on ${CORES} cores); the figures will be low and noisy`);
}
const { startServer, launchBrowser, openPage } = await import("../tests/browser/harness.mjs");
const DATA = path.join(ROOT, "www", "data");
const { TWO_CORES } = await import("../www/lib/cores.js");

// --- native -------------------------------------------------------------------------------------

/** `cargo bench`: steps on random digits, one thread and every core, with the optimizer's share. */
let nativeProfile = null;
const nativeRows = [];
if (!args.includes("--skip-native")) {
  console.log("\nbench: native profile (cargo bench --bench train)");
  const r = spawnSync("cargo", ["bench", "--locked", "--bench", "train"], { cwd: ROOT, stdio: "inherit" });
  const file = path.join(ROOT, "bench-results", "native.json");
  if (r.status === 0 && fs.existsSync(file)) nativeProfile = JSON.parse(fs.readFileSync(file, "utf8")).native;
  else console.log("bench: cargo bench failed; no native profile");

  // The CLI trains on the same data as the browser, on one thread and on every core.
  for (const threads of [...new Set([1, CORES])]) {
    for (const { model } of MODELS) {
      const epochs = epochsOf(model);
      console.log(`bench: native ${model}, ${threads} thread${threads > 1 ? "s" : ""}, ${epochs} epoch${epochs > 1 ? "s" : ""}`);
      const summary = JSON.parse(
        run(CLI, [
          "train",
          ...["--threads", String(threads), "--model", model, "--epochs", String(epochs)],
          ...["--batch", "64", "--lr", "0.001", "--seed", "1", "--data", DATA],
        ]),
      );
      nativeRows.push({
        library: "backprop-lab",
        variant: `native-${threads}-thread${threads > 1 ? "s" : ""}`,
        threads,
        model,
        batch: 64,
        epochs,
        ...speed(
          summary.train_images,
          summary.history.map((h) => h.seconds),
        ),
        test_accuracy: summary.test_accuracy,
      });
      console.log(`bench: ${JSON.stringify(nativeRows.at(-1))}`);
    }
  }
}

// --- the optimizer's share in wasm ----------------------------------------------------------------

/** Builds examples/step_parts.rs for a wasm variant, with the variant's flags and wasm-opt passes. */
function buildStepParts(variant) {
  const cfg = readConfig();
  const v = cfg.variant.find((x) => x.name === variant);
  if (!v) throw new Error(`no wasm variant ${variant} in wasm-pack.toml`);
  const targetDir = path.join(ROOT, v["target-dir"]);
  const profile = cfg.build.profile;
  run("cargo", ["build", "--locked", "--profile", profile, "--example", "step_parts", "--target", "wasm32-unknown-unknown"], {
    RUSTFLAGS: v.rustflags.join(" "),
    CARGO_TARGET_DIR: targetDir,
  });
  const out = path.join(ROOT, "target", "bench-wasm", variant);
  const built = path.join(targetDir, "wasm32-unknown-unknown", profile, "examples", "step_parts.wasm");
  run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", out, built]);
  const wasm = path.join(out, "step_parts_bg.wasm");
  run(path.resolve(ROOT, cfg.tools["wasm-opt"]), [...cfg["wasm-opt"].features, ...v["wasm-opt"], wasm, "-o", wasm]);
}

/** Runs a worker of bench/ from a blank page and resolves to its first reply. */
async function inWorker(browser, server, script, message, { module = false } = {}) {
  const { page, consoleErrors, close } = await openPage(browser, `${server.url}/__bench__/index.html`);
  try {
    const reply = await page.evaluate(
      ([script, message, module]) =>
        new Promise((resolve, reject) => {
          const w = new Worker(script, module ? { type: "module" } : undefined);
          w.onmessage = (e) => {
            if (e.data.type === "progress") return;
            w.terminate();
            resolve(e.data);
          };
          w.onerror = (e) => reject(new Error(e.message));
          w.postMessage(message);
        }),
      [script, message, module],
    );
    if (consoleErrors.length) console.log(`bench: console errors: ${consoleErrors.join("\n")}`);
    return reply;
  } finally {
    await close();
  }
}

async function stepParts(browser, server, variant) {
  const rows = [];
  for (const { model } of MODELS) {
    const r = await inWorker(
      browser,
      server,
      "/__bench__/step-parts-worker.js",
      { variant, model, steps: STEP_PARTS[model], runs: STEP_PARTS.runs },
      { module: true },
    );
    if (r.error) throw new Error(`step parts (${variant}, ${model}): ${r.error}`);
    rows.push({
      variant,
      model,
      step_ms: round(r.stepMs, 3),
      optimizer_ms: round(r.optimizerMs, 3),
      optimizer_share: round(r.optimizerMs / r.stepMs, 3),
    });
    console.log(`bench: step parts ${JSON.stringify(rows.at(-1))}`);
  }
  return rows;
}

// --- TF.js --------------------------------------------------------------------------------------

async function tfjsRun(browser, server, model) {
  const epochs = epochsOf(model);
  console.log(`bench: TF.js wasm ${model}, ${epochs} epoch${epochs > 1 ? "s" : ""}`);
  const reply = await inWorker(browser, server, "/__bench__/tfjs-worker.js", { model, epochs, base: "/data" });
  if (reply.type === "error") {
    console.log(`bench: TF.js could not train ${model}: ${reply.message}`);
    return { library: "tfjs", variant: "wasm-simd", model, error: reply.message.split("\n")[0] };
  }
  const r = reply.result;
  const row = {
    library: "tfjs",
    version: r.version,
    variant: r.simd ? "wasm-simd" : "wasm",
    threads: r.threads,
    model,
    batch: 64,
    epochs,
    ...speed(
      r.train,
      r.epochs.map((e) => e.seconds),
    ),
    eval_seconds: round(median(r.epochs.map((e) => e.eval_seconds)), 2),
    test_accuracy: r.epochs.at(-1).test_accuracy,
    notes: model === "cnn" ? "Conv2DBackpropFilter added (bench/tfjs-worker.js): im2col and one matrix product" : undefined,
  };
  console.log(`bench: ${JSON.stringify(row)}`);
  return row;
}

// --- browser ------------------------------------------------------------------------------------

/**
 * Our page's worker training the models. `cores`: 1 on a page that is not cross-origin isolated
 * (`server` without COOP/COEP), 2 on an isolated one once the second core is up (www/lib/cores.js).
 */
async function browserRun(browser, server, variant, cores = 1) {
  const { page, consoleErrors, close } = await openPage(browser, `${server.url}/__test__/runtime.html`);
  const label = cores === 2 ? `${variant}-2-cores` : variant;
  try {
    await page.waitForFunction(() => window.client);
    const init = await page.evaluate(
      ([s, v]) => client.request("init", { settings: { model: "mlp-128", ...s }, wasm: v }),
      [SETTINGS, variant],
    );
    const data = await page.evaluate(() => client.request("loadData", { base: "/data" }));
    for (let i = 0; ((await page.evaluate(() => client.request("describe"))).cores?.count ?? 1) !== cores; i++) {
      if (i > 600) throw new Error(`bench: the page does not train on ${cores} core(s)`);
      await page.waitForTimeout(100);
    }
    const rows = [];
    for (const { model, epochs: fullEpochs } of MODELS) {
      const epochs = QUICK ? 1 : fullEpochs;
      console.log(`bench: ${label} ${model}, ${epochs} epoch${epochs > 1 ? "s" : ""} on ${data.description}`);
      const load = os.loadavg()[0];
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
      const coresSeen = await page.evaluate(
        (n) => [...new Set(events.slice(n).flatMap((e) => (e.type === "progress" ? [e.cores?.count ?? 1] : [])))],
        fromEvent,
      );
      if (coresSeen.length !== 1 || coresSeen[0] !== cores)
        throw new Error(`bench: ${label} ${model} trained on ${coresSeen.join(" and ")} cores`);
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
        library: "backprop-lab",
        variant: label,
        cores,
        model,
        batch: 64,
        epochs,
        ...speed(
          data.train,
          timing.map((t) => t.train / 1000),
        ),
        eval_seconds: round(median(timing.map((t) => t.eval)) / 1000, 2),
        test_accuracy: timing.at(-1)?.accuracy ?? null,
        predict_ms: round(median(latency.predict), 3),
        predict_drawing_ms: round(median(latency.drawing), 3),
        drawn_seven_read_as: latency.drawnPrediction,
        latency_runs: RUNS,
        heap_mb: round(after.heapBytes / 2 ** 20, 1),
        second_core_heap_mb: cores === 2 ? round(after.secondCoreHeapBytes / 2 ** 20, 1) : null,
        load_average_1min: { before: round(load, 2), after: round(os.loadavg()[0], 2) },
      });
      console.log(`bench: ${JSON.stringify(rows.at(-1))}`);
    }
    if (consoleErrors.length) console.log(`bench: console errors: ${consoleErrors.join("\n")}`);
    return { init, data, rows };
  } finally {
    await close();
  }
}

for (const v of VARIANTS) buildStepParts(v);
const server = await startServer({
  mounts: [
    ["/__bench__/tfjs/", path.join(ROOT, "node_modules", "@tensorflow")],
    ["/__bench__/pkg/", path.join(ROOT, "target", "bench-wasm")],
    ["/__bench__/", path.join(ROOT, "bench")],
  ],
});
// The same files without COOP/COEP: a page that is not cross-origin isolated trains on one core.
const plain = await startServer({ isolated: false });
const browser = await launchBrowser();
const browserVersion = `Chromium ${browser.version()}`;
const runs = [];
const parts = [];
const tfjs = [];
try {
  for (const v of VARIANTS) {
    runs.push(await browserRun(browser, plain, v));
    parts.push(...(await stepParts(browser, server, v)));
  }
  if (VARIANTS.includes("simd") && TWO_CORES) runs.push(await browserRun(browser, server, "simd", 2));
  if (!args.includes("--skip-tfjs")) for (const { model } of MODELS) tfjs.push(await tfjsRun(browser, server, model));
} finally {
  await browser.close();
  await server.close();
  await plain.close();
}

// --- report -------------------------------------------------------------------------------------

const ours = runs.flatMap((r) => r.rows);
const rows = [...ours, ...nativeRows, ...tfjs];
const find = (library, variant, model) => rows.find((r) => r.library === library && r.variant === variant && r.model === model);
const ratio = (a, b) => (a?.train_samples_per_s && b?.train_samples_per_s ? round(a.train_samples_per_s / b.train_samples_per_s, 2) : null);
const ratios = MODELS.map(({ model }) => {
  const simd = find("backprop-lab", "simd", model);
  const tf = tfjs.find((r) => r.model === model);
  const native1 = find("backprop-lab", "native-1-thread", model);
  const nativeAll = CORES > 1 ? find("backprop-lab", `native-${CORES}-threads`, model) : native1;
  return {
    model,
    simd_over_tfjs: ratio(simd, tf),
    nosimd_over_tfjs: ratio(find("backprop-lab", "nosimd", model), tf),
    native_1_thread_over_simd: ratio(native1, simd),
    native_all_cores_over_1_thread: ratio(nativeAll, native1),
    simd_2_cores_over_1_core: ratio(find("backprop-lab", "simd-2-cores", model), simd),
    simd_2_cores_over_tfjs: ratio(find("backprop-lab", "simd-2-cores", model), tf),
  };
});
const result = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.arch()}`,
    load_average_1min: { before: round(loadBefore[0], 2), after: round(os.loadavg()[0], 2) },
  },
  browser: browserVersion,
  data: runs[0]?.data.description,
  heap_mb_with_data: round(runs[0]?.data.heapBytes / 2 ** 20, 1),
  settings: { ...SETTINGS, optimizer: "adam" },
  rows,
  ratios,
  optimizer_share: { wasm: parts, native: nativeProfile },
  notes: [
    "epoch_seconds: wall time of one training epoch, evaluation excluded; in the browser in a worker (ours: chunked, answering messages in between)",
    "predict_ms / predict_drawing_ms: median round trip from the page to the worker and back (includes messaging)",
    "native rows: backprop-lab train on the same data (--threads 1, and every core)",
    "simd, nosimd: one core (the page served without COOP/COEP); simd-2-cores: the page cross-origin isolated, every other 32-example shard of each batch on a second wasm instance (www/lib/cores.js); each row has the load average around its run",
    "tfjs: TF.js 4.22 wasm backend, SIMD, one thread (WASM_HAS_MULTITHREAD_SUPPORT off), a custom training loop (optimizer.minimize per batch)",
    "optimizer_share: median time of Optimizer::step over the median time of a whole Trainer::step (random digits, batch 64, Adam); wasm: examples/step_parts.rs in a worker; native: cargo bench",
  ],
};

fs.mkdirSync(path.join(ROOT, "bench-results"), { recursive: true });
fs.writeFileSync(path.join(ROOT, "bench-results", "browser.json"), JSON.stringify(result, null, 2) + "\n");

const pad = (s, n) => String(s ?? "-").padStart(n);
console.log(`\n${result.browser}, ${result.machine.cpus} CPUs (${result.machine.cpu}); data: ${result.data}`);
console.log(`load average (1 min) ${result.machine.load_average_1min.before} before, ${result.machine.load_average_1min.after} after`);
console.log(
  `${"library".padEnd(13)} ${"variant".padEnd(17)} ${"model".padEnd(8)} ${pad("samples/s", 10)} ${pad("s/epoch", 8)} ${pad("accuracy", 9)} ${pad("predict ms", 11)} ${pad("drawing ms", 11)} ${pad("heap MB", 8)} ${pad("2nd core MB", 11)}`,
);
for (const r of rows) {
  console.log(
    `${r.library.padEnd(13)} ${r.variant.padEnd(17)} ${r.model.padEnd(8)} ${pad(r.train_samples_per_s ?? "cannot train", 10)} ${pad(r.epoch_seconds, 8)} ${pad(r.test_accuracy == null ? null : (100 * r.test_accuracy).toFixed(2) + " %", 9)} ${pad(r.predict_ms, 11)} ${pad(r.predict_drawing_ms, 11)} ${pad(r.heap_mb, 8)} ${pad(r.second_core_heap_mb, 11)}`,
  );
}
console.log("\nratios of training samples/s:");
for (const r of ratios) {
  console.log(
    `  ${r.model}: ours (SIMD) / TF.js ${pad(r.simd_over_tfjs, 5)}, ours (no SIMD) / TF.js ${pad(r.nosimd_over_tfjs, 5)}, native 1 thread / SIMD ${pad(r.native_1_thread_over_simd, 5)}, native ${CORES} threads / 1 thread ${pad(r.native_all_cores_over_1_thread, 5)}, SIMD 2 cores / 1 core ${pad(r.simd_2_cores_over_1_core, 5)}, SIMD 2 cores / TF.js ${pad(r.simd_2_cores_over_tfjs, 5)}`,
  );
}
console.log("optimizer's share of a training step:");
for (const p of parts)
  console.log(`  wasm ${p.variant} ${p.model}: ${p.optimizer_ms} of ${p.step_ms} ms (${(100 * p.optimizer_share).toFixed(1)} %)`);
for (const p of nativeProfile ?? [])
  console.log(
    `  native ${p.threads} thread${p.threads > 1 ? "s" : ""} ${p.model}: ${p.optimizer_ms} of ${p.step_ms} ms (${(100 * p.optimizer_share).toFixed(1)} %)`,
  );
console.log("wrote bench-results/browser.json");

// The soak: memory before and after 20 epochs on the page (scripts/soak.mjs, bench-results/soak.json).
if (!args.includes("--skip-soak")) await (await import("./soak.mjs")).soak({ epochs: QUICK ? 2 : 20 });
