// What the walk-through tests share: traces made by the CLI (`backprop-lab trace`), the six
// walk-throughs the issue names (Mazur 2-2-2 with SGD; ReLU + softmax + Adam; conv + max-pool +
// Adam with stride and padding; tanh + MSE with momentum; a real test digit through the trained
// CNN at t > 1; a fresh preset at t = 1), and a trace's steps as the page builds them.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import { analyse, defaultPicks, buildSteps } from "../../www/walkthrough/steps.js";

export const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(ROOT, "target/release/backprop-lab");
export const MNIST = process.env.MNIST_DIR || path.join(ROOT, "www/data");
export const at = (p) => path.join(ROOT, p);

/** The traces of `backprop-lab trace ...`. */
export function cli(...args) {
  return JSON.parse(execFileSync(CLI, ["trace", ...args], { maxBuffer: 1 << 30 }).toString()).traces;
}

/** The traces of a spec given as an object. */
export function specTraces(spec, steps = 1) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "walk-")), "spec.json");
  fs.writeFileSync(file, JSON.stringify(spec));
  return cli("--spec", file, "--steps", String(steps));
}

/** The six walk-throughs' traces, by name, made by the CLI when called. */
export function walkTraces() {
  const walks = {
    mazur: () => cli("--spec", at("www/presets/mazur-2-2-2-sgd.json"))[0],
    relu: () => cli("--spec", at("www/presets/relu-softmax-adam.json"))[0],
    conv: () => cli("--spec", at("tests/walkthrough/fixtures/conv-pool-adam.json"), "--steps", "2")[1],
    tanh: () => cli("--spec", at("tests/walkthrough/fixtures/tanh-mse-momentum.json"), "--steps", "2")[1],
    cnn: () => cli("--model-file", at("www/model/default.safetensors"), "--data", MNIST, "--index", "0")[0],
    fresh: () => cli("--model", "mlp-64", "--seed", "1", "--data", MNIST, "--index", "0")[0],
  };
  return Object.fromEntries(Object.entries(walks).map(([k, f]) => [k, f()]));
}

/** A trace's steps as the page builds them, with its picks (default: the walk-through's own). */
export function stepsOf(trace, picks) {
  const T = analyse(trace);
  const P = picks ? picks(T) : defaultPicks(T);
  return { T, P, steps: buildSteps(T, P, { title: "t" }) };
}
