// The whole of a tiny network drawn as SVG, with every weight, activation and gradient on it:
// the picture classic worked examples draw by hand. Columns are the input and each dense layer's
// units (the activation after a layer is drawn inside its units); every line is a weight.
// Numbers come from the trace (the state before the step it records).

import { fmt, full } from "./step-format.js";
import { divergingCss } from "../../lib/pixels.js";

const SVG = "http://www.w3.org/2000/svg";
const BOX_W = 150;
const BOX_H = 96;
const PITCH_Y = 132;
const PAD = 24;
const LABEL_W = 88;
const LABEL_H = 32;
// Points along a line where its label may go, the middle first.
const SPOTS = [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.12, 0.88];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Which networks can be drawn: dense layers (with activations between), at most 10 units wide. */
export function drawable(T) {
  if (!T.layers.every((ly) => ["dense", "relu", "sigmoid", "tanh"].includes(ly.kind))) return false;
  return T.sizes.every((n) => n <= 10) && T.layers.some((ly) => ly.kind === "dense");
}

/**
 * @param T analyse(trace)
 * @param P picks
 * @param {{onPickUnit(i, j), onPickWeight(i, j, k), previous?: ReturnType<analyse>}} opts
 * @returns {SVGSVGElement|null}
 */
export function drawNetwork(T, P, { onPickUnit, onPickWeight, previous } = {}) {
  if (!drawable(T)) return null;
  const n = P.n;
  // Columns: the input, then one per dense layer (with the activation that follows it, if any).
  const cols = [{ t: 0, kind: "input", size: T.sizes[0] }];
  T.layers.forEach((ly, i) => {
    if (ly.kind !== "dense") return;
    const act = T.layers[i + 1] && ["relu", "sigmoid", "tanh"].includes(T.layers[i + 1].kind) ? T.layers[i + 1] : null;
    cols.push({ t: i + 1, kind: "dense", layer: i, act, size: ly.outSize, out: act ? i + 2 : i + 1 });
  });
  const maxRows = Math.max(...cols.map((c) => c.size));
  // The more lines between two columns, the wider the gap, so that their labels fit.
  const xs = [PAD];
  for (let c = 1; c < cols.length; c++)
    xs.push(xs[c - 1] + BOX_W + Math.min(440, Math.max(170, 40 + 26 * cols[c - 1].size * cols[c].size)));
  const width = xs[xs.length - 1] + BOX_W + 130 + PAD;
  const height = PAD * 2 + (maxRows - 1) * PITCH_Y + BOX_H + 30;
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: "st-net",
    role: "img",
    "aria-label": "The network with every weight, activation and gradient",
  });
  const pos = (c, r) => {
    const col = cols[c];
    const top = PAD + ((maxRows - col.size) * PITCH_Y) / 2;
    return { x: xs[c], y: top + r * PITCH_Y };
  };
  const edges = s("g", { class: "st-net-edges" });
  const labels = s("g", { class: "st-net-labels" });
  const nodes = s("g", { class: "st-net-nodes" });
  svg.append(edges, labels, nodes);

  const scale = Math.max(
    1e-6,
    ...cols.filter((c) => c.kind === "dense").flatMap((c) => T.layers[c.layer].params.weight.before.map(Math.abs)),
  );

  // Labels keep clear of each other and of the units.
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
    const prevW = previous && previous.layers[i] ? previous.layers[i].params.weight : null;
    for (let j = 0; j < col.size; j++) {
      for (let k = 0; k < ly.inSize; k++) {
        const idx = j * ly.inSize + k;
        const a = pos(c - 1, k);
        const b = pos(c, j);
        const x1 = a.x + BOX_W;
        const y1 = a.y + BOX_H / 2;
        const x2 = b.x;
        const y2 = b.y + BOX_H / 2;
        const w = W.before[idx];
        const picked = P.el[i + 1] === j && P.el[i] === k;
        const changed = prevW && prevW.before[idx] !== w;
        const title =
          `W[${ly.l}]${j},${k} = ${full(w)}\n∂L/∂W = ${full(W.grad[idx])}\nafter this step: ${full(W.after[idx])}` +
          (changed ? `\nbefore the last step: ${full(prevW.before[idx])}` : "");
        const line = s(
          "line",
          {
            x1,
            y1,
            x2,
            y2,
            // Even the smallest weight gets a visible tint of its sign's colour.
            stroke: divergingCss(Math.sign(w) * Math.max(0.3, Math.min(1, Math.abs(w) / scale))),
            "stroke-width": (1 + (5 * Math.abs(w)) / scale).toFixed(2),
            class: `st-net-edge${picked ? " picked" : ""}${changed ? " changed" : ""}`,
            "data-layer": i,
            "data-index": idx,
          },
          s("title", {}, title),
        );
        const hit = s(
          "line",
          {
            x1,
            y1,
            x2,
            y2,
            class: "st-net-hit",
            tabindex: 0,
            role: "button",
            "aria-label": `weight ${j},${k} of layer ${ly.l}: ${fmt(w)}`,
          },
          s("title", {}, title),
        );
        const pick = () => onPickWeight && onPickWeight(i, j, k);
        hit.addEventListener("click", pick);
        hit.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), pick()));
        edges.append(line, hit);
        // Each label goes to the first point along its line where it overlaps no label placed before.
        const at = (f) => [x1 + f * (x2 - x1), y1 + f * (y2 - y1)];
        const overlap = ([x, y]) =>
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
        placed.push(best);
        const [lx, ly_] = best;
        const g = s("g", { class: `st-net-label${picked ? " picked" : ""}`, transform: `translate(${lx.toFixed(1)},${ly_.toFixed(1)})` });
        const wText = fmt(w, 4);
        const gText = `∂ ${fmt(W.grad[idx], 3)}`;
        const boxW = 12 + 6.6 * Math.max(wText.length, gText.length);
        g.append(
          // Framed in the line's colour, so each label says which line it belongs to.
          s("rect", { x: -boxW / 2, y: -15, width: boxW, height: 30, rx: 6, stroke: picked ? "#172033" : line.getAttribute("stroke") }),
          s("text", { class: "st-net-w", "text-anchor": "middle", y: -2 }, wText),
          s("text", { class: "st-net-g", "text-anchor": "middle", y: 11 }, gText),
        );
        labels.append(g);
      }
    }
  });

  cols.forEach((col, c) => {
    for (let r = 0; r < col.size; r++) {
      const { x, y } = pos(c, r);
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
      const g = s("g", {
        class: `st-net-node${picked ? " picked" : ""}`,
        transform: `translate(${x},${y})`,
        tabindex: col.kind === "dense" ? 0 : null,
        role: col.kind === "dense" ? "button" : null,
      });
      g.append(s("title", {}, title), s("rect", { width: BOX_W, height: col.kind === "input" ? 56 : BOX_H, rx: 10 }));
      lines.forEach(([cls, text], li) => g.append(s("text", { x: 10, y: 20 + li * 18, class: cls }, text)));
      if (col.kind === "input") g.setAttribute("transform", `translate(${x},${y + (BOX_H - 56) / 2})`);
      if (col.kind === "dense") {
        const pick = () => onPickUnit && onPickUnit(col.layer, r);
        g.addEventListener("click", pick);
        g.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), pick()));
      }
      nodes.append(g);
    }
  });

  // Targets and the loss beside the outputs.
  const last = cols.length - 1;
  const K = T.K;
  const t = T.loss.targets.slice(n * K, (n + 1) * K);
  const probs = T.loss.probs ? T.loss.probs.slice(n * K, (n + 1) * K) : null;
  for (let r = 0; r < cols[last].size; r++) {
    const { x, y } = pos(last, r);
    const g = s("g", { class: "st-net-target", transform: `translate(${x + BOX_W + 10},${y + 30})` });
    if (probs) g.append(s("text", { y: 0 }, `p ${fmt(probs[r], 4)}`));
    g.append(s("text", { y: probs ? 18 : 9 }, `${T.loss.labels ? "y" : "t"} ${fmt(t[r], 4)}`));
    nodes.append(g);
  }
  const lossText = s(
    "text",
    { x: width - PAD, y: height - 10, "text-anchor": "end", class: "st-net-loss" },
    `loss ${fmt(T.loss.value, 6)}`,
  );
  svg.append(lossText);
  return svg;
}

const SUBS = "₀₁₂₃₄₅₆₇₈₉";
const sub = (n) => String(n).replace(/\d/g, (d) => SUBS[d]);
