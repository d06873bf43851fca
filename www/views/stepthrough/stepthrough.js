// The step-through view: one training step on one example, every number, from the input to the
// updated weight. The worker computes a worked trace (src/trace.rs) on a copy of the model; this
// view only lays it out, one step at a time (buttons and ←/→), with formulas typeset by KaTeX.
//
// Read next: www/walkthrough/ (what each step says, built from the trace: steps.js; how numbers
// are written: numbers.js; the export for course notes: markdown.js), step-format.js (formulas
// typeset), step-diagram.js (the tiny network drawn), step-spec-form.js (the network editor).
//
//   mountStepThrough(root, client, hooks)
//     root    an empty element for the view
//     client  the WorkerClient (www/protocol.js)
//     hooks   {getDrawing(): Float32Array|null, onOpenTestDigit(fn), onOpenUnit?(fn), pauseTraining(): Promise,
//              getModel?(): the worker's describe of the current model,
//              getOptimizer?(): the training view's optimizer settings (for a fresh network)}
//
// A test digit or a drawing is traced with the current model (on a copy) or with a fresh preset
// from a seed (the `fresh` field of the worker's trace and gradientCheck requests).

import { EVENTS } from "../../protocol.js";
import { h, num, fmt, full, tex, loadKatex, renderTex, typesetPending } from "./step-format.js";
import { analyse, defaultPicks, buildSteps, pickUnit, pickInput, pickKernel, lossName, unflat } from "../../walkthrough/steps.js";
import { drawNetwork, drawable } from "./step-diagram.js";
import { toMarkdown } from "../../walkthrough/markdown.js";
import { renderForm, formProblem } from "./step-spec-form.js";
import { paintGrey, paintDiverging, divergingCss, absMax } from "../../lib/pixels.js";
import { PRESETS as MODEL_PRESETS } from "../../lib/settings.js";

const LAB = "stepthrough";
const PRESETS = [
  ["mazur-2-2-2-sgd", "2-2-2 sigmoid network, ½Σ(t−o)², SGD (the classic worked example)"],
  ["relu-softmax-adam", "3-4-3 ReLU network, softmax + cross-entropy, Adam"],
];
const PHASES = { forward: "Forward", backward: "Backward", update: "Update" };

export async function mountStepThrough(root, client, hooks = {}) {
  ensureStylesheet();
  const view = new StepThrough(root, client, hooks);
  await view.start();
  return view;
}

function ensureStylesheet() {
  const href = new URL("./stepthrough.css", import.meta.url).href;
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === href)) return;
  document.head.append(h("link", { rel: "stylesheet", href }));
}

const isEditable = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

