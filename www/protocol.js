// @ts-check
// The message protocol between the page and the worker (www/worker.js), defined once.
//
// Two tagged unions ({type: "...", ...}):
//  - requests, page -> worker. Every request carries an `id`; the worker answers each with exactly
//    one reply {type: "reply", id, ok: true, value} or {type: "reply", id, ok: false, error}.
//  - events, worker -> page, not tied to a request: progress while training (with the network's
//    health), epoch results, the timeline's snapshots, data download progress, divergence, fatal
//    errors.
// Large buffers (drawings, images, model bytes, weights) are transferred, not copied.
//
// The page talks through `WorkerClient` below: `await client.request("predictDrawing", {...})`
// and `client.on("progress", fn)`. The typedefs below give every request's fields, every reply
// and every event, so `tsc` catches a wrong field name on either side.

/**
 * The shapes the core sends (src/train.rs, src/summary.rs, src/vocabulary.rs), as they cross.
 * @typedef {{type: "adam", lr: number, beta1?: number, beta2?: number, eps?: number} | {type: "sgd", lr: number, momentum?: number}} OptimizerConfig
 * @typedef {{model: string, optimizer: OptimizerConfig, batch: number, seed: number}} Settings
 * @typedef {{type: string, [field: string]: any}} LayerSpec
 * @typedef {{input_shape: number[], layers: LayerSpec[]}} Arch
 * @typedef {{settings: Settings, arch: Arch, params: number, step: number, epoch: number, info: any}} Description
 * @typedef {{source: string, description: string, train: number, test: number}} DataInfo
 * @typedef {"idle" | "training" | "paused" | "evaluating" | "done"} TrainingState
 * @typedef {Description & {data: DataInfo | null, state: TrainingState, heapBytes: number, secondCoreHeapBytes: number, viewing?: number | null,
 *            cores: {count: number, text: string} | null}} Describe
 *   `viewing`: the step of the timeline every read answers from (null: the model in training);
 *   `cores`: how many cores training runs on, in the core's words (null: two cores switched off)
 * @typedef {{count: number, correct: number, accuracy: number, loss: number, confusion: number[][], misclassified: number[], predictions: number[]}} Evaluation
 * @typedef {{min: number, max: number, mean: number, std: number, counts: number[]}} Histogram
 * @typedef {{index: number, spec: LayerSpec, weight_shape: number[], weights: Histogram, last_update: Histogram}} LayerSummary
 * @typedef {{width: number, height: number, pixels: Float32Array}} Stage
 * @typedef {{image: Float32Array, bbox: [number, number, number, number], cropped: Stage, scaled: Stage, stroked: Stage, centered: Stage,
 *            restroked: boolean, stroke_width_before: number, stroke_width_after: number, shift: [number, number], [more: string]: any}} Preprocessed
 * @typedef {{class: number, predicted: number, score: "logit" | "probability", logits: number[], probs: number[], grad: Float32Array, max_abs: number}} Saliency
 *   ∂(score of `class`)/∂(each of the 784 input pixels), src/saliency.rs; `max_abs` = max |grad|
 * @typedef {{empty: false, probs: number[], class: number, bytes: Uint8Array, saliency: Saliency | null, preprocessed: Preprocessed}} DrawingRead
 * @typedef {{count: number, correct: number, accuracy: number, loss: number}} Score
 * @typedef {{held_out: Score | null, mnist_test: Score}} Scores
 * @typedef {{phase: "before" | "training" | "after" | "done", steps_done: number, steps: number, evaluated: number, mnist_test: number,
 *            train_count: number, held_out_count: number, loss: number | null, before: Scores | null, after: Scores | null}} FineTuneProgress
 *   src/finetune.rs Progress
 * @typedef {{steps?: number, batch?: number, user_share?: number, lr?: number, holdout?: number, seed?: number}} FineTuneConfig
 * @typedef {{empty: true} | DrawingRead} DrawingPrediction
 * @typedef {{pixels: Uint8Array, label: number, probs: number[], class: number}} TestDigitPrediction
 * @typedef {{analytic: number, numeric: number, relative_error: number, h: number, loss_plus: number, loss_minus: number, [more: string]: any}} GradCheck
 * @typedef {{model: string, seed: number, optimizer?: OptimizerConfig}} FreshNetwork
 * @typedef {"low" | "good" | "watch" | "alarm"} HealthLevel
 * @typedef {{index: number, kind: "relu" | "sigmoid" | "tanh", stat: "dead" | "saturated", count: number, hits: number, share: number,
 *            level: HealthLevel}} ActivationHealth
 * @typedef {{index: number, grad_norm: number, weight_norm: number, update_norm: number, update_ratio: number,
 *            update_level: HealthLevel, activation: ActivationHealth | null}} LayerHealth
 * @typedef {{layer: number, update_ratio: number, lr: number, suggested_lr: number, message: string}} HealthWarning
 * @typedef {{step: number, window: number, layers: LayerHealth[], warning: HealthWarning | null}} Health
 *   src/health.rs: per layer with weights, after the last step
 * @typedef {{step: number, epoch: number, epoch_end: boolean, bytes: number}} TimelineEntry
 * @typedef {{bound: number, bytes: number, entries: TimelineEntry[], held: number, viewing: number | null, runId: string | null}} Timeline
 *   the core's timeline (src/timeline.rs), `held` the bytes the worker really keeps
 * @typedef {{layer: number, shape: number[], a: Float32Array, b: Float32Array, diff: Float32Array, a_norm: number, b_norm: number,
 *            diff_norm: number}} Comparison
 */

