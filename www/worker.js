// @ts-check
// The worker: owns the wasm model (a Playground) and the custom networks (SpecLabs), and answers
// the requests of protocol.js. Everything heavy happens here so the page never stutters.
//
// Training runs in chunks of about CHUNK_MS of work; between chunks the worker yields to its
// message queue, so a pause, a prediction or a trace is answered within one chunk even mid-epoch.
// After each epoch the test set is evaluated the same way, in chunks, then an `epoch` event goes out.
// At a chosen speed (steps per second) the chunks are paced, down to one step at a time; a single
// step can be taken while paused.
//
// The timeline: after the steps the core's timeline asks for, the worker takes a snapshot (a model
// file from the core) and keeps its bytes here and in IndexedDB (lib/snapshotstore.js), outside
// the wasm heap; the core says which to let go so that they stay within the vocabulary's bound.
// While the page looks at a point of the timeline, the core answers every read from that
// snapshot's model; training can go on from any point.
//
// Read protocol.js first (the requests and events), then this file top to bottom: loading wasm,
// loading data, the training loop, the timeline, the request handlers.

import { REQUESTS, EVENTS } from "./protocol.js";
import { putSnapshot, deleteSnapshots, keepOnlyRun, loadRun } from "./lib/snapshotstore.js";
import { typedTrace } from "./lib/trace-arrays.js";
import { Cores, coresNote } from "./lib/cores.js";
import { drawHandlers } from "./worker/draw.js";

/**
 * @typedef {import("./protocol.js").Requests} Requests
 * @typedef {import("./protocol.js").Replies} Replies
 * @typedef {import("./protocol.js").Events} Events
 * @typedef {import("./protocol.js").TrainingState} TrainingState
 * @typedef {import("./protocol.js").Health} Health
 * @typedef {import("./protocol.js").TimelineEntry} TimelineEntry
 * @typedef {import("./protocol.js").Timeline} Timeline
 * @typedef {typeof import("./pkg/simd/backprop_lab.js")} WasmModule
 * @typedef {{steps: number, losses: number[], seen: number, epoch: number, step: number, steps_per_epoch: number,
 *            step_in_epoch: number, epoch_done: boolean, epoch_so_far: {loss: number, accuracy: number, seen: number} | null,
 *            diverged: {step: number, loss: number, restored_step: number, lr: number, suggested_lr: number, message: string} | null,
 *            health: Health | null}} ChunkReport
 *   what `Playground.trainSteps` returns (src/train.rs ChunkReport)
 */

/** Work per chunk, in milliseconds: small enough to answer within 50 ms, large enough to keep
 * the per-chunk overhead (a message, a timer) negligible. */
const CHUNK_MS = 25;
/** At most this often a progress event (~10 per second). */
const PROGRESS_MS = 100;

/** @type {(WasmModule & {memory: WebAssembly.Memory}) | null} the wasm-bindgen module */
let wasm = null;
let wasmVariant = null; // "simd" | "nosimd"
/** @type {import("./pkg/simd/backprop_lab.js").Playground | null} */
let pg = null;
/** @type {import("./protocol.js").DataInfo | null} */
let dataInfo = null;
/** @type {Promise<Replies["init"]> | null} the promise of init */
let ready = null;
let crashed = null; // after a panic: its message; every later request fails with it
/** @type {Map<string, import("./pkg/simd/backprop_lab.js").SpecLab>} spec labs by name */
const labs = new Map();
/** @type {Cores | null} the second core (lib/cores.js), when the page is cross-origin isolated */
let cores = null;

// ---------------------------------------------------------------------------------------------
// Messages out

function post(msg, transfer = []) {
  self.postMessage(msg, { transfer });
}

/**
 * @template {keyof Events} K
 * @param {K} type
 * @param {Events[K]} fields
 * @param {Transferable[]} [transfer]
 */
function emit(type, fields, transfer = []) {
  post({ type, ...fields }, transfer);
}

// ---------------------------------------------------------------------------------------------
// Loading wasm: the SIMD build when the browser can run it.

// The smallest module using a SIMD instruction (i8x16.popcnt of a splat), as in wasm-feature-detect.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function simdSupported() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

async function loadWasm(variant = "auto") {
  if (wasm) return;
  if (!["auto", "simd", "nosimd"].includes(variant)) throw new Error(`unknown wasm variant "${variant}"; use auto, simd or nosimd`);
  wasmVariant = variant === "auto" ? (simdSupported() ? "simd" : "nosimd") : variant;
  const url = new URL(`./pkg/${wasmVariant}/backprop_lab.js`, import.meta.url);
  let mod;
  try {
    mod = await import(url.href);
  } catch (e) {
    throw new Error(`could not load the wasm build (${url.pathname}): ${e.message}. Has the build step run?`);
  }
  const exports = await mod.default();
  wasm = { ...mod, memory: exports.memory };
  watchEveryStepAt = wasm.vocabulary().watch_every_step_at;
  cores = Cores.start(wasmVariant);
}

