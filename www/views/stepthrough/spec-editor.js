// @ts-check
// The tiny network: a spec (README "The network spec") from a preset, a file, the form or the
// JSON editor, handed to the core (which checks it and names the field of any mistake), then
// stepped one training step at a time. Whatever is being edited is kept across reloads
// (spec-store.js), steps taken included.
//
// A spec too big to edit comfortably in the page (a 100 → 10,000 → 1 network is 7.5 MB of JSON) is
// summarised instead, with a download and an import: a text area holding megabytes would stall
// the page on every keystroke, and the form would need a million fields. Such a spec stays a Blob
// on the page (the file as picked, the core's export as the worker made it): the worker reads it
// and the store keeps it, so the page's thread never copies megabytes of text.

import { fmt } from "../../walkthrough/numbers.js";
import { specMeta } from "../../walkthrough/meta.js";
import { h, num, int } from "./dom.js";
import { renderForm, formProblem, markFieldError } from "./spec-form.js";
import { loadSpecRecord, saveSpecRecord } from "./spec-store.js";

const LAB = "stepthrough";
const PRESETS = [
  ["mazur-2-2-2-sgd", "2-2-2 sigmoid network, ½Σ(t−o)², SGD (the classic worked example)"],
  ["relu-softmax-adam", "3-4-3 ReLU network, softmax + cross-entropy, Adam"],
];
/**
 * Above this many characters the JSON is summarised, not put in the text area. Measured in
 * Chromium on a shared 2-core machine: typing in a text area holding 100 kB of pretty-printed
 * JSON (5,000 lines) takes about 80 ms a key, 230 kB up to 250 ms, 860 kB up to 640 ms.
 */
export const EDITOR_MAX_CHARS = 100_000;
/** Typing is saved this long after the last key. */
const SAVE_DELAY_MS = 400;

/** @typedef {string | Blob} Source a spec's JSON: text, or a Blob of it when big */

/** @param {Source} src */
const sizeOf = (src) => (typeof src === "string" ? src.length : src.size);
/** @param {Source} src */
const isBig = (src) => sizeOf(src) > EDITOR_MAX_CHARS;

/**
 * Where a JSON text first goes wrong, in words ("line 3, column 7: Unexpected token 'x'"); null
 * when it parses. The browser's message says where, in one of three ways: a position, the end of
 * the text, or a few characters around the culprit.
 * @param {string} text
 */
export function jsonProblem(text) {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    const message = String(e.message);
    let at = -1;
    const pos = /at position (\d+)/.exec(message);
    const token = /^Unexpected token '(.+?)', (?:\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON$/.exec(message);
    if (pos) at = Number(pos[1]);
    else if (/end of JSON input/.test(message)) at = text.length;
    else if (token) {
      const around = text.indexOf(token[2].replace(/\.\.\.$/, ""));
      if (around >= 0) at = text.indexOf(token[1], around);
    }
    const what = message
      .replace(/,? ?(?:\.\.\.)?"[\s\S]*" is not valid JSON$/, "")
      .replace(/ (?:in|after) JSON at position \d+.*$/, "")
      .replace(/ of JSON input$/, " of the text");
    if (at < 0) return what;
    const before = text.slice(0, at);
    return `line ${before.split("\n").length}, column ${at - before.lastIndexOf("\n")}: ${what}`;
  }
}

export class SpecEditor {
  /** @param {import("./view.js").StepThroughView} view */
  constructor(view) {
    this.view = view;
    /** The tiny network on show. */
    this.custom = this.fresh();
    /** @type {import("./spec-store.js").SpecRecord | null} what the last visit left */
    this.saved = null;
    /** @type {any} */
    this.saveTimer = null;
    /** @type {any} */
    this.formTimer = null;
    /** @type {Source} the editor's content: the source, or what is being typed */
    this.text = "";
    this.tab = /** @type {"form" | "json"} */ ("form");
  }