/**
 * Every request's fields (besides `type` and `id`).
 * @typedef {{
 *   init: {settings?: Settings, modelUrl?: string, wasm?: "auto" | "simd" | "nosimd"},
 *   loadData: {base: string},
 *   configure: {settings: Settings, runId?: string},
 *   train: {epochs: number},
 *   pause: {},
 *   step: {},
 *   setSpeed: {stepsPerSecond: number | null},
 *   health: {},
 *   timeline: {},
 *   timelineRestore: {runId: string, persist?: boolean},
 *   view: {step: number | null},
 *   continueFrom: {step: number},
 *   compareWeights: {layer: number, a: number | null, b: number | null},
 *   setLearningRate: {lr: number},
 *   predictDrawing: {rgba: Uint8ClampedArray, width: number, height: number, explain?: boolean, class?: number | null},
 *   testDigitOnPad: {index: number},
 *   evaluateOwn: {pixels: Uint8Array, labels: Uint8Array},
 *   ownSetToIdx: {pixels: Uint8Array, labels: Uint8Array},
 *   ownSetFromIdx: {images: Blob, labels: Blob},
 *   fineTuneStart: {pixels: Uint8Array, labels: Uint8Array, config?: FineTuneConfig},
 *   fineTuneAdvance: {},
 *   fineTuneCancel: {},
 *   predict: {pixels: Float32Array},
 *   classify: {pixels: Float32Array},
 *   predictTestDigit: {index: number},
 *   testImage: {index: number},
 *   trace: {pixels: Float32Array, label: number, fresh?: FreshNetwork},
 *   gradientCheck: {pixels: Float32Array, label: number, layer: number, param: string, index: number, fresh?: FreshNetwork},
 *   activations: {pixels: Float32Array},
 *   weights: {layer: number},
 *   weightSummary: {bins?: number},
 *   describe: {},
 *   saveModel: {info?: object},
 *   loadModel: {bytes: Uint8Array, runId?: string},
 *   evaluate: {},
 *   specCreate: {lab: string, json: string | Blob | object},
 *   specStep: {lab: string},
 *   specAdvance: {lab: string, steps: number},
 *   specPeek: {lab: string},
 *   specReset: {lab: string},
 *   specGradientCheck: {lab: string, layer: number, param: string, index: number},
 *   specExport: {lab: string, blob?: boolean},
 *   ping: {},
 * }} Requests
 */

