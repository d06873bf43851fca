// The health panel's cost in wasm: for every preset (batch 64, Adam 1e-3, seed 1, the data in
// www/data), one health measurement (`Playground.health`, median of 9 × 10 calls) beside a
// training step, and training samples/s with and without the health measured after every chunk
// (chunks of about 25 ms of steps, as the worker sizes them), in alternating pairs, with the
// medians and the median of the pairs' ratios. The same calls the worker makes, in Node's V8.
//
//   node scripts/bench-health.mjs [simd|nosimd] [pairs]      (after the set-up step)
//
// `cargo bench --bench health` measures the same natively.

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { ROOT } from "./paths.mjs";

const variant = process.argv[2] ?? "simd";
const PAIRS = Number(process.argv[3] ?? 8);
const pkg = path.join(ROOT, "www", "pkg", variant);
const wasm = await import(path.join(pkg, "backprop_lab.js"));
wasm.initSync({ module: fs.readFileSync(path.join(pkg, "backprop_lab_bg.wasm")) });
const data = (f) => zlib.gunzipSync(fs.readFileSync(path.join(ROOT, "www", "data", f)));
const [trainImages, trainLabels, testImages, testLabels] = [
  "train-images-idx3-ubyte.gz",
  "train-labels-idx1-ubyte.gz",
  "t10k-images-idx3-ubyte.gz",
  "t10k-labels-idx1-ubyte.gz",
].map(data);
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;

const rows = [];
for (const { name: model } of wasm.vocabulary().presets) {
  const pg = new wasm.Playground({ model, optimizer: { type: "adam", lr: 0.001 }, batch: 64, seed: 1 });
  pg.setData(trainImages, trainLabels, testImages, testLabels);
  pg.trainSteps(3, false); // warm up
  const healthMs = [];
  const stepMs = [];
  for (let k = 0; k < 9; k++) {
    let t = performance.now();
    for (let i = 0; i < 10; i++) pg.health();
    healthMs.push((performance.now() - t) / 10);
    t = performance.now();
    pg.trainSteps(2, false);
    stepMs.push((performance.now() - t) / 2);
  }
  const step = median(stepMs);
  const chunk = Math.max(1, Math.round(25 / step));
  const rate = (health) => {
    const t = performance.now();
    let seen = 0;
    for (let i = 0; i < 4; i++) seen += pg.trainSteps(chunk, health).seen;
    return seen / ((performance.now() - t) / 1000);
  };
  const without = [];
  const withHealth = [];
  const ratios = [];
  for (let p = 0; p < PAIRS; p++) {
    // In turn first, so that a change in the machine's load falls on both alike.
    const [a, b] = p % 2 ? ((b) => [rate(false), b])(rate(true)) : ((a) => [a, rate(true)])(rate(false));
    without.push(a);
    withHealth.push(b);
    ratios.push(b / a);
  }
  pg.free();
  const row = {
    variant,
    model,
    step_ms: round(step, 3),
    health_ms: round(median(healthMs), 3),
    chunk_steps: chunk,
    samples_per_s_without_health: Math.round(median(without)),
    samples_per_s_with_health: Math.round(median(withHealth)),
    ratio: round(median(ratios), 3),
    pairs: PAIRS,
  };
  console.log(JSON.stringify(row));
  rows.push(row);
}
fs.mkdirSync(path.join(ROOT, "bench-results"), { recursive: true });
fs.writeFileSync(path.join(ROOT, "bench-results", `health-${variant}.json`), JSON.stringify(rows, null, 2));
