// @ts-check
// The whole of a tiny network drawn as SVG, with every weight, activation and gradient on it:
// the picture classic worked examples draw by hand. Columns are the input and each dense layer's
// units (the activation after a layer is drawn inside its units); every line is a weight.
// Numbers come from the trace (the state before the step it records).
//
// Click or tap a line or a unit to pick it (Enter or Space when it has the focus): the walk-through
// follows it, and every digit of its numbers shows under the drawing, where a touch screen, which
// has no tooltips, can read them. On a narrow screen the drawing is scaled to fit, whole; "Actual
// size" shows it at full size, scrolled sideways.

import { fmt, full } from "../../walkthrough/numbers.js";
import { divergingCss } from "../../lib/pixels.js";
import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const BOX_W = 150;
const BOX_H = 96;
const PITCH_Y = 132;
const PAD = 24;
const LABEL_W = 88;
const LABEL_H = 32;
// Points along a line where its label may go, the middle first.
const SPOTS = [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.12, 0.88];
/** The widest layer drawn: every weight is a labelled line, so the drawing stays small. */
export const DRAW_MAX_UNITS = 10;

/** @param {string} tag @param {Record<string, any>} [attrs] @param {...any} children */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Which networks can be drawn: dense layers (with activations between), at most 10 units wide. @param {any} T */
export function drawable(T) {
  if (!T.layers.every((/** @type {any} */ ly) => ["dense", "relu", "sigmoid", "tanh"].includes(ly.kind))) return false;
  return T.sizes.every((/** @type {number} */ n) => n <= DRAW_MAX_UNITS) && T.layers.some((/** @type {any} */ ly) => ly.kind === "dense");
}

export class Diagram {
  /** @param {import("./view.js").StepThroughView} view */
  constructor(view) {
    this.view = view;
    this.actualSize = false;
    /** @type {number | null} the dense layer whose weight or unit was last tapped */
    this.layer = null;
  }

  /** @param {any} T */
  canDraw(T) {
    return !!T && drawable(T);
  }

  build() {
    this.details = h("div", { class: "st-net-details", "aria-live": "polite" });
    this.sizeBtn = h(
      "button",
      { type: "button", class: "btn btn-small st-net-size", "aria-pressed": "false", onclick: () => this.toggleSize() },
      "Actual size",
    );
    this.wrap = h("div", { class: "st-net-wrap" });
    this.section = h(
      "section",
      { class: "card st-diagram", hidden: true, "aria-labelledby": "st-net-title" },
      h("div", { class: "st-net-head" }, h("h3", { id: "st-net-title" }, "The whole network, before this step"), this.sizeBtn),
      (this.legend = h(
        "p",
        { class: "hint" },
        "Line colour and thickness: the weight (orange positive, blue negative). On each line: the weight and, below, its gradient ∂. In each unit: its activation a, weighted sum z, gradient δ = ∂L/∂z and bias b. Click or tap a line or a unit to pick it; every digit of the picked one shows below the drawing.",
      )),
      this.wrap,
      this.details,
    );
    return this.section;
  }

  toggleSize() {
    this.actualSize = !this.actualSize;
    this.sizeBtn.setAttribute("aria-pressed", String(this.actualSize));
    this.section.classList.toggle("st-net-actual", this.actualSize);
    this.updateScrollHint();
  }

  render() {
    const v = this.view;
    const show = v.mode === "custom" && v.example?.kind === "custom" && !!v.T;
    this.section.hidden = !show;
    if (!show) return;
    if (!drawable(v.T)) {
      this.wrap.replaceChildren(
        h(
          "p",
          { class: "hint" },
          "This network is too big (or has layers other than dense and activations) to draw; the walk-through below shows all of it.",
        ),
      );
      this.details.replaceChildren();
      this.sizeBtn.hidden = this.legend.hidden = true;
      return;
    }
    this.sizeBtn.hidden = this.legend.hidden = false;
    const svg = drawNetwork(v.T, v.P, {
      onPickUnit: (i, j) => {
        this.layer = i;
        v.pickWeight(i, j);
      },
      onPickWeight: (i, j, k) => {
        this.layer = i;
        v.pickWeight(i, j, k);
      },
      previous: v.previousT,
    });
    this.scroller = h("div", { class: "st-net-scroll", tabindex: "0", role: "region", "aria-label": "The network drawing" }, svg);
    this.scrollHint = h("p", { class: "hint st-net-scroll-hint", hidden: true }, "Scroll the drawing sideways to see all of it →");
    this.scroller.addEventListener("scroll", () => this.updateScrollHint(), { passive: true });
    this.wrap.replaceChildren(this.scrollHint, this.scroller);
    // The layer last tapped, else the one of the step on show, else the first.
    const stepLayer = v.steps[v.walk.at]?.param?.layer;
    const dense = (/** @type {any} */ i) => Number.isInteger(i) && v.T.layers[i]?.kind === "dense";
    const layer = dense(this.layer)
      ? this.layer
      : dense(stepLayer)
        ? stepLayer
        : v.T.layers.findIndex((/** @type {any} */ ly) => ly.kind === "dense");
    this.details.replaceChildren(...pickedDetails(v.T, v.P, layer));
    requestAnimationFrame(() => this.updateScrollHint());
  }