/**
 * Every request's reply value.
 * @typedef {{
 *   init: {simd: boolean, variant: string, model: {source: "file" | "fresh", url?: string, warning?: string}, describe: Describe, heapBytes: number},
 *   loadData: DataInfo & {heapBytes: number},
 *   configure: Describe,
 *   train: null,
 *   pause: null,
 *   step: {step: number, epoch: number, loss: number, diverged: boolean},
 *   setSpeed: null,
 *   health: Health,
 *   timeline: Timeline,
 *   timelineRestore: Timeline,
 *   view: Describe | null,
 *   continueFrom: Describe,
 *   compareWeights: Comparison,
 *   setLearningRate: null,
 *   predictDrawing: DrawingPrediction,
 *   testDigitOnPad: {points: Float32Array, label: number},
 *   evaluateOwn: Evaluation,
 *   ownSetToIdx: {images: Uint8Array, labels: Uint8Array},
 *   ownSetFromIdx: {pixels: Uint8Array, labels: Uint8Array},
 *   fineTuneStart: FineTuneProgress,
 *   fineTuneAdvance: FineTuneProgress & {evaluation?: Evaluation, describe?: Describe},
 *   fineTuneCancel: null,
 *   predict: Float32Array,
 *   classify: {probs: number[], class: number},
 *   predictTestDigit: TestDigitPrediction,
 *   testImage: {pixels: Uint8Array, label: number},
 *   trace: any,
 *   gradientCheck: GradCheck,
 *   activations: {shape: number[], values: Float32Array}[],
 *   weights: Float32Array,
 *   weightSummary: LayerSummary[],
 *   describe: Describe,
 *   saveModel: Uint8Array,
 *   loadModel: Describe,
 *   evaluate: Evaluation,
 *   specCreate: {stepsTaken: number, name: string | null},
 *   specStep: any,
 *   specAdvance: Float32Array,
 *   specPeek: any,
 *   specReset: null,
 *   specGradientCheck: GradCheck,
 *   specExport: string | Blob,
 *   ping: null,
 * }} Replies
 */

/**
 * Every event's fields (besides `type`).
 * @typedef {{
 *   dataProgress: {loaded: number, total: number, file: string},
 *   progress: {state: TrainingState, step: number, epoch: number, epochs: number, stepsPerEpoch: number, stepInEpoch: number,
 *              loss: number, accuracy: number | null, samplesPerSec: number, stepsPerSec: number, fullStepsPerSec: number, speed: number | null,
 *              etaSeconds: number | null, losses: Float32Array, health: Health | null, cores: {count: number, text: string} | null},
 *   timeline: Timeline,
 *   epoch: {epoch: number, step: number, trainAccuracy: number, trainLoss: number, evaluation: Evaluation},
 *   state: {state: TrainingState},
 *   diverged: {message: string, step: number, loss: number, restoredStep: number, lr: number, suggestedLr: number},
 *   error: {message: string, fatal: boolean},
 * }} Events
 */

