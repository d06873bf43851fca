// @ts-check
// The training view's two charts: the loss of every step (with a smoothed curve) and the accuracy
// after each epoch, on the training and the test digits, with a marker at the point the timeline
// shows. Their history is saved with the model, so a reload draws them again.

import { el, int, pct, num } from "../../lib/ui.js";
import { LineChart, decimalsFor } from "../../lib/plot.js";

/** Smoothing of the loss curve: an exponential moving average over about 1/(1-β) = 50 steps. */
const SMOOTH_BETA = 0.98;

/**
 * @typedef {{epoch: number, train: number, test: number}} AccuracyRow
 * @typedef {{lossXs: number[], lossRaw: number[], accRows: AccuracyRow[]}} History
 */

/** @param {{epochs: number}} settings the page's settings (the accuracy chart spans the epochs planned) */
export function trainingCharts(settings) {
  const lossChart = new LineChart({
    label: "Training loss at each step",
    xName: "step",
    series: [
      { name: "loss (each batch)", color: "#93c5fd", width: 1 },
      { name: "smoothed", color: "#1d4ed8", width: 2.5 },
    ],
    format: (y, step) => (step ? y.toFixed(decimalsFor(step)) : num(y)),
    empty: "The loss appears here while training",
    summary: (xs, ys) => (xs.length ? `${int(xs.length)} steps; last smoothed loss ${num(ys[1][ys[1].length - 1])}.` : "No steps yet."),
  });
  const accChart = new LineChart({
    label: "Accuracy after each epoch",
    xName: "epoch",
    series: [
      { name: "training digits", color: "#b35806", width: 2, dots: true },
      { name: "test digits", color: "#1d4ed8", width: 2.5, dots: true },
    ],
    format: (y, step) => (!Number.isFinite(y) ? "–" : step ? pct(y, decimalsFor(step * 100)) : pct(y, 2)),
    yBounds: [0, 1],
    // Epoch 0 (before training) to the last epoch planned, so the first point is not at the edge.
    xDomain: (x0, x1) => [0, Math.max(x1, settings.epochs, 1)],
    xTicks: (x0, x1) => (x1 <= 10 ? Array.from({ length: x1 + 1 }, (_, i) => i) : [0, Math.round(x1 / 2), x1]),
    empty: "Accuracy appears after the first epoch",
    tableRows: 100,
    summary: (xs, ys) =>
      xs.length ? `After epoch ${xs[xs.length - 1]}: ${pct(ys[1][ys[1].length - 1], 2)} of test digits right.` : "No epochs yet.",
  });
  const root = el(
    "div",
    { class: "charts" },
    el(
      "section",
      { class: "card" },
      el("h3", {}, "Loss"),
      el("p", { class: "hint" }, "How wrong the model is on each batch of training digits. Lower is better."),
      lossChart.root,
    ),
    el(
      "section",
      { class: "card" },
      el("h3", {}, "Accuracy"),
      el(
        "p",
        { class: "hint" },
        "The share of digits read right: on the training digits (averaged over the epoch, while it was still learning) and on test digits it never trains on.",
      ),
      accChart.root,
    ),
  );

  // Loss history (raw from the worker) and its smoothed curve, for display.
  let lossXs = [],
    lossRaw = [],
    lossSmooth = [],
    ema = 0,
    emaSteps = 0;
  /** @type {AccuracyRow[]} */
  let accRows = [];

  /** Adds the losses of consecutive steps from `firstStep` on. */
  function addLosses(firstStep, losses) {
    for (let i = 0; i < losses.length; i++) {
      const v = losses[i];
      lossXs.push(firstStep + i);
      lossRaw.push(v);
      if (Number.isFinite(v)) {
        ema = SMOOTH_BETA * ema + (1 - SMOOTH_BETA) * v;
        emaSteps++;
      }
      // Bias correction, as in Adam: an average that starts at 0 is too small for a while.
      lossSmooth.push(emaSteps ? ema / (1 - SMOOTH_BETA ** emaSteps) : NaN);
    }
    lossChart.set(lossXs, [lossRaw, lossSmooth]);
  }

  function drawAccuracy() {
    accChart.set(
      accRows.map((r) => r.epoch),
      [accRows.map((r) => r.train), accRows.map((r) => r.test)],
    );
  }

  /** @param {AccuracyRow} row */
  function addEpoch(row) {
    accRows.push(row);
    drawAccuracy();
  }

  function clear() {
    ((lossXs = []), (lossRaw = []), (lossSmooth = []), (ema = 0), (emaSteps = 0));
    accRows = [];
    lossChart.set(lossXs, [lossRaw, lossSmooth]);
    drawAccuracy();
  }

  /** @returns {History} */
  const history = () => ({ lossXs: [...lossXs], lossRaw: [...lossRaw], accRows: [...accRows] });

  /** @param {History | null} h */
  function restore(h) {
    clear();
    if (!h) return;
    if (h.lossXs?.length) {
      // Consecutive runs of steps, as they were recorded.
      let i = 0;
      while (i < h.lossXs.length) {
        let j = i + 1;
        while (j < h.lossXs.length && h.lossXs[j] === h.lossXs[j - 1] + 1) j++;
        addLosses(h.lossXs[i], h.lossRaw.slice(i, j));
        i = j;
      }
    }
    accRows = h.accRows || [];
    drawAccuracy();
  }

  /**
   * Marks the point the timeline shows: `step` on the loss chart, and the epoch whose results are
   * shown on the accuracy chart (null: no marker).
   * @param {number | null} step @param {number | null} epoch
   */
  function view(step, epoch) {
    lossChart.setMarker(step, step == null ? "" : `step ${int(step)}`);
    accChart.setMarker(epoch, epoch == null ? "" : `epoch ${epoch}`);
  }

  /** Forgets what came after `step` (epoch `epoch`): training goes on from there instead. */
  function truncate(/** @type {number} */ step, /** @type {number} */ epoch) {
    const h = history();
    const keep = h.lossXs.findIndex((x) => x > step);
    if (keep >= 0) {
      h.lossXs = h.lossXs.slice(0, keep);
      h.lossRaw = h.lossRaw.slice(0, keep);
    }
    h.accRows = h.accRows.filter((r) => r.epoch <= epoch);
    restore(h);
  }

  return { root, addLosses, addEpoch, clear, history, restore, view, truncate, settingsChanged: () => accChart.changed() };
}
