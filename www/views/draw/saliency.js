// @ts-check
// "Why did it read a 7?": the saliency map of the Draw view. For the drawing and a class (the one
// the network reads, or one the user picks), the gradient of that class's logit with respect to
// each of the 784 input pixels, computed in the worker by the core's own backward pass
// (src/saliency.rs) and painted as a signed heat map. The colour scale runs from −max to +max,
// where max (the largest magnitude) comes with the map from the core.

import { el, num, uid } from "../../lib/ui.js";
import { paintDiverging, divergingCss } from "../../lib/pixels.js";

const STORAGE_KEY = "backprop-lab:saliency-class";

/** The class picked last time ("predicted" or a digit), kept across reloads. */
function loadPick() {
  const v = localStorage.getItem(STORAGE_KEY);
  return v != null && /^[0-9]$/.test(v) ? Number(v) : null;
}

/** @param {{onPick: () => void}} hooks */
export function saliencyPanel({ onPick }) {
  /** @type {number | null} null: the predicted class */
  let picked = loadPick();
  const name = uid("sal");
  const map = /** @type {HTMLCanvasElement} */ (el("canvas", { width: 28, height: 28, class: "digit saliency-map", role: "img" }));
  const title = el("p", { class: "saliency-title" });
  const low = el("span", { class: "legend-low" });
  const high = el("span", { class: "legend-high" });
  const bar = el("span", { class: "legend-bar", "aria-hidden": "true" });
  bar.style.background = `linear-gradient(to right, ${[-1, -0.5, 0, 0.5, 1].map((v) => divergingCss(v)).join(", ")})`;
  const meaning = el("p", { class: "hint legend-text" });

  /** A radio per choice; arrow keys move between them (a native radio group). */
  const choice = (/** @type {number | null} */ value, /** @type {string} */ text) => {
    const input = /** @type {HTMLInputElement} */ (
      el("input", { type: "radio", name, value: value == null ? "predicted" : String(value), checked: value === picked })
    );
    input.addEventListener("change", () => {
      if (!input.checked) return;
      picked = value;
      try {
        if (value == null) localStorage.removeItem(STORAGE_KEY);
        else localStorage.setItem(STORAGE_KEY, String(value));
      } catch {
        // Storage disabled: the pick just won't survive a reload.
      }
      onPick();
    });
    return el("label", { class: "chip" }, input, el("span", {}, text));
  };
  const predictedText = el("span", {}, "What it reads");
  const predictedChoice = choice(null, "");
  predictedChoice.querySelector("span").replaceWith(predictedText);
  const picker = el(
    "fieldset",
    { class: "class-picker" },
    el("legend", {}, "Explain the score of"),
    predictedChoice,
    Array.from({ length: 10 }, (_, d) => choice(d, String(d))),
  );

  const root = el(
    "section",
    { class: "saliency", "aria-label": "Why: which ink made the answer" },
    el("h3", {}, "Why? Which pixels push the answer"),
    picker,
    el(
      "div",
      { class: "saliency-body" },
      el("figure", { class: "saliency-figure" }, map),
      el("div", { class: "saliency-legend" }, title, el("div", { class: "legend-scale" }, low, bar, high)),
    ),
    meaning,
    el(
      "details",
      { class: "hint why-logit" },
      el("summary", {}, "Why the logit, and how it is computed"),
      el(
        "p",
        {},
        "The score is the class's logit z, the network's output just before softmax, not its probability p. ",
        "The probability's gradient, ∂p/∂x = p (∂z/∂x − Σ p_j ∂z_j/∂x), fades to nothing when the network is sure and mixes in the other classes; ",
        "the logit's speaks of this class alone. It is computed by the same backward pass that trains the network, carried one layer further, to the pixels. ",
        "The digit's ink is shaded dark over the colours.",
      ),
    ),
  );

  return {
    root,
    /** The class to explain: null for the predicted one. */
    picked: () => picked,
    /**
     * @param {import("../../protocol.js").Saliency | null} s
     * @param {Float32Array} [image] the input it explains (28x28 in [0, 1]), shaded over the colours
     */
    show(s, image) {
      if (!s) {
        paintDiverging(map, new Float32Array(784), 28, 28, 1);
        title.textContent = "Draw a digit to see which of its pixels made the answer.";
        low.textContent = high.textContent = "";
        meaning.textContent = "";
        map.setAttribute("aria-label", "No drawing yet");
        predictedText.textContent = "What it reads";
        return;
      }
      const k = s.class;
      predictedText.textContent = `What it reads (${s.predicted})`;
      paintDiverging(map, s.grad, 28, 28, s.max_abs || 1);
      if (image) shadeInk(map, image);
      title.textContent =
        picked == null ? `Why a ${k}: the gradient of the ${k}'s score` : `What would make it a ${k}: the gradient of the ${k}'s score`;
      low.textContent = num(-s.max_abs, 3);
      high.textContent = `+${num(s.max_abs, 3)}`;
      meaning.textContent = `Orange: more ink here would raise the score of ${k}. Blue: more ink here would lower it. White: no effect. Each pixel's colour is ∂z${sub(k)}/∂x, the change of the logit per unit of ink, from ${num(-s.max_abs, 3)} to +${num(s.max_abs, 3)}.`;
      map.setAttribute("aria-label", `Saliency map of class ${k}, from ${num(-s.max_abs, 3)} (blue) to +${num(s.max_abs, 3)} (orange)`);
    },
  };
}

/** Darkens each pixel of the map by the ink there, so the digit shows through the colours. */
function shadeInk(/** @type {HTMLCanvasElement} */ canvas, /** @type {Float32Array} */ image) {
  const ctx = canvas.getContext("2d");
  const img = ctx.getImageData(0, 0, 28, 28);
  for (let i = 0; i < 784; i++) {
    const k = 1 - 0.45 * Math.max(0, Math.min(1, image[i]));
    for (let c = 0; c < 3; c++) img.data[4 * i + c] *= k;
  }
  ctx.putImageData(img, 0, 0);
}

/** A digit as a Unicode subscript. */
const sub = (/** @type {number} */ d) => "₀₁₂₃₄₅₆₇₈₉"[d];