/** Request types and their fields (all also carry `id`). Replies' `value` is described after `->`. */
export const REQUESTS = Object.freeze({
  // Load wasm (SIMD build when the browser supports it; `wasm: "simd" | "nosimd"` forces one), create
  // the model. If `modelUrl` is given and fetchable it is loaded, else a fresh model from `settings`
  // (model.warning then says why). Other requests wait for init.
  // `settings` defaults to the core's default settings (src/vocabulary.rs).
  // {settings?, modelUrl?, wasm?} -> {simd, variant, model: {source: "file" | "fresh", url?, warning?}, describe, heapBytes}
  init: "init",
  // Download and decompress the data named in `${base}/manifest.json`, with dataProgress events.
  // A broken or missing file rejects with a message naming it. Training stops first.
  // {base} -> {source, description, train, test, heapBytes}
  loadData: "loadData",
  // A fresh model (train from scratch), keeping the data; bad settings reject and change nothing.
  // Starts a new timeline, named `runId` (its snapshots' key in IndexedDB; other runs' are deleted).
  // {settings, runId?} -> describe
  configure: "configure",
  // Start or continue (also after pause) until `epochs` epochs are completed in total (counted since
  // the model was created or loaded). {epochs} -> null (progress comes as events)
  train: "train",
  // {} -> null; answered within 50 ms even mid-epoch. An epoch-end evaluation already under way
  // still finishes and sends its `epoch` event.
  pause: "pause",
  setLearningRate: "setLearningRate", // {lr} -> null
  // One training step while not training (state becomes "paused"), with a progress event carrying
  // the health, a snapshot if the timeline wants one, and at an epoch's end its evaluation and
  // `epoch` event. {} -> {step, epoch, loss, diverged}
  step: "step",
  // The training speed in steps per second (a positive number: the vocabulary's `speed` limit), or
  // null for full speed. Progress, its speed and ETA follow it. {stepsPerSecond} -> null
  setSpeed: "setSpeed",
  // The health of the model in training after its last step. {} -> health (src/health.rs)
  health: "health",
  // The timeline: {bound, bytes, entries: [{step, epoch, epoch_end, bytes}], held, viewing, runId}
  timeline: "timeline",
  // After a reload: the snapshots of run `runId` kept in IndexedDB come back, those up to the model
  // in training that fit the bound (the others are deleted). `persist: false` keeps snapshots in
  // memory only. {runId, persist?} -> timeline
  timelineRestore: "timelineRestore",
  // Every read (predict, classify, predictDrawing, predictTestDigit, activations, weights,
  // weightSummary, trace, gradientCheck) answers from the snapshot of `step` until view {step: null}.
  // {step | null} -> describe of that snapshot (null for the model in training)
  view: "view",
  // Training goes on from the snapshot of `step`: its weights, optimizer state and place in the
  // epoch come back; the later snapshots are let go. Pauses training. {step} -> describe
  continueFrom: "continueFrom",
  // Layer `layer`'s weights at two points (a step of the timeline, or null for the model in
  // training) and b − a, computed by the core:
  // {layer, a, b} -> {layer, shape, a, b, diff: Float32Array (transferred), a_norm, b_norm, diff_norm}
  compareWeights: "compareWeights",
  // {rgba: Uint8ClampedArray (transferred), width, height} -> {empty: true} | {empty: false, probs, class, preprocessed}
  // (`class`: the digit the core reads, the first of the largest probabilities)
  // preprocessed: {image: Float32Array(784), bbox, cropped, scaled, stroked, centered, ...}; each
  // stage is {width, height, pixels: Float32Array} (see src/data/preprocess.rs, Preprocessed).
  // With `explain: true` also `saliency` (of `class`, default the predicted one): {class, predicted,
  // score: "logit", logits, probs, grad: Float32Array(784), max_abs}; `bytes`: the input as grey levels.
  predictDrawing: "predictDrawing",
  // Test digit `index` as pen positions on the pad (src/drawing.rs): {index} -> {points: Float32Array (x, y, ...), label}
  testDigitOnPad: "testDigitOnPad",
  // The user's own digits (784 grey levels each, and their labels):
  evaluateOwn: "evaluateOwn", // {pixels, labels} -> evaluation of the current model on them
  ownSetToIdx: "ownSetToIdx", // {pixels, labels} -> {images, labels}: the bytes of two IDX files
  // {images: Blob, labels: Blob} (two IDX files) -> {pixels, labels}; a bad file rejects with the core's one line
  ownSetFromIdx: "ownSetFromIdx",
  // Fine-tuning on them mixed with MNIST (src/finetune.rs Session), driven by the page: start, then
  // advance until `phase` is "done" (each request does about 25 ms of work). Refused while training.
  // {pixels, labels, config?} -> progress {phase, steps_done, steps, evaluated, mnist_test, train_count, held_out_count, loss, before, after}
  fineTuneStart: "fineTuneStart",
  // {} -> progress; when done, the fine-tuned model is the model: also {evaluation, describe}
  fineTuneAdvance: "fineTuneAdvance",
  fineTuneCancel: "fineTuneCancel", // {} -> null; the model stays as it was
  predict: "predict", // {pixels: Float32Array(784)} -> Float32Array(10)
  // The same with the digit the core reads (the first of the largest): {pixels} -> {probs, class}
  classify: "classify",
  // Test digit `index` and the model's reading of it: {index} -> {pixels: Uint8Array(784), label, probs, class}
  predictTestDigit: "predictTestDigit",
  testImage: "testImage", // {index} -> {pixels: Uint8Array(784), label}
  // One forward+backward+optimizer step on one example, on a copy of the current model; or, with
  // `fresh: {model, seed, optimizer?}`, on a fresh preset (mlp-64, mlp-128, cnn, mlp-512-dropout)
  // with the weights of `seed` (a whole number from 0 to 2^53 - 1) and a fresh optimizer (t = 1,
  // m = v = 0; `optimizer` as in `settings`, default Adam with its defaults). Bad `fresh` settings
  // reject with a message naming the field.
  // {pixels: Float32Array(784), label, fresh?} -> trace (parsed object, see README "The worked trace"; its
  // per-element arrays are Float64Arrays, transferred: see lib/trace-arrays.js)
  trace: "trace",
  // The gradient check of one parameter element, on the network `trace` uses for the same `fresh`.
  // {pixels, label, layer, param, index, fresh?} -> {analytic, numeric, relative_error, h, loss_plus, loss_minus, ...}
  gradientCheck: "gradientCheck",
  activations: "activations", // {pixels} -> [{shape, values}] per layer
  weights: "weights", // {layer} -> Float32Array (transferred)
  weightSummary: "weightSummary", // {bins} -> [{index, spec, weight_shape, weights: histogram, last_update: histogram}]
  describe: "describe", // {} -> {settings, arch, params, step, epoch, info, data, state, heapBytes, secondCoreHeapBytes}
  saveModel: "saveModel", // {info?} -> Uint8Array (transferred) of a model file
  // {bytes: Uint8Array (transferred), runId?} -> describe; a bad file rejects and changes nothing. A
  // new timeline starts, as with configure.
  loadModel: "loadModel",
  // {} -> evaluation (count, correct, accuracy, loss, confusion, misclassified, predictions); not while training
  evaluate: "evaluate",
  // Custom networks (the step-through view's spec mode). `lab` names one of several.
  // {lab, json: text | Blob} -> {stepsTaken, name}; a bad spec rejects with the field path
  specCreate: "specCreate",
  specStep: "specStep", // {lab} -> trace of the step taken (per-element arrays as transferred Float64Arrays, see lib/trace-arrays.js)
  specAdvance: "specAdvance", // {lab, steps} -> Float32Array (transferred) of each step's loss; steps taken untraced
  specPeek: "specPeek", // {lab} -> trace of the next step, not taken (the same)
  specReset: "specReset", // {lab} -> null
  specGradientCheck: "specGradientCheck", // {lab, layer, param, index} -> gradient check
  // {lab, blob?} -> spec JSON text with the current weights (a Blob of it with `blob: true`)
  specExport: "specExport",
  // {} -> null: the worker is alive (WorkerClient asks when the worker has been quiet a while).
  ping: "ping",
});