  /** Says, while the drawing is wider than its box, how much is off to the side. */
  updateScrollHint() {
    const sc = this.scroller;
    if (!sc || !sc.isConnected) return;
    const hidden = sc.scrollWidth - sc.clientWidth;
    const more = hidden > 2;
    sc.classList.toggle("st-scrolls", more);
    sc.classList.toggle("st-more-right", more && sc.scrollLeft < hidden - 2);
    sc.classList.toggle("st-more-left", more && sc.scrollLeft > 2);
    this.scrollHint.hidden = !more;
    if (more)
      this.scrollHint.textContent = `Scroll the drawing sideways to see all of it: ${Math.round((100 * sc.clientWidth) / sc.scrollWidth)} % is on screen ${sc.scrollLeft < hidden - 2 ? "→" : "←"}`;
  }
}

/**
 * Every digit of the picked weight of dense layer `i` and of its unit: what the drawing's
 * tooltips hold, for touch screens.
 * @param {any} T @param {any} P @param {number} i
 */
function pickedDetails(T, P, i) {
  if (i < 0) return [];
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const k = P.el[i];
  const W = ly.params.weight;
  const idx = j * ly.inSize + k;
  const n = P.n;
  const z = T.value(i + 1, n)[j];
  const d = T.grad(i + 1, n)?.[j];
  return [
    h("h4", {}, `Picked: weight ${j},${k} of layer ${ly.l}, into unit ${j}`),
    h(
      "dl",
      { class: "st-net-picked" },
      [
        [`W[${ly.l}]${j},${k}`, full(W.before[idx])],
        ["∂L/∂W", full(W.grad[idx])],
        ["after this step", full(W.after[idx])],
        [`z of unit ${j}`, full(z)],
        ["δ = ∂L/∂z", d === undefined ? "—" : full(d)],
        ["bias b", full(ly.params.bias.before[j])],
      ].map(([dt, dd]) => h("div", {}, h("dt", {}, dt), h("dd", { class: "num" }, dd))),
    ),
  ];
}

/**
 * @param {any} T analyse(trace)
 * @param {any} P picks
 * @param {{onPickUnit?: (i: number, j: number) => void, onPickWeight?: (i: number, j: number, k: number) => void, previous?: any}} [o]
 * @returns {SVGSVGElement | null}
 */
export function drawNetwork(T, P, { onPickUnit, onPickWeight, previous } = {}) {
  if (!drawable(T)) return null;
  const g = layout(T);
  const svg = /** @type {SVGSVGElement} */ (
    s("svg", {
      viewBox: `0 0 ${g.width} ${g.height}`,
      width: g.width,
      height: g.height,
      class: "st-net",
      role: "group",
      "aria-label": "The network with every weight, activation and gradient",
    })
  );
  const edges = s("g", { class: "st-net-edges" });
  const labels = s("g", { class: "st-net-labels", "aria-hidden": "true" });
  const nodes = s("g", { class: "st-net-nodes" });
  svg.append(edges, labels, nodes);
  drawEdges(T, P, g, edges, labels, onPickWeight, previous);
  drawNodes(T, P, g, nodes, onPickUnit);
  drawTargets(T, P, g, nodes);
  svg.append(s("text", { x: g.width - PAD, y: g.height - 10, "text-anchor": "end", class: "st-net-loss" }, `loss ${fmt(T.loss.value, 6)}`));
  return svg;
}

/** Columns (the input, then one per dense layer with the activation after it) and their places. @param {any} T */
function layout(T) {
  /** @type {any[]} */
  const cols = [{ kind: "input", size: T.sizes[0] }];
  T.layers.forEach((/** @type {any} */ ly, /** @type {number} */ i) => {
    if (ly.kind !== "dense") return;
    const next = T.layers[i + 1];
    const act = next && ["relu", "sigmoid", "tanh"].includes(next.kind) ? next : null;
    cols.push({ kind: "dense", layer: i, act, size: ly.outSize });
  });
  const maxRows = Math.max(...cols.map((c) => c.size));
  // The more lines between two columns, the wider the gap, so that their labels fit.
  const xs = [PAD];
  for (let c = 1; c < cols.length; c++)
    xs.push(xs[c - 1] + BOX_W + Math.min(440, Math.max(170, 40 + 26 * cols[c - 1].size * cols[c].size)));
  const width = xs[xs.length - 1] + BOX_W + 130 + PAD;
  const height = PAD * 2 + (maxRows - 1) * PITCH_Y + BOX_H + 30;
  const pos = (/** @type {number} */ c, /** @type {number} */ r) => ({
    x: xs[c],
    y: PAD + ((maxRows - cols[c].size) * PITCH_Y) / 2 + r * PITCH_Y,
  });
  return { cols, width, height, pos };
}