/** Bytes of the wasm heap (it only grows). */
function heapBytes() {
  return wasm ? wasm.memory.buffer.byteLength : 0;
}

// ---------------------------------------------------------------------------------------------
// Data: manifest.json names four gzipped IDX files; stream them with byte progress, decompress
// with DecompressionStream, hand the raw IDX bytes to the core (which checks them).

const DATA_FILES = ["trainImages", "trainLabels", "testImages", "testLabels"];

async function fetchOk(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`could not download ${what} (${url}): ${e.message}`);
  }
  if (!res.ok) throw new Error(`could not download ${what} (${url}): ${res.status} ${res.statusText || "error"}`);
  return res;
}

async function readManifest(base) {
  const url = new URL(`${base.replace(/\/$/, "")}/manifest.json`, self.location.href).href;
  const res = await fetchOk(url, "the data manifest");
  let m;
  try {
    m = await res.json();
  } catch {
    throw new Error(`the data manifest (${url}) is not valid JSON; prepare the data again`);
  }
  for (const k of DATA_FILES) {
    if (typeof m?.files?.[k]?.path !== "string")
      throw new Error(`the data manifest (${url}) lacks files.${k}.path; prepare the data again`);
  }
  return { url, manifest: m };
}

/** Downloads and gunzips one file; `onBytes(n)` is called as compressed bytes arrive. */
async function download(url, name, onBytes) {
  const res = await fetchOk(url, `the data file ${name}`);
  const counter = new TransformStream({
    transform(chunk, controller) {
      onBytes(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
  const body = new Uint8Array(await new Response(res.body.pipeThrough(counter)).arrayBuffer());
  // A host that serves .gz files with `Content-Encoding: gzip` has the browser unpack them on
  // the way: the bytes then start with an IDX magic number (0x00000801 or 0x00000803, checked
  // in full by the core) instead of gzip's 1f 8b.
  const isIdx = body[0] === 0 && body[1] === 0 && body[2] === 8 && (body[3] === 1 || body[3] === 3);
  if (isIdx) return body;
  if (!(body[0] === 0x1f && body[1] === 0x8b)) {
    throw new Error(`the data file ${name} is damaged (it is neither gzip nor an IDX file); prepare the data again`);
  }
  try {
    const raw = new Blob([body]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(raw).arrayBuffer());
  } catch (e) {
    throw new Error(`the data file ${name} is damaged (it could not be decompressed: ${e.message}); prepare the data again`);
  }
}

async function loadData({ base }) {
  if (typeof base !== "string") throw new Error("loadData needs `base`, the URL of the data directory");
  const { url, manifest } = await readManifest(base);
  const files = DATA_FILES.map((k) => ({ key: k, ...manifest.files[k], url: new URL(manifest.files[k].path, url).href }));
  const total = files.reduce((s, f) => s + (Number(f.bytes) || 0), 0);
  let loaded = 0;
  let lastEvent = 0;
  const progress = (file, force = false) => {
    const now = performance.now();
    if (force || now - lastEvent >= PROGRESS_MS) {
      lastEvent = now;
      emit(EVENTS.dataProgress, { loaded, total: Math.max(total, loaded), file });
    }
  };
  progress(files[0].path, true);
  // All four at once: the small label files finish while the images stream.
  const raw = await Promise.all(
    files.map((f) =>
      download(f.url, f.path, (n) => {
        loaded += n;
        progress(f.path);
      }),
    ),
  );
  progress(files.at(-1).path, true);
  stopTraining("idle");
  const counts = call(() => pg.setData(raw[0], raw[1], raw[2], raw[3]));
  cores?.setData(raw[0], raw[1]);
  dataInfo = {
    source: manifest.source ?? "unknown",
    description: manifest.description ?? `${counts.train} training / ${counts.test} test images`,
    train: counts.train,
    test: counts.test,
  };
  return { ...dataInfo, heapBytes: heapBytes() };
}

// ---------------------------------------------------------------------------------------------
// Training

const run = {
  state: /** @type {TrainingState} */ ("idle"),
  targetEpochs: 0,
  generation: 0, // bumped to stop a loop (a new model)
  loopGeneration: -1, // the generation of the loop that is running, if any (it may be finishing an evaluation while paused)
  version: 0, // bumped whenever the weights change
  stepsPerChunk: 1,
  msPerSample: 0, // moving average of training time per sample (at full speed)
  evalSeconds: 0, // the last evaluation's duration
  completedEpoch: 0, // the epoch whose evaluation is pending
  completedStep: 0, // and the step it ended at
  /** @type {{loss: number, accuracy: number} | null} the core's figures of the epoch whose evaluation is pending */
  epochResult: null,
  pendingEval: false, // an epoch ended and its evaluation has not been sent yet
  /** @type {number[]} losses since the last progress event (for the chart) */
  losses: [],
  lastProgress: 0,
  /** @type {number | null} the chosen speed in steps per second (null: full speed) */
  speed: null,
  /** pacing at a chosen speed: when it started counting, and the steps taken since */
  paceStart: 0,
  paceSteps: 0,
  /** @type {Health | null} the last health the core measured, and whether it went out already */
  health: null,
  healthSent: true,
  lastHealth: 0,
  batch: 1,
  /** @type {Promise<void>} settles when the running loop has ended */
  loopEnded: Promise.resolve(),
};

/** @param {TrainingState} state */
function setState(state) {
  if (run.state === state) return;
  run.state = state;
  emit(EVENTS.state, { state });
}

/** A new model: no epoch in progress. */
function newModel() {
  run.losses = [];
  run.epochResult = null;
  run.version++;
  run.health = null;
  // Another model costs another time per step: size the first chunks from scratch again.
  run.stepsPerChunk = 1;
  run.msPerSample = 0;
  run.evalSeconds = 0;
  evaluation.msPerExample = 0;
}

/**
 * Stops any loop and forgets any evaluation in flight (the model is about to change).
 * @param {TrainingState} state
 */
function stopTraining(state) {
  run.generation++;
  run.pendingEval = false;
  evaluation.job = null;
  setState(state);
}

// A zero-delay yield: a MessageChannel message is queued behind whatever the page has sent.
const yieldChannel = new MessageChannel();
const yieldWaiters = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();
function yieldToMessages() {
  return new Promise((resolve) => {
    yieldWaiters.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @type {number} the vocabulary's speed at or below which every step is shown */
let watchEveryStepAt = 0;
/** Whether every step is shown at this speed. */
const watchingEveryStep = () => run.speed != null && run.speed <= watchEveryStepAt;

/**
 * A progress event from the core's report of the last chunk (its place in the epoch, the epoch's
 * loss and accuracy so far, the health after it), with the speed and the time left, which only the
 * worker can measure. At a chosen speed, the speed and the time left are the chosen ones (when the
 * machine keeps up).
 * @param {number} now
 * @param {ChunkReport} report
 */
function progressEvent(now, report) {
  // The machine's speed, measured at full speed (0 until then).
  const fullSamplesPerSec = run.msPerSample > 0 ? 1000 / run.msPerSample : 0;
  let samplesPerSec = fullSamplesPerSec;
  if (run.speed != null) {
    // The pace really kept since the speed was chosen: the chosen one, or less if the machine
    // cannot keep up.
    const elapsed = (now - run.paceStart) / 1000;
    const kept = run.paceSteps >= 2 && elapsed > 0 ? run.paceSteps / elapsed : run.speed;
    samplesPerSec = Math.min(run.speed, kept) * run.batch;
  }
  const seenInEpoch = report.epoch_done ? 0 : (report.epoch_so_far?.seen ?? 0);
  const remainingSamples = Math.max(0, (run.targetEpochs - report.epoch) * dataInfo.train - seenInEpoch);
  const remainingEvals = Math.max(0, run.targetEpochs - report.epoch) + (run.pendingEval ? 1 : 0);
  const losses = new Float32Array(run.losses);
  run.losses = [];
  run.lastProgress = now;
  run.healthSent = true;
  emit(
    EVENTS.progress,
    {
      state: run.state,
      step: report.step,
      epoch: report.epoch,
      epochs: run.targetEpochs,
      stepsPerEpoch: report.steps_per_epoch,
      stepInEpoch: report.step_in_epoch,
      loss: report.epoch_so_far?.loss ?? NaN,
      accuracy: report.epoch_so_far?.accuracy ?? null,
      samplesPerSec,
      stepsPerSec: samplesPerSec / run.batch,
      fullStepsPerSec: fullSamplesPerSec / run.batch,
      speed: run.speed,
      etaSeconds: samplesPerSec > 0 ? remainingSamples / samplesPerSec + remainingEvals * run.evalSeconds : null,
      losses,
      health: run.health,
      cores: coresNote(cores, () => wasm.vocabulary().cores),
    },
    [losses.buffer],
  );
}

/**
 * The steps the next chunk may take: sized to about CHUNK_MS, and at a chosen speed no more than
 * are due by now (0: wait).
 * @param {number} now
 */
function stepsAllowed(now) {
  if (run.speed == null) return run.stepsPerChunk;
  const due = Math.floor(((now - run.paceStart) * run.speed) / 1000) + 1 - run.paceSteps;
  return Math.max(0, Math.min(run.stepsPerChunk, due));
}

/** Starts counting the chosen speed from now. */
function restartPace() {
  run.paceStart = performance.now();
  run.paceSteps = 0;
}

/**
 * One chunk of training steps, sized to about CHUNK_MS (or to the chosen speed); with the health
 * measured by the core when the next progress event will want it.
 * @param {number} steps
 * @returns {ChunkReport}
 */
function trainChunk(steps) {
  const t0 = performance.now();
  const health = watchingEveryStep() || t0 - run.lastHealth >= PROGRESS_MS - CHUNK_MS;
  /** @type {ChunkReport} */
  const r = call(() => (cores?.ready ? pg.trainStepsHelped(steps, health, cores) : pg.trainSteps(steps, health)));
  const ms = performance.now() - t0;
  run.version++;
  run.paceSteps += r.steps;
  for (const l of r.losses) run.losses.push(l);
  if (r.health) {
    // A warning that was not there before goes out at once.
    const news = !!r.health.warning && !run.health?.warning;
    run.health = r.health;
    run.healthSent = !news && run.healthSent;
    run.lastHealth = t0;
  }
  if (r.steps > 0) {
    const msPerStep = ms / r.steps;
    const target = Math.max(1, Math.min(2000, Math.round(CHUNK_MS / Math.max(msPerStep, 1e-3))));
    // Grow gently (one slow step must not make the next chunk long), shrink at once.
    run.stepsPerChunk = target > run.stepsPerChunk ? Math.min(target, run.stepsPerChunk * 2) : target;
    // The machine's speed, from chunks at full speed only (paced chunks of one step, after a
    // sleep, run slower per step: they would understate it).
    const perSample = ms / r.seen;
    if (run.speed == null) run.msPerSample = run.msPerSample ? 0.8 * run.msPerSample + 0.2 * perSample : perSample;
  }
  return r;
}

/**
 * What follows a chunk: the divergence, the epoch's end or a progress event. Returns "diverged"
 * when training had to stop. (The snapshot the timeline may want now is taken after a yield.)
 * @param {ChunkReport} r
 */
function afterChunk(r) {
  const now = performance.now();
  if (r.diverged) {
    // The trainer went back to its last good checkpoint: r's step, epoch and place in the
    // epoch are the checkpoint's.
    const d = r.diverged;
    run.pendingEval = false;
    run.version++;
    progressEvent(now, r);
    setState("paused");
    emit(EVENTS.diverged, {
      message: d.message,
      step: d.step,
      loss: d.loss,
      restoredStep: d.restored_step,
      lr: d.lr,
      suggestedLr: d.suggested_lr,
    });
    return "diverged";
  }
  if (r.epoch_done) {
    run.completedEpoch = r.epoch;
    run.completedStep = r.step;
    run.epochResult = r.epoch_so_far;
    run.pendingEval = true;
    progressEvent(now, r);
  } else if (now - run.lastProgress >= PROGRESS_MS || !run.healthSent || watchingEveryStep()) {
    progressEvent(now, r);
  }
  return "ok";
}

/** Evaluates the epoch that ended and sends its `epoch` event; returns the epoch. */
async function finishEpoch() {
  const { loss: trainLoss, accuracy: trainAccuracy } = run.epochResult;
  const epoch = run.completedEpoch;
  const step = run.completedStep;
  const result = await evaluateAll();
  run.pendingEval = false;
  emit(EVENTS.epoch, { epoch, step, trainAccuracy, trainLoss, evaluation: result });
  return epoch;
}

async function trainLoop(generation) {
  run.loopGeneration = generation;
  let ended = () => {};
  run.loopEnded = new Promise((resolve) => (ended = resolve));
  try {
    while (generation === run.generation) {
      if (run.pendingEval) {
        takeSnapshotIfDue(); // the epoch's end
        if (run.state === "training") setState("evaluating");
        const epoch = await finishEpoch();
        if (generation !== run.generation) return;
        if (epoch >= run.targetEpochs) {
          setState("done");
          return;
        }
        if (run.state === "evaluating") setState("training");
        restartPace();
        continue;
      }
      // The step the last chunk stopped at may be one the timeline wants; a snapshot costs a few
      // milliseconds, so it gets a turn of its own.
      if (call(() => pg.snapshotDue())) {
        takeSnapshotIfDue();
        await yieldToMessages();
        continue;
      }
      if (run.state !== "training") return;
      const steps = stepsAllowed(performance.now());
      if (steps === 0) {
        // At a chosen speed, the next step is not due yet.
        const wait = run.paceStart + (run.paceSteps * 1000) / run.speed - performance.now();
        await sleep(Math.max(1, Math.min(wait, 250)));
        continue;
      }
      if (afterChunk(trainChunk(steps)) === "diverged") return;
      await yieldToMessages();
    }
  } catch (e) {
    if (generation === run.generation) {
      run.generation++;
      setState("paused");
      reportFailure(e, "training stopped");
    }
  } finally {
    if (run.loopGeneration === generation) run.loopGeneration = -1;
    ended();
  }
}

/** @param {Requests["train"]} msg */
function startTraining({ epochs }) {
  if (!pg.hasData()) throw new Error("the training data is not loaded yet");
  // The core's limit and message (anything but a number checks as NaN).
  call(() => wasm.checkLimit("epochs", typeof epochs === "number" ? epochs : NaN));
  run.targetEpochs = epochs;
  const d = pg.describe();
  run.batch = d.settings.batch;
  if (d.epoch >= epochs && !run.pendingEval) {
    setState("done");
    return null;
  }
  if (run.state === "training" || run.state === "evaluating") return null;
  takeSnapshotIfDue(); // the run's starting point
  restartPace();
  setState(run.pendingEval ? "evaluating" : "training");
  // A loop may still be finishing an evaluation after a pause; it sees the new state and goes on.
  if (run.loopGeneration !== run.generation) trainLoop(run.generation);
  return null;
}

function pause() {
  if (run.state === "training" || run.state === "evaluating") setState("paused");
  return null;
}

/** One training step while not training (its progress, health and, at an epoch's end, its evaluation). */
async function singleStep() {
  if (!pg.hasData()) throw new Error("the training data is not loaded yet");
  if (run.state === "training" || run.state === "evaluating") throw new Error("training is running; pause it first");
  // A paused loop may still be ending (asleep between paced steps, or finishing an evaluation).
  if (run.loopGeneration === run.generation) await run.loopEnded;
  const now = /** @type {TrainingState} */ (run.state); // it may have changed while waiting
  if (now === "training" || now === "evaluating") throw new Error("training is running; pause it first");
  run.batch = pg.describe().settings.batch;
  takeSnapshotIfDue();
  const generation = run.generation;
  const r = trainChunk(1);
  // Every single step shows its health.
  if (!r.health) run.health = call(() => pg.health());
  run.healthSent = false;
  const outcome = afterChunk(r);
  if (outcome !== "diverged") {
    takeSnapshotIfDue();
    if (run.state !== "paused") setState("paused");
    if (run.pendingEval) {
      run.loopGeneration = generation;
      try {
        await finishEpoch();
      } finally {
        if (run.loopGeneration === generation) run.loopGeneration = -1;
      }
    }
  }
  return { step: r.step, epoch: r.epoch, loss: r.losses[0] ?? NaN, diverged: outcome === "diverged" };
}

/** @param {Requests["setSpeed"]} msg */
function setSpeed({ stepsPerSecond }) {
  if (stepsPerSecond != null) call(() => wasm.checkLimit("speed", typeof stepsPerSecond === "number" ? stepsPerSecond : NaN));
  run.speed = stepsPerSecond ?? null;
  restartPace();
  return null;
}

// ---------------------------------------------------------------------------------------------
// The timeline: snapshots' bytes by step, here and in IndexedDB; the core decides which to keep.

const timeline = {
  /** @type {Map<number, {entry: TimelineEntry, bytes: Uint8Array}>} */
  snapshots: new Map(),
  /** @type {string | null} the run the snapshots belong to (their key in IndexedDB) */
  runId: null,
  /** @type {number | null} the step the page looks at (null: the model in training) */
  viewing: null,
  persist: true,
};

/** The timeline as the page sees it, with the bytes this worker really holds. @returns {Timeline} */
function timelineState() {
  const t = call(() => pg.timeline());
  let held = 0;
  for (const s of timeline.snapshots.values()) held += s.bytes.byteLength;
  return { ...t, held, viewing: timeline.viewing, runId: timeline.runId };
}

/** Persists a change of the snapshots (a failure to store only costs the reload its timeline). */
function persist(/** @type {() => Promise<any>} */ fn) {
  if (!timeline.persist || !timeline.runId) return;
  fn().catch((e) => reportFailure(e, "the timeline could not be kept in this browser"));
}

function takeSnapshotIfDue() {
  if (!call(() => pg.snapshotDue())) return;
  const s = call(() => pg.snapshot({ snapshot: true }));
  timeline.snapshots.set(s.entry.step, { entry: s.entry, bytes: s.bytes });
  for (const step of s.dropped) timeline.snapshots.delete(step);
  const runId = timeline.runId;
  if (timeline.snapshots.has(s.entry.step)) persist(() => putSnapshot(runId, s.entry, s.bytes));
  persist(() => deleteSnapshots(runId, s.dropped));
  if (s.dropped.includes(timeline.viewing ?? NaN)) timeline.viewing = null;
  emit(EVENTS.timeline, timelineState());
}

/** A new model: a new, empty timeline (the core's starts empty too). @param {string | undefined} runId */
function newTimeline(runId) {
  timeline.snapshots.clear();
  timeline.viewing = null;
  timeline.runId = runId ?? `run-${Date.now()}`;
  const id = timeline.runId;
  persist(() => keepOnlyRun(id));
  emit(EVENTS.timeline, timelineState());
}

/** @param {Requests["timelineRestore"]} msg */
async function timelineRestore({ runId, persist: keep = true }) {
  timeline.persist = keep;
  timeline.runId = runId;
  timeline.snapshots.clear();
  timeline.viewing = null;
  let records = [];
  if (keep) {
    try {
      records = await loadRun(runId);
    } catch (e) {
      reportFailure(e, "the timeline could not be read from this browser");
    }
  }
  const dropped = call(() => pg.restoreTimeline(records.map((r) => r.entry)));
  const gone = new Set(dropped);
  for (const r of records) if (!gone.has(r.step)) timeline.snapshots.set(r.step, { entry: r.entry, bytes: r.bytes });
  persist(() => deleteSnapshots(runId, dropped));
  persist(() => keepOnlyRun(runId));
  const t = timelineState();
  emit(EVENTS.timeline, t);
  return t;
}

/** @param {number} step */
function snapshotAt(step) {
  const s = timeline.snapshots.get(step);
  if (!s) throw new Error(`the timeline keeps no snapshot of step ${step}`);
  return s;
}

/** @param {Requests["view"]} msg */
function view({ step }) {
  if (step == null) {
    call(() => pg.viewLive());
    timeline.viewing = null;
    return null;
  }
  const d = call(() => pg.view(step, snapshotAt(step).bytes));
  timeline.viewing = step;
  return { ...d, data: dataInfo, state: run.state, heapBytes: heapBytes() };
}

/** @param {Requests["continueFrom"]} msg */
function continueFrom({ step }) {
  const bytes = snapshotAt(step).bytes;
  stopTraining("paused");
  const dropped = call(() => pg.rewind(bytes));
  for (const s of dropped) timeline.snapshots.delete(s);
  const runId = timeline.runId;
  persist(() => deleteSnapshots(runId, dropped));
  timeline.viewing = null;
  run.losses = [];
  run.epochResult = null;
  run.health = null;
  run.version++;
  emit(EVENTS.timeline, timelineState());
  return describe();
}

/** @param {Requests["compareWeights"]} msg */
function compareWeights({ layer, a, b }) {
  const at = (/** @type {number | null} */ step) => (step == null ? new Uint8Array(0) : snapshotAt(step).bytes);
  const c = call(() => pg.compareWeights(layer, a ?? undefined, at(a), b ?? undefined, at(b)));
  return transfer(c, [c.a.buffer, c.b.buffer, c.diff.buffer]);
}

// ---------------------------------------------------------------------------------------------
// Evaluation of the whole test set, in chunks. One at a time: a second caller shares the first
// one's result as long as the weights have not changed in between.

const evaluation = { job: null, msPerExample: 0 };

function evaluateAll() {
  if (evaluation.job && evaluation.job.version === run.version) return evaluation.job.promise;
  call(() => pg.resetEvaluation());
  const job = { version: run.version };
  // Registered before the loop starts: its first check runs synchronously.
  evaluation.job = job;
  job.promise = (async () => {
    const t0 = performance.now();
    for (;;) {
      if (evaluation.job !== job) throw new Error("the evaluation was abandoned because the model changed");
      const count = evaluation.msPerExample > 0 ? Math.max(10, Math.round(CHUNK_MS / evaluation.msPerExample)) : 50;
      const c0 = performance.now();
      const r = call(() => pg.evaluateChunk(count));
      const per = (performance.now() - c0) / count;
      evaluation.msPerExample = evaluation.msPerExample ? 0.7 * evaluation.msPerExample + 0.3 * per : per;
      if (r.evaluation) {
        run.evalSeconds = (performance.now() - t0) / 1000;
        if (evaluation.job === job) evaluation.job = null;
        return r.evaluation;
      }
      await yieldToMessages();
    }
  })();
  return job.promise;
}

// ---------------------------------------------------------------------------------------------
// Errors. The core throws Error with a message for people; a panic (a bug) surfaces as a
// WebAssembly.RuntimeError after console_error_panic_hook has printed it. After a panic the wasm
// instance cannot be trusted, so every later request fails and the page offers a restart.

/** Runs a wasm call, turning a panic into a fatal state. */
function call(fn) {
  if (crashed) throw new Error(crashed);
  try {
    return fn();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      crashed = `the model crashed (${e.message}); restart to continue`;
      run.generation++;
      emit(EVENTS.error, { message: crashed, fatal: true });
      throw new Error(crashed);
    }
    throw e;
  }
}

function reportFailure(e, what) {
  if (crashed) return; // already reported as fatal
  emit(EVENTS.error, { message: `${what}: ${e?.message ?? e}`, fatal: false });
}

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * The core's default settings (src/vocabulary.rs).
 * @returns {import("./protocol.js").Settings}
 */
function defaultSettings() {
  const v = wasm.vocabulary();
  const d = v.defaults;
  return { model: d.model, optimizer: v.optimizers.find((o) => o.name === d.optimizer).defaults, batch: d.batch, seed: d.seed };
}

/** @param {Requests["init"]} msg */
async function init({ settings, modelUrl, wasm: variant = "auto" }) {
  await loadWasm(variant);
  settings ??= defaultSettings();
  /** @type {Replies["init"]["model"]} */
  let model = { source: "fresh" };
  let next = null;
  if (modelUrl) {
    try {
      const res = await fetch(new URL(modelUrl, self.location.href));
      if (res.ok) {
        const bytes = new Uint8Array(await res.arrayBuffer());
        next = call(() => wasm.Playground.fromModelFile(bytes, settings));
        model = { source: "file", url: modelUrl };
      } else {
        model = { source: "fresh", warning: `no pretrained model at ${modelUrl} (${res.status}); starting from random weights` };
      }
    } catch (e) {
      if (crashed) throw e;
      model = {
        source: "fresh",
        warning: `the pretrained model ${modelUrl} could not be used (${e.message}); starting from random weights`,
      };
    }
  }
  if (!next) next = call(() => new wasm.Playground(settings));
  pg?.free();
  pg = next;
  stopTraining("idle");
  newModel();
  // The page names the run (timelineRestore) once it knows which model it keeps.
  timeline.snapshots.clear();
  timeline.runId = null;
  timeline.viewing = null;
  return { simd: wasmVariant === "simd", variant: wasmVariant, model, describe: describe(), heapBytes: heapBytes() };
}

function describe() {
  const on = coresNote(cores, () => wasm.vocabulary().cores);
  return {
    ...call(() => pg.describe()),
    data: dataInfo,
    state: run.state,
    heapBytes: heapBytes(),
    secondCoreHeapBytes: cores?.heapBytes ?? 0,
    viewing: timeline.viewing,
    cores: on,
  };
}

function lab(name) {
  const l = labs.get(name);
  if (!l) throw new Error(`no custom network named "${name}"; create it first`);
  return l;
}

function f32(pixels, what = "pixels") {
  if (pixels instanceof Float32Array) return pixels;
  if (Array.isArray(pixels) || ArrayBuffer.isView(pixels)) return Float32Array.from(/** @type {ArrayLike<number>} */ (pixels));
  throw new Error(`${what}: expected 784 numbers`);
}

/** What the page needs of a new lab (not the spec itself: a big one would take long to copy). */
function labSummary(l, text) {
  let name = null;
  try {
    name = JSON.parse(text).name ?? null;
  } catch {
    // The core accepted the text, so it is JSON; nothing to do.
  }
  return { stepsTaken: l.stepsTaken(), name };
}

/** A reply value with the buffers to transfer along with it. */
/** @template T */
class Transfer {
  /** @param {T} value @param {Transferable[]} buffers */
  constructor(value, buffers) {
    this.value = value;
    this.buffers = buffers;
  }
}
/** @template T @param {T} value @param {Transferable[]} buffers */
const transfer = (value, buffers) => new Transfer(value, buffers);

/** A trace (JSON text from the core) for the page: its per-element arrays transferred, not cloned. */
function traceReply(text) {
  const { trace, buffers } = typedTrace(JSON.parse(text));
  return transfer(trace, buffers);
}

/**
 * Each handler takes its request's fields and returns the reply's value (or a Transfer of it),
 * maybe as a promise; protocol.js's types say which.
 * @type {{[K in keyof Requests]: (msg: Requests[K]) => Replies[K] | Transfer<Replies[K]> | Promise<Replies[K]>}}
 */
const handlers = {
  [REQUESTS.init]: init,
  [REQUESTS.loadData]: loadData,
  [REQUESTS.configure]: ({ settings, runId }) => {
    call(() => pg.configure(settings)); // throws (changing nothing) on bad settings
    stopTraining("idle");
    newModel();
    newTimeline(runId);
    return describe();
  },
  [REQUESTS.train]: startTraining,
  [REQUESTS.pause]: pause,
  [REQUESTS.step]: singleStep,
  [REQUESTS.setSpeed]: setSpeed,
  [REQUESTS.health]: () => call(() => pg.health()),
  [REQUESTS.timeline]: timelineState,
  [REQUESTS.timelineRestore]: timelineRestore,
  [REQUESTS.view]: view,
  [REQUESTS.continueFrom]: continueFrom,
  [REQUESTS.compareWeights]: compareWeights,
  [REQUESTS.setLearningRate]: ({ lr }) => call(() => pg.setLearningRate(lr)) ?? null,
  // The Draw view's requests: predictDrawing, testDigitOnPad, the user's digits, fine-tuning.
  ...drawHandlers({
    pg: () => pg,
    wasm: () => wasm,
    call,
    busy: () => (run.state === "training" || run.state === "evaluating" ? "the model is training; pause it first" : null),
    modelChanged: () => (stopTraining("idle"), newModel(), describe()),
    chunkMs: CHUNK_MS,
  }),
  [REQUESTS.predict]: ({ pixels }) => {
    const p = call(() => pg.predict(f32(pixels)));
    return transfer(p, [p.buffer]);
  },
  [REQUESTS.classify]: ({ pixels }) => call(() => pg.classify(f32(pixels))),
  [REQUESTS.predictTestDigit]: ({ index }) => {
    const r = call(() => pg.predictTestDigit(index));
    const pixels = Uint8Array.from(r.pixels);
    return transfer({ ...r, pixels }, [pixels.buffer]);
  },
  [REQUESTS.testImage]: ({ index }) => {
    const r = call(() => pg.testImage(index));
    const pixels = Uint8Array.from(r.pixels);
    return transfer({ pixels, label: r.label }, [pixels.buffer]);
  },
  [REQUESTS.trace]: ({ pixels, label, fresh }) =>
    traceReply(call(() => (fresh == null ? pg.trace(f32(pixels), label) : wasm.traceFresh(fresh, f32(pixels), label)))),
  [REQUESTS.gradientCheck]: ({ pixels, label, layer, param, index, fresh }) =>
    call(() =>
      fresh == null
        ? pg.gradientCheck(f32(pixels), label, layer, param, index)
        : wasm.gradientCheckFresh(fresh, f32(pixels), label, layer, param, index),
    ),
  [REQUESTS.activations]: ({ pixels }) => {
    const layers = call(() => pg.activations(f32(pixels))).map((a) => ({ shape: a.shape, values: Float32Array.from(a.values) }));
    return transfer(
      layers,
      layers.map((a) => a.values.buffer),
    );
  },
  [REQUESTS.weights]: ({ layer }) => {
    const w = call(() => pg.layerWeights(layer));
    return transfer(w, [w.buffer]);
  },
  [REQUESTS.weightSummary]: ({ bins = 40 }) => call(() => pg.weightSummary(bins)),
  [REQUESTS.describe]: describe,
  [REQUESTS.saveModel]: ({ info = {} }) => {
    const bytes = call(() => pg.saveModel(info));
    return transfer(bytes, [bytes.buffer]);
  },
  [REQUESTS.loadModel]: ({ bytes, runId }) => {
    const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    call(() => pg.loadModel(b)); // throws (changing nothing) on a wrong or damaged file
    stopTraining("idle");
    newModel();
    newTimeline(runId);
    return describe();
  },
  [REQUESTS.evaluate]: async () => {
    if (!pg.hasData()) throw new Error("the test data is not loaded yet");
    if (run.state === "training") throw new Error("training is running; pause it first (each epoch ends with an evaluation)");
    return evaluateAll();
  },
  [REQUESTS.specCreate]: async ({ lab: name, json }) => {
    // A big spec comes as a Blob (a file as picked, or as stored): read here, off the page's thread.
    const text = typeof json === "string" ? json : json instanceof Blob ? await json.text() : JSON.stringify(json);
    const l = call(() => new wasm.SpecLab(text)); // a bad spec throws the core's message
    labs.get(name)?.free();
    labs.set(name, l);
    return labSummary(l, text);
  },
  [REQUESTS.specStep]: ({ lab: name }) => traceReply(call(() => lab(name).step())),
  [REQUESTS.specAdvance]: ({ lab: name, steps }) => {
    const losses = call(() => lab(name).advance(steps));
    return transfer(losses, [losses.buffer]);
  },
  [REQUESTS.specPeek]: ({ lab: name }) => traceReply(call(() => lab(name).peek())),
  [REQUESTS.specReset]: ({ lab: name }) => {
    call(() => lab(name).reset());
    return null;
  },
  [REQUESTS.specGradientCheck]: ({ lab: name, layer, param, index }) => call(() => lab(name).gradientCheck(layer, param, index)),
  [REQUESTS.specExport]: ({ lab: name, blob = false }) => {
    const text = call(() => lab(name).toJson());
    // As a Blob, a big spec reaches the page (and its storage) without a long copy there.
    return blob ? new Blob([text], { type: "application/json" }) : text;
  },
  [REQUESTS.ping]: () => null,
};

async function handle(msg) {
  const { type, id } = msg;
  const handler = handlers[type];
  try {
    if (!handler) throw new Error(`unknown request type "${type}"`);
    if (type === REQUESTS.ping) return post({ type: "reply", id, ok: true, value: null });
    if (crashed) throw new Error(crashed);
    if (type === REQUESTS.init) {
      ready = handler(msg);
    } else {
      if (!ready) throw new Error("the worker has not been initialised; send init first");
      await ready.catch(() => {
        throw new Error("the worker failed to start; restart it");
      });
    }
    const out = type === REQUESTS.init ? await ready : await handler(msg);
    if (out instanceof Transfer) post({ type: "reply", id, ok: true, value: out.value }, out.buffers);
    else post({ type: "reply", id, ok: true, value: out ?? null });
  } catch (e) {
    post({ type: "reply", id, ok: false, error: e?.message ?? String(e) });
  }
}

self.onmessage = (e) => {
  if (e.data && typeof e.data === "object" && "id" in e.data) handle(e.data);
};

// Anything that escapes (it should not) still reaches the page rather than dying silently.
self.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  reportFailure(e.reason, "unexpected error in the worker");
});