/** Event types (worker -> page). */
export const EVENTS = Object.freeze({
  // {loaded, total, file} bytes of the data download
  dataProgress: "dataProgress",
  // At most ~10 per second while training (every step at the vocabulary's watch_every_step_at
  // speed or slower, and at once when the health gains a warning):
  // {state, step, epoch, epochs, stepsPerEpoch, stepInEpoch, loss, accuracy, samplesPerSec,
  //  stepsPerSec, fullStepsPerSec, speed, etaSeconds, losses: Float32Array, health, cores: {count, text}}
  // (`cores`: how many cores training runs on, in the core's words)
  // `epoch` counts completed epochs and `stepInEpoch` the steps of the one under way (at an epoch's
  // last step: epoch already counts it, stepInEpoch === stepsPerEpoch); both come from the core's
  // trainer. `losses` holds every step's loss since the previous progress event (for the chart);
  // `loss` and `accuracy` are the current epoch's so far (the mean over its examples, from the
  // core); `etaSeconds` is null until the speed is known. At a chosen `speed` (steps per second),
  // `samplesPerSec`, `stepsPerSec` and `etaSeconds` follow the pace really kept (the chosen one, or
  // less when the machine cannot keep up), and `fullStepsPerSec` is the machine's, measured at full
  // speed (0 until it has been). `health`: the last the core measured (src/health.rs).
  progress: "progress",
  // The timeline changed (a snapshot taken or let go, a new run, a reload): the timeline.
  timeline: "timeline",
  // After each epoch and its test-set evaluation: {epoch, step, trainAccuracy, trainLoss, evaluation};
  // `step`: the step that ended the epoch; trainLoss is the epoch's mean loss over its examples (as
  // the CLI prints it).
  epoch: "epoch",
  // Training state changed: {state: "idle" | "training" | "paused" | "evaluating" | "done"}
  state: "state",
  // The loss became NaN/inf: training paused itself, the last good weights are back.
  // {message (the core's words), step, loss, restoredStep, lr (the one that diverged), suggestedLr (the core's suggestion)}
  diverged: "diverged",
  // Something failed outside a request (a wasm panic): {message, fatal}. After a fatal error the
  // page offers to restart the worker.
  error: "error",
});