/** Splits text on $…$ and typesets the TeX parts inline. */
function rich(text, tag = "span", attrs = {}) {
  const el = h(tag, attrs);
  String(text)
    .split(/(\$[^$]+\$)/)
    .forEach((part) => {
      if (part.startsWith("$") && part.endsWith("$") && part.length > 2)
        el.append(renderTex(h("span", { class: "tex-inline" }), part.slice(1, -1), { inline: true }));
      else if (part) el.append(part);
    });
  return el;
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

class StepThrough {
  constructor(root, client, hooks) {
    this.root = root;
    this.client = client;
    this.hooks = hooks;
    this.mode = "digit";
    this.trace = null;
    this.T = null;
    this.P = null;
    this.steps = [];
    this.at = 0;
    this.meta = {};
    this.example = null; // {pixels: Float32Array, label, index?, kind, fresh}; fresh: null (the current model) or {model, seed, optimizer?}
    this.seq = 0; // counts loads; a load's result is shown only if no newer one started
    this.checks = new Map();
    this.misclassified = [];
    this.custom = { loaded: false, text: "", taken: 0, losses: [], previous: null };
    this.busy = false;
  }

  async start() {
    this.build();
    loadKatex().then(() => typesetPending(this.root));
    this.hooks.onOpenTestDigit?.((index) => this.openTestDigit(index));
    this.hooks.onOpenUnit?.((u) => this.openUnit(u));
    this.client.on(EVENTS.epoch, (e) => {
      if (e.evaluation?.misclassified) {
        this.misclassified = e.evaluation.misclassified;
        this.updateMisclassified();
      }
    });
    document.addEventListener("keydown", (e) => this.onKey(e));
    // The first digit as soon as the view opens (a handed-over digit may already be on its way).
    queueMicrotask(() => this.autoLoad(0));
  }

  /** Steps through test digit 0 once the test data is there (it may still be downloading). */
  async autoLoad(tries) {
    if (this.trace || this.busy || this.mode !== "digit") return;
    const ok = await this.loadTestDigit(Number(this.indexInput.value) || 0);
    if (ok || this.trace || !/loaded yet|not loaded/.test(this.lastError || "") || tries > 300) return;
    this.setError("");
    this.status.textContent = "Waiting for the test digits to arrive (see the data status at the top)… Meanwhile, try a tiny network.";
    setTimeout(() => this.autoLoad(tries + 1), 1000);
  }

  // ---- layout --------------------------------------------------------------------------------

  build() {
    const modes = [
      ["digit", "A test digit"],
      ["drawing", "Your drawing"],
      ["custom", "A tiny network"],
    ];
    this.modeButtons = modes.map(([m, label]) =>
      h(
        "button",
        { type: "button", class: "st-mode", "aria-pressed": String(m === this.mode), dataset: { mode: m }, onclick: () => this.setMode(m) },
        label,
      ),
    );
    this.digitPanel = this.buildDigitPanel();
    this.drawingPanel = this.buildDrawingPanel();
    this.customPanel = this.buildCustomPanel();
    this.networkBox = this.buildNetworkChoice();
    this.status = h("p", { class: "st-status", role: "status", "aria-live": "polite" });
    this.error = h("p", { class: "st-error error-text", role: "alert" });
    this.source = h(
      "section",
      { class: "card st-source", "aria-label": "What to step through" },
      h("div", { class: "st-modes", role: "group", "aria-label": "Example" }, this.modeButtons),
      this.digitPanel,
      this.drawingPanel,
      this.networkBox,
      this.customPanel,
      this.status,
      this.error,
    );
    this.diagram = h("section", { class: "card st-diagram", hidden: true, "aria-label": "The network" });
    this.progress = h("p", { class: "st-progress", "aria-live": "polite" });
    this.prevBtn = h(
      "button",
      { type: "button", class: "btn", onclick: () => this.go(this.at - 1), "aria-keyshortcuts": "ArrowLeft" },
      "← Back",
    );
    this.nextBtn = h(
      "button",
      { type: "button", class: "btn btn-primary", onclick: () => this.go(this.at + 1), "aria-keyshortcuts": "ArrowRight" },
      "Next →",
    );
    this.toc = h("ol", { class: "st-toc", "aria-label": "All steps" });
    this.which = h("p", { class: "st-which", hidden: true });
    this.stepEl = h("article", { class: "st-step", tabindex: "-1" });
    this.bar = h("div", { class: "st-bar" }, h("div", { class: "st-bar-fill" }));
    this.exportBox = h(
      "div",
      { class: "buttons st-export" },
      h("span", { class: "hint" }, "Export this walk-through:"),
      h("button", { type: "button", class: "btn btn-small", onclick: () => this.exportJson() }, "Trace (JSON)"),
      h("button", { type: "button", class: "btn btn-small", onclick: () => this.exportMarkdown() }, "Markdown with formulas"),
      h("button", { type: "button", class: "btn btn-small", onclick: () => this.copyMarkdown() }, "Copy Markdown"),
    );
    this.walk = h(
      "section",
      { class: "card st-walk", hidden: true, "aria-label": "The walk-through" },
      h("div", { class: "st-nav" }, this.prevBtn, this.progress, this.nextBtn),
      this.bar,
      this.which,
      h("details", { class: "st-toc-box" }, h("summary", {}, "All steps"), this.toc),
      this.stepEl,
      h(
        "div",
        { class: "st-nav st-nav-bottom" },
        h("button", { type: "button", class: "btn", onclick: () => this.go(this.at - 1) }, "← Back"),
        h("span", { class: "hint" }, "Keys: ← and → step, Home and End jump."),
        h("button", { type: "button", class: "btn btn-primary", onclick: () => this.go(this.at + 1) }, "Next →"),
      ),
      this.exportBox,
    );
    this.root.replaceChildren(h("div", { class: "st" }, this.source, this.diagram, this.walk));
    this.showPanels();
  }

  buildDigitPanel() {
    this.indexInput = h("input", { type: "number", min: 0, step: 1, value: "0", id: "st-index", class: "st-index" });
    this.indexInput.addEventListener("keydown", (e) => e.key === "Enter" && this.loadTestDigit(Number(this.indexInput.value)));
    this.missBtn = h("button", { type: "button", class: "btn", onclick: () => this.nextMisclassified() }, "A misclassified one");
    return h(
      "div",
      { class: "st-panel", dataset: { panel: "digit" } },
      h("p", { class: "hint" }, "A digit from the test set, with its label."),
      h(
        "div",
        { class: "buttons" },
        h("label", { for: "st-index" }, "Test digit number"),
        this.indexInput,
        h(
          "button",
          { type: "button", class: "btn btn-primary", onclick: () => this.loadTestDigit(Number(this.indexInput.value)) },
          "Step through it",
        ),
        h("button", { type: "button", class: "btn", onclick: () => this.randomDigit() }, "A random one"),
        this.missBtn,
      ),
    );
  }

  buildDrawingPanel() {
    this.labelSelect = h(
      "select",
      { id: "st-label" },
      Array.from({ length: 10 }, (_, k) => h("option", { value: k }, String(k))),
    );
    return h(
      "div",
      { class: "st-panel", dataset: { panel: "drawing" } },
      h(
        "p",
        { class: "hint" },
        "The digit you drew in the Draw view, as the network sees it (28×28). Tell the network which digit it is meant to be: the loss and every gradient depend on it.",
      ),
      h(
        "div",
        { class: "buttons" },
        h("label", { for: "st-label" }, "It is a"),
        this.labelSelect,
        h(
          "button",
          { type: "button", class: "btn btn-primary", onclick: () => this.loadDrawing(Number(this.labelSelect.value)) },
          "Step through my drawing",
        ),
        h("button", { type: "button", class: "btn", onclick: () => this.loadDrawing(null) }, "Use the network's guess as the label"),
      ),
    );
  }

  /** Which network steps through the digit or drawing: the current model, or a fresh preset from a seed. */
  buildNetworkChoice() {
    const radio = (id, value, checked) => h("input", { type: "radio", name: "st-network", id, value, checked });
    this.netCurrent = radio("st-network-current", "current", true);
    this.netFresh = radio("st-network-fresh", "fresh", false);
    this.freshModel = h(
      "select",
      { id: "st-fresh-model", "aria-label": "Preset of the fresh network" },
      MODEL_PRESETS.map((m) => h("option", { value: m }, m)),
    );
    this.freshModel.value = this.currentPreset();
    this.freshSeed = h("input", {
      type: "number",
      id: "st-fresh-seed",
      class: "st-seed",
      min: 0,
      step: 1,
      value: "1",
      inputmode: "numeric",
    });
    this.netHint = h("p", { class: "hint st-network-hint" });
    for (const r of [this.netCurrent, this.netFresh]) r.addEventListener("change", () => this.networkChanged());
    this.freshModel.addEventListener("change", () => {
      this.freshModelPicked = true;
      this.netFresh.checked = true;
      this.networkChanged();
    });
    this.freshSeed.addEventListener("change", () => {
      this.netFresh.checked = true;
      this.networkChanged();
    });
    this.freshSeed.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      this.netFresh.checked = true;
      this.networkChanged();
    });
    const box = h(
      "fieldset",
      { class: "st-network" },
      h("legend", {}, "Network"),
      h("div", { class: "st-network-option" }, this.netCurrent, h("label", { for: "st-network-current" }, "The current model")),
      h(
        "div",
        { class: "st-network-option" },
        this.netFresh,
        h("label", { for: "st-network-fresh" }, "A fresh"),
        this.freshModel,
        h("label", { for: "st-fresh-seed" }, "from seed"),
        this.freshSeed,
      ),
      this.netHint,
    );
    this.updateNetworkHint();
    return box;
  }

  /** The current model's preset (a model file may name none), the default of a fresh network. */
  currentPreset() {
    const m = this.hooks.getModel?.()?.settings?.model;
    return MODEL_PRESETS.includes(m) ? m : "mlp-128";
  }

  /**
   * The `fresh` field of the trace and gradientCheck requests: null for the current model, else
   * the preset, the seed as typed (the core checks it and names what is wrong) and the training
   * view's optimizer settings.
   */
  freshChoice() {
    if (!this.netFresh.checked) return null;
    const typed = this.freshSeed.value.trim();
    const fresh = { model: this.freshModel.value, seed: typed === "" ? NaN : Number(typed) };
    const optimizer = this.hooks.getOptimizer?.();
    if (optimizer) fresh.optimizer = optimizer;
    return fresh;
  }

  updateNetworkHint() {
    this.netHint.textContent = this.netFresh.checked
      ? "A fresh network has the random weights training starts from and a fresh optimizer (the training view's settings), so you see its very first step: t = 1, m = v = 0. Training, if it is running, goes on."
      : "Training pauses while you look; the step is computed on a copy, so the model does not change.";
  }

  /** The choice of network changed: the same digit or drawing again, with the network now chosen. */
  networkChanged() {
    if (this.netFresh.checked && !this.freshModelPicked) this.freshModel.value = this.currentPreset();
    this.updateNetworkHint();
    // Nothing to do when the chosen network is the one on show or on its way (Enter and then
    // leaving the seed field both report the same choice).
    const choice = JSON.stringify(this.freshChoice());
    const ex = this.example;
    if (!this.lastError && choice === (this.busy ? this.requested : JSON.stringify(ex?.fresh ?? null))) return;
    if (this.mode === "digit" && ex?.kind === "digit") this.loadTestDigit(ex.index);
    else if (this.mode === "drawing" && ex?.kind === "drawing") this.loadDrawing(ex.label);
    else if (this.mode === "digit") this.autoLoad(0);
  }

  /** In words, for the caption: which network the numbers of `trace` come from. */
  networkText(fresh, trace) {
    const c = trace.optimizer.config;
    const opt = c.type === "adam" ? `Adam (α = ${c.lr})` : `SGD (learning rate ${c.lr}${c.momentum ? `, momentum ${c.momentum}` : ""})`;
    if (fresh)
      return `a fresh ${fresh.model} with the random weights of seed ${fresh.seed} and a fresh ${opt} optimizer: its first step, t = 1, from m = v = 0`;
    const m = this.hooks.getModel?.()?.settings?.model;
    const before = trace.optimizer.t - 1;
    return `a copy of the current model${m ? ` (${m})` : ""}, after ${before.toLocaleString("en-US")} training step${before === 1 ? "" : "s"}, with its ${opt} optimizer`;
  }

  /** Shows which network the walk-through's numbers come from (MNIST examples only). */
  updateWhich() {
    const ex = this.example;
    const show = !!ex && ex.kind !== "custom" && !!this.trace;
    this.which.hidden = !show;
    if (!show) return;
    const fresh = ex.fresh;
    this.which.dataset.network = fresh ? "fresh" : "current";
    if (fresh) Object.assign(this.which.dataset, { model: fresh.model, seed: String(fresh.seed) });
    else for (const k of ["model", "seed"]) delete this.which.dataset[k];
    this.which.replaceChildren(h("strong", {}, "Network: "), `${this.networkText(fresh, this.trace)}.`);
  }

  buildCustomPanel() {
    this.presetSelect = h(
      "select",
      { id: "st-preset" },
      PRESETS.map(([v, t]) => h("option", { value: v }, t)),
    );
    this.presetSelect.addEventListener("change", () => this.loadPreset(this.presetSelect.value));
    this.specText = h("textarea", {
      class: "st-spec-text",
      id: "st-spec",
      rows: 16,
      spellcheck: "false",
      "aria-describedby": "st-spec-hint",
    });
    this.specError = h("p", { class: "form-error st-spec-error", role: "alert" });
    this.formRoot = h("div", { class: "st-form" });
    this.fileInput = h("input", { type: "file", accept: ".json,application/json", class: "visually-hidden", id: "st-file" });
    this.fileInput.addEventListener("change", () => this.importFile());
    this.editTabs = ["form", "json"].map((t) =>
      h(
        "button",
        {
          type: "button",
          class: "st-mode st-mode-small",
          "aria-pressed": String(t === "form"),
          dataset: { edit: t },
          onclick: () => this.setEditTab(t),
        },
        t === "form" ? "Form" : "Spec JSON",
      ),
    );
    this.jsonBox = h(
      "div",
      { class: "st-json", hidden: true },
      h("label", { for: "st-spec" }, "The network spec (JSON)"),
      h(
        "p",
        { class: "hint", id: "st-spec-hint" },
        "Fields: input, target or label, layers (dense with weights and bias, relu, sigmoid, tanh, conv2d, maxpool2d, flatten), loss (half_sse, mse, softmax_cross_entropy), optimizer (sgd with lr and momentum, or adam with lr, beta1, beta2, eps).",
      ),
      this.specText,
      h(
        "div",
        { class: "buttons" },
        h(
          "button",
          { type: "button", class: "btn btn-primary", onclick: () => this.loadSpec(this.specText.value, { fromJson: true }) },
          "Use this spec",
        ),
      ),
    );
    this.stepInfo = h("p", { class: "st-step-info" });
    this.lossSpark = h("div", { class: "st-spark" });
    return h(
      "div",
      { class: "st-panel", dataset: { panel: "custom" } },
      h(
        "p",
        { class: "hint" },
        "A network small enough to see whole: change any weight, the input, the target, the loss or the optimizer, then take steps and watch every number change.",
      ),
      h(
        "div",
        { class: "buttons" },
        h("label", { for: "st-preset" }, "Start from"),
        this.presetSelect,
        h(
          "button",
          { type: "button", class: "btn", dataset: { action: "load-preset" }, onclick: () => this.loadPreset(this.presetSelect.value) },
          "Load",
        ),
        h("label", { class: "btn btn-small", for: "st-file" }, "Import a spec file"),
        this.fileInput,
        h("button", { type: "button", class: "btn btn-small", onclick: () => this.exportSpec() }, "Export the spec"),
      ),
      (this.editor = h(
        "details",
        { class: "st-editor" },
        h("summary", {}, "Edit the network: every weight and bias, the input, the target, the loss, the optimizer"),
        h("div", { class: "st-modes", role: "group", "aria-label": "Edit as" }, this.editTabs),
        this.formRoot,
        this.jsonBox,
      )),
      this.specError,
      h(
        "div",
        { class: "buttons st-stepper" },
        h(
          "button",
          { type: "button", class: "btn btn-primary", dataset: { action: "take-step" }, onclick: () => this.takeSteps(1) },
          "Take this step",
        ),
        h("button", { type: "button", class: "btn", onclick: () => this.takeSteps(10) }, "Take 10 steps"),
        h("button", { type: "button", class: "btn btn-quiet", onclick: () => this.resetLab() }, "Back to the start"),
        this.stepInfo,
      ),
      this.lossSpark,
    );
  }

  setMode(mode) {
    if (mode !== this.mode) {
      this.status.textContent = "";
      this.setError("");
      this.seq++; // a digit still on its way is not wanted any more
      this.busy = false;
      this.root.classList.remove("st-busy");
    }
    this.mode = mode;
    for (const b of this.modeButtons) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    this.showPanels();
    if (mode === "custom") {
      if (!this.custom.loaded) this.loadPreset(this.presetSelect.value);
      else if (this.example?.kind !== "custom") {
        if (this.digit) this.digit.stepId = this.steps[this.at]?.id;
        this.example = { kind: "custom" };
        this.setTrace(this.custom.trace, { picks: this.custom.picks, stepId: this.custom.stepId });
      }
      return;
    }
    if (mode === "drawing") this.status.textContent = "Choose the label, then step through your drawing.";
    // Back from a tiny network: the digit (or drawing) walked through before, as it was left.
    if (this.example?.kind === "custom") {
      this.custom.picks = this.P;
      this.custom.stepId = this.steps[this.at]?.id;
      const d = this.digit;
      if (d) {
        this.example = d.example;
        this.meta = d.meta;
        this.setTrace(d.trace, { picks: d.picks, stepId: d.stepId });
      } else {
        this.trace = null;
        this.steps = [];
        this.walk.hidden = true;
        this.diagram.hidden = true;
        if (mode === "digit") this.autoLoad(0);
      }
    }
  }

  showPanels() {
    for (const p of [this.digitPanel, this.drawingPanel, this.customPanel]) p.hidden = p.dataset.panel !== this.mode;
    this.networkBox.hidden = this.mode === "custom";
  }

  setEditTab(t) {
    for (const b of this.editTabs) b.setAttribute("aria-pressed", String(b.dataset.edit === t));
    this.jsonBox.hidden = t !== "json";
    this.formRoot.hidden = t !== "form";
  }

  setError(message) {
    this.error.textContent = message || "";
  }

  // ---- MNIST examples ------------------------------------------------------------------------

  /**
   * Runs one load. A newer load (or a change of mode) supersedes it: `fn(current)` checks
   * `current()` after each wait and drops a result nobody asked for any more.
   */
  async run(label, fn) {
    const seq = ++this.seq;
    const current = () => seq === this.seq;
    this.busy = true;
    this.status.textContent = label;
    this.setError("");
    this.lastError = null;
    this.root.classList.add("st-busy");
    try {
      await fn(current);
      return current();
    } catch (e) {
      if (!current()) return false;
      this.lastError = e.message || String(e);
      this.setError(this.lastError);
      this.status.textContent = "";
      return false;
    } finally {
      if (current()) {
        this.busy = false;
        this.root.classList.remove("st-busy");
      }
    }
  }

  async pause() {
    try {
      await this.hooks.pauseTraining?.();
    } catch {
      // Not training: nothing to pause.
    }
  }

  async loadTestDigit(index) {
    if (!Number.isInteger(index) || index < 0) {
      this.setError("A test digit number is a whole number from 0.");
      return false;
    }
    if (this.mode !== "digit") this.setMode("digit");
    this.indexInput.value = String(index);
    const fresh = this.freshChoice();
    this.requested = JSON.stringify(fresh);
    const network = fresh ? `a fresh ${fresh.model}` : "the current model";
    return this.run(`Computing one training step of ${network} on test digit ${index}…`, async (current) => {
      if (!fresh) await this.pause();
      const img = await this.client.request("testImage", { index });
      const pixels = Float32Array.from(img.pixels, (b) => b / 255);
      const trace = await this.client.request("trace", { pixels, label: img.label, fresh });
      if (!current()) return;
      this.example = { kind: "digit", pixels, label: img.label, index, fresh };
      this.meta = {
        title: `Test digit ${index} (a ${img.label})`,
        subtitle: `One training step on test digit ${index}, whose label is ${img.label}, of ${this.networkText(fresh, trace)}.`,
      };
      this.setTrace(trace);
      this.digit = { example: this.example, meta: this.meta, trace, picks: this.P };
      this.status.textContent = `Test digit ${index}: a ${img.label}. The network says ${this.predicted()} with probability ${fmt(this.trace.loss.probs[this.predicted()], 3)}.`;
    });
  }

  async randomDigit() {
    if (!this.testCount) {
      // The core names the number of test digits when asked for one past the end.
      try {
        await this.client.request("testImage", { index: 2 ** 31 });
      } catch (e) {
        const m = /there are (\d+)/.exec(e.message);
        if (m) this.testCount = Number(m[1]);
      }
    }
    return this.loadTestDigit(Math.floor(Math.random() * (this.testCount || 1000)));
  }

  predicted() {
    const p = this.trace.loss.probs.slice(0, this.T.K);
    return p.indexOf(Math.max(...p));
  }

  async openTestDigit(index) {
    this.setMode("digit");
    await this.loadTestDigit(index);
    this.root.scrollIntoView?.({ block: "start" });
  }

  async openUnit({ layer, unit }) {
    // The unit is one of the current model's (the weights view shows that model).
    this.netCurrent.checked = true;
    this.updateNetworkHint();
    if (this.mode === "custom" || !this.trace || this.example?.fresh) {
      this.setMode("digit");
      if (this.hooks.getDrawing?.()) await this.loadDrawing(null);
      else await this.loadTestDigit(Number(this.indexInput.value) || 0);
    }
    if (!this.T || !this.T.layers[layer]) return;
    pickUnit(this.T, this.P, layer, unit);
    this.rebuild();
    const id = `fwd-${layer}`;
    const at = this.steps.findIndex((s) => s.id === id);
    if (at >= 0) this.go(at);
  }

  async nextMisclassified() {
    if (!this.misclassified.length) {
      await this.run("Looking for test digits the model gets wrong…", async () => {
        await this.pause();
        const ev = await this.client.request("evaluate", {});
        this.misclassified = ev.misclassified || [];
        this.testCount = ev.count || this.testCount;
      });
      this.updateMisclassified();
      if (!this.misclassified.length) {
        if (!this.error.textContent) this.status.textContent = "The model gets every test digit right.";
        return;
      }
    }
    const current = Number(this.indexInput.value);
    const next = this.misclassified.find((i) => i > current) ?? this.misclassified[0];
    await this.loadTestDigit(next);
  }

  updateMisclassified() {
    this.missBtn.textContent = this.misclassified.length ? `Next misclassified (${this.misclassified.length})` : "A misclassified one";
  }

  async loadDrawing(label) {
    const pixels = this.hooks.getDrawing?.();
    if (!pixels) {
      this.setError("There is no drawing yet: draw a digit in the Draw view first, then come back.");
      return;
    }
    const fresh = this.freshChoice();
    this.requested = JSON.stringify(fresh);
    return this.run(
      `Computing one training step of ${fresh ? `a fresh ${fresh.model}` : "the current model"} on your drawing…`,
      async (current) => {
        if (!fresh) await this.pause();
        let y = label;
        if (y === null) {
          // The guess of the network being traced; a trace's probabilities do not depend on the label.
          const probs = fresh
            ? (await this.client.request("trace", { pixels: new Float32Array(pixels), label: 0, fresh })).loss.probs
            : await this.client.request("predict", { pixels: new Float32Array(pixels) });
          y = Array.from(probs).indexOf(Math.max(...probs));
          this.labelSelect.value = String(y);
        }
        const trace = await this.client.request("trace", { pixels: new Float32Array(pixels), label: y, fresh });
        if (!current()) return;
        this.example = { kind: "drawing", pixels: new Float32Array(pixels), label: y, fresh };
        this.meta = {
          title: `Your drawing, taken to be a ${y}`,
          subtitle: `One training step on a drawn digit, with label ${y}, of ${this.networkText(fresh, trace)}.`,
        };
        this.setTrace(trace);
        this.digit = { example: this.example, meta: this.meta, trace, picks: this.P };
        this.status.textContent = `Your drawing, labelled ${y}. The network says ${this.predicted()}.`;
      },
    );
  }

  // ---- custom networks -----------------------------------------------------------------------

  async loadPreset(name) {
    const res = await fetch(new URL(`../../presets/${name}.json`, import.meta.url));
    if (!res.ok) {
      this.specError.textContent = `The preset ${name} could not be loaded (${res.status}).`;
      return;
    }
    const text = await res.text();
    await this.loadSpec(text);
  }

  async importFile() {
    const file = this.fileInput.files[0];
    if (!file) return;
    const text = await file.text();
    this.fileInput.value = "";
    this.editor.open = true;
    this.setEditTab("json");
    await this.loadSpec(text, { fromJson: true });
  }

  /** Sends a spec to the core; its error (naming the field) is shown if it is bad. */
  async loadSpec(text, { fromJson = false, fromForm = false } = {}) {
    const seq = ++this.seq;
    this.specText.value = text;
    this.specError.textContent = "";
    this.busy = true;
    try {
      await this.client.request("specCreate", { lab: LAB, json: text });
    } catch (e) {
      this.specError.textContent = `The core rejected this spec: ${e.message}`;
      this.busy = false;
      return false;
    }
    this.custom = { loaded: true, text, taken: 0, losses: [], previous: null, trace: null };
    if (!fromForm) {
      let spec = null;
      try {
        spec = JSON.parse(text);
      } catch {
        // The core accepted it, so it is JSON; nothing to do.
      }
      this.renderSpecForm(spec);
      if (fromJson && spec && !formProblem(spec)) this.setEditTab("json");
    }
    const trace = await this.client.request("specPeek", { lab: LAB });
    this.busy = false;
    this.custom.trace = trace;
    if (seq !== this.seq || this.mode !== "custom") return false;
    this.example = { kind: "custom" };
    this.setTrace(trace, { keepStep: fromForm });
    return true;
  }

  renderSpecForm(spec) {
    const ok = renderForm(this.formRoot, spec, (next) => {
      const text = JSON.stringify(next, null, 2);
      this.specText.value = text;
      clearTimeout(this.formTimer);
      this.formTimer = setTimeout(() => this.loadSpec(text, { fromForm: true }), 250);
    });
    if (!ok) this.setEditTab("json");
  }

  async takeSteps(n) {
    if (!this.custom.loaded || this.busy) return;
    this.busy = true;
    try {
      let last = null;
      for (let k = 0; k < n; k++) {
        last = await this.client.request("specStep", { lab: LAB });
        this.custom.losses.push(last.loss.value);
      }
      this.custom.taken += n;
      this.custom.previous = last;
      const trace = await this.client.request("specPeek", { lab: LAB });
      this.custom.trace = trace;
      this.setTrace(trace, { keepStep: true });
    } catch (e) {
      this.specError.textContent = e.message;
    } finally {
      this.busy = false;
    }
  }

  async resetLab() {
    if (!this.custom.loaded) return;
    await this.client.request("specReset", { lab: LAB });
    this.custom.taken = 0;
    this.custom.losses = [];
    this.custom.previous = null;
    const trace = await this.client.request("specPeek", { lab: LAB });
    this.custom.trace = trace;
    this.setTrace(trace, { keepStep: true });
  }

  async exportSpec() {
    if (!this.custom.loaded) return;
    const text = await this.client.request("specExport", { lab: LAB });
    download("network-spec.json", text, "application/json");
  }

  updateCustomInfo() {
    const c = this.custom;
    const t = this.trace.optimizer.t;
    this.stepInfo.replaceChildren(
      `Steps taken: `,
      h("strong", { dataset: { key: "steps-taken", value: String(c.taken) } }, String(c.taken)),
      ` · the walk-through shows step ${t}, which would take the loss from `,
      num(this.trace.loss.value, "custom-loss"),
      ".",
    );
    this.lossSpark.replaceChildren();
    if (c.losses.length) {
      const all = [...c.losses, this.trace.loss.value];
      this.lossSpark.append(
        sparkline(all),
        h(
          "span",
          { class: "hint" },
          `Loss at each step: ${all
            .slice(-6)
            .map((v) => fmt(v, 5))
            .join(", ")}${all.length > 6 ? " (the last six)" : ""}`,
        ),
      );
    }
  }

  // ---- the walk ------------------------------------------------------------------------------

  /**
   * Shows a trace. `keepStep` stays on the same step with the same picks (the next step of the
   * same network); `picks` restores the picks a trace was left with.
   */
  setTrace(trace, { keepStep = false, picks = null, stepId = null } = {}) {
    const oldId = this.steps[this.at]?.id;
    const oldPicks = this.P;
    const sameShape =
      this.trace &&
      this.T &&
      JSON.stringify(this.trace.layers.map((l) => l.output_shape)) === JSON.stringify(trace.layers.map((l) => l.output_shape)) &&
      this.trace.input_shape.join() === trace.input_shape.join();
    this.trace = trace;
    this.T = analyse(trace);
    if (picks) this.P = picks;
    else this.P = keepStep && sameShape && oldPicks ? { ...oldPicks, el: [...oldPicks.el], kp: { ...oldPicks.kp } } : defaultPicks(this.T);
    this.checks = new Map();
    if (this.example?.kind === "custom") {
      const prev = this.custom.previous ? analyse(this.custom.previous) : null;
      this.meta = {
        title: `Worked example: ${this.specName() || "a tiny network"}, step ${trace.optimizer.t}`,
        subtitle: `A ${this.T.layers
          .filter((l) => l.kind === "dense")
          .map((l) => l.inSize)
          .concat(this.T.K)
          .join("-")} network, ${lossName(trace.loss.kind)}, ${trace.optimizer.config.type === "adam" ? "Adam" : "SGD"}.`,
        lead: null,
      };
      this.previousT = prev;
      this.updateCustomInfo();
    } else this.previousT = null;
    this.rebuild(stepId || (keepStep ? oldId : null));
    this.updateWhich();
    this.walk.hidden = false;
  }

  specName() {
    try {
      return JSON.parse(this.custom.text).name;
    } catch {
      return null;
    }
  }

  /** Rebuilds the steps after a change of trace or picks, staying on the same step. */
  rebuild(keepId = this.steps[this.at]?.id) {
    this.steps = buildSteps(this.T, this.P, this.meta);
    const at = keepId ? this.steps.findIndex((s) => s.id === keepId) : 0;
    this.at = Math.max(0, at);
    this.renderToc();
    this.renderStep();
    this.renderDiagram();
  }

  go(at) {
    if (!this.steps.length) return;
    const next = Math.max(0, Math.min(this.steps.length - 1, at));
    if (next === this.at) return;
    this.at = next;
    this.renderStep();
    this.renderDiagram();
    this.updateToc();
  }

  onKey(e) {
    if (!this.steps.length || this.walk.hidden || this.root.offsetParent === null) return;
    if (e.altKey || e.ctrlKey || e.metaKey || isEditable(e.target)) return;
    const moves = { ArrowRight: this.at + 1, ArrowLeft: this.at - 1, Home: 0, End: this.steps.length - 1 };
    if (!(e.key in moves)) return;
    e.preventDefault();
    this.go(moves[e.key]);
  }

  renderToc() {
    this.toc.replaceChildren(
      ...this.steps.map((s, k) =>
        h(
          "li",
          { class: `st-toc-item phase-${s.phase}` },
          h(
            "button",
            { type: "button", class: "st-toc-btn", dataset: { stepId: s.id }, onclick: () => this.go(k) },
            h("span", { class: "st-toc-n" }, String(k + 1)),
            ` ${s.short}`,
          ),
        ),
      ),
    );
    this.updateToc();
  }

  updateToc() {
    this.toc.querySelectorAll(".st-toc-btn").forEach((b, k) => {
      if (k === this.at) b.setAttribute("aria-current", "step");
      else b.removeAttribute("aria-current");
    });
    const s = this.steps[this.at];
    this.progress.replaceChildren(h("strong", {}, `Step ${this.at + 1} of ${this.steps.length}`), ` · ${PHASES[s.phase]}`);
    this.progress.dataset.at = String(this.at + 1);
    this.progress.dataset.total = String(this.steps.length);
    this.bar.firstChild.style.width = `${((this.at + 1) / this.steps.length) * 100}%`;
    this.bar.dataset.phase = s.phase;
    this.prevBtn.disabled = this.at === 0;
    this.nextBtn.disabled = this.at === this.steps.length - 1;
    for (const b of this.walk.querySelectorAll(".st-nav-bottom .btn"))
      b.disabled = b.textContent.startsWith("←") ? this.at === 0 : this.at === this.steps.length - 1;
  }

  renderStep() {
    const s = this.steps[this.at];
    const el = this.stepEl;
    el.dataset.stepId = s.id;
    el.dataset.phase = s.phase;
    if (s.param) Object.assign(el.dataset, { layer: String(s.param.layer), param: s.param.name, index: String(s.param.index) });
    else for (const k of ["layer", "param", "index"]) delete el.dataset[k];
    el.replaceChildren(
      ...[
        h("p", { class: `st-phase phase-${s.phase}` }, PHASES[s.phase]),
        rich(s.title, "h3", { class: "st-title" }),
        rich(s.caption, "p", { class: "st-caption" }),
        s.hint ? h("p", { class: "hint st-hint" }, s.hint) : null,
        ...s.blocks.map((b) => this.renderBlock(b)),
      ].filter(Boolean),
    );
    this.updateToc();
  }

  renderBlock(b) {
    switch (b.kind) {
      case "text":
        return rich(b.text, "p", { class: "st-text" });
      case "eq":
        return h(
          "div",
          { class: "st-eq" },
          b.caption ? rich(b.caption, "p", { class: "hint" }) : null,
          h(
            "div",
            { class: "st-eq-row" },
            h("span", { class: "st-eq-tag" }, "formula"),
            renderTex(h("div", { class: "st-eq-tex" }), b.symbolic),
          ),
          h(
            "div",
            { class: "st-eq-row st-eq-numbers" },
            h("span", { class: "st-eq-tag" }, "numbers"),
            renderTex(h("div", { class: "st-eq-tex" }), b.numeric),
          ),
        );
      case "values":
        return h(
          "dl",
          { class: "st-values" },
          b.items.map((it) =>
            h(
              "div",
              { class: `st-value${it.big ? " big" : ""}` },
              rich(it.label, "dt"),
              h(
                "dd",
                {},
                it.plain
                  ? h("span", { class: "num", dataset: { key: it.key, value: String(it.value) } }, String(it.value))
                  : num(it.value, it.key),
              ),
            ),
          ),
        );
      case "check":
        return h(
          "p",
          { class: `st-check ${b.ok ? "ok" : "bad"}` },
          h("span", { "aria-hidden": "true" }, b.ok ? "✓ " : "✗ "),
          h("span", { class: "visually-hidden" }, b.ok ? "Checked: " : "Mismatch: "),
          b.text,
        );
      case "table":
        return this.renderTable(b);
      case "grid":
        return this.renderGrid(b);
      case "units":
        return this.renderUnits(b);
      case "bars":
        return renderBars(b);
      case "gradcheck":
        return this.renderGradCheck(b);
      case "examples":
        return h(
          "div",
          { class: "st-units", role: "group", "aria-label": "Which example of the batch to follow" },
          Array.from({ length: b.count }, (_, n) =>
            h(
              "button",
              {
                type: "button",
                class: `st-unit${n === b.picked ? " picked" : ""}`,
                "aria-pressed": String(n === b.picked),
                onclick: () => ((this.P = defaultPicks(this.T, n)), this.rebuild()),
              },
              `example ${n}`,
            ),
          ),
        );
      default:
        return null;
    }
  }

  renderTable(b) {
    const box = h("details", { class: "data-table st-table", open: !!b.open });
    box.append(h("summary", {}, "Show every number: ", rich(b.title), ` (${b.count} ${b.count === 1 ? "row" : "rows"})`));
    const fill = () => {
      if (box.dataset.filled) return;
      box.dataset.filled = "1";
      const rows = b.rows();
      const body = h("tbody");
      rows.forEach((r, k) => {
        const tr = h("tr", { class: k === b.highlightRow ? "picked" : null });
        r.forEach((c, ci) => {
          let content;
          if (c && typeof c === "object") content = num(c.v, c.key, { cls: c.shown ? "shown" : "" });
          else if (typeof c === "number" && !(ci === 0 && Number.isInteger(c))) content = num(c);
          else content = rich(String(c));
          // The row's index picks that input or unit: a keyboard path to every pick.
          if (ci === 0 && b.pickRow && k !== b.highlightRow) {
            content = h(
              "button",
              { type: "button", class: "st-row-pick", title: "Pick this one", onclick: () => this.applyPick(b.pickRow, k) },
              content,
            );
          }
          tr.append(h(ci === 0 ? "th" : "td", ci === 0 ? { scope: "row" } : {}, content));
        });
        body.append(tr);
      });
      box.append(
        h(
          "div",
          { class: "st-table-scroll" },
          h(
            "table",
            {},
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                b.columns.map((c) => h("th", { scope: "col" }, rich(c))),
              ),
            ),
            body,
          ),
        ),
      );
      box.querySelector("tr.picked")?.scrollIntoView?.({ block: "nearest" });
    };
    if (b.open) fill();
    box.addEventListener("toggle", () => box.open && fill());
    return box;
  }

  /** A small grid shows its numbers; a big one is a picture. Either can be clicked to pick. */
  renderGrid(b) {
    const n = b.h * b.w;
    const fig = h("figure", { class: "st-grid-fig" });
    fig.append(rich(b.title, "figcaption"));
    const pick = (idx) => b.pick && this.applyPick(b.pick, idx);
    if (n <= 49) {
      const scale = b.palette === "gray" ? 1 : absMax(b.values) || 1;
      const grid = h("div", { class: `st-grid ${b.pick ? "pickable" : ""}`, role: b.pick ? "group" : null, "aria-label": b.label });
      grid.style.gridTemplateColumns = `repeat(${b.w}, minmax(3.2rem, max-content))`;
      b.values.forEach((v, idx) => {
        const cell = h(
          b.pick ? "button" : "span",
          {
            type: b.pick ? "button" : null,
            class: `st-cell${idx === b.highlight ? " picked" : ""}`,
            title: full(v),
            dataset: { value: String(v) },
          },
          fmt(v, 4),
        );
        cell.style.background =
          b.palette === "gray"
            ? `rgba(23, 32, 51, ${Math.max(0, Math.min(1, v)) * 0.85})`
            : divergingCss(Math.max(-1, Math.min(1, v / scale)));
        if (b.palette === "gray" ? v > 0.5 : Math.abs(v / scale) > 0.7) cell.classList.add("dark");
        if (b.pick) cell.addEventListener("click", () => pick(idx));
        grid.append(cell);
      });
      fig.append(grid);
      return fig;
    }
    const canvas = h("canvas", { class: "st-canvas", width: b.w, height: b.h, role: "img", "aria-label": b.label });
    if (b.palette === "gray") paintGrey(canvas, b.values, b.w, b.h);
    else paintDiverging(canvas, b.values, b.w, b.h);
    const wrap = h("div", { class: `st-canvas-wrap${b.pick ? " pickable" : ""}` }, canvas);
    if (b.w !== b.h) wrap.style.aspectRatio = `${b.w} / ${b.h}`;
    if (b.highlight >= 0 && b.highlight < n) {
      const mark = h("div", { class: "st-canvas-mark" });
      const r = Math.floor(b.highlight / b.w);
      const c = b.highlight % b.w;
      Object.assign(mark.style, {
        left: `${(c / b.w) * 100}%`,
        top: `${(r / b.h) * 100}%`,
        width: `${100 / b.w}%`,
        height: `${100 / b.h}%`,
      });
      wrap.append(mark);
    }
    if (b.pick) {
      wrap.title = "Click to pick";
      canvas.addEventListener("click", (e) => {
        const rect = canvas.getBoundingClientRect();
        const c = Math.min(b.w - 1, Math.floor(((e.clientX - rect.left) / rect.width) * b.w));
        const r = Math.min(b.h - 1, Math.floor(((e.clientY - rect.top) / rect.height) * b.h));
        pick(r * b.w + c);
      });
    }
    fig.append(wrap);
    if (b.highlight >= 0) {
      const where = b.name ? `${b.name} ${b.highlight}` : `row ${Math.floor(b.highlight / b.w)}, column ${b.highlight % b.w}`;
      fig.append(h("p", { class: "hint" }, `Outlined: ${where}, value `, num(b.values[b.highlight])));
    }
    return fig;
  }

  renderUnits(b) {
    const fig = h("figure", { class: "st-units-fig" });
    fig.append(rich(b.title, "figcaption"));
    if (b.values.length > 64) {
      const w = Math.ceil(Math.sqrt(b.values.length));
      return this.renderGrid({
        kind: "grid",
        title: b.title,
        values: b.values,
        h: Math.ceil(b.values.length / w),
        w,
        palette: "diverging",
        highlight: b.picked,
        label: b.title,
        name: b.role,
        pick: { type: b.role === "filter" ? "filter" : "unit", layer: b.layer, offset: 0 },
      });
    }
    const scale = absMax(b.values) || 1;
    const list = h("div", { class: "st-units", role: "group", "aria-label": b.title.replace(/\$/g, "") });
    b.values.forEach((v, j) => {
      const chip = h(
        "button",
        {
          type: "button",
          class: `st-unit${j === b.picked ? " picked" : ""}`,
          title: `${b.role} ${j}: ${full(v)}`,
          "aria-pressed": String(j === b.picked),
        },
        h("span", { class: "st-unit-n" }, String(j)),
        h("span", { class: "st-unit-v" }, fmt(v, 3)),
      );
      const sw = h("span", { class: "st-unit-swatch" });
      sw.style.background = divergingCss(Math.max(-1, Math.min(1, v / scale)));
      chip.prepend(sw);
      chip.addEventListener("click", () => this.applyPick({ type: b.role === "filter" ? "filter" : "unit", layer: b.layer, offset: 0 }, j));
      list.append(chip);
    });
    fig.append(list);
    return fig;
  }

  applyPick(pick, idx) {
    const { T, P } = this;
    const i = pick.layer;
    if (pick.type === "input") pickInput(T, P, i, pick.offset + idx);
    else if (pick.type === "unit") pickUnit(T, P, i, pick.offset + idx);
    else if (pick.type === "filter") {
      const [, p, q] = unflat(T.layers[i].outShape, P.el[i + 1]);
      const [, OH, OW] = T.layers[i].outShape;
      pickUnit(T, P, i, idx * OH * OW + p * OW + q);
    } else if (pick.type === "kernel") {
      const k = T.layers[i].spec.kernel;
      pickKernel(T, P, i, { c: pick.c, u: Math.floor(idx / k), v: idx % k });
    }
    this.rebuild();
  }

  renderGradCheck(b) {
    const key = `${b.layer}/${b.param}/${b.index}`;
    const box = h("div", { class: "st-gradcheck", "aria-live": "polite" });
    const head = h(
      "p",
      { class: "st-gc-head" },
      h("strong", {}, "Gradient check: "),
      rich(`nudge the weight by ±h and watch the loss, $\\frac{L(\\theta+h) - L(\\theta-h)}{2h}$.`),
    );
    const body = h("div", { class: "st-gc-body" }, "Checking…");
    box.append(head, body);
    const show = (r) => {
      // Each loss is an f32, rounded to about half a unit in its last place; divided by 2h,
      // that rounding limits how well the estimate can know the slope.
      const noise = ulp(Math.max(Math.abs(r.loss_plus), Math.abs(r.loss_minus))) / r.h;
      const diff = Math.abs(r.analytic - r.numeric);
      const ok = diff <= 1e-2 * Math.max(Math.abs(r.analytic), Math.abs(r.numeric)) + noise;
      const rows = [
        ["backprop (analytic)", num(r.analytic, "gc-analytic")],
        ["central difference (numeric)", num(r.numeric, "gc-numeric")],
        ["relative error", num(r.relative_error, "gc-rel-error", { sig: 3 })],
      ];
      body.replaceChildren(
        ...[
          h(
            "dl",
            { class: "st-values" },
            rows.map(([l, v]) => h("div", { class: "st-value" }, h("dt", {}, l), h("dd", {}, v))),
          ),
          renderTex(
            h("div", { class: "st-eq-tex" }),
            `\\frac{${tex(r.loss_plus, 9)} - ${tex(r.loss_minus, 9)}}{2 \\cdot ${tex(r.h)}} = ${tex(r.numeric)}`,
          ),
          h("span", { hidden: true, dataset: { key: "gc-loss-plus", value: String(r.loss_plus) } }),
          h("span", { hidden: true, dataset: { key: "gc-loss-minus", value: String(r.loss_minus) } }),
          h("span", { hidden: true, dataset: { key: "gc-h", value: String(r.h) } }),
          h(
            "p",
            { class: `st-check ${ok ? "ok" : "bad"}`, dataset: { key: "gc-ok", value: ok ? "1" : "0" } },
            ok
              ? `✓ They agree. (The estimate can only be as exact as the two losses: in f32 each is rounded to about ±${fmt((noise * r.h) / 2, 2)}, which makes the estimate uncertain by about ±${fmt(noise, 2)}.)`
              : `✗ They differ by ${fmt(diff, 3)}, more than rounding explains (±${fmt(noise, 2)}).`,
          ),
          r.analytic !== b.analytic && Math.abs(r.analytic - b.analytic) > 1e-6 * Math.abs(b.analytic)
            ? h(
                "p",
                { class: "hint" },
                `The check runs the network in evaluation mode (no dropout, which would draw new masks for every loss), so its gradient differs from this step's.`,
              )
            : null,
        ].filter(Boolean),
      );
    };
    if (this.checks.has(key)) {
      show(this.checks.get(key));
      return box;
    }
    const traceNow = this.trace;
    const req =
      this.example?.kind === "custom"
        ? this.client.request("specGradientCheck", { lab: LAB, layer: b.layer, param: b.param, index: b.index })
        : this.client.request("gradientCheck", {
            pixels: this.example.pixels,
            label: this.example.label,
            layer: b.layer,
            param: b.param,
            index: b.index,
            fresh: this.example.fresh,
          });
    req.then(
      (r) => {
        if (this.trace !== traceNow) return;
        this.checks.set(key, r);
        show(r);
      },
      (e) => body.replaceChildren(h("span", { class: "error-text" }, `The gradient check failed: ${e.message}`)),
    );
    return box;
  }

  renderDiagram() {
    const custom = this.example?.kind === "custom" && this.mode === "custom";
    this.diagram.hidden = !custom;
    if (!custom) return;
    const svg = drawNetwork(this.T, this.P, {
      onPickUnit: (i, j) => {
        pickUnit(this.T, this.P, i, j);
        this.rebuild();
      },
      onPickWeight: (i, j, k) => {
        pickUnit(this.T, this.P, i, j);
        pickInput(this.T, this.P, i, k);
        this.rebuild();
      },
      previous: this.previousT,
    });
    this.diagram.replaceChildren(
      ...[
        h("h3", {}, "The whole network, before this step"),
        h(
          "p",
          { class: "hint" },
          "Line colour and thickness: the weight (orange positive, blue negative). On each line: the weight and, below, its gradient ∂. In each unit: its activation a, weighted sum z, gradient δ = ∂L/∂z and bias b. Click a line or a unit to pick it; hover for every digit.",
        ),
        svg ? h("p", { class: "hint st-narrow-only" }, "Scroll the drawing sideways to see all of it.") : null,
        svg
          ? h("div", { class: "st-net-wrap", tabindex: "0", "aria-label": "The network drawing (scrolls sideways)" }, svg)
          : h(
              "p",
              { class: "hint" },
              drawable(this.T)
                ? ""
                : "This network is too big (or has layers other than dense and activations) to draw; the walk-through below shows all of it.",
            ),
      ].filter(Boolean),
    );
  }

  // ---- export --------------------------------------------------------------------------------

  exportJson() {
    if (!this.trace) return;
    download("backprop-trace.json", JSON.stringify(this.trace, null, 1), "application/json");
  }

  markdown() {
    return toMarkdown(this.steps, this.meta, this.checks);
  }

  exportMarkdown() {
    if (!this.trace) return;
    download("backprop-walkthrough.md", this.markdown(), "text/markdown");
  }

  async copyMarkdown() {
    if (!this.trace) return;
    try {
      await navigator.clipboard.writeText(this.markdown());
      this.status.textContent = "The Markdown is on the clipboard.";
    } catch {
      this.status.textContent = "The clipboard is not available here; use the Markdown download instead.";
    }
  }
}

