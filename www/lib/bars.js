// Ten probability bars, one per digit, as a list a screen reader can read ("7: 92.3%").

import { el } from "./ui.js";

/** @returns {{root: HTMLElement, update(probs: ArrayLike<number>|null, marks?: {truth?: number}): void}} */
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

  function update(probs, marks = {}) {
    let top = -1;
    if (probs) for (let d = 0; d < 10; d++) if (top < 0 || probs[d] > probs[top]) top = d;
    rows.forEach(({ li, fill, value }, d) => {
      const p = probs ? probs[d] : 0;
      fill.style.transform = `scaleX(${Number.isFinite(p) ? Math.max(0, Math.min(1, p)) : 0})`;
      value.textContent = probs ? `${(100 * p).toFixed(1)}%` : "–";
      li.classList.toggle("top", d === top);
      li.classList.toggle("truth", d === marks.truth);
    });
  }
  update(null);
  return { root, update };
}
