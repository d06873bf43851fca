// @ts-check
// Fine-tuning on your own digits (src/finetune.rs): the settings (defaults and limits from the
// core's vocabulary), the run in the worker a piece at a time with its progress, and the
// before/after accuracy on the held-out part of your digits and on MNIST's test set. The
// fine-tuned model becomes the model, saved like a trained one. The last result is kept across
// reloads.

import { el, setChildren, columnHeads, pct, int, num, field } from "../../lib/ui.js";
import vocabulary from "../../lib/vocabulary.js";

const RESULT_KEY = "backprop-lab:finetune-result";
const D = vocabulary.draw.finetune;
const L = vocabulary.limits;

/**
 * @param {any} app
 * @param {{set: () => {pixels: Uint8Array, labels: Uint8Array}, count: () => number}} own
 */
export function fineTunePanel(app, own) {
  const { client } = app;
  const input = (/** @type {number} */ value, /** @type {object} */ attrs) =>
    /** @type {HTMLInputElement} */ (el("input", { type: "number", value, inputmode: "decimal", ...attrs }));
  const steps = input(D.steps, { min: L.finetune_steps.min, max: L.finetune_steps.max, step: 1 });
  const share = input(D.user_share, { min: 0, max: 1, step: 0.05 });
  const holdout = input(D.holdout, { min: 0, max: 0.95, step: 0.05 });
  const start = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn btn-primary", onclick: run }, "Fine-tune on your digits")
  );
  const cancel = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn", hidden: true, onclick: () => (stopped = true) }, "Stop")
  );
  const bar = /** @type {HTMLProgressElement} */ (el("progress", { max: 1, value: 0, hidden: true, "aria-label": "Fine-tuning" }));
  const note = el("p", { class: "hint", role: "status" });
  const results = el("div", { class: "finetune-results" });
  let running = false;
  let stopped = false;

  const root = el(
    "section",
    { class: "finetune" },
    el("h3", {}, "Teach it your handwriting"),
    el(
      "p",
      { class: "hint" },
      "Fine-tuning goes on training the current model on your digits, each batch mixed with MNIST's so that it does not forget. ",
      "Part of your digits is held out, never learnt from, to measure whether it helped.",
    ),
    el(
      "div",
      { class: "finetune-form" },
      field("Steps", steps, L.finetune_steps.text),
      field("Share of your digits in each batch", share, L.user_share.text),
      field("Share held out", holdout, L.holdout.text),
    ),
    el("div", { class: "buttons" }, start, cancel, bar),
    note,
    results,
  );

  /** @param {import("../../protocol.js").FineTuneProgress} p */
  function showResult(p) {
    if (!p.before || !p.after) return setChildren(results);
    const row = (
      /** @type {string} */ what,
      /** @type {import("../../protocol.js").Score | null} */ b,
      /** @type {import("../../protocol.js").Score | null} */ a,
    ) =>
      el(
        "tr",
        {},
        el("th", { scope: "row" }, what),
        el("td", {}, b ? `${pct(b.accuracy)} (${int(b.correct)}/${int(b.count)})` : "—"),
        el("td", {}, a ? `${pct(a.accuracy)} (${int(a.correct)}/${int(a.count)})` : "—"),
      );
    setChildren(
      results,
      el(
        "table",
        { class: "finetune-table" },
        el("caption", {}, `After ${int(p.steps_done)} steps on ${int(p.train_count)} of your digits`),
        columnHeads("Accuracy on", "before", "after"),
        el(
          "tbody",
          {},
          row(`your ${int(p.held_out_count)} held-out digits`, p.before.held_out, p.after.held_out),
          row("MNIST's test set", p.before.mnist_test, p.after.mnist_test),
        ),
      ),
      p.held_out_count ? null : el("p", { class: "hint" }, "None of your digits was held out, so only MNIST measures the result."),
    );
  }

  /** @param {import("../../protocol.js").FineTuneProgress} p */
  function showProgress(p) {
    bar.hidden = false;
    if (p.phase === "before" || p.phase === "after") {
      const total = Math.max(1, p.mnist_test);
      bar.value = (p.phase === "before" ? 0 : 0.9) + 0.1 * (p.evaluated / total);
      note.textContent = `${p.phase === "before" ? "Measuring the model as it is" : "Measuring the fine-tuned model"}: ${int(p.evaluated)} of ${int(total)} MNIST test digits.`;
    } else if (p.phase === "training") {
      bar.value = 0.1 + 0.8 * (p.steps_done / p.steps);
      note.textContent = `Step ${int(p.steps_done)} of ${int(p.steps)}${p.loss == null ? "" : `, loss ${num(p.loss)}`} (${int(p.train_count)} of your digits, ${int(p.held_out_count)} held out).`;
    }
  }

  /** The form's values; the core checks them (src/finetune.rs, its limits in src/vocabulary.rs). */
  function settings() {
    return { steps: Number(steps.value), user_share: Number(share.value), holdout: Number(holdout.value) };
  }

  async function run() {
    if (running) return;
    running = true;
    stopped = false;
    start.disabled = true;
    cancel.hidden = false;
    try {
      const config = settings();
      await app.dataReady;
      let p = await client.request("fineTuneStart", { ...own.set(), config });
      showProgress(p);
      for (;;) {
        if (stopped) {
          await client.request("fineTuneCancel");
          note.textContent = "Stopped; the model is as it was.";
          break;
        }
        const r = await client.request("fineTuneAdvance");
        p = r;
        showProgress(p);
        if (r.phase === "done") {
          app.modelOrigin = "finetuned";
          app.setModel(r.describe, "finetuned");
          if (r.evaluation) app.setEvaluation(r.evaluation);
          app.autosave();
          note.textContent = "Done: the fine-tuned model is now the model (saved in this browser, like a trained one).";
          showResult(p);
          try {
            localStorage.setItem(RESULT_KEY, JSON.stringify(p));
          } catch {
            // Storage full or disabled: the table just won't survive a reload.
          }
          break;
        }
      }
    } catch (e) {
      note.textContent = `Fine-tuning failed: ${e.message}`;
    } finally {
      running = false;
      bar.hidden = true;
      cancel.hidden = true;
      update();
    }
  }

  function update() {
    const n = own.count();
    start.disabled = running || n === 0;
    if (!running && n === 0) note.textContent = "Keep a few digits of yours first (ten of each is a good start).";
    else if (!running && note.textContent.startsWith("Keep a few")) note.textContent = "";
  }

  try {
    const saved = JSON.parse(localStorage.getItem(RESULT_KEY) || "null");
    if (saved?.before && saved?.after) showResult(saved);
  } catch {
    // A damaged record: no table.
  }

  return { root, update };
}