/**
 * Every weight as a line with its label (weight and gradient), placed clear of the others.
 * @param {any} T @param {any} P @param {ReturnType<typeof layout>} g @param {Element} edges @param {Element} labels
 * @param {((i: number, j: number, k: number) => void) | undefined} onPick @param {any} previous
 */
function drawEdges(T, P, g, edges, labels, onPick, previous) {
  const { cols, pos } = g;
  let scale = 1e-6;
  for (const c of cols)
    if (c.kind === "dense") for (const w of T.layers[c.layer].params.weight.before) scale = Math.max(scale, Math.abs(w));
  // Labels keep clear of each other and of the units.
  /** @type {number[][]} */
  const placed = [];
  cols.forEach((col, c) => {
    for (let r = 0; r < col.size; r++) {
      const { x, y } = pos(c, r);
      placed.push([x + BOX_W / 2, y + BOX_H / 2, BOX_W + 8, BOX_H + 8]);
    }
  });
  cols.forEach((col, c) => {
    if (col.kind !== "dense") return;
    const i = col.layer;
    const ly = T.layers[i];
    const W = ly.params.weight;
    const prevW = previous?.layers[i]?.params.weight ?? null;
    for (let j = 0; j < col.size; j++) {
      for (let k = 0; k < ly.inSize; k++) {
        const idx = j * ly.inSize + k;
        const a = pos(c - 1, k);
        const b = pos(c, j);
        const line = { x1: a.x + BOX_W, y1: a.y + BOX_H / 2, x2: b.x, y2: b.y + BOX_H / 2 };
        const w = W.before[idx];
        const picked = P.el[i + 1] === j && P.el[i] === k;
        const changed = !!prevW && prevW.before[idx] !== w;
        const title =
          `W[${ly.l}]${j},${k} = ${full(w)}\n∂L/∂W = ${full(W.grad[idx])}\nafter this step: ${full(W.after[idx])}` +
          (changed ? `\nbefore the last step: ${full(prevW.before[idx])}` : "");
        const stroke = divergingCss(Math.sign(w) * Math.max(0.3, Math.min(1, Math.abs(w) / scale))); // even the smallest weight gets a visible tint
        edges.append(
          s("line", {
            ...line,
            stroke,
            "stroke-width": (1 + (5 * Math.abs(w)) / scale).toFixed(2),
            class: `st-net-edge${picked ? " picked" : ""}${changed ? " changed" : ""}`,
            "data-layer": i,
            "data-index": idx,
            "aria-hidden": "true",
          }),
          pickable(
            s(
              "line",
              { ...line, class: "st-net-hit", tabindex: 0, role: "button", "aria-label": `weight ${j},${k} of layer ${ly.l}: ${fmt(w)}` },
              s("title", {}, title),
            ),
            () => onPick?.(i, j, k),
          ),
        );
        const spot = freeSpot(line, placed);
        placed.push(spot);
        labels.append(edgeLabel(spot, w, W.grad[idx], picked, stroke));
      }
    }
  });
}

/** The first point along `line` where a label overlaps no label placed before. @param {{x1: number, y1: number, x2: number, y2: number}} line @param {number[][]} placed */
function freeSpot({ x1, y1, x2, y2 }, placed) {
  const at = (/** @type {number} */ f) => [x1 + f * (x2 - x1), y1 + f * (y2 - y1)];
  const overlap = (/** @type {number[]} */ [x, y]) =>
    placed.reduce(
      (sum, [px, py, pw = LABEL_W, ph = LABEL_H]) =>
        sum + Math.max(0, (LABEL_W + pw) / 2 - Math.abs(px - x)) * Math.max(0, (LABEL_H + ph) / 2 - Math.abs(py - y)),
      0,
    );
  let best = at(0.5);
  let bestCost = Infinity;
  for (const f of SPOTS) {
    const cost = overlap(at(f));
    if (cost < bestCost) [best, bestCost] = [at(f), cost];
    if (cost === 0) break;
  }
  return best;
}

