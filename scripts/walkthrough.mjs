// The step-through's walk-through as Markdown, without a browser: the page's own modules
// (www/walkthrough/) and the page's own core (the wasm build, loaded here), every gradient check
// run. For teachers preparing notes.
//
//   npm run walkthrough -- --spec FILE [--steps N]                a network spec, steps 1 to N
//   npm run walkthrough -- --model NAME --seed S [--data DIR] --index I
//                                                                 a fresh preset, on test digit I
//   npm run walkthrough -- --model-file F [--data DIR] --index I  a saved model, on test digit I
//
// --data is the folder with MNIST's four .gz files (default: $MNIST_DIR; only the test set is
// read). The Markdown goes to stdout; a bad file or argument ends in one line `error: ...` on
// stderr and exit status 1.

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { parseArgs } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";

import * as core from "../www/pkg/nosimd/backprop_lab.js";
import { analyse, defaultPicks, buildSteps } from "../www/walkthrough/steps.js";
import { markdownWithChecks } from "../www/walkthrough/markdown.js";
import { digitMeta, specMeta } from "../www/walkthrough/meta.js";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const WASM = path.join(ROOT, "www/pkg/nosimd/backprop_lab_bg.wasm");
// The worker's settings for a model file (www/worker.js): the file's own optimizer state wins.
const FILE_SETTINGS = { model: "cnn", optimizer: { type: "adam", lr: 0.001 }, batch: 64, seed: 1 };

let loaded = false;
/** Loads the wasm build the page runs (the one without SIMD, which every engine has). */
function loadCore() {
  if (loaded) return;
  let bytes;
  try {
    bytes = fs.readFileSync(WASM);
  } catch {
    throw new Error(`the wasm build is missing (${path.relative(ROOT, WASM)}): run npm run setup first`);
  }
  core.initSync({ module: bytes });
  loaded = true;
}

/** A whole number ≥ min from an argument, or a clear error naming it. */
function whole(value, name, min) {
  if (!/^\d+$/.test(String(value)) || Number(value) < min)
    throw new Error(`${name}: expected a whole number of at least ${min}, found "${value}"`);
  return Number(value);
}

function readFile(file, what) {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
  }
}

/** Test digit `index` of the IDX files in `dir`: {pixels (784 numbers in [0, 1]), label}. */
export function testDigit(dir, index) {
  const gz = (name) => {
    const file = path.join(dir, name);
    try {
      return zlib.gunzipSync(readFile(file, "the MNIST file"));
    } catch (e) {
      throw new Error(e.message.startsWith("cannot read") ? e.message : `${file} is not a gzip file: ${e.message}`);
    }
  };
  const images = gz("t10k-images-idx3-ubyte.gz");
  const labels = gz("t10k-labels-idx1-ubyte.gz");
  if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) throw new Error(`${dir}: the test files are not MNIST IDX files`);
  const count = images.readUInt32BE(4);
  const size = images.readUInt32BE(8) * images.readUInt32BE(12);
  if (index >= count) throw new Error(`--index: test digit ${index} does not exist; there are ${count}`);
  const bytes = images.subarray(16 + index * size, 16 + (index + 1) * size);
  // As the page does: bytes 0–255 to [0, 1].
  return { pixels: Float32Array.from(bytes, (b) => b / 255), label: labels[8 + index] };
}

/** One walk-through: the steps of a trace with the default picks, as Markdown with every check run. */
async function document(trace, meta, check) {
  const T = analyse(trace);
  const steps = buildSteps(T, defaultPicks(T), meta);
  return markdownWithChecks(steps, meta, check);
}

/** The spec's walk-throughs, steps 1 to N (each step's own document, one after the other). */
async function specWalkthrough(file, stepsArg) {
  const text = readFile(file, "the spec").toString("utf8");
  const lab = new core.SpecLab(text); // a bad spec throws the core's message, naming the field
  const doc = JSON.parse(text);
  const n = stepsArg === undefined ? (doc.steps ?? 1) : whole(stepsArg, "--steps", 1);
  const out = [];
  for (let k = 0; k < n; k++) {
    const trace = JSON.parse(lab.peek());
    const meta = specMeta({ name: doc.name, trace });
    out.push(await document(trace, meta, ({ layer, param, index }) => lab.gradientCheck(layer, param, index)));
    lab.step();
  }
  return out.join("\n\n");
}

/** A test digit's walk-through, through a fresh preset or a model file. */
async function digitWalkthrough({ model, seed, modelFile, data, index }) {
  const dir = data ?? process.env.MNIST_DIR;
  if (!dir) throw new Error("give --data DIR (the folder with the four MNIST .gz files) or set MNIST_DIR");
  const i = whole(index, "--index", 0);
  const { pixels, label } = testDigit(dir, i);
  if (modelFile) {
    const pg = core.Playground.fromModelFile(readFile(modelFile, "the model file"), FILE_SETTINGS);
    const trace = JSON.parse(pg.trace(pixels, label));
    const meta = digitMeta({ index: i, label, fresh: null, trace, model: pg.describe().settings.model });
    return document(trace, meta, ({ layer, param, index: e }) => pg.gradientCheck(pixels, label, layer, param, e));
  }
  const fresh = { model, seed: seed === undefined ? NaN : Number(seed) };
  const trace = JSON.parse(core.traceFresh(fresh, pixels, label)); // the core checks the seed and names what is wrong
  const meta = digitMeta({ index: i, label, fresh, trace });
  return document(trace, meta, ({ layer, param, index: e }) => core.gradientCheckFresh(fresh, pixels, label, layer, param, e));
}

/**
 * The Markdown for command-line arguments (without the program's name).
 * @param {string[]} argv
 */
export async function walkthrough(argv) {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      spec: { type: "string" },
      steps: { type: "string" },
      model: { type: "string" },
      seed: { type: "string" },
      "model-file": { type: "string" },
      data: { type: "string" },
      index: { type: "string" },
    },
    strict: true,
  });
  const forms = [a.spec, a.model, a["model-file"]].filter((x) => x !== undefined).length;
  if (forms !== 1)
    throw new Error(
      "give one of --spec FILE [--steps N], --model NAME --seed S --index I, or --model-file FILE --index I (with --data DIR)",
    );
  loadCore();
  if (a.spec !== undefined) return specWalkthrough(a.spec, a.steps);
  if (a.steps !== undefined) throw new Error("--steps goes with --spec only");
  if (a.index === undefined) throw new Error("--index I: which test digit to walk through");
  if (a.model !== undefined && a.seed === undefined) throw new Error("--model NAME needs --seed S (the random weights to start from)");
  return digitWalkthrough({ model: a.model, seed: a.seed, modelFile: a["model-file"], data: a.data, index: a.index });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(`${await walkthrough(process.argv.slice(2))}\n`);
  } catch (e) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  }
}