/**
 * A worker that has died without a word (terminated, or killed by the browser) sends no event, so
 * while the page waits for it (a request pending, or training under way) the client pings it when it has been quiet for
 * PING_MS, and counts it as stopped after SILENCE_MS without any message (its work comes in chunks
 * of about 25 ms, so a live worker answers at once). An idle worker is left alone: the next
 * request finds out.
 */
const PING_MS = 5_000;
const SILENCE_MS = 20_000;

/** The page's side: typed requests with promises, events with handlers. */
export class WorkerClient {
  /** @param {() => Worker} makeWorker creates the worker (called again by restart()). */
  constructor(makeWorker) {
    this.makeWorker = makeWorker;
    this.handlers = new Map();
    this.pending = new Map();
    this.nextId = 1;
    /** How long a silent worker counts as alive (ms); tests may shorten it. */
    this.silenceMs = SILENCE_MS;
    this.start();
  }

  start() {
    this.worker = this.makeWorker();
    this.failed = false;
    this.busy = false; // training or evaluating, by the worker's last state event
    this.heard = performance.now();
    this.worker.onmessage = (e) => {
      if (this.failed) return; // a failed worker's last words (already queued) change nothing
      this.heard = performance.now();
      this.dispatch(e.data);
    };
    this.worker.onerror = (e) => {
      e.preventDefault?.();
      this.fail(`the worker failed: ${e.message || "unknown error"}`);
    };
    this.worker.onmessageerror = () => this.fail("a message from the worker could not be read");
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => this.checkAlive(), Math.min(PING_MS, this.silenceMs / 4));
  }

  /** Pings a quiet worker the page waits for; one silent for `silenceMs` is stopped and reported (a fatal error). */
  checkAlive() {
    if (this.failed) return;
    if (!this.pending.size && !this.busy) {
      this.heard = performance.now(); // idle: nothing to wait for
      return;
    }
    const quiet = performance.now() - this.heard;
    if (quiet > this.silenceMs) {
      this.fail(`it has not answered for ${Math.round(quiet / 1000)} s`);
    } else if (quiet >= Math.min(PING_MS, this.silenceMs / 4)) {
      this.request("ping").catch(() => {});
    }
  }

  /** Terminates the worker and starts a new one; pending requests are rejected. */
  restart() {
    this.worker.terminate();
    this.rejectAll("the worker was restarted");
    this.start();
  }

  /**
   * Stops the worker and reports it (a fatal error). An uncaught error does not end a worker by
   * itself: left running, it would go on training, change the page's state and save over the last
   * save the page speaks of.
   */
  fail(message) {
    if (this.failed) return; // reported once; restart() starts afresh
    this.failed = true;
    this.worker.terminate();
    this.rejectAll(message);
    this.emit(EVENTS.error, { message, fatal: true });
  }

  rejectAll(message) {
    for (const { reject } of this.pending.values()) reject(new Error(message));
    this.pending.clear();
  }

  dispatch(msg) {
    if (msg.type === EVENTS.state) this.busy = msg.state === "training" || msg.state === "evaluating";
    if (msg.type === "reply") {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.error));
      return;
    }
    this.emit(msg.type, msg);
  }

  emit(type, msg) {
    for (const fn of this.handlers.get(type) || []) fn(msg);
  }

  /**
   * @template {keyof Events} K
   * @param {K} type
   * @param {(msg: Events[K] & {type: K}) => void} fn
   * @returns {() => void} unsubscribe
   */
  on(type, fn) {
    if (!Object.values(EVENTS).includes(type)) throw new Error(`unknown event type ${type}`);
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type).delete(fn);
  }

  /**
   * @template {keyof Requests} K
   * @param {K} type one of REQUESTS
   * @param {Requests[K]} [fields]
   * @param {Transferable[]} [transfer] buffers to transfer
   * @returns {Promise<Replies[K]>}
   */
  request(type, fields = /** @type {Requests[K]} */ ({}), transfer = []) {
    if (!Object.values(REQUESTS).includes(type)) return Promise.reject(new Error(`unknown request type ${type}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type, id, ...fields }, transfer);
    });
  }
}
