// @ts-check
// Every layer at a glance: a histogram of its weights and one of its last update, both counted by
// the core (src/summary.rs); this file only paints them.

import { el, int, num } from "../../lib/ui.js";

/** @typedef {import("../../protocol.js").LayerSummary} LayerSummary */
/** @typedef {import("../../protocol.js").Histogram} Histogram */

function layerName(/** @type {import("../../protocol.js").LayerSpec} */ spec) {
  if (spec.type === "dense") return `dense ${spec.inputs} → ${spec.outputs}`;
  if (spec.type === "conv2d") return `conv ${spec.out_channels} × ${spec.kernel}×${spec.kernel}`;
  return spec.type;
}

/** Paints the counts as bars (square-root heights), with a grey line at 0. */
function paintHist(/** @type {HTMLCanvasElement} */ canvas, /** @type {Histogram | null} */ h, /** @type {string} */ color) {
  const dpr = window.devicePixelRatio || 1;
  const W = Math.round((canvas.clientWidth || 240) * dpr);
  const H = Math.round((canvas.clientHeight || 80) * dpr);
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, W, H);
  if (!h) return;
  const max = Math.max(...h.counts) || 1;
  const bw = W / h.counts.length;
  ctx.fillStyle = color;
  h.counts.forEach((c, i) => {
    // Square-root height: the tails stay visible beside a tall middle.
    const bh = Math.sqrt(c / max) * (H - 2);
    ctx.fillRect(i * bw + 0.5, H - bh, Math.max(1, bw - 1), bh);
  });
  if (h.min < 0 && h.max > 0) {
    const x0 = ((0 - h.min) / (h.max - h.min)) * W;
    ctx.fillStyle = "#6b7280";
    ctx.fillRect(Math.round(x0), 0, Math.max(1, dpr), H);
  }
}

/** One layer's pair of histograms. */
function layerNode(/** @type {LayerSummary} */ s) {
  const w = /** @type {HTMLCanvasElement} */ (el("canvas", { class: "hist", role: "img" }));
  const u = /** @type {HTMLCanvasElement} */ (el("canvas", { class: "hist", role: "img" }));
  const wText = el("p", { class: "hint" });
  const uText = el("p", { class: "hint" });
  const root = el(
    "div",
    { class: "hist-layer" },
    el(
      "h4",
      {},
      `Layer ${s.index}: ${layerName(s.spec)}`,
      el("span", { class: "hint" }, ` · ${int(s.weight_shape.reduce((a, b) => a * b, 1))} weights`),
    ),
    el(
      "div",
      { class: "hist-pair" },
      el("figure", {}, el("figcaption", {}, "Weights"), w, wText),
      el("figure", {}, el("figcaption", {}, "Last update"), u, uText),
    ),
  );
  /** @param {LayerSummary} s */
  function draw(s) {
    paintHist(w, s.weights, "#1d4ed8");
    wText.textContent = `${num(s.weights.min, 2)} to ${num(s.weights.max, 2)} · mean ${num(s.weights.mean, 2)} · spread (std) ${num(s.weights.std, 2)}`;
    w.setAttribute("aria-label", `Histogram of layer ${s.index}'s weights: ${wText.textContent}`);
    const none = s.last_update.min === 0 && s.last_update.max === 0;
    paintHist(u, none ? null : s.last_update, "#b35806");
    uText.textContent = none
      ? "No training step yet."
      : `${num(s.last_update.min, 2)} to ${num(s.last_update.max, 2)} · spread (std) ${num(s.last_update.std, 2)}`;
    u.setAttribute("aria-label", `Histogram of layer ${s.index}'s last update: ${uText.textContent}`);
  }
  return { root, draw };
}

export function histogramsCard() {
  const list = el("div", { class: "hists" });
  const root = el(
    "section",
    { class: "card" },
    el("h3", {}, "Every layer at a glance"),
    el(
      "p",
      { class: "hint" },
      "How the weights of each layer are spread, and how big the last training step was for each weight. Updates far smaller than the weights mean slow, careful learning; updates as big as the weights mean trouble.",
    ),
    list,
  );
  /** @type {Map<number, ReturnType<typeof layerNode>>} */
  const nodes = new Map();

  /** @param {LayerSummary[]} summary */
  function draw(summary) {
    const keys = new Set(summary.map((s) => s.index));
    for (const [k, node] of nodes) if (!keys.has(k)) (node.root.remove(), nodes.delete(k));
    for (const s of summary) {
      if (!nodes.has(s.index)) {
        nodes.set(s.index, layerNode(s));
        list.append(nodes.get(s.index).root);
      }
      nodes.get(s.index).draw(s);
    }
  }
  return { root, draw };
}
