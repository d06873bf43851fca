// @ts-check
// The step-through view: one training step on one example, every number, from the input to the
// updated weight. The worker computes a worked trace (src/trace.rs); www/walkthrough/ turns it
// into steps (data, no DOM); this view lays them out one at a time.
//
// This file mounts the view and holds what its parts share: the mode (a test digit, a drawing,
// a tiny network), the trace on show, the learner's picks and the steps. Read next:
//   sources.js      where the example comes from (test digit, drawing, fresh preset)
//   spec-editor.js  the tiny network: presets, import, the JSON and form editors, steps taken
//   spec-store.js   the spec being edited, kept in IndexedDB across reloads
//   spec-form.js    the form that edits a small dense network
//   nav.js          the walk: list of steps, Next/Back, keys, focus
//   blocks.js       one renderer per kind of block a step is made of
//   tables.js       every number of a step, in pages
//   pictures.js     grids, units and bars: numbers drawn
//   gradcheck.js    the gradient check of the picked weight
//   diagram.js      the tiny network drawn whole
//   export.js       the spec, the trace and the Markdown for course notes
//
//   mountStepThrough(root, client, hooks)
//     root    an empty element for the view
//     client  the WorkerClient (www/protocol.js)
//     hooks   {getDrawing(): Float32Array|null, onOpenTestDigit(fn), onOpenUnit?(fn), pauseTraining(): Promise,
//              getModel?(): the worker's describe of the current model,
//              getOptimizer?(): the training view's optimizer settings (for a fresh network),
//              onWorkerRestart?(fn): fn runs once a crashed worker has been restarted}

import { analyse, defaultPicks, buildSteps, pickUnit, pickInput, pickKernel, unflat } from "../../walkthrough/steps.js";
import { h, loadKatex, typesetPending, ensureStylesheet } from "./dom.js";
import { Sources } from "./sources.js";
import { SpecEditor } from "./spec-editor.js";
import { Walk } from "./nav.js";
import { Diagram } from "./diagram.js";
import { Exporter } from "./export.js";

/** @typedef {"digit" | "drawing" | "custom"} Mode */

/**
 * @param {Element} root
 * @param {any} client
 * @param {any} [hooks]
 */
export async function mountStepThrough(root, client, hooks = {}) {
  ensureStylesheet();
  const view = new StepThroughView(/** @type {HTMLElement} */ (root), client, hooks);
  await view.start();
  return view;
}

export class StepThroughView {
  /** @param {HTMLElement} root @param {any} client @param {any} hooks */
  constructor(root, client, hooks) {
    this.root = root;
    this.client = client;
    this.hooks = hooks;
    /** @type {Mode} */
    this.mode = "digit";
    /** @type {any} the trace on show (its per-element arrays as the worker sent them: Float64Arrays) */
    this.trace = null;
    /** @type {any} analyse(trace) */
    this.T = null;
    /** @type {any} the learner's picks */
    this.P = null;
    /** @type {any[]} */
    this.steps = [];
    /** @type {any} {title, subtitle?, lead?} */
    this.meta = {};
    /** @type {any} {kind: "digit"|"drawing"|"custom", pixels?, label?, index?, fresh?} */
    this.example = null;
    /** Gradient checks of the trace on show, by "layer/param/index". @type {Map<string, any>} */
    this.checks = new Map();
    /** The trace before the last step taken (custom mode), analysed, for the diagram. */
    this.previousT = null;
    this.seq = 0; // counts loads; a load's result is shown only if no newer one started
    this.busy = false;
    this.sources = new Sources(this);
    this.editor = new SpecEditor(this);
    this.walk = new Walk(this);
    this.diagram = new Diagram(this);
    this.exporter = new Exporter(this);
  }

  async start() {
    this.build();
    loadKatex().then(() => typesetPending(this.root));
    this.hooks.onOpenTestDigit?.((/** @type {number} */ index) => this.sources.openTestDigit(index));
    this.hooks.onOpenUnit?.((/** @type {any} */ u) => this.sources.openUnit(u));
    this.hooks.onWorkerRestart?.(() => this.editor.reattach());
    this.sources.start();
    const resumed = await this.editor.restore();
    // The first digit as soon as the view opens (a handed-over digit may already be on its way),
    // unless the learner was working on a tiny network.
    if (resumed) this.setMode("custom");
    else queueMicrotask(() => this.sources.autoLoad(0));
  }

  build() {
    const modes = /** @type {[Mode, string][]} */ ([
      ["digit", "A test digit"],
      ["drawing", "Your drawing"],
      ["custom", "A tiny network"],
    ]);
    this.modeButtons = modes.map(([m, label]) =>
      h(
        "button",
        { type: "button", class: "st-mode", "aria-pressed": String(m === this.mode), dataset: { mode: m }, onclick: () => this.setMode(m) },
        label,
      ),
    );
    this.status = h("p", { class: "st-status", role: "status", "aria-live": "polite" });
    this.error = h("p", { class: "st-error error-text", role: "alert" });
    const source = h(
      "section",
      { class: "card st-source", "aria-label": "What to step through" },
      h("div", { class: "st-modes", role: "group", "aria-label": "Example" }, this.modeButtons),
      ...this.sources.build(),
      this.editor.build(),
      this.status,
      this.error,
    );
    this.root.replaceChildren(h("div", { class: "st" }, source, this.diagram.build(), this.walk.build()));
    this.showPanels();
  }