  fresh() {
    return {
      loaded: false,
      /** @type {Source} */ source: "",
      name: /** @type {string | null} */ (null),
      taken: 0,
      /** @type {number[]} */ losses: [],
      /** @type {any} */ trace: null,
      /** @type {any} */ previous: null,
      /** @type {any} */ picks: null,
      /** @type {string | null} */ stepId: null,
      /** @type {Map<string, any> | null} */ checks: null,
    };
  }

  // ---- layout --------------------------------------------------------------------------------

  build() {
    this.presetSelect = /** @type {HTMLSelectElement} */ (
      h(
        "select",
        { id: "st-preset" },
        PRESETS.map(([v, t]) => h("option", { value: v }, t)),
        h("option", { value: "", disabled: true }, "Your own spec (imported or edited)"),
      )
    );
    this.presetSelect.addEventListener("change", () => this.loadPreset(this.presetSelect.value));
    this.fileInput = /** @type {HTMLInputElement} */ (
      h("input", { type: "file", accept: ".json,application/json", class: "visually-hidden", id: "st-file" })
    );
    this.fileInput.addEventListener("change", () => this.importFile());
    this.specError = h("p", { class: "form-error st-spec-error", role: "alert" });
    this.saveNote = h("p", { class: "hint st-save-note", "aria-live": "polite" });
    this.stepInfo = h("p", { class: "st-step-info" });
    this.lossSpark = h("div", { class: "st-spark" });
    this.panel = h(
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
        h(
          "button",
          { type: "button", class: "btn btn-small", dataset: { action: "export-spec" }, onclick: () => this.view.exporter.exportSpec() },
          "Export the spec",
        ),
      ),
      this.buildEditor(),
      this.specError,
      this.saveNote,
      h(
        "div",
        { class: "buttons st-stepper" },
        h(
          "button",
          { type: "button", class: "btn btn-primary", dataset: { action: "take-step" }, onclick: () => this.takeSteps(1) },
          "Take this step",
        ),
        h("button", { type: "button", class: "btn", dataset: { action: "take-10" }, onclick: () => this.takeSteps(10) }, "Take 10 steps"),
        h(
          "button",
          { type: "button", class: "btn btn-quiet", dataset: { action: "reset" }, onclick: () => this.resetLab() },
          "Back to the start",
        ),
        this.stepInfo,
      ),
      this.lossSpark,
    );
    return this.panel;
  }

  /** The editor: a form for small dense networks, the JSON for any spec (summarised when huge). */
  buildEditor() {
    this.editTabs = ["form", "json"].map((t) =>
      h(
        "button",
        {
          type: "button",
          class: "st-mode st-mode-small",
          "aria-pressed": String(t === this.tab),
          dataset: { edit: t },
          onclick: () => this.setEditTab(/** @type {"form" | "json"} */ (t)),
        },
        t === "form" ? "Form" : "Spec JSON",
      ),
    );
    this.formNote = h("div", { class: "st-form-note", role: "alert" });
    this.formRoot = h("div", { class: "st-form" });
    this.specText = /** @type {HTMLTextAreaElement} */ (
      h("textarea", {
        class: "st-spec-text",
        id: "st-spec",
        rows: 16,
        spellcheck: "false",
        autocomplete: "off",
        "aria-describedby": "st-spec-hint st-json-error",
      })
    );
    this.specText.addEventListener("input", () => this.typed());
    this.specText.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) this.useJson();
    });
    this.jsonError = h("p", { class: "form-error", id: "st-json-error", "aria-live": "polite" });
    this.bigBox = h("div", { class: "st-big-spec", hidden: true });
    this.textBox = h(
      "div",
      {},
      h("label", { for: "st-spec" }, "The network spec (JSON)"),
      h(
        "p",
        { class: "hint", id: "st-spec-hint" },
        "Fields: input, target or label, layers (dense with weights and bias, relu, sigmoid, tanh, conv2d, maxpool2d, flatten), loss (half_sse, mse, softmax_cross_entropy), optimizer (sgd with lr and momentum, or adam with lr, beta1, beta2, eps). Ctrl+Enter uses it.",
      ),
      this.specText,
      this.jsonError,
      h(
        "div",
        { class: "buttons" },
        h(
          "button",
          { type: "button", class: "btn btn-primary", dataset: { action: "use-json" }, onclick: () => this.useJson() },
          "Use this spec",
        ),
      ),
    );
    this.jsonBox = h("div", { class: "st-json", hidden: true }, this.textBox, this.bigBox);
    this.editor = /** @type {HTMLDetailsElement} */ (
      h(
        "details",
        { class: "st-editor" },
        h("summary", {}, "Edit the network: every weight and bias, the input, the target, the loss, the optimizer"),
        h("div", { class: "st-modes", role: "group", "aria-label": "Edit as" }, this.editTabs),
        this.formNote,
        this.formRoot,
        this.jsonBox,
      )
    );
    this.editor.addEventListener("toggle", () => this.remember({ editorOpen: this.editor.open }));
    return this.editor;
  }

  /** @param {"form" | "json"} t */
  setEditTab(t) {
    this.tab = t;
    for (const b of this.editTabs) b.setAttribute("aria-pressed", String(b.dataset.edit === t));
    this.jsonBox.hidden = t !== "json";
    this.formRoot.hidden = t !== "form";
    this.formNote.hidden = t !== "form";
    if (t === "form") this.showFormState();
    this.remember({ tab: t });
  }

  // ---- the editor's text ---------------------------------------------------------------------

  /** Puts a spec in the editor: in the text area, or summarised when huge. @param {Source} src */
  setText(src) {
    this.text = src;
    const big = typeof src !== "string" || isBig(src);
    this.textBox.hidden = big;
    this.bigBox.hidden = !big;
    if (big) {
      this.specText.value = "";
      this.renderBigSummary();
    } else this.specText.value = /** @type {string} */ (src);
    this.jsonError.textContent = "";
  }

  renderBigSummary() {
    const c = this.custom;
    const T = c.trace && this.view.T && this.view.example?.kind === "custom" ? this.view.T : null;
    let weights = 0;
    for (const l of T ? T.layers : []) for (const p of l.raw.params) weights += p.before.length;
    const layers = T
      ? T.layers.map((/** @type {any} */ l) => (l.kind === "dense" ? `dense ${int(l.inSize)} → ${int(l.outSize)}` : l.kind))
      : [];
    const mb = (sizeOf(this.text) / 1e6).toFixed(1);
    this.bigBox.replaceChildren(
      h(
        "p",
        { class: "st-big-what" },
        h("strong", {}, c.name || "This spec"),
        ` is ${mb} MB of JSON`,
        T ? `: ${int(weights)} weights and biases in ${T.layers.length} layers (${layers.join(", ")}).` : ".",
      ),
      h(
        "p",
        { class: "hint" },
        `That is too big to edit in the page (the editor takes specs up to ${EDITOR_MAX_CHARS / 1000} kB). Download it, change it in a text editor, and import it again; the walk-through below shows all of it.`,
      ),
      h(
        "div",
        { class: "buttons" },
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            dataset: { action: "download-source" },
            onclick: () => this.view.exporter.downloadSource(),
          },
          "Download this spec",
        ),
        h("label", { class: "btn btn-small", for: "st-file" }, "Import a spec file"),
      ),
    );
  }

  /** The learner typed in the JSON editor: kept (even when broken), checked as JSON. */
  typed() {
    const text = this.specText.value;
    this.text = text;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      const problem = jsonProblem(text);
      this.jsonError.textContent = problem ? `Not valid JSON yet, ${problem}.` : "";
      this.remember({ draft: text === this.custom.source ? null : text });
    }, SAVE_DELAY_MS);
  }

  useJson() {
    const problem = jsonProblem(this.specText.value);
    if (problem) {
      this.jsonError.textContent = `This is not valid JSON, ${problem}.`;
      this.specError.textContent = "";
      return;
    }
    this.loadSpec(this.specText.value, { from: "json" });
  }

  /**
   * The form shows the spec in use, unless the JSON editor holds something else: then it says so
   * (and why, when the JSON is broken) instead of silently showing another network.
   */
  showFormState() {
    const draft = typeof this.text === "string" && this.text !== this.custom.source && !isBig(this.text) ? this.text : null;
    const problem = draft === null ? null : jsonProblem(draft);
    if (problem) {
      this.formNote.replaceChildren(
        h("p", { class: "form-error" }, `The spec JSON has an error, ${problem}. The form cannot show it until it is fixed.`),
        h(
          "div",
          { class: "buttons" },
          h("button", { type: "button", class: "btn btn-small", onclick: () => this.setEditTab("json") }, "Fix it in the JSON"),
          h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => this.discardDraft() }, "Discard the JSON edits"),
        ),
      );
      this.formRoot.hidden = true;
      return;
    }
    this.formNote.replaceChildren();
    this.formRoot.hidden = this.tab !== "form";
    if (draft !== null) this.renderSpecForm(JSON.parse(draft), { draft: true });
  }

  discardDraft() {
    this.setText(this.custom.source);
    this.remember({ draft: null });
    this.renderSpecForm(this.parse(this.custom.source));
    this.setEditTab("form");
  }

  /** The spec as an object, when it is small enough to edit (null otherwise). @param {Source} src */
  parse(src) {
    if (typeof src !== "string" || isBig(src)) return null;
    try {
      return JSON.parse(src);
    } catch {
      return null;
    }
  }

  /**
   * @param {any} spec
   * @param {{draft?: boolean}} [o] the spec is the JSON editor's, not yet used
   */
  renderSpecForm(spec, { draft = false } = {}) {
    if (!spec) {
      this.formRoot.replaceChildren(
        h(
          "p",
          { class: "hint st-form-problem" },
          "The form cannot show this spec: it is too big. Its JSON is summarised in the Spec JSON tab.",
        ),
      );
      return false;
    }
    const ok = renderForm(this.formRoot, spec, (next) => {
      const text = JSON.stringify(next, null, 2);
      this.setText(text);
      this.remember({ draft: text });
      clearTimeout(this.formTimer);
      this.formTimer = setTimeout(() => this.loadSpec(text, { from: "form" }), 250);
    });
    if (draft) this.formNote.replaceChildren(h("p", { class: "hint" }, "The form shows the spec JSON as edited (not used yet)."));
    return ok;
  }

  // ---- loading -------------------------------------------------------------------------------

  /** Reads what the last visit left; true when the learner was working on a tiny network. */
  async restore() {
    this.saved = await loadSpecRecord();
    if (this.saved?.editorOpen) this.editor.open = true;
    return !!this.saved?.source && this.saved.mode === "custom";
  }

  /** The tiny network mode opens: the network left (or saved), else the first preset. */
  enter() {
    const c = this.custom;
    const v = this.view;
    if (c.loaded) {
      v.example = { kind: "custom" };
      v.setTrace(c.trace, { picks: c.picks, stepId: c.stepId, meta: this.meta(c.trace), previous: c.previous });
      if (c.checks) v.checks = c.checks;
      this.updateInfo();
      return;
    }
    const s = this.saved;
    this.saved = null;
    if (s?.source) this.loadSaved(s);
    else this.loadPreset(this.presetSelect.value);
  }

  /** Keeps the network's walk-through while a digit is on show. @param {string | null} stepId */
  leave(stepId) {
    Object.assign(this.custom, { picks: this.view.P, stepId, checks: this.view.checks });
  }

  /** @param {import("./spec-store.js").SpecRecord} s */
  async loadSaved(s) {
    const ok = await this.loadSpec(s.source, {
      from: "restore",
      state: s.taken ? s.state : null,
      taken: s.taken || 0,
      losses: s.losses || [],
    });
    if (s.tab) this.setEditTab(s.tab);
    if (s.draft && s.draft !== s.source) {
      // The text being typed when the page closed, as it was (even if it is not valid JSON).
      this.setText(s.draft);
      const problem = typeof s.draft === "string" ? jsonProblem(s.draft) : null;
      if (problem) this.jsonError.textContent = `Not valid JSON yet, ${problem}.`;
      if (this.tab === "form") this.showFormState();
    }
    if (ok)
      this.view.status.textContent = `Restored from your last visit: ${this.custom.name || "your network"}${this.custom.taken ? `, after ${this.custom.taken} step${this.custom.taken === 1 ? "" : "s"}` : ""}.`;
  }

  /** @param {string} name */
  async loadPreset(name) {
    if (!name) return; // "your own spec": nothing to load
    const res = await fetch(new URL(`../../presets/${name}.json`, import.meta.url));
    if (!res.ok) {
      this.specError.textContent = `The preset ${name} could not be loaded (${res.status}).`;
      return;
    }
    await this.loadSpec(await res.text(), { from: "preset" });
  }

  async importFile() {
    const file = this.fileInput.files?.[0];
    if (!file) return;
    this.fileInput.value = "";
    // A big file stays a Blob: the worker reads it (and the core says what is wrong with it).
    const src = isBig(file) ? file : await file.text();
    this.editor.open = true;
    this.setEditTab("json");
    this.setText(src);
    const problem = typeof src === "string" ? jsonProblem(src) : null;
    if (problem) {
      this.jsonError.textContent = `${file.name} is not valid JSON, ${problem}.`;
      this.remember({ draft: src });
      return;
    }
    await this.loadSpec(src, { from: "file" });
  }

  /**
   * Sends a spec to the core; its error (naming the field) is shown if it is bad. `state` is the
   * core's own export of the network after `taken` steps (what a reload continues from).
   * @param {Source} text
   * @param {{from: "json" | "form" | "preset" | "file" | "restore" | "reset", state?: Source | null, taken?: number, losses?: number[]}} o
   */
  async loadSpec(text, { from, state = null, taken = 0, losses = [] }) {
    const v = this.view;
    const seq = ++v.seq;
    this.specError.textContent = "";
    if (from !== "form" && from !== "reset") this.setText(text);
    v.setBusy(true);
    v.status.textContent = isBig(text) ? `Reading a ${(sizeOf(text) / 1e6).toFixed(1)} MB spec and computing its first step…` : "";
    let created;
    try {
      created = await v.client.request("specCreate", { lab: LAB, json: state ?? text });
    } catch (e) {
      if (seq === v.seq) v.setBusy(false);
      this.rejected(e.message, from);
      return false;
    }
    if (from === "form") markFieldError(this.formRoot, null);
    this.custom = { ...this.fresh(), loaded: true, source: text, name: created.name, taken, losses };
    // Which preset this is, if it is one as given.
    if (from !== "preset" && from !== "reset") this.presetSelect.value = "";
    if (from !== "form" && from !== "reset") this.renderSpecForm(this.parse(text));
    if (from === "json" || from === "file") {
      if (!this.parse(text) || formProblem(this.parse(text))) this.setEditTab("json");
    }
    this.remember({ source: text, draft: null, taken, losses, state: taken ? state : null });
    const trace = await v.requestTrace("specPeek", { lab: LAB });
    this.custom.trace = trace;
    if (seq !== v.seq) return false;
    v.setBusy(false);
    v.status.textContent = "";
    if (v.mode !== "custom") return true;
    v.example = { kind: "custom" };
    v.setTrace(trace, { keepStep: from === "form" || from === "reset", meta: this.meta(trace) });
    if (this.textBox.hidden) this.renderBigSummary();
    this.updateInfo();
    return true;
  }

  /**
   * The core refused a spec: its message, and on the form the field it names.
   * @param {string} message @param {string} from
   */
  rejected(message, from) {
    this.specError.textContent = `The core rejected this spec: ${message}`;
    if (from === "form") markFieldError(this.formRoot, message);
    // Nothing is lost: the text stays in the editor and in the store.
    this.remember({ draft: this.text });
  }

  /**
   * Takes n steps. They are taken in the core without tracing (a trace holds every weight several
   * times over: ten of them for "Take 10 steps" of a big network would be ten copies), except the
   * last when the diagram draws the step just taken beside the next one; then the next step is
   * traced, to be shown.
   * @param {number} n
   */
  async takeSteps(n) {
    const v = this.view;
    const c = this.custom;
    if (!c.loaded || v.busy) return;
    v.setBusy(true);
    try {
      const drawPrevious = v.diagram.canDraw(v.T);
      const untraced = drawPrevious ? n - 1 : n;
      if (untraced > 0) {
        if (n > 1) v.status.textContent = `Taking ${n} steps…`;
        const losses = await v.client.request("specAdvance", { lab: LAB, steps: untraced });
        c.losses.push(...losses);
        c.taken += losses.length;
      }
      let previous = null;
      if (drawPrevious) {
        previous = await v.requestTrace("specStep", { lab: LAB });
        c.losses.push(previous.loss.value);
        c.taken += 1;
      }
      c.previous = previous;
      const trace = await v.requestTrace("specPeek", { lab: LAB });
      c.trace = trace;
      v.setTrace(trace, { keepStep: true, meta: this.meta(trace), previous });
      v.status.textContent = "";
      this.updateInfo();
      this.remember({ taken: c.taken, losses: c.losses });
      this.saveState();
    } catch (e) {
      this.specError.textContent = e.message;
    } finally {
      v.setBusy(false);
    }
  }

  /** Keeps the network after the steps taken (weights and optimizer state), for a reload. */
  async saveState() {
    const c = this.custom;
    const taken = c.taken;
    try {
      const state = await this.view.client.request("specExport", { lab: LAB, blob: true });
      if (this.custom === c && c.taken === taken) this.remember({ state, taken });
    } catch (e) {
      this.saveNote.textContent = `The steps taken could not be kept for your next visit: ${e.message}`;
    }
  }

  /**
   * A restarted worker has no tiny network: it gets the one the store kept (after the steps
   * taken), so that the next step goes on where the last one stopped.
   */
  async reattach() {
    const c = this.custom;
    if (!c.loaded) return;
    const s = await loadSpecRecord();
    try {
      await this.view.client.request("specCreate", { lab: LAB, json: (s?.taken ? s.state : s?.source) ?? c.source });
      if (s) c.taken = s.taken || 0;
    } catch (e) {
      this.specError.textContent = `Your network could not be rebuilt after the worker restarted: ${e.message}`;
    }
  }

  async resetLab() {
    const c = this.custom;
    if (!c.loaded || this.view.busy) return;
    await this.loadSpec(c.source, { from: "reset" });
  }

  /**
   * Saves part of the record, saying so if the browser refuses.
   * @param {import("./spec-store.js").SpecRecord} changes
   */
  async remember(changes) {
    const error = await saveSpecRecord(changes);
    this.saveNote.textContent = error ? `Your network could not be saved in this browser (${error.message}); export it to keep it.` : "";
  }

  // ---- what the walk-through says about the network -----------------------------------------

  /** The walk-through's title and subtitle (the same as `npm run walkthrough` writes). @param {any} trace */
  meta(trace) {
    return specMeta({ name: this.custom.name, trace });
  }

  updateInfo() {
    const c = this.custom;
    const trace = c.trace;
    if (!trace) return;
    this.stepInfo.replaceChildren(
      `Steps taken: `,
      h("strong", { dataset: { key: "steps-taken", value: String(c.taken) } }, String(c.taken)),
      ` · the walk-through shows step ${trace.optimizer.t}, which would take the loss from `,
      num(trace.loss.value, "custom-loss"),
      ".",
    );
    this.lossSpark.replaceChildren();
    if (!c.losses.length) return;
    const all = [...c.losses, trace.loss.value];
    this.lossSpark.append(
      sparkline(all),
      h(
        "span",
        { class: "hint" },
        `Loss at each step: ${all
          .slice(-6)
          .map((x) => fmt(x, 5))
          .join(", ")}${all.length > 6 ? " (the last six)" : ""}`,
      ),
    );
  }
}

/** The loss over the steps taken, as a small line. @param {number[]} values */
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
  svg.setAttribute("width", String(w));
  svg.setAttribute("height", String(hgt));
  svg.setAttribute("class", "st-sparkline");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Loss over ${values.length} steps, from ${fmt(values[0], 4)} to ${fmt(values[values.length - 1], 4)}`);
  const line = document.createElementNS(NS, "polyline");
  line.setAttribute("points", pts.join(" "));
  svg.append(line);
  return svg;
}
