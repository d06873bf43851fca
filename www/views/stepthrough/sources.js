// @ts-check
// Where the example comes from when it is a digit: a test digit (by number, at random, or the
// next one the model gets wrong) or the learner's drawing, stepped through by the current model
// (on a copy, training paused) or by a fresh preset from a seed (the `fresh` field of the
// worker's trace and gradientCheck requests).

import { EVENTS } from "../../protocol.js";
import { PRESETS as MODEL_PRESETS } from "../../lib/settings.js";
import { pickUnit } from "../../walkthrough/steps.js";
import { digitMeta, drawingMeta, networkText, saysText } from "../../walkthrough/meta.js";
import { h } from "./dom.js";

export class Sources {
  /** @param {import("./view.js").StepThroughView} view */
  constructor(view) {
    this.view = view;
    /** The test digits the model gets wrong (from the last evaluation). @type {number[]} */
    this.misclassified = [];
    /** The digit or drawing walked through, kept while a tiny network is on show. @type {any} */
    this.left = null;
    /** @type {number | null} */
    this.testCount = null;
    this.requested = "";
    this.freshModelPicked = false;
  }

  start() {
    this.view.client.on(EVENTS.epoch, (/** @type {any} */ e) => {
      if (e.evaluation?.misclassified) {
        this.misclassified = e.evaluation.misclassified;
        this.updateMisclassified();
      }
    });
  }

  /** The digit panel, the drawing panel and the choice of network. */
  build() {
    this.digitPanel = this.buildDigitPanel();
    this.drawingPanel = this.buildDrawingPanel();
    this.networkBox = this.buildNetworkChoice();
    this.which = h("p", { class: "st-which", hidden: true });
    return [this.digitPanel, this.drawingPanel, this.networkBox];
  }

  /** @param {string} mode */
  show(mode) {
    this.digitPanel.hidden = mode !== "digit";
    this.drawingPanel.hidden = mode !== "drawing";
    this.networkBox.hidden = mode === "custom";
  }