/** A weight's label, framed in its line's colour so it says which line it belongs to. @param {number[]} spot @param {number} w @param {number} grad @param {boolean} picked @param {string} stroke */
function edgeLabel([lx, ly], w, grad, picked, stroke) {
  const wText = fmt(w, 4);
  const gText = `∂ ${fmt(grad, 3)}`;
  const boxW = 12 + 6.6 * Math.max(wText.length, gText.length);
  return s(
    "g",
    { class: `st-net-label${picked ? " picked" : ""}`, transform: `translate(${lx.toFixed(1)},${ly.toFixed(1)})` },
    s("rect", { x: -boxW / 2, y: -15, width: boxW, height: 30, rx: 6, stroke: picked ? "#172033" : stroke }),
    s("text", { class: "st-net-w", "text-anchor": "middle", y: -2 }, wText),
    s("text", { class: "st-net-g", "text-anchor": "middle", y: 11 }, gText),
  );
}

/** Click, tap, Enter or Space picks. @template {Element} E @param {E} el @param {() => void} pick @returns {E} */
function pickable(el, pick) {
  el.addEventListener("click", pick);
  el.addEventListener("keydown", (e) => {
    const k = /** @type {KeyboardEvent} */ (e).key;
    if (k === "Enter" || k === " ") {
      e.preventDefault();
      pick();
    }
  });
  return el;
}

/** Units with their numbers; the input's values. @param {any} T @param {any} P @param {ReturnType<typeof layout>} g @param {Element} nodes @param {((i: number, j: number) => void) | undefined} onPick */
function drawNodes(T, P, g, nodes, onPick) {
  const n = P.n;
  g.cols.forEach((col, c) => {
    for (let r = 0; r < col.size; r++) {
      const { x, y } = g.pos(c, r);
      const lines = [];
      let title;
      let picked = false;
      if (col.kind === "input") {
        const v = T.value(0, n)[r];
        lines.push(["st-net-head", `x${sub(r)}`], ["st-net-big", fmt(v, 5)]);
        title = `x${r} = ${full(v)}`;
        picked = P.el[0] === r && T.layers[0].kind === "dense";
      } else {
        const i = col.layer;
        const ly = T.layers[i];
        const z = T.value(i + 1, n)[r];
        const d = T.grad(i + 1, n)[r];
        const b = ly.params.bias.before[r];
        lines.push(["st-net-head", `unit ${r} · layer ${ly.l}`]);
        if (col.act) {
          const a = T.value(i + 2, n)[r];
          lines.push(["st-net-big", `a ${fmt(a, 5)}`]);
          title = `z = ${full(z)}\na = ${col.act.kind}(z) = ${full(a)}`;
        } else title = `z = ${full(z)}`;
        lines.push(["", `z ${fmt(z, 5)}`], ["st-net-delta", `δ ${fmt(d, 4)}`], ["st-net-bias", `b ${fmt(b, 4)}`]);
        title += `\nδ = ∂L/∂z = ${full(d)}\nbias b = ${full(b)}, ∂L/∂b = ${full(ly.params.bias.grad[r])}`;
        picked = P.el[i + 1] === r;
      }
      const dense = col.kind === "dense";
      const top = dense ? y : y + (BOX_H - 56) / 2;
      const node = s("g", {
        class: `st-net-node${picked ? " picked" : ""}`,
        transform: `translate(${x},${top})`,
        tabindex: dense ? 0 : null,
        role: dense ? "button" : null,
        "data-layer": dense ? col.layer : null,
        "data-unit": dense ? r : null,
      });
      node.append(s("title", {}, title), s("rect", { width: BOX_W, height: dense ? BOX_H : 56, rx: 10 }));
      lines.forEach(([cls, text], li) => node.append(s("text", { x: 10, y: 20 + li * 18, class: cls }, text)));
      nodes.append(dense ? pickable(node, () => onPick?.(col.layer, r)) : node);
    }
  });
}

/** Targets (and probabilities) beside the outputs. @param {any} T @param {any} P @param {ReturnType<typeof layout>} g @param {Element} nodes */
function drawTargets(T, P, g, nodes) {
  const n = P.n;
  const last = g.cols.length - 1;
  const K = T.K;
  const t = T.loss.targets.slice(n * K, (n + 1) * K);
  const probs = T.loss.probs ? T.loss.probs.slice(n * K, (n + 1) * K) : null;
  for (let r = 0; r < g.cols[last].size; r++) {
    const { x, y } = g.pos(last, r);
    const el = s("g", { class: "st-net-target", transform: `translate(${x + BOX_W + 10},${y + 30})` });
    if (probs) el.append(s("text", { y: 0 }, `p ${fmt(probs[r], 4)}`));
    el.append(s("text", { y: probs ? 18 : 9 }, `${T.loss.labels ? "y" : "t"} ${fmt(t[r], 4)}`));
    nodes.append(el);
  }
}

const SUBS = "₀₁₂₃₄₅₆₇₈₉";
/** @param {number} n */
const sub = (n) => String(n).replace(/\d/g, (d) => SUBS[Number(d)]);
