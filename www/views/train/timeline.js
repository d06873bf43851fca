// @ts-check
// The timeline of the run: a slider over its snapshots (the core's timeline keeps them, dense early
// and at every epoch's end, within the vocabulary's memory bound) and, at its right end, the model
// in training. Moving it shows the model as it was in every view: the charts' marker, the weights
// view, the drawing's reading, the test results of the nearest epoch. From any point, training can
// go on (with the optimizer's state of that point, so it really continues).

import { el, int, bytes, uid } from "../../lib/ui.js";
import vocabulary from "../../lib/vocabulary.js";

/** @typedef {import("../../protocol.js").Timeline} Timeline */
/** @typedef {import("../../protocol.js").TimelineEntry} TimelineEntry */

/** A point in words: "step 938, the end of epoch 1", "step 200, in epoch 1". */
export function pointName(/** @type {TimelineEntry} */ e) {
  if (e.epoch_end) return `step ${int(e.step)}, the end of epoch ${e.epoch}`;
  return e.step === 0 ? "step 0, before any training" : `step ${int(e.step)}, in epoch ${e.epoch + 1}`;
}

/**
 * @param {any} app the page (main.js)
 * @param {{onContinue: (entry: TimelineEntry) => Promise<void>}} hooks
 */
export function timelineCard(app, { onContinue }) {
  const id = uid("timeline");
  const input = /** @type {HTMLInputElement} */ (
    el("input", { type: "range", id, min: "0", max: "0", step: "1", value: "0", class: "timeline-range", disabled: true })
  );
  // Where the epochs end along the slider (its positions are snapshots, dense early on).
  const ticks = el("div", { class: "timeline-ticks", "aria-hidden": "true" });
  const where = el("p", { class: "timeline-where", "aria-live": "polite" });
  const nowBtn = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn btn-small", onclick: () => moveTo(entries.length) }, "Back to now")
  );
  const continueBtn = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn btn-small", onclick: continueHere }, "Continue training from here")
  );
  const memory = el("p", { class: "hint timeline-memory" });
  const root = el(
    "section",
    { class: "card timeline-card", "aria-labelledby": `${id}-h` },
    el("h3", { id: `${id}-h` }, "Timeline"),
    el(
      "p",
      { class: "hint" },
      "Snapshots of this run: often early on, when the weights change fastest, and at every epoch's end. Move the slider to see the model as it was: in the charts, the weights, your drawing and the test results.",
    ),
    el("div", { class: "timeline-row" }, el("label", { for: id, class: "visually-hidden" }, "Point of the run to show"), input),
    ticks,
    where,
    el("div", { class: "buttons" }, nowBtn, continueBtn),
    memory,
  );

  /** @type {TimelineEntry[]} */
  let entries = [];
  let busy = false;
  /** @type {number | null} a position asked for while the worker was busy */
  let wanted = null;

  /** The slider's position of the point shown (or on its way): an entry's index, or entries.length for now. */
  function position() {
    if (busy) return Number(input.value);
    if (!app.viewing) return entries.length;
    const i = entries.findIndex((e) => e.step === app.viewing.step);
    return i < 0 ? entries.length : i;
  }

  function describe(/** @type {number} */ i) {
    if (i >= entries.length) {
      const m = app.model;
      return m ? `Now: the model in training, at step ${int(m.step)}.` : "Now: the model in training.";
    }
    return `Showing ${pointName(entries[i])}.`;
  }

  function render() {
    const t = /** @type {Timeline | null} */ (app.timeline);
    entries = t?.entries ?? [];
    input.max = String(entries.length);
    input.disabled = entries.length === 0;
    const i = position();
    input.value = String(i);
    const text = i >= entries.length ? "now, the model in training" : pointName(entries[i]);
    input.setAttribute("aria-valuetext", text);
    where.textContent = entries.length
      ? describe(i)
      : "No snapshots yet: they are taken as the model trains, starting with its first step.";
    const tick = (/** @type {number} */ at, /** @type {string} */ text) => {
      const t = el("span", { class: "timeline-tick" }, text);
      t.style.left = `${(100 * at) / Math.max(1, entries.length)}%`;
      return t;
    };
    ticks.replaceChildren(
      ...(entries.length
        ? [tick(0, "start"), ...entries.flatMap((e, k) => (e.epoch_end ? [tick(k, `epoch ${e.epoch}`)] : [])), tick(entries.length, "now")]
        : []),
    );
    nowBtn.disabled = i >= entries.length;
    const busyTraining = app.state === "training" || app.state === "evaluating";
    continueBtn.disabled = i >= entries.length;
    continueBtn.title = busyTraining ? "Pauses training, then goes on from this point" : "";
    memory.textContent = `${entries.length} snapshot${entries.length === 1 ? "" : "s"}, ${bytes(t?.held ?? 0)} of the ${bytes(vocabulary.timeline.bytes)} allowed; older ones thin out when it is full.`;
  }

  /** Shows the point at slider position `i` (the last request wins; one at a time). */
  async function moveTo(/** @type {number} */ i) {
    if (busy) return void (wanted = i);
    busy = true;
    try {
      const step = i >= entries.length ? null : entries[i].step;
      if ((app.viewing?.step ?? null) !== step) await app.view(step);
    } catch (e) {
      where.textContent = `Could not show this point: ${e.message}`;
    } finally {
      busy = false;
      if (wanted != null) {
        const w = wanted;
        wanted = null;
        moveTo(w);
      } else render();
    }
  }

  async function continueHere() {
    const i = position();
    if (i >= entries.length) return;
    const e = entries[i];
    continueBtn.disabled = true;
    try {
      await onContinue(e);
    } catch (err) {
      where.textContent = `Could not continue from ${pointName(e)}: ${err.message}`;
    }
    render();
  }

  input.addEventListener("input", () => {
    const i = Number(input.value);
    where.textContent = describe(i);
    moveTo(i);
  });

  /** After a training step: the words for "now" name the latest step. */
  function stepped() {
    if (entries.length && !busy && position() >= entries.length) where.textContent = describe(entries.length);
  }

  app.on("timeline", render);
  app.on("timepoint", render);
  app.on("state", render);
  app.on("model", render);
  render();
  return { root, render, stepped };
}