  buildDigitPanel() {
    this.indexInput = /** @type {HTMLInputElement} */ (
      h("input", { type: "number", min: 0, step: 1, value: "0", id: "st-index", class: "st-index" })
    );
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
    this.labelSelect = /** @type {HTMLSelectElement} */ (
      h(
        "select",
        { id: "st-label" },
        Array.from({ length: 10 }, (_, k) => h("option", { value: k }, String(k))),
      )
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
    const radio = (/** @type {string} */ id, /** @type {string} */ value, /** @type {boolean} */ checked) =>
      /** @type {HTMLInputElement} */ (h("input", { type: "radio", name: "st-network", id, value, checked }));
    this.netCurrent = radio("st-network-current", "current", true);
    this.netFresh = radio("st-network-fresh", "fresh", false);
    this.freshModel = /** @type {HTMLSelectElement} */ (
      h(
        "select",
        { id: "st-fresh-model", "aria-label": "Preset of the fresh network" },
        MODEL_PRESETS.map((m) => h("option", { value: m }, m)),
      )
    );
    this.freshModel.value = this.currentPreset();
    this.freshSeed = /** @type {HTMLInputElement} */ (
      h("input", { type: "number", id: "st-fresh-seed", class: "st-seed", min: 0, step: 1, value: "1", inputmode: "numeric" })
    );
    this.netHint = h("p", { class: "hint st-network-hint" });
    for (const r of [this.netCurrent, this.netFresh]) r.addEventListener("change", () => this.networkChanged());
    this.freshModel.addEventListener("change", () => {
      this.freshModelPicked = true;
      this.netFresh.checked = true;
      this.networkChanged();
    });
    const seedChosen = () => {
      this.netFresh.checked = true;
      this.networkChanged();
    };
    this.freshSeed.addEventListener("change", seedChosen);
    this.freshSeed.addEventListener("keydown", (e) => e.key === "Enter" && seedChosen());
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
    const m = this.view.hooks.getModel?.()?.settings?.model;
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
    /** @type {any} */
    const fresh = { model: this.freshModel.value, seed: typed === "" ? NaN : Number(typed) };
    const optimizer = this.view.hooks.getOptimizer?.();
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
    const v = this.view;
    if (this.netFresh.checked && !this.freshModelPicked) this.freshModel.value = this.currentPreset();
    this.updateNetworkHint();
    // Nothing to do when the chosen network is the one on show or on its way (Enter and then
    // leaving the seed field both report the same choice).
    const choice = JSON.stringify(this.freshChoice());
    const ex = v.example;
    if (!v.lastError && choice === (v.busy ? this.requested : JSON.stringify(ex?.fresh ?? null))) return;
    if (v.mode === "digit" && ex?.kind === "digit") this.loadTestDigit(ex.index);
    else if (v.mode === "drawing" && ex?.kind === "drawing") this.loadDrawing(ex.label);
    else if (v.mode === "digit") this.autoLoad(0);
  }

  /** The current model's preset name, when it has one. */
  modelName() {
    return this.view.hooks.getModel?.()?.settings?.model;
  }

  /** Shows which network the walk-through's numbers come from (digits and drawings only). */
  updateWhich() {
    const v = this.view;
    const ex = v.example;
    const show = !!ex && ex.kind !== "custom" && !!v.trace;
    this.which.hidden = !show;
    if (!show) return;
    const fresh = ex.fresh;
    this.which.dataset.network = fresh ? "fresh" : "current";
    if (fresh) Object.assign(this.which.dataset, { model: fresh.model, seed: String(fresh.seed) });
    else for (const k of ["model", "seed"]) delete this.which.dataset[k];
    this.which.replaceChildren(h("strong", {}, "Network: "), `${networkText(fresh, v.trace, this.modelName())}.`);
  }

  /** Steps through test digit 0 once the test data is there (it may still be downloading). @param {number} tries */
  async autoLoad(tries) {
    const v = this.view;
    if (v.trace || v.busy || v.mode !== "digit") return;
    const ok = await this.loadTestDigit(Number(this.indexInput.value) || 0);
    if (ok || v.trace || !/loaded yet|not loaded/.test(v.lastError || "") || tries > 300) return;
    v.setError("");
    v.status.textContent = "Waiting for the test digits to arrive (see the data status at the top)… Meanwhile, try a tiny network.";
    setTimeout(() => this.autoLoad(tries + 1), 1000);
  }

  async pause() {
    try {
      await this.view.hooks.pauseTraining?.();
    } catch {
      // Not training: nothing to pause.
    }
  }

  /** @param {number} index */
  async loadTestDigit(index) {
    const v = this.view;
    if (!Number.isInteger(index) || index < 0) {
      v.setError("A test digit number is a whole number from 0.");
      return false;
    }
    if (v.mode !== "digit") v.setMode("digit");
    this.indexInput.value = String(index);
    const fresh = this.freshChoice();
    this.requested = JSON.stringify(fresh);
    const network = fresh ? `a fresh ${fresh.model}` : "the current model";
    return v.run(`Computing one training step of ${network} on test digit ${index}…`, async (current) => {
      if (!fresh) await this.pause();
      const img = await v.client.request("testImage", { index });
      const pixels = Float32Array.from(img.pixels, (b) => b / 255);
      const trace = await v.requestTrace("trace", { pixels, label: img.label, fresh });
      if (!current()) return;
      v.example = { kind: "digit", pixels, label: img.label, index, fresh };
      const meta = digitMeta({ index, label: img.label, fresh, trace, model: this.modelName() });
      v.setTrace(trace, { meta });
      v.status.textContent = `Test digit ${index}: a ${img.label}. ${saysText(trace)}`;
    });
  }

  async randomDigit() {
    if (!this.testCount) {
      // The core names the number of test digits when asked for one past the end.
      try {
        await this.view.client.request("testImage", { index: 2 ** 31 });
      } catch (e) {
        const m = /there are (\d+)/.exec(e.message);
        if (m) this.testCount = Number(m[1]);
      }
    }
    return this.loadTestDigit(Math.floor(Math.random() * (this.testCount || 1000)));
  }

  /** @param {number} index */
  async openTestDigit(index) {
    this.view.setMode("digit");
    await this.loadTestDigit(index);
    this.view.root.scrollIntoView?.({ block: "start" });
  }

  /** The weights view hands over one of the current model's units. @param {{layer: number, unit: number}} u */
  async openUnit({ layer, unit }) {
    const v = this.view;
    this.netCurrent.checked = true;
    this.updateNetworkHint();
    if (v.mode === "custom" || !v.trace || v.example?.fresh) {
      v.setMode("digit");
      if (v.hooks.getDrawing?.()) await this.loadDrawing(null);
      else await this.loadTestDigit(Number(this.indexInput.value) || 0);
    }
    if (!v.T || !v.T.layers[layer]) return;
    pickUnit(v.T, v.P, layer, unit);
    v.rebuild();
    const at = v.steps.findIndex((s) => s.id === `fwd-${layer}`);
    if (at >= 0) v.walk.go(at, { focus: true });
  }

  async nextMisclassified() {
    const v = this.view;
    if (!this.misclassified.length) {
      await v.run("Looking for test digits the model gets wrong…", async () => {
        await this.pause();
        const ev = await v.client.request("evaluate", {});
        this.misclassified = ev.misclassified || [];
        this.testCount = ev.count || this.testCount;
      });
      this.updateMisclassified();
      if (!this.misclassified.length) {
        if (!v.error.textContent) v.status.textContent = "The model gets every test digit right.";
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

  /** @param {number | null} label the label, or null for the network's own guess */
  async loadDrawing(label) {
    const v = this.view;
    const pixels = v.hooks.getDrawing?.();
    if (!pixels) {
      v.setError("There is no drawing yet: draw a digit in the Draw view first, then come back.");
      return;
    }
    const fresh = this.freshChoice();
    this.requested = JSON.stringify(fresh);
    return v.run(
      `Computing one training step of ${fresh ? `a fresh ${fresh.model}` : "the current model"} on your drawing…`,
      async (current) => {
        if (!fresh) await this.pause();
        let y = label;
        if (y === null) {
          // The guess of the network being traced; a trace's probabilities do not depend on the label.
          const trace = fresh ? await v.requestTrace("trace", { pixels: new Float32Array(pixels), label: 0, fresh }) : null;
          y = (await this.guess(new Float32Array(pixels), fresh, trace)).class;
          this.labelSelect.value = String(y);
        }
        const trace = await v.requestTrace("trace", { pixels: new Float32Array(pixels), label: y, fresh });
        if (!current()) return;
        v.example = { kind: "drawing", pixels: new Float32Array(pixels), label: y, fresh };
        const meta = drawingMeta({ label: y, fresh, trace, model: this.modelName() });
        v.setTrace(trace, { meta });
        v.status.textContent = `Your drawing, labelled ${y}. ${saysText(trace)}`;
      },
    );
  }

  /**
   * What the network makes of `pixels`: the core's class and probabilities for the current model;
   * for a fresh network, those of its trace.
   * @param {Float32Array} pixels @param {any} fresh @param {any} trace
   * @returns {Promise<{class: number, probs: ArrayLike<number>}>}
   */
  async guess(pixels, fresh, trace) {
    if (fresh) return { class: trace.loss.predicted[0], probs: trace.loss.probs };
    return this.view.client.request("classify", { pixels });
  }

  /** Keeps the digit's walk-through while a tiny network is on show. @param {string | null} stepId */
  leave(stepId) {
    const v = this.view;
    this.left = { example: v.example, meta: v.meta, trace: v.trace, picks: v.P, stepId, checks: v.checks };
  }

  /** Shows the digit's walk-through again, as it was left; false when there is none. */
  resume() {
    const v = this.view;
    const d = this.left;
    if (!d) return false;
    v.example = d.example;
    v.setTrace(d.trace, { picks: d.picks, stepId: d.stepId, meta: d.meta });
    v.checks = d.checks;
    return true;
  }
}