function renderBars(b) {
  const max = Math.max(...b.values.map(Math.abs), 1e-12);
  const fig = h("figure", { class: "st-bars" });
  fig.append(h("figcaption", {}, b.title));
  b.values.forEach((v, k) => {
    const fill = h("span", { class: `st-bar-v ${v < 0 ? "neg" : "pos"}` });
    fill.style.width = `${(Math.abs(v) / max) * (b.signed ? 50 : 100)}%`;
    if (b.signed) fill.style[v < 0 ? "right" : "left"] = "50%";
    fig.append(
      h(
        "div",
        { class: `st-bar-row${k === b.mark ? " marked" : ""}` },
        h("span", { class: "st-bar-k" }, String(k)),
        h("span", { class: `st-bar-track${b.signed ? " signed" : ""}` }, fill),
        num(v, b.keyPrefix ? `${b.keyPrefix}bar-${k}` : null, { sig: 4 }),
      ),
    );
  });
  return fig;
}

/** The gap between an f32 and the next one up. */
function ulp(x) {
  if (!(x > 0) || !Number.isFinite(x)) return 0;
  return 2 ** (Math.floor(Math.log2(x)) - 23);
}

function sparkline(values) {
  const w = 220;
  const hgt = 48;
  const max = Math.max(...values);
  const min = Math.min(...values);
  const span = max - min || 1;
  const pts = values.map(
    (v, i) => `${((i / Math.max(1, values.length - 1)) * (w - 8) + 4).toFixed(1)},${(hgt - 4 - ((v - min) / span) * (hgt - 8)).toFixed(1)}`,
  );
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  svg.setAttribute("width", w);
  svg.setAttribute("height", hgt);
  svg.setAttribute("class", "st-sparkline");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Loss over ${values.length} steps, from ${fmt(values[0], 4)} to ${fmt(values[values.length - 1], 4)}`);
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("points", pts.join(" "));
  svg.append(line);
  return svg;
}