  showPanels() {
    this.sources.show(this.mode);
    this.editor.panel.hidden = this.mode !== "custom";
  }

  /** @param {Mode} mode */
  setMode(mode) {
    if (mode !== this.mode) {
      this.status.textContent = "";
      this.setError("");
      this.seq++; // a digit still on its way is not wanted any more
      this.setBusy(false);
    }
    const from = this.example?.kind;
    this.mode = mode;
    for (const b of this.modeButtons) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    this.showPanels();
    this.editor.remember({ mode });
    if (mode === "custom") {
      if (from && from !== "custom") this.sources.leave(this.walk.currentId());
      this.editor.enter();
      return;
    }
    if (mode === "drawing") this.status.textContent = "Choose the label, then step through your drawing.";
    // Back from a tiny network: the digit (or drawing) walked through before, as it was left.
    if (from === "custom") {
      this.editor.leave(this.walk.currentId());
      if (!this.sources.resume()) {
        this.clearTrace();
        if (mode === "digit") this.sources.autoLoad(0);
      }
    }
  }

  /** @param {string} message */
  setError(message) {
    this.error.textContent = message || "";
  }

  /** @param {boolean} on */
  setBusy(on) {
    this.busy = on;
    this.root.classList.toggle("st-busy", on);
  }

  /**
   * Runs one load. A newer load (or a change of mode) supersedes it: `fn(current)` checks
   * `current()` after each wait and drops a result nobody asked for any more.
   * @param {string} label
   * @param {(current: () => boolean) => Promise<void>} fn
   */
  async run(label, fn) {
    const seq = ++this.seq;
    const current = () => seq === this.seq;
    this.setBusy(true);
    this.status.textContent = label;
    this.setError("");
    this.lastError = null;
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
      if (current()) this.setBusy(false);
    }
  }

  /**
   * A request whose reply is a trace: it arrives with typed arrays (transferred, see
   * www/lib/trace-arrays.js), which the walk-through takes as they are.
   * @param {string} type
   * @param {object} fields
   */
  async requestTrace(type, fields) {
    return this.client.request(type, fields);
  }

  /**
   * Shows a trace. `keepStep` stays on the same step with the same picks (the next step of the
   * same network); `picks` and `stepId` restore what a trace was left with.
   * @param {any} trace
   * @param {{keepStep?: boolean, picks?: any, stepId?: string | null, meta?: any, previous?: any}} [o]
   */
  setTrace(trace, { keepStep = false, picks = null, stepId = null, meta = null, previous = null } = {}) {
    const oldId = this.walk.currentId();
    const oldPicks = this.P;
    const sameShape =
      !!this.trace &&
      JSON.stringify(this.trace.layers.map((/** @type {any} */ l) => l.output_shape)) ===
        JSON.stringify(trace.layers.map((/** @type {any} */ l) => l.output_shape)) &&
      this.trace.input_shape.join() === trace.input_shape.join();
    this.trace = trace;
    this.T = analyse(trace);
    if (picks) this.P = picks;
    else this.P = keepStep && sameShape && oldPicks ? { ...oldPicks, el: [...oldPicks.el], kp: { ...oldPicks.kp } } : defaultPicks(this.T);
    this.checks = new Map();
    if (meta) this.meta = meta;
    this.previousT = previous ? analyse(previous) : null;
    this.rebuild(stepId || (keepStep ? oldId : null));
    this.sources.updateWhich();
  }

  clearTrace() {
    this.trace = null;
    this.T = null;
    this.steps = [];
    this.walk.hide();
    this.diagram.render();
  }

  /** Rebuilds the steps after a change of trace or picks, staying on the same step. */
  rebuild(keepId = this.walk.currentId()) {
    this.steps = buildSteps(this.T, this.P, this.meta);
    this.walk.show(keepId);
    this.diagram.render();
  }

  /**
   * The learner picked element `idx` of what `pick` describes (a unit, an input, a filter or a
   * kernel cell of layer `pick.layer`), on a grid, a list of units, a table row or the diagram.
   * @param {{type: string, layer: number, offset?: number, c?: number}} pick
   * @param {number} idx
   */
  applyPick(pick, idx) {
    const { T, P } = this;
    const i = pick.layer;
    const offset = pick.offset || 0;
    if (pick.type === "input") pickInput(T, P, i, offset + idx);
    else if (pick.type === "unit") pickUnit(T, P, i, offset + idx);
    else if (pick.type === "filter") {
      const [, p, q] = unflat(T.layers[i].outShape, P.el[i + 1]);
      const [, OH, OW] = T.layers[i].outShape;
      pickUnit(T, P, i, idx * OH * OW + p * OW + q);
    } else if (pick.type === "kernel") {
      const k = T.layers[i].spec.kernel;
      pickKernel(T, P, i, { c: pick.c, u: Math.floor(idx / k), v: idx % k });
    } else if (pick.type === "example") {
      this.P = defaultPicks(T, idx);
    }
    this.rebuild();
  }

  /** Picks weight (j, k) of dense layer i: both its unit and its input. @param {number} i @param {number} j @param {number} [k] */
  pickWeight(i, j, k) {
    pickUnit(this.T, this.P, i, j);
    if (k !== undefined) pickInput(this.T, this.P, i, k);
    this.rebuild();
  }
}
