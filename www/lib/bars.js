// @ts-check
// Ten probability bars, one per digit, as a list a screen reader can read ("7: 92.3%"). The digit
// the model reads (the core's `class`) is highlighted; the bars do not pick it themselves.

import { el } from "./ui.js";

/**
 * @typedef {{probs: ArrayLike<number>, class: number}} Prediction
 * @returns {{root: HTMLElement, update(prediction: Prediction | null, marks?: {truth?: number}): void}}
 */
export function probabilityBars(label = "Probability of each digit") {
  const rows = [];
  const root = el(
    "ol",
    { class: "prob-bars", "aria-label": label, start: 0 },
    Array.from({ length: 10 }, (_, d) => {
      const fill = el("span", { class: "prob-fill" });
      const value = el("span", { class: "prob-value" }, "–");
      const li = el(
        "li",
        { class: "prob-row" },
        el("span", { class: "prob-digit" }, String(d)),
        el("span", { class: "prob-track" }, fill),
        value,
      );
      rows.push({ li, fill, value });
      return li;
    }),
  );

  /** @param {Prediction | null} prediction @param {{truth?: number}} [marks] */
  function update(prediction, marks = {}) {
    const probs = prediction?.probs;
    rows.forEach(({ li, fill, value }, d) => {
      const p = probs ? probs[d] : 0;
      fill.style.transform = `scaleX(${Number.isFinite(p) ? Math.max(0, Math.min(1, p)) : 0})`;
      value.textContent = probs ? `${(100 * p).toFixed(1)}%` : "–";
      li.classList.toggle("top", d === prediction?.class);
      li.classList.toggle("truth", d === marks.truth);
    });
  }
  update(null);
  return { root, update };
}
