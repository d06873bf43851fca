// The walk-through of one training step, as data: which steps there are, what each one says,
// which formulas it shows (symbolic, then with the numbers in) and which numbers it tags.
//
// The input is a worked trace from the Rust core (src/trace.rs, README "The worked trace") and
// the learner's picks (which example, which unit, which weight). The output is a list of plain
// step descriptions that two writers turn into something to read: the page
// (www/views/stepthrough/stepthrough.js) and the Markdown export (markdown.js).
//
// Every number comes from the trace. The page only adds numbers up to *show* a sum (the largest
// terms of z = W x + b, the exps of softmax, δ·x) and then checks the sum against the number the
// core computed, so a learner sees both and that they agree.

import { tex, texp, agrees } from "./numbers.js";

const ACTIVATIONS = new Set(["relu", "sigmoid", "tanh"]);
const ELEMENTWISE = new Set(["relu", "sigmoid", "tanh", "dropout", "flatten"]);
const prod = (s) => s.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------
// The trace, made easy to index

/** Wraps a trace with shapes, names and per-example slices. */
export function analyse(trace) {
  const N = trace.batch;
  const L = trace.layers.length;
  const names = ["x"];
  const layers = [];
  let l = 0;
  trace.layers.forEach((ly, i) => {
    const kind = ly.spec.type;
    const info = {
      i,
      kind,
      spec: ly.spec,
      inShape: ly.input_shape,
      outShape: ly.output_shape,
      inSize: prod(ly.input_shape),
      outSize: prod(ly.output_shape),
      raw: ly,
      params: Object.fromEntries(ly.params.map((p) => [p.name, p])),
    };
    if (kind === "dense" || kind === "conv2d") {
      l += 1;
      info.l = l;
      info.title = kind === "dense" ? `Dense layer ${l}` : `Convolution layer ${l}`;
      names.push(`z^{[${l}]}`);
    } else {
      info.l = l;
      if (ACTIVATIONS.has(kind)) names.push(`a^{[${l}]}`);
      else if (kind === "maxpool2d") names.push(`h^{[${l}]}`);
      else if (kind === "dropout") names.push(`\\tilde{a}^{[${l}]}`);
      else names.push(names[i]); // flatten: the same numbers, one index instead of three
      info.title =
        {
          relu: "ReLU",
          sigmoid: "Sigmoid",
          tanh: "tanh",
          maxpool2d: "Max-pooling",
          flatten: "Flatten",
          dropout: "Dropout",
        }[kind] || kind;
    }
    layers.push(info);
  });
  const shapes = [trace.input_shape, ...trace.layers.map((ly) => ly.output_shape)];
  const sizes = shapes.map(prod);
  const T = {
    trace,
    N,
    L,
    layers,
    names,
    shapes,
    sizes,
    loss: trace.loss,
    K: sizes[L],
    /** Tensor t (t = 0 is the input, t = i + 1 the output of layer i) of example n. */
    value(t, n) {
      const all = t === 0 ? trace.input : trace.layers[t - 1].output;
      return all.slice(n * sizes[t], (n + 1) * sizes[t]);
    },
    /** ∂L/∂(tensor t) of example n; null for the input (backward does not compute it). */
    grad(t, n) {
      if (t === 0) return null;
      const all = trace.layers[t - 1].grad_output;
      return all.length ? all.slice(n * sizes[t], (n + 1) * sizes[t]) : null;
    },
    /** Within-example index of the input that won max-pool output e of layer i. */
    winner(i, n, e) {
      return layers[i].raw.argmax[n * layers[i].outSize + e] - n * layers[i].inSize;
    },
  };
  return T;
}

/** The subscript of element `idx` of tensor t: `3` for a vector, `2,10,7` for (c, row, col). */
export function subscript(T, t, idx) {
  const s = T.shapes[t];
  if (s.length === 3) {
    const [, H, W] = s;
    return `${Math.floor(idx / (H * W))},${Math.floor((idx % (H * W)) / W)},${idx % W}`;
  }
  return String(idx);
}

export const sym = (T, t, idx) => `${T.names[t]}_{${subscript(T, t, idx)}}`;

/** (o, p, q) of a flat index in a [O, H, W] shape. */
export function unflat(shape, idx) {
  const [, H, W] = shape;
  return [Math.floor(idx / (H * W)), Math.floor((idx % (H * W)) / W), idx % W];
}

/** The row and column of one weight element, or the conv kernel's (o, c, u, v). */
export function weightIndex(T, i, P) {
  const ly = T.layers[i];
  if (ly.kind === "dense") return P.el[i + 1] * ly.inSize + P.el[i];
  const { in_channels: C, kernel: k } = ly.spec;
  const o = unflat(ly.outShape, P.el[i + 1])[0];
  const { c, u, v } = P.kp[i];
  return ((o * C + c) * k + u) * k + v;
}

// ---------------------------------------------------------------------------------------------
// The learner's picks: one element per tensor, kept consistent through the layers that only
// pass elements along (activations, flatten, dropout) and through max-pool's argmax.

/** Picks that tell the most interesting story: the true class, then the biggest gradients. */
export function defaultPicks(T, n = 0) {
  const P = { n, el: new Array(T.L + 1).fill(0), kp: {} };
  let top = 0;
  if (T.loss.labels) top = T.loss.labels[n];
  else if (T.loss.kind === "softmax_cross_entropy") top = argmaxAbs(T.loss.targets.slice(n * T.K, (n + 1) * T.K));
  setElement(T, P, T.L, top, "down");
  for (let i = T.L - 1; i >= 0; i--) {
    const ly = T.layers[i];
    if (ly.kind === "dense") setElement(T, P, i, defaultInput(T, P, i), "down");
    else if (ly.kind === "conv2d") {
      P.kp[i] = defaultKernel(T, P, i);
      setElement(T, P, i + 1, P.el[i + 1], "down");
    }
  }
  return P;
}

function argmaxAbs(v) {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (Math.abs(v[k]) > Math.abs(v[best])) best = k;
  return best;
}

function defaultInput(T, P, i) {
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const g = ly.params.weight.grad.slice(j * ly.inSize, (j + 1) * ly.inSize);
  if (ly.inSize <= 8) {
    const k = g.findIndex((x) => x !== 0);
    return k < 0 ? 0 : k;
  }
  if (g.some((x) => x !== 0)) return argmaxAbs(g);
  const w = ly.params.weight.before.slice(j * ly.inSize, (j + 1) * ly.inSize);
  const x = T.value(i, P.n);
  return argmaxAbs(w.map((wk, k) => wk * x[k]));
}

function defaultKernel(T, P, i) {
  const { in_channels: C, kernel: k } = T.layers[i].spec;
  const o = unflat(T.layers[i].outShape, P.el[i + 1])[0];
  const g = T.layers[i].params.weight.grad.slice(o * C * k * k, (o + 1) * C * k * k);
  const best = argmaxAbs(g);
  return { c: Math.floor(best / (k * k)), u: Math.floor((best % (k * k)) / k), v: best % k };
}

/** The input element under kernel cell (c, u, v) for output element e of conv layer i, or -1 in the padding. */
export function convInput(T, i, e, kp) {
  const ly = T.layers[i];
  const { stride: s, padding: pad } = ly.spec;
  const [, p, q] = unflat(ly.outShape, e);
  const [, H, W] = ly.inShape;
  const r = p * s + kp.u - pad;
  const c = q * s + kp.v - pad;
  if (r < 0 || c < 0 || r >= H || c >= W) return -1;
  return kp.c * H * W + r * W + c;
}

/**
 * Sets the picked element of tensor t and carries it up ("up"), down ("down") or both ways
 * through the layers that pass elements along.
 */
export function setElement(T, P, t, idx, dir = "both") {
  P.el[t] = idx;
  if (dir !== "down") {
    for (let i = t; i < T.L; i++) {
      const k = T.layers[i].kind;
      if (ELEMENTWISE.has(k)) P.el[i + 1] = P.el[i];
      else if (k === "maxpool2d") {
        let e = -1;
        for (let o = 0; o < T.layers[i].outSize; o++) if (T.winner(i, P.n, o) === P.el[i]) e = o;
        if (e < 0) break;
        P.el[i + 1] = e;
      } else break;
    }
  }
  if (dir !== "up") {
    for (let i = t - 1; i >= 0; i--) {
      const k = T.layers[i].kind;
      if (ELEMENTWISE.has(k)) P.el[i] = P.el[i + 1];
      else if (k === "maxpool2d") P.el[i] = T.winner(i, P.n, P.el[i + 1]);
      else if (k === "conv2d") {
        const x = convInput(T, i, P.el[i + 1], P.kp[i] || { c: 0, u: 0, v: 0 });
        if (x < 0) break;
        P.el[i] = x;
      } else break;
    }
  }
  return P;
}

export function pickUnit(T, P, i, j) {
  return setElement(T, P, i + 1, j, "both");
}

export function pickInput(T, P, i, k) {
  return setElement(T, P, i, k, "down");
}

export function pickKernel(T, P, i, kp) {
  P.kp[i] = kp;
  return setElement(T, P, i + 1, P.el[i + 1], "down");
}

// ---------------------------------------------------------------------------------------------
// Sums written out

/**
 * The terms of a sum, the largest first when there are many: {shown, rest, restCount, zeros, total, scale}.
 * `total` and `scale` (Σ|term|) are float64, for display and for checking against the core.
 */
function terms(list, max) {
  const total = list.reduce((a, t) => a + t.c, 0);
  const scale = list.reduce((a, t) => a + Math.abs(t.c), 0);
  if (list.length <= max) return { shown: list, rest: 0, restCount: 0, zeros: 0, total, scale };
  const sorted = [...list].sort((a, b) => Math.abs(b.c) - Math.abs(a.c));
  const shown = sorted.slice(0, max - 1);
  const others = sorted.slice(max - 1);
  return {
    shown,
    rest: others.reduce((a, t) => a + t.c, 0),
    restCount: others.length,
    zeros: others.filter((t) => t.c === 0).length,
    total,
    scale,
  };
}

/** Sum agreement with rounding room proportional to the size of the terms (f32 sums). */
const sumAgrees = (shown, core, scale) => Math.abs(shown - core) <= 2e-6 * Math.max(scale, Math.abs(core)) + 1e-9;

/** The other terms of a sum, summed: one term under a brace that says how many. */
function restTerm(t) {
  if (!t.restCount) return [];
  const z = t.zeros ? `, ${t.zeros} of them 0` : "";
  return [`\\underbrace{${tex(t.rest)}}_{\\text{${t.restCount} more terms${z}}}`];
}

/** lhs = term + term + … = rhs, three terms a line when there are more than four. */
function sumTex(lhs, parts, rhs) {
  if (parts.length <= 4) return `${lhs} = ${parts.join(" + ")} = ${rhs}`;
  // Lines of about the same width: three products, or ten short numbers.
  const width = (t) =>
    t
      .replace(/_\{\\text\{[^}]*\}\}/g, "")
      .replace(/\\[a-zA-Z]+/g, "x")
      .replace(/[{}]/g, "").length + 3;
  const lines = [];
  let line = [];
  let used = 0;
  for (const p of parts) {
    if (line.length && used + width(p) > 56) {
      lines.push(line.join(" + "));
      line = [];
      used = 0;
    }
    line.push(p);
    used += width(p);
  }
  lines.push(line.join(" + "));
  if (lines.length === 1) return `${lhs} = ${lines[0]} = ${rhs}`;
  return `\\begin{aligned} ${lhs} &= ${lines[0]} \\\\ ${lines
    .slice(1)
    .map((l) => `&\\quad + ${l}`)
    .join(" \\\\ ")} \\\\ &= ${rhs} \\end{aligned}`;
}

const checkBlock = (ok, okText, badText) => ({ kind: "check", ok, text: ok ? okText : badText });

// ---------------------------------------------------------------------------------------------
// The steps

/**
 * Builds every step of the walk-through.
 * @param T analyse(trace)
 * @param P picks
 * @param meta {title, source, label?, index?}
 */
export function buildSteps(T, P, meta = {}) {
  const steps = [];
  steps.push(inputStep(T, P, meta));
  for (let i = 0; i < T.L; i++) {
    const s = layerStep(T, P, i, "forward");
    if (s) steps.push(s);
  }
  if (T.loss.kind === "softmax_cross_entropy") steps.push(softmaxStep(T, P));
  steps.push(lossStep(T, P));
  steps.push(outputGradStep(T, P));
  for (let i = T.L - 1; i >= 0; i--) {
    const s = layerStep(T, P, i, "backward");
    if (s) steps.push(s);
  }
  for (let i = T.L - 1; i >= 0; i--) if (T.layers[i].raw.params.length) steps.push(updateStep(T, P, i));
  return steps;
}

function inputStep(T, P, meta) {
  const x = T.value(0, P.n);
  const blocks = [];
  const shape = T.shapes[0];
  const isImage = T.sizes[0] === 784;
  if (meta.lead) blocks.push({ kind: "text", text: meta.lead });
  if (isImage) {
    blocks.push({
      kind: "grid",
      title: "What the network sees: 28 × 28 = 784 numbers between 0 (blank) and 1 (ink)",
      values: x,
      h: 28,
      w: 28,
      palette: "gray",
      highlight: firstLayerPick(T, P),
      pick: firstPickable(T),
      label: "input image",
    });
  } else {
    blocks.push({
      kind: "eq",
      symbolic: `x = (${vecNames("x", T.sizes[0])})`,
      numeric: `x = (${x.map((v) => tex(v)).join(",\\ ")})`,
    });
  }
  const items = [];
  if (T.loss.labels) items.push({ key: "label", label: "The right answer (label) y", value: T.loss.labels[P.n], plain: true });
  else {
    const t = T.loss.targets.slice(P.n * T.K, (P.n + 1) * T.K);
    blocks.push({
      kind: "eq",
      symbolic: `t = (${vecNames("t", T.K)})`,
      numeric: `t = (${t.map((v) => tex(v)).join(",\\ ")})`,
      caption: "What the outputs should be (the target).",
    });
  }
  items.push({ key: "steps-before", label: "Steps the optimizer has taken before this one", value: T.trace.optimizer.t - 1, plain: true });
  blocks.push({ kind: "values", items });
  if (T.N > 1) {
    blocks.push({
      kind: "text",
      text: `This batch has ${T.N} examples; the walk-through follows example ${P.n}. The loss and the gradients are averaged over all ${T.N}.`,
    });
    blocks.push({ kind: "examples", count: T.N, picked: P.n });
  }
  blocks.push({
    kind: "table",
    title: "Every input number",
    columns: shape.length === 3 ? ["index", "(channel, row, column)", "value"] : ["index", "value"],
    rows: () => x.map((v, k) => (shape.length === 3 ? [k, subscript(T, 0, k), v] : [k, v])),
    count: x.length,
  });
  return {
    id: "input",
    phase: "forward",
    short: "Input",
    title: meta.title || "The example",
    caption: isImage
      ? "One training step starts with one example. The network reads the picture as a list of pixel values; we will push it through the network (forward), measure how wrong the answer is (the loss), send the blame back through every layer (backward), and finally nudge every weight (the update). All numbers below come from one real training step, run on a copy of the model."
      : "One training step starts with the input. We push it through the network (forward), measure how wrong the output is (the loss), send the blame back through every layer (backward), and then nudge every weight (the update).",
    blocks,
  };
}

const vecNames = (v, n) => (n <= 4 ? Array.from({ length: n }, (_, k) => `${v}_{${k}}`).join(", ") : `${v}_0, \\ldots, ${v}_{${n - 1}}`);

function firstLayerPick(T, P) {
  return T.layers.length && (T.layers[0].kind === "dense" || T.layers[0].kind === "conv2d") ? P.el[0] : -1;
}

function firstPickable(T) {
  return T.layers.length && T.layers[0].kind === "dense" ? { type: "input", layer: 0, offset: 0 } : null;
}

/** How to draw a tensor's elements as a picture: the channel of `idx` for [C, H, W], 28 × 28 for 784. */
function imageOf(T, t, values, idx) {
  let s = T.shapes[t];
  // A flattened map is drawn as the map it came from.
  for (let i = t - 1; i >= 0 && s.length === 1 && T.layers[i].kind === "flatten"; i--) s = T.shapes[i];
  if (s.length === 3) {
    const [C, H, W] = s;
    const c = Math.floor(idx / (H * W));
    return {
      values: values.slice(c * H * W, (c + 1) * H * W),
      h: H,
      w: W,
      highlight: idx - c * H * W,
      offset: c * H * W,
      note: C > 1 ? `channel ${c} of ${C}` : "",
    };
  }
  const n = values.length;
  if (n === 784) return { values, h: 28, w: 28, highlight: idx, offset: 0, note: "" };
  const w = n <= 10 ? n : Math.ceil(Math.sqrt(n));
  return { values, h: Math.ceil(n / w), w, highlight: idx, offset: 0, note: "" };
}

// The forward and the backward step of each kind of layer.
const LAYER_STEPS = {
  dense: { forward: denseForward, backward: denseBackward },
  conv2d: { forward: convForward, backward: convBackward },
  relu: { forward: activationForward, backward: activationBackward },
  sigmoid: { forward: activationForward, backward: activationBackward },
  tanh: { forward: activationForward, backward: activationBackward },
  maxpool2d: { forward: poolForward, backward: poolBackward },
  flatten: { forward: (T, P, i) => flattenStep(T, P, i, "forward"), backward: (T, P, i) => flattenStep(T, P, i, "backward") },
  dropout: { forward: (T, P, i) => dropoutStep(T, P, i, "forward"), backward: (T, P, i) => dropoutStep(T, P, i, "backward") },
};

/** The walk-through step of layer i in `phase` ("forward" or "backward"), or null. */
function layerStep(T, P, i, phase) {
  const steps = LAYER_STEPS[T.layers[i].kind];
  return steps ? steps[phase](T, P, i) : null;
}

function denseForward(T, P, i) {
  const ly = T.layers[i];
  const n = P.n;
  const j = P.el[i + 1];
  const k = P.el[i];
  const K = ly.inSize;
  const x = T.value(i, n);
  const z = T.value(i + 1, n);
  const W = ly.params.weight.before;
  const b = ly.params.bias.before;
  const row = W.slice(j * K, (j + 1) * K);
  const t = terms(
    row.map((w, kk) => ({ k: kk, w, x: x[kk], c: w * x[kk] })),
    K <= 6 ? 6 : 5,
  );
  const total = t.total + b[j];
  const X = T.names[i];
  const Z = T.names[i + 1];
  const zj = z[j];
  const numeric = sumTex(`${Z}_{${j}}`, [...t.shown.map((s) => `${texp(s.w)} \\cdot ${texp(s.x)}`), ...restTerm(t), texp(b[j])], tex(zj));
  const img = imageOf(T, i, row, k);
  const xImg = imageOf(T, i, x, k);
  return {
    id: `fwd-${i}`,
    phase: "forward",
    layer: i,
    short: `${ly.title}`,
    title: `${ly.title}: the weighted sum of unit ${j}`,
    caption:
      `Every unit of a dense layer multiplies each of its ${K} inputs by a weight of its own, adds the products up and adds a bias. ` +
      (K > 6 ? "The largest products are written out; the other ones are added up in one number." : ""),
    hint: "Pick another unit or another weight below: the whole walk-through follows your pick.",
    blocks: [
      { kind: "units", title: `The ${ly.outSize} units of this layer (z); pick one`, values: z, picked: j, layer: i, role: "unit" },
      { kind: "eq", symbolic: `${Z}_j = \\sum_{k} W^{[${ly.l}]}_{j,k}\\, ${X}_k + b^{[${ly.l}]}_j`, numeric },
      checkBlock(
        sumAgrees(total, zj, t.scale + Math.abs(b[j])),
        `The products and the bias add up to ${fmtPlain(total)}: the z the core computed, ${fmtPlain(zj)}.`,
        `The sum written out is ${fmtPlain(total)}, but the core's z is ${fmtPlain(zj)}.`,
      ),
      {
        kind: "values",
        items: [
          { key: "z", label: tx(`${Z}_{${j}}`), value: zj },
          { key: "bias", label: tx(`b^{[${ly.l}]}_{${j}}`), value: b[j] },
        ],
      },
      {
        kind: "eq",
        caption: `The picked weight's own term${K > 6 ? " (it may be one of the summed ones)" : ""}:`,
        symbolic: `W^{[${ly.l}]}_{${j},${k}} \\cdot ${X}_{${subscript(T, i, k)}}`,
        numeric: `${texp(row[k])} \\cdot ${texp(x[k])} = ${tex(row[k] * x[k])}`,
      },
      {
        kind: "grid",
        title: `Weights of unit ${j} (the picked weight ${tx(`W_{${j},${k}}`)} is outlined)${img.note ? ", " + img.note : ""}`,
        values: img.values,
        h: img.h,
        w: img.w,
        palette: "diverging",
        highlight: img.highlight,
        pick: { type: "input", layer: i, offset: img.offset },
        label: "weights of the picked unit",
      },
      {
        kind: "grid",
        title: `Its input ${tx(X)}${xImg.note ? ", " + xImg.note : ""}`,
        values: xImg.values,
        h: xImg.h,
        w: xImg.w,
        palette: i === 0 && T.sizes[0] === 784 ? "gray" : "diverging",
        highlight: xImg.highlight,
        pick: { type: "input", layer: i, offset: xImg.offset },
        label: "input of the layer",
      },
      {
        kind: "table",
        title: `Every number of unit ${j}: each input, its weight and their product`,
        columns: ["k", tx(`${X}_k`), tx(`W_{${j},k}`), tx(`W_{${j},k} \\cdot ${X}_k`)],
        rows: () => row.map((w, kk) => [kk, x[kk], w, { v: w * x[kk], shown: true }]),
        highlightRow: k,
        pickRow: { type: "input", layer: i, offset: 0 },
        count: K,
      },
      {
        kind: "table",
        title: "Every unit of this layer",
        columns: ["j", tx(`b_j`), tx(`${Z}_j`)],
        rows: () => Array.from(z, (v, jj) => [jj, b[jj], v]),
        highlightRow: j,
        pickRow: { type: "unit", layer: i, offset: 0 },
        count: z.length,
      },
    ],
  };
}

function convForward(T, P, i) {
  const ly = T.layers[i];
  const n = P.n;
  const e = P.el[i + 1];
  const [o, p, q] = unflat(ly.outShape, e);
  const { in_channels: C, kernel: k, stride: s, padding: pad } = ly.spec;
  const [, H, W] = ly.inShape;
  const x = T.value(i, n);
  const z = T.value(i + 1, n);
  const w = ly.params.weight.before;
  const b = ly.params.bias.before[o];
  const list = [];
  for (let c = 0; c < C; c++)
    for (let u = 0; u < k; u++)
      for (let v = 0; v < k; v++) {
        const r = p * s + u - pad;
        const cc = q * s + v - pad;
        const xv = r >= 0 && cc >= 0 && r < H && cc < W ? x[c * H * W + r * W + cc] : 0;
        const wv = w[((o * C + c) * k + u) * k + v];
        list.push({ cidx: c, u, v, w: wv, x: xv, c: wv * xv });
      }
  const t = terms(list, list.length <= 9 ? 9 : 6);
  const total = t.total + b;
  const Z = T.names[i + 1];
  const X = T.names[i];
  const kp = P.kp[i];
  const picked = (kp.c * k + kp.u) * k + kp.v;
  const [, OH, OW] = ly.outShape;
  const patch = list.filter((t2) => t2.cidx === kp.c).map((t2) => t2.x);
  const kernel = w.slice((o * C + kp.c) * k * k, (o * C + kp.c + 1) * k * k);
  return {
    id: `fwd-${i}`,
    phase: "forward",
    layer: i,
    short: ly.title,
    title: `${ly.title}: filter ${o} at row ${p}, column ${q}`,
    caption: `A convolution slides small ${k}×${k} filters over the image. At each position a filter multiplies the ${k}×${k} pixels under it by its weights and adds them up, plus a bias: a dense unit that only looks at a small patch, with the same weights everywhere.`,
    hint: "Click the feature map to pick another position, or the filter to pick another weight.",
    blocks: [
      {
        kind: "eq",
        symbolic: `${Z}_{o,p,q} = \\sum_{c,u,v} W^{[${ly.l}]}_{o,c,u,v}\\; ${X}_{c,\\,${s === 1 ? "" : s + "\\,"}p+u${pad ? "-" + pad : ""},\\,${s === 1 ? "" : s + "\\,"}q+v${pad ? "-" + pad : ""}} + b^{[${ly.l}]}_o`,
        numeric: sumTex(
          `${Z}_{${o},${p},${q}}`,
          [...t.shown.map((s2) => `${texp(s2.w)} \\cdot ${texp(s2.x)}`), ...restTerm(t), texp(b)],
          tex(z[e]),
        ),
      },
      checkBlock(
        sumAgrees(total, z[e], t.scale + Math.abs(b)),
        `The products and the bias add up to ${fmtPlain(total)}: the z the core computed, ${fmtPlain(z[e])}.`,
        `The sum written out is ${fmtPlain(total)}, but the core's z is ${fmtPlain(z[e])}.`,
      ),
      {
        kind: "values",
        items: [
          { key: "z", label: tx(`${Z}_{${o},${p},${q}}`), value: z[e] },
          { key: "bias", label: tx(`b_{${o}}`), value: b },
        ],
      },
      {
        kind: "grid",
        title: `The ${k}×${k} patch of the input under the filter${C > 1 ? ` (channel ${kp.c})` : ""}`,
        values: patch,
        h: k,
        w: k,
        palette: "gray",
        highlight: kp.u * k + kp.v,
        label: "input patch",
        pick: { type: "kernel", layer: i, c: kp.c },
      },
      {
        kind: "grid",
        title: `Filter ${o}'s weights${C > 1 ? ` for channel ${kp.c}` : ""} (pick one)`,
        values: kernel,
        h: k,
        w: k,
        palette: "diverging",
        highlight: picked - kp.c * k * k,
        label: "filter weights",
        pick: { type: "kernel", layer: i, c: kp.c },
      },
      {
        kind: "grid",
        title: `Feature map ${o}: z at every position (pick one)`,
        values: z.slice(o * OH * OW, (o + 1) * OH * OW),
        h: OH,
        w: OW,
        palette: "diverging",
        highlight: p * OW + q,
        label: "feature map",
        pick: { type: "unit", layer: i, offset: o * OH * OW },
      },
      {
        kind: "units",
        title: `The ${ly.spec.out_channels} filters of this layer; pick one`,
        values: Array.from({ length: ly.spec.out_channels }, (_, oo) => z[oo * OH * OW + p * OW + q]),
        picked: o,
        layer: i,
        role: "filter",
      },
      {
        kind: "table",
        title: "Every product of the filter and the patch",
        columns: ["c", "u", "v", tx(`${X}`), tx("W"), tx("W \\cdot x")],
        rows: () => list.map((t2) => [t2.cidx, t2.u, t2.v, t2.x, t2.w, { v: t2.c, shown: true }]),
        highlightRow: picked,
        count: list.length,
      },
    ],
  };
}

function fmtPlain(x) {
  return tex(x).replace(" \\times 10^{", "e").replace("}", "");
}

/** Inline TeX inside plain text: $...$ (the page typesets it, Markdown keeps it). */
const tx = (s) => `$${s}$`;

function activationForward(T, P, i) {
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const zv = T.value(i, P.n);
  const av = T.value(i + 1, P.n);
  const Z = sym(T, i, j);
  const A = sym(T, i + 1, j);
  const z = zv[j];
  const a = av[j];
  let symbolic;
  let numeric;
  let caption;
  let shown;
  if (ly.kind === "relu") {
    symbolic = `${T.names[i + 1]}_j = \\max(0,\\ ${T.names[i]}_j)`;
    numeric = `${A} = \\max(0,\\ ${tex(z)}) = ${tex(a)}`;
    shown = Math.max(0, z);
    caption =
      "ReLU (rectified linear unit) keeps positive numbers and turns negative ones into 0. It is what lets the network bend: without it, the layers would collapse into one big linear function. A unit whose z is negative is 'off' and passes no gradient back.";
  } else if (ly.kind === "sigmoid") {
    symbolic = `${T.names[i + 1]}_j = \\sigma(${T.names[i]}_j) = \\frac{1}{1 + e^{-${T.names[i]}_j}}`;
    numeric = `${A} = \\frac{1}{1 + e^{-${texp(z)}}} = ${tex(a)}`;
    shown = 1 / (1 + Math.exp(-z));
    caption =
      "The sigmoid squashes any number into the range 0 to 1: large negative z gives nearly 0, large positive z nearly 1, and z = 0 gives exactly 0.5.";
  } else {
    symbolic = `${T.names[i + 1]}_j = \\tanh(${T.names[i]}_j)`;
    numeric = `${A} = \\tanh(${tex(z)}) = ${tex(a)}`;
    shown = Math.tanh(z);
    caption = "tanh squashes any number into the range −1 to 1, like a sigmoid stretched to be centred on 0.";
  }
  return {
    id: `fwd-${i}`,
    phase: "forward",
    layer: i,
    short: ly.title,
    title: `${ly.title} of unit ${subscript(T, i, j)}: ${tx(sym(T, i + 1, j))}`,
    caption,
    blocks: [
      { kind: "eq", symbolic, numeric },
      checkBlock(
        agrees(shown, a, 1e-5, 1e-7),
        `The core's value is ${fmtPlain(a)}.`,
        `The formula gives ${fmtPlain(shown)} but the core's value is ${fmtPlain(a)}.`,
      ),
      {
        kind: "values",
        items: [
          { key: "z", label: tx(Z), value: z },
          { key: "a", label: tx(A), value: a },
        ],
      },
      T.sizes[i + 1] <= 256
        ? { kind: "units", title: `Every unit after ${ly.title} (pick one)`, values: av, picked: j, layer: i, role: "unit" }
        : null,
      {
        kind: "table",
        title: "Every unit: before and after",
        columns: ["j", tx(`${T.names[i]}_j`), tx(`${T.names[i + 1]}_j`)],
        rows: () => Array.from(av, (v, jj) => [jj, zv[jj], v]),
        highlightRow: j,
        pickRow: { type: "unit", layer: i, offset: 0 },
        count: av.length,
      },
    ].filter(Boolean),
  };
}

function poolForward(T, P, i) {
  const ly = T.layers[i];
  const e = P.el[i + 1];
  const { size, stride } = ly.spec;
  const [c, r, s] = unflat(ly.outShape, e);
  const [, H, W] = ly.inShape;
  const x = T.value(i, P.n);
  const out = T.value(i + 1, P.n)[e];
  const win = T.winner(i, P.n, e);
  const cells = [];
  for (let u = 0; u < size; u++) for (let v = 0; v < size; v++) cells.push(c * H * W + (r * stride + u) * W + (s * stride + v));
  const vals = cells.map((idx) => x[idx]);
  return {
    id: `fwd-${i}`,
    phase: "forward",
    layer: i,
    short: "Max-pool",
    title: `Max-pooling: the largest of a ${size}×${size} window`,
    caption: `Max-pooling shrinks each feature map by keeping only the largest number of every ${size}×${size} window. It also remembers which input won (the argmax): on the way back, the gradient will go only there.`,
    blocks: [
      {
        kind: "eq",
        symbolic: `${T.names[i + 1]}_{c,r,s} = \\max_{u,v < ${size}} ${T.names[i]}_{c,\\,${stride}r+u,\\,${stride}s+v}`,
        numeric: `${sym(T, i + 1, e)} = \\max(${vals.map((v) => tex(v)).join(",\\ ")}) = ${tex(out)}`,
      },
      checkBlock(
        x[win] === out,
        `The winner is ${sym(T, i, win).replace(/\\/g, "")}; its value is the output.`,
        "The recorded winner does not hold the output value.",
      ),
      {
        kind: "values",
        items: [
          { key: "pooled", label: tx(sym(T, i + 1, e)), value: out },
          { key: "argmax", label: "The winner (argmax), as an index into the input", value: win, plain: true },
        ],
      },
      {
        kind: "grid",
        title: "The window (the winner outlined)",
        values: vals,
        h: size,
        w: size,
        palette: "diverging",
        highlight: cells.indexOf(win),
        label: "pooling window",
      },
    ],
  };
}

function flattenStep(T, P, i, phase) {
  const ly = T.layers[i];
  const k = P.el[i + 1];
  const [C, H, W] = ly.inShape.length === 3 ? ly.inShape : [1, 1, ly.inSize];
  const [c, r, s] = [Math.floor(k / (H * W)), Math.floor((k % (H * W)) / W), k % W];
  const v = phase === "forward" ? T.value(i + 1, P.n)[k] : T.grad(i + 1, P.n)[k];
  const name = T.names[i + 1];
  return {
    id: `${phase === "forward" ? "fwd" : "bwd"}-${i}`,
    phase,
    layer: i,
    short: "Flatten",
    title:
      phase === "forward"
        ? `Flatten: ${C} maps of ${H}×${W} become one list of ${ly.outSize}`
        : "Flatten, backward: the same numbers, put back in their maps",
    caption:
      phase === "forward"
        ? "A dense layer wants a flat list, so the maps are laid end to end: channel by channel, row by row. No number changes, only how we count."
        : "Flatten changed nothing but the indexing, so its gradient is the same list, folded back into maps.",
    blocks: [
      {
        kind: "eq",
        symbolic: `k = c \\cdot ${H * W} + r \\cdot ${W} + s`,
        numeric: `${k} = ${c} \\cdot ${H * W} + ${r} \\cdot ${W} + ${s}`,
      },
      {
        kind: "values",
        items: [
          {
            key: phase === "forward" ? "value" : "grad",
            label: tx(phase === "forward" ? `${name}_{${k}} = ${name}_{${c},${r},${s}}` : `\\partial L/\\partial ${name}_{${k}}`),
            value: v,
          },
        ],
      },
    ],
  };
}

function dropoutStep(T, P, i, phase) {
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const xin = T.value(i, P.n)[j];
  const out = T.value(i + 1, P.n)[j];
  const rate = ly.spec.rate;
  const kept = !(out === 0 && xin !== 0);
  const scale = 1 / (1 - rate);
  if (phase === "forward") {
    return {
      id: `fwd-${i}`,
      phase,
      layer: i,
      short: "Dropout",
      title: `Dropout (training only): unit ${j} was ${kept ? "kept" : "dropped"}`,
      caption: `While training, dropout switches off a random ${Math.round(rate * 100)}% of the units for each example and scales the others up by 1/(1 − ${rate}) = ${fmtPlain(scale)}, so the network cannot lean on any single unit. When predicting, it does nothing.`,
      blocks: [
        {
          kind: "eq",
          symbolic: `${T.names[i + 1]}_j = \\frac{m_j}{1 - ${rate}}\\, ${T.names[i]}_j,\\quad m_j \\in \\{0, 1\\}`,
          numeric: `${sym(T, i + 1, j)} = ${kept ? tex(scale) : "0"} \\cdot ${texp(xin)} = ${tex(out)}`,
        },
        { kind: "values", items: [{ key: "value", label: tx(sym(T, i + 1, j)), value: out }] },
      ],
    };
  }
  const g = T.grad(i + 1, P.n)[j];
  const gin = T.grad(i, P.n);
  return {
    id: `bwd-${i}`,
    phase,
    layer: i,
    short: "Dropout",
    title: `Dropout, backward: unit ${j} ${kept ? "kept" : "dropped"}`,
    caption:
      "A dropped unit did not take part, so no gradient goes back through it; a kept one passes its gradient on, scaled like its value was.",
    blocks: [
      gin
        ? {
            kind: "eq",
            symbolic: `\\frac{\\partial L}{\\partial ${T.names[i]}_j} = \\frac{m_j}{1 - ${rate}} \\frac{\\partial L}{\\partial ${T.names[i + 1]}_j}`,
            numeric: `\\frac{\\partial L}{\\partial ${sym(T, i, j)}} = ${kept ? tex(scale) : "0"} \\cdot ${texp(g)} = ${tex(gin[j])}`,
          }
        : null,
    ].filter(Boolean),
  };
}

function softmaxStep(T, P) {
  const n = P.n;
  const K = T.K;
  const z = T.loss.outputs.slice(n * K, (n + 1) * K);
  const p = T.loss.probs.slice(n * K, (n + 1) * K);
  const y = T.loss.labels ? T.loss.labels[n] : argmaxAbs(T.loss.targets.slice(n * K, (n + 1) * K));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const S = e.reduce((a, b) => a + b, 0);
  const ok = e.every((ek, k) => agrees(ek / S, p[k], 1e-5, 1e-7));
  const Z = T.names[T.L];
  const pred = p.indexOf(Math.max(...p));
  return {
    id: "softmax",
    phase: "forward",
    short: "Softmax",
    title: "Softmax: from scores to probabilities",
    caption: `The last layer gives ${K} scores (logits), one per class. Softmax turns them into probabilities: take e to the power of each score, then divide by their sum so they add up to 1. To keep ${tx("e^z")} from overflowing, the largest score m is subtracted first; that changes nothing in the result, because it cancels in the division. The network's answer is the most probable class: ${pred}.`,
    blocks: [
      {
        kind: "eq",
        symbolic: `p_k = \\frac{e^{${Z}_k - m}}{\\sum_{i} e^{${Z}_i - m}}, \\qquad m = \\max_i ${Z}_i`,
        numeric: `m = ${tex(m)}`,
      },
      {
        kind: "eq",
        symbolic: `S = \\sum_i e^{${Z}_i - m}`,
        numeric: sumTex(
          "S",
          e.map((v) => tex(v, 4)),
          tex(S),
        ),
      },
      {
        kind: "eq",
        symbolic: `p_{${y}} = \\frac{e^{${Z}_{${y}} - m}}{S}`,
        numeric: `p_{${y}} = \\frac{e^{${texp(z[y])} - ${texp(m)}}}{${tex(S)}} = \\frac{${tex(e[y])}}{${tex(S)}} = ${tex(p[y])}`,
      },
      checkBlock(
        ok,
        "Each e^(z − m) divided by the sum S equals the probability the core computed.",
        "The exps divided by their sum do not match the core's probabilities.",
      ),
      { kind: "bars", title: "The probabilities", values: p, mark: y, keyPrefix: "prob-" },
      {
        kind: "table",
        title: "Every number of the softmax",
        columns: ["k", tx(`${Z}_k`), tx(`${Z}_k - m`), tx(`e^{${Z}_k - m}`), tx("p_k")],
        rows: () => z.map((v, k) => [k, v, { v: v - m, shown: true }, { v: e[k], shown: true }, { v: p[k], key: `prob-${k}` }]),
        highlightRow: y,
        count: K,
        open: true,
      },
    ],
  };
}

function lossStep(T, P) {
  const n = P.n;
  const K = T.K;
  const o = T.loss.outputs.slice(n * K, (n + 1) * K);
  const t = T.loss.targets.slice(n * K, (n + 1) * K);
  const Le = T.loss.per_example[n];
  const Lv = T.loss.value;
  const blocks = [];
  const O = T.names[T.L];
  let caption;
  if (T.loss.kind === "softmax_cross_entropy") {
    const p = T.loss.probs.slice(n * K, (n + 1) * K);
    if (T.loss.labels) {
      const y = T.loss.labels[n];
      caption = `Cross-entropy measures how surprised the network is by the right answer: minus the logarithm of the probability it gave the true class ${y}. A probability of 1 costs nothing; a probability near 0 costs a lot.`;
      blocks.push({ kind: "eq", symbolic: "L = -\\ln p_y", numeric: `L = -\\ln p_{${y}} = -\\ln ${texp(p[y])} = ${tex(Le)}` });
      blocks.push(
        checkBlock(
          agrees(-Math.log(p[y]), Le, 1e-4, 1e-6),
          `−ln p_y = ${fmtPlain(-Math.log(p[y]))}, the loss the core computed.`,
          `−ln p_y is ${fmtPlain(-Math.log(p[y]))} but the core's loss is ${fmtPlain(Le)}.`,
        ),
      );
      blocks.push({
        kind: "values",
        items: [
          { key: "prob-true", label: tx(`p_{${y}}`), value: p[y] },
          { key: "loss-example", label: "The loss L of this example", value: Le },
        ],
      });
    } else {
      caption = "Cross-entropy against a target distribution t: the average surprise, −Σ t_k ln p_k.";
      const terms2 = t.map((tk, k) => (tk ? `${texp(tk)} \\ln ${texp(p[k])}` : null)).filter(Boolean);
      blocks.push({ kind: "eq", symbolic: "L = -\\sum_k t_k \\ln p_k", numeric: `L = -(${terms2.join(" + ")}) = ${tex(Le)}` });
      blocks.push({ kind: "values", items: [{ key: "loss-example", label: "The loss L of this example", value: Le }] });
    }
  } else {
    const half = T.loss.kind === "half_sse";
    const diff = t.map((tk, k) => `(${tex(tk)} - ${tex(o[k])})^2`).join(" + ");
    const shown = (half ? 0.5 : 1 / K) * t.reduce((a, tk, k) => a + (tk - o[k]) ** 2, 0);
    caption = half
      ? "The half sum of squared errors: for each output, the difference between the target and what came out, squared (so that too high and too low both count), all added up and halved. The ½ is there so that the derivative comes out clean."
      : `The mean squared error: each output's difference from its target, squared, averaged over the ${K} outputs.`;
    blocks.push({
      kind: "eq",
      symbolic: half ? `E = \\tfrac12 \\sum_k (t_k - ${O}_k)^2` : `L = \\frac{1}{${K}} \\sum_k (t_k - ${O}_k)^2`,
      numeric: `${half ? "E = \\tfrac12" : `L = \\tfrac{1}{${K}}`}\\left(${diff}\\right) = ${tex(Le)}`,
    });
    blocks.push(
      checkBlock(
        agrees(shown, Le, 1e-5, 1e-7),
        `The terms give ${fmtPlain(shown)}, the loss the core computed.`,
        `The terms give ${fmtPlain(shown)} but the core's loss is ${fmtPlain(Le)}.`,
      ),
    );
    blocks.push({ kind: "values", items: [{ key: "loss-example", label: "The loss of this example", value: Le }] });
  }
  if (T.N > 1)
    blocks.push({
      kind: "eq",
      symbolic: `L_{\\text{batch}} = \\frac{1}{${T.N}} \\sum_n L^{(n)}`,
      numeric: `L_{\\text{batch}} = \\tfrac{1}{${T.N}}(${T.loss.per_example.map((v) => tex(v)).join(" + ")}) = ${tex(Lv)}`,
    });
  blocks.push({ kind: "values", items: [{ key: "loss", label: T.N > 1 ? "The loss of the batch" : "The loss", value: Lv, big: true }] });
  return { id: "loss", phase: "forward", short: "Loss", title: `The loss: ${lossName(T.loss.kind)}`, caption, blocks };
}

export function lossName(kind) {
  return { softmax_cross_entropy: "cross-entropy", mse: "mean squared error", half_sse: "half sum of squared errors" }[kind] || kind;
}

function outputGradStep(T, P) {
  const n = P.n;
  const K = T.K;
  const N = T.N;
  const g = T.loss.grad.slice(n * K, (n + 1) * K);
  const o = T.loss.outputs.slice(n * K, (n + 1) * K);
  const t = T.loss.targets.slice(n * K, (n + 1) * K);
  const j = P.el[T.L];
  const O = T.names[T.L];
  const over = N > 1 ? `\\frac{1}{${N}}` : "";
  const blocks = [];
  let caption;
  let columns;
  let rows;
  if (T.loss.kind === "softmax_cross_entropy") {
    const p = T.loss.probs.slice(n * K, (n + 1) * K);
    caption =
      "Now backward. Softmax and cross-entropy together have the simplest gradient there is: for each class, the probability minus the target (1 for the right class, 0 for the others). The right class gets a negative gradient (its score should go up); every other class a positive one (its score should go down), in proportion to how much probability it wrongly took." +
      (N > 1
        ? ` Averaged over the batch, each is divided by N = ${N}.`
        : " (For a batch of N examples, each is divided by N; here N = 1.)");
    blocks.push({
      kind: "eq",
      symbolic: `\\frac{\\partial L}{\\partial ${O}_k} = ${over}(p_k - y_k)`,
      numeric: `\\frac{\\partial L}{\\partial ${O}_{${j}}} = ${over}(${tex(p[j])} - ${tex(t[j])}) = ${tex(g[j])}`,
    });
    blocks.push(
      checkBlock(
        agrees((p[j] - t[j]) / N, g[j], 1e-5, 1e-7),
        "p − y as written equals the core's gradient.",
        "p − y as written differs from the core's gradient.",
      ),
    );
    columns = ["k", tx("p_k"), tx("y_k"), tx(`\\partial L/\\partial ${O}_k`)];
    rows = () => g.map((v, k) => [k, p[k], t[k], { v, key: `dout-${k}` }]);
  } else {
    const half = T.loss.kind === "half_sse";
    const f = half ? "" : `\\frac{2}{${K}}`;
    caption = half
      ? `Now backward. The derivative of ½(t − o)² with respect to o is o − t: how far each output is from its target, with a sign saying which way.${N > 1 ? ` Averaged over the batch (N = ${N}).` : ""}`
      : `Now backward. The derivative of the mean squared error with respect to each output is 2(o − t)/${K}.`;
    blocks.push({
      kind: "eq",
      symbolic: `\\frac{\\partial ${half ? "E" : "L"}}{\\partial ${O}_k} = ${over}${f}(${O}_k - t_k)`,
      numeric: `\\frac{\\partial ${half ? "E" : "L"}}{\\partial ${O}_{${j}}} = ${over}${f}(${tex(o[j])} - ${tex(t[j])}) = ${tex(g[j])}`,
    });
    blocks.push(
      checkBlock(
        agrees(((half ? 1 : 2 / K) * (o[j] - t[j])) / N, g[j], 1e-5, 1e-7),
        "As written, it equals the core's gradient.",
        "As written, it differs from the core's gradient.",
      ),
    );
    columns = ["k", tx(`${O}_k`), tx("t_k"), tx(`\\partial L/\\partial ${O}_k`)];
    rows = () => g.map((v, k) => [k, o[k], t[k], { v, key: `dout-${k}` }]);
  }
  blocks.push({ kind: "values", items: [{ key: "dout", label: tx(`\\partial L/\\partial ${O}_{${j}}`), value: g[j] }] });
  if (K <= 64) blocks.push({ kind: "bars", title: "The gradient for every output", values: g, mark: j, signed: true });
  blocks.push({ kind: "table", title: "Every output's gradient", columns, rows, highlightRow: j, count: K, open: true });
  return {
    id: "dout",
    phase: "backward",
    short: T.loss.kind === "softmax_cross_entropy" ? "p − y" : "o − t",
    title: "Backward starts: the gradient at the output",
    caption,
    blocks,
  };
}

function activationBackward(T, P, i) {
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const z = T.value(i, P.n)[j];
  const a = T.value(i + 1, P.n)[j];
  const g = T.grad(i + 1, P.n)[j];
  const below = T.grad(i, P.n);
  const d = below ? below[j] : null;
  const A = sym(T, i + 1, j);
  const Z = sym(T, i, j);
  let local;
  let localTex;
  let localSym;
  let caption;
  if (ly.kind === "relu") {
    local = z > 0 ? 1 : 0;
    localSym = `\\mathbb{1}[${T.names[i]}_j > 0]`;
    localTex = `\\mathbb{1}[${tex(z)} > 0]`;
    caption = `The chain rule: to get the gradient at z, multiply the gradient at a by how much a changes when z changes. For ReLU that is 1 when the unit was on (z > 0) and 0 when it was off. This unit was ${z > 0 ? "on, so its gradient passes through unchanged" : "off, so its gradient stops here: none of its weights will change in this step"}.`;
  } else if (ly.kind === "sigmoid") {
    local = a * (1 - a);
    localSym = `\\sigma'(${T.names[i]}_j) = ${T.names[i + 1]}_j(1 - ${T.names[i + 1]}_j)`;
    localTex = `${tex(a)}\\,(1 - ${tex(a)})`;
    caption =
      "The chain rule: the gradient at z is the gradient at a times how much a changes when z changes. The sigmoid's slope has a neat form, a(1 − a), largest (0.25) at a = 0.5 and tiny when the unit is nearly 0 or 1.";
  } else {
    local = 1 - a * a;
    localSym = `1 - ${T.names[i + 1]}_j^2`;
    localTex = `(1 - ${texp(a)}^2)`;
    caption = "The chain rule: the gradient at z is the gradient at a times the slope of tanh, 1 − a².";
  }
  const shown = g * local;
  const blocks = [];
  const isDelta = i > 0 && (T.layers[i - 1].kind === "dense" || T.layers[i - 1].kind === "conv2d");
  const dname = isDelta ? `\\delta^{[${T.layers[i - 1].l}]}_{${subscript(T, i, j)}}` : `\\frac{\\partial L}{\\partial ${Z}}`;
  blocks.push({
    kind: "eq",
    symbolic: `${isDelta ? `\\delta_j = ` : ""}\\frac{\\partial L}{\\partial ${T.names[i]}_j} = \\frac{\\partial L}{\\partial ${T.names[i + 1]}_j} \\cdot ${localSym}`,
    numeric: d === null ? `\\frac{\\partial L}{\\partial ${A}} = ${tex(g)}` : `${dname} = ${texp(g)} \\cdot ${localTex} = ${tex(d)}`,
  });
  if (d !== null)
    blocks.push(
      checkBlock(
        agrees(shown, d, 1e-5, 1e-9),
        "The product equals the gradient the core passed back.",
        `The product is ${fmtPlain(shown)} but the core passed back ${fmtPlain(d)}.`,
      ),
    );
  blocks.push({
    kind: "values",
    items: [
      { key: "dout", label: tx(`\\partial L/\\partial ${A}`), value: g },
      d !== null ? { key: "delta", label: tx(dname), value: d } : null,
    ].filter(Boolean),
  });
  if (below) {
    const gAll = T.grad(i + 1, P.n);
    const zAll = T.value(i, P.n);
    blocks.push({
      kind: "table",
      title: "Every unit: gradient in, gradient out",
      columns: ["j", tx(`${T.names[i]}_j`), tx(`\\partial L/\\partial ${T.names[i + 1]}_j`), tx(`\\partial L/\\partial ${T.names[i]}_j`)],
      rows: () => Array.from(below, (v, jj) => [jj, zAll[jj], gAll[jj], v]),
      highlightRow: j,
      pickRow: { type: "unit", layer: i, offset: 0 },
      count: below.length,
    });
  }
  return {
    id: `bwd-${i}`,
    phase: "backward",
    layer: i,
    short: `${ly.title} ∂`,
    title: `Back through ${ly.title}: ${tx(sym(T, i + 1, j))}`,
    caption,
    blocks,
  };
}

function denseBackward(T, P, i) {
  const ly = T.layers[i];
  const K = ly.inSize;
  const j = P.el[i + 1];
  const k = P.el[i];
  const X = T.names[i];
  const l = ly.l;
  const widx = j * K + k;
  const gW = ly.params.weight.grad;
  const gB = ly.params.bias.grad;
  const blocks = [];
  const deltas = Array.from({ length: T.N }, (_, n) => T.grad(i + 1, n));
  const xs = Array.from({ length: T.N }, (_, n) => T.value(i, n));
  const dj = deltas[P.n][j];
  const xk = xs[P.n][k];
  const single = T.N === 1;
  const prodShown = deltas.reduce((a, d, n) => a + d[j] * xs[n][k], 0);
  blocks.push({
    kind: "eq",
    symbolic: single
      ? `\\frac{\\partial L}{\\partial W^{[${l}]}_{j,k}} = \\frac{\\partial L}{\\partial ${T.names[i + 1]}_j}\\,\\frac{\\partial ${T.names[i + 1]}_j}{\\partial W^{[${l}]}_{j,k}} = \\delta_j\\, ${X}_k`
      : `\\frac{\\partial L}{\\partial W^{[${l}]}_{j,k}} = \\sum_n \\delta^{(n)}_j\\, ${X}^{(n)}_k`,
    numeric: single
      ? `\\frac{\\partial L}{\\partial W^{[${l}]}_{${j},${k}}} = ${texp(dj)} \\cdot ${texp(xk)} = ${tex(gW[widx])}`
      : `\\frac{\\partial L}{\\partial W^{[${l}]}_{${j},${k}}} = ${deltas.map((d, n) => `${texp(d[j])} \\cdot ${texp(xs[n][k])}`).join(" + ")} = ${tex(gW[widx])}`,
  });
  blocks.push(
    checkBlock(
      agrees(prodShown, gW[widx], 1e-5, 1e-9),
      "δ·x equals the weight gradient the core computed.",
      `δ·x is ${fmtPlain(prodShown)} but the core's gradient is ${fmtPlain(gW[widx])}.`,
    ),
  );
  blocks.push({
    kind: "gradcheck",
    layer: i,
    param: "weight",
    index: widx,
    analytic: gW[widx],
    label: tx(`\\partial L/\\partial W^{[${l}]}_{${j},${k}}`),
  });
  blocks.push({
    kind: "eq",
    symbolic: single
      ? `\\frac{\\partial L}{\\partial b^{[${l}]}_j} = \\delta_j \\cdot 1`
      : `\\frac{\\partial L}{\\partial b^{[${l}]}_j} = \\sum_n \\delta^{(n)}_j`,
    numeric: single
      ? `\\frac{\\partial L}{\\partial b^{[${l}]}_{${j}}} = ${tex(gB[j])}`
      : `\\frac{\\partial L}{\\partial b^{[${l}]}_{${j}}} = ${deltas.map((d) => texp(d[j])).join(" + ")} = ${tex(gB[j])}`,
  });
  blocks.push({
    kind: "values",
    items: [
      { key: "delta", label: tx(`\\delta^{[${l}]}_{${j}}`), value: dj },
      { key: "input", label: tx(`${X}_{${k}}`), value: xk },
      { key: "grad-w", label: tx(`\\partial L/\\partial W^{[${l}]}_{${j},${k}}`), value: gW[widx] },
      { key: "grad-b", label: tx(`\\partial L/\\partial b^{[${l}]}_{${j}}`), value: gB[j] },
    ],
  });
  // The gradient passed down to the layer below: ∂L/∂x_k = Σ_j W_jk δ_j.
  const below = T.grad(i, P.n);
  if (below) {
    const W = ly.params.weight.before;
    const d = deltas[P.n];
    const t = terms(
      Array.from(d, (dv, jj) => ({ j: jj, w: W[jj * K + k], d: dv, c: W[jj * K + k] * dv })),
      d.length <= 6 ? 6 : 5,
    );
    blocks.push({
      kind: "text",
      text: `Passing the blame down: input ${tx(sym(T, i, k))} feeds every unit of this layer, so its gradient adds up what it receives from each of them, through the same weights.`,
    });
    blocks.push({
      kind: "eq",
      symbolic: `\\frac{\\partial L}{\\partial ${X}_k} = \\sum_j W^{[${l}]}_{j,k}\\, \\delta_j`,
      numeric: sumTex(
        `\\frac{\\partial L}{\\partial ${X}_{${subscript(T, i, k)}}}`,
        [...t.shown.map((s) => `${texp(s.w)} \\cdot ${texp(s.d)}`), ...restTerm(t)],
        tex(below[k]),
      ),
    });
    blocks.push(
      checkBlock(
        sumAgrees(t.total, below[k], t.scale),
        "The sum equals the gradient the core passed down.",
        `The sum is ${fmtPlain(t.total)} but the core passed down ${fmtPlain(below[k])}.`,
      ),
    );
  }
  const gRow = gW.slice(j * K, (j + 1) * K);
  const img = imageOf(T, i, gRow, k);
  const dAll = deltas[P.n];
  blocks.push({
    kind: "grid",
    title: `Gradients of unit ${j}'s weights, δ·x (the picked one outlined)${img.note ? ", " + img.note : ""}`,
    values: img.values,
    h: img.h,
    w: img.w,
    palette: "diverging",
    highlight: img.highlight,
    pick: { type: "input", layer: i, offset: img.offset },
    label: "weight gradients of the picked unit",
  });
  if (ly.outSize <= 256)
    blocks.push({ kind: "units", title: `δ of every unit of this layer (pick one)`, values: dAll, picked: j, layer: i, role: "unit" });
  blocks.push({
    kind: "table",
    title: `Every weight gradient of unit ${j}`,
    columns: ["k", tx(`${X}_k`), tx(`\\partial L/\\partial W_{${j},k}`)],
    rows: () => gRow.map((g, kk) => [kk, xs[P.n][kk], g]),
    highlightRow: k,
    pickRow: { type: "input", layer: i, offset: 0 },
    count: K,
  });
  blocks.push({
    kind: "table",
    title: "Every unit: δ and the bias gradient",
    columns: ["j", tx("\\delta_j"), tx("\\partial L/\\partial b_j")],
    rows: () => Array.from(dAll, (v, jj) => [jj, v, gB[jj]]),
    highlightRow: j,
    pickRow: { type: "unit", layer: i, offset: 0 },
    count: dAll.length,
  });
  return {
    id: `bwd-${i}`,
    phase: "backward",
    layer: i,
    param: { layer: i, name: "weight", index: widx },
    short: `${ly.title} ∂`,
    title: `${ly.title}, backward: the gradient of weight ${tx(`W^{[${l}]}_{${j},${k}}`)}`,
    caption: `δ, the gradient at this unit's weighted sum z, says how much the loss changes when z changes. The weight ${tx(`W_{${j},${k}}`)} enters z multiplied by its input ${tx(`${X}_{${k}}`)}, so nudging the weight moves z by ${tx(`${X}_{${k}}`)} times as much: by the chain rule, its gradient is δ times ${tx(`${X}_{${k}}`)}. The bias adds straight into z, so its gradient is δ itself. Beside it, a gradient check nudges the weight a tiny bit up and down and measures the loss, to show that backprop got it right.`,
    blocks,
  };
}

function convBackward(T, P, i) {
  const ly = T.layers[i];
  const e = P.el[i + 1];
  const [o] = unflat(ly.outShape, e);
  const { in_channels: C, kernel: k, stride: s, padding: pad } = ly.spec;
  const [, H, W] = ly.inShape;
  const [, OH, OW] = ly.outShape;
  const kp = P.kp[i];
  const widx = ((o * C + kp.c) * k + kp.u) * k + kp.v;
  const gW = ly.params.weight.grad;
  const gB = ly.params.bias.grad;
  const list = [];
  for (let n = 0; n < T.N; n++) {
    const d = T.grad(i + 1, n);
    const x = T.value(i, n);
    for (let p = 0; p < OH; p++)
      for (let q = 0; q < OW; q++) {
        const r = p * s + kp.u - pad;
        const cc = q * s + kp.v - pad;
        const xv = r >= 0 && cc >= 0 && r < H && cc < W ? x[kp.c * H * W + r * W + cc] : 0;
        const dv = d[o * OH * OW + p * OW + q];
        list.push({ n, p, q, d: dv, x: xv, c: dv * xv });
      }
  }
  const t = terms(list, 5);
  const nonzero = list.filter((t2) => t2.d !== 0).length;
  const bsum = list.reduce((a, t2) => a + t2.d, 0);
  const bscale = list.reduce((a, t2) => a + Math.abs(t2.d), 0);
  const dmap = T.grad(i + 1, P.n).slice(o * OH * OW, (o + 1) * OH * OW);
  const Z = T.names[i + 1];
  const X = T.names[i];
  return {
    id: `bwd-${i}`,
    phase: "backward",
    layer: i,
    param: { layer: i, name: "weight", index: widx },
    short: `${ly.title} ∂`,
    title: `${ly.title}, backward: the gradient of filter weight ${tx(`W^{[${ly.l}]}_{${o},${kp.c},${kp.u},${kp.v}}`)}`,
    caption: `A filter weight is used at every one of the ${OH * OW} positions of its map, so its gradient adds up δ × input over all of them. Only ${nonzero} of the ${list.length} δ's are non-zero: the others belong to positions that lost the max-pooling or where ReLU was off, so they sent no gradient back.`,
    blocks: [
      {
        kind: "eq",
        symbolic: `\\frac{\\partial L}{\\partial W_{o,c,u,v}} = \\sum_{p,q} \\delta_{o,p,q}\\; ${X}_{c,\\,p+u,\\,q+v}`,
        numeric: sumTex(
          `\\frac{\\partial L}{\\partial W_{${o},${kp.c},${kp.u},${kp.v}}}`,
          [...t.shown.map((s2) => `${texp(s2.d)} \\cdot ${texp(s2.x)}`), ...restTerm(t)],
          tex(gW[widx]),
        ),
      },
      checkBlock(
        sumAgrees(t.total, gW[widx], t.scale),
        "The sum equals the weight gradient the core computed.",
        `The sum is ${fmtPlain(t.total)} but the core's gradient is ${fmtPlain(gW[widx])}.`,
      ),
      {
        kind: "gradcheck",
        layer: i,
        param: "weight",
        index: widx,
        analytic: gW[widx],
        label: tx(`\\partial L/\\partial W_{${o},${kp.c},${kp.u},${kp.v}}`),
      },
      {
        kind: "eq",
        symbolic: "\\frac{\\partial L}{\\partial b_o} = \\sum_{p,q} \\delta_{o,p,q}",
        numeric: `\\frac{\\partial L}{\\partial b_{${o}}} = ${tex(gB[o])}`,
      },
      checkBlock(
        sumAgrees(bsum, gB[o], bscale),
        "The δ's of the map add up to the bias gradient the core computed.",
        `The δ's add up to ${fmtPlain(bsum)} but the core's bias gradient is ${fmtPlain(gB[o])}.`,
      ),
      {
        kind: "values",
        items: [
          { key: "grad-w", label: tx(`\\partial L/\\partial W_{${o},${kp.c},${kp.u},${kp.v}}`), value: gW[widx] },
          { key: "grad-b", label: tx(`\\partial L/\\partial b_{${o}}`), value: gB[o] },
        ],
      },
      {
        kind: "grid",
        title: `δ of feature map ${o}, ${tx(`\\partial L/\\partial ${Z}`)} (pick a position)`,
        values: dmap,
        h: OH,
        w: OW,
        palette: "diverging",
        highlight: e - o * OH * OW,
        pick: { type: "unit", layer: i, offset: o * OH * OW },
        label: "delta map",
      },
      {
        kind: "grid",
        title: `Gradients of filter ${o}'s weights (pick one)`,
        values: gW.slice((o * C + kp.c) * k * k, (o * C + kp.c + 1) * k * k),
        h: k,
        w: k,
        palette: "diverging",
        highlight: kp.u * k + kp.v,
        pick: { type: "kernel", layer: i, c: kp.c },
        label: "filter gradients",
      },
      {
        kind: "table",
        title: "Every non-zero term of the sum",
        columns: ["p", "q", tx("\\delta_{o,p,q}"), tx("x"), tx("\\delta \\cdot x")],
        rows: () => list.filter((t2) => t2.d !== 0).map((t2) => [t2.p, t2.q, t2.d, t2.x, { v: t2.c, shown: true }]),
        count: nonzero,
      },
    ],
  };
}

function poolBackward(T, P, i) {
  const ly = T.layers[i];
  const e = P.el[i + 1];
  const win = T.winner(i, P.n, e);
  const g = T.grad(i + 1, P.n)[e];
  const below = T.grad(i, P.n);
  return {
    id: `bwd-${i}`,
    phase: "backward",
    layer: i,
    short: "Max-pool ∂",
    title: "Max-pooling, backward: the gradient goes to the winner",
    caption:
      "Only the winner of each window influenced the output, so only the winner gets the gradient; the other inputs of the window get 0. This is why max-pooling remembers its argmax.",
    blocks: [
      {
        kind: "eq",
        symbolic: `\\frac{\\partial L}{\\partial ${T.names[i]}_{\\text{winner}}} = \\frac{\\partial L}{\\partial ${T.names[i + 1]}_{c,r,s}},\\quad \\text{0 for the others}`,
        numeric: `\\frac{\\partial L}{\\partial ${sym(T, i, win)}} = ${tex(g)}`,
      },
      below
        ? checkBlock(
            below[win] === g,
            "The core routed exactly this gradient to the winner.",
            `The core's gradient at the winner is ${fmtPlain(below[win])}.`,
          )
        : null,
      {
        kind: "values",
        items: [
          { key: "grad", label: tx(`\\partial L/\\partial ${sym(T, i + 1, e)}`), value: g },
          { key: "argmax", label: "Sent to input (argmax)", value: win, plain: true },
        ],
      },
    ].filter(Boolean),
  };
}

function updateStep(T, P, i) {
  const ly = T.layers[i];
  const W = ly.params.weight;
  const B = ly.params.bias;
  const widx = weightIndex(T, i, P);
  const name =
    ly.kind === "dense"
      ? `W^{[${ly.l}]}_{${P.el[i + 1]},${P.el[i]}}`
      : (() => {
          const [o] = unflat(ly.outShape, P.el[i + 1]);
          const kp = P.kp[i];
          return `W^{[${ly.l}]}_{${o},${kp.c},${kp.u},${kp.v}}`;
        })();
  const bidx = ly.kind === "dense" ? P.el[i + 1] : unflat(ly.outShape, P.el[i + 1])[0];
  const opt = T.trace.optimizer;
  const cfg = opt.config;
  const u = W.update;
  const g = W.grad[widx];
  const before = W.before[widx];
  const after = W.after[widx];
  const blocks = [];
  let caption;
  const paramRef = { layer: i, name: "weight", index: widx };
  if (cfg.type === "adam") {
    const { bc1, bc2 } = opt.bias_correction;
    const t = opt.t;
    const mPrev = u.m_before[widx];
    const vPrev = u.v_before[widx];
    const m = u.m[widx];
    const v = u.v[widx];
    const mh = u.m_hat[widx];
    const vh = u.v_hat[widx];
    const st = u.step[widx];
    caption =
      `Adam does not step by the raw gradient. It keeps, for every weight, a running average of its gradients (m, the direction) and of their squares (v, how big they usually are), and steps by m divided by the square root of v: about α in size whatever the gradient's scale. Early on m and v are biased towards their starting value 0, so both are divided by a correction 1 − βᵗ that is small at first and tends to 1. ` +
      (t === 1
        ? "This is the first step (t = 1), so m and v start at 0; after the correction m̂ = g and v̂ = g², so the step is almost exactly α, whichever way the gradient points."
        : `This is step t = ${t}; m and v carry over from the ${t - 1} step${t === 2 ? "" : "s"} before.`);
    blocks.push({
      kind: "values",
      items: [
        { key: "lr", label: tx("\\alpha"), value: cfg.lr },
        { key: "beta1", label: tx("\\beta_1"), value: cfg.beta1 },
        { key: "beta2", label: tx("\\beta_2"), value: cfg.beta2 },
        { key: "eps", label: tx("\\varepsilon"), value: cfg.eps },
        { key: "t", label: "step t", value: t, plain: true },
      ],
    });
    blocks.push({
      kind: "eq",
      caption: `θ stands for the weight ${tx(name)}; g is its gradient from the backward pass.`,
      symbolic: "g = \\frac{\\partial L}{\\partial \\theta}",
      numeric: `g = ${tex(g)}`,
    });
    blocks.push({
      kind: "eq",
      symbolic: "m_t = \\beta_1 m_{t-1} + (1 - \\beta_1)\\, g",
      numeric: `m_{${t}} = ${tex(cfg.beta1)} \\cdot ${texp(mPrev)} + ${tex(1 - cfg.beta1)} \\cdot ${texp(g)} = ${tex(m)}`,
    });
    blocks.push({
      kind: "eq",
      symbolic: "v_t = \\beta_2 v_{t-1} + (1 - \\beta_2)\\, g^2",
      numeric: `v_{${t}} = ${tex(cfg.beta2)} \\cdot ${texp(vPrev)} + ${tex(1 - cfg.beta2)} \\cdot ${texp(g)}^2 = ${tex(v)}`,
    });
    blocks.push({
      kind: "eq",
      symbolic: "\\hat m_t = \\frac{m_t}{1 - \\beta_1^t}",
      numeric: `\\hat m_{${t}} = \\frac{${tex(m)}}{1 - ${tex(cfg.beta1)}^{${t}}} = \\frac{${tex(m)}}{${tex(bc1)}} = ${tex(mh)}`,
    });
    blocks.push({
      kind: "eq",
      symbolic: "\\hat v_t = \\frac{v_t}{1 - \\beta_2^t}",
      numeric: `\\hat v_{${t}} = \\frac{${tex(v)}}{1 - ${tex(cfg.beta2)}^{${t}}} = \\frac{${tex(v)}}{${tex(bc2)}} = ${tex(vh)}`,
    });
    blocks.push({
      kind: "eq",
      symbolic: "\\Delta\\theta = -\\alpha\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\varepsilon}",
      numeric: `\\Delta\\theta = -${tex(cfg.lr)} \\cdot \\frac{${tex(mh)}}{\\sqrt{${tex(vh)}} + ${tex(cfg.eps)}} = ${tex(st)}`,
    });
    blocks.push({
      kind: "eq",
      symbolic: `${name} \\leftarrow ${name} + \\Delta\\theta`,
      numeric: `${name} = ${tex(before)} + ${texp(st)} = ${tex(after)}`,
    });
    const shownStep = (-cfg.lr * mh) / (Math.sqrt(vh) + cfg.eps);
    blocks.push(
      checkBlock(
        agrees(shownStep, st, 1e-5, 1e-12),
        "−α·m̂/(√v̂ + ε) from the numbers above equals the step the core took.",
        `−α·m̂/(√v̂ + ε) from the numbers above is ${fmtPlain(shownStep)}, the core's step is ${fmtPlain(st)}.`,
      ),
    );
    blocks.push({
      kind: "values",
      items: [
        { key: "g", label: tx("g"), value: g },
        { key: "m-prev", label: tx(`m_{${t - 1}}`), value: mPrev },
        { key: "v-prev", label: tx(`v_{${t - 1}}`), value: vPrev },
        { key: "m", label: tx(`m_{${t}}`), value: m },
        { key: "v", label: tx(`v_{${t}}`), value: v },
        { key: "bc1", label: tx(`1 - \\beta_1^{${t}}`), value: bc1 },
        { key: "bc2", label: tx(`1 - \\beta_2^{${t}}`), value: bc2 },
        { key: "m-hat", label: tx("\\hat m"), value: mh },
        { key: "v-hat", label: tx("\\hat v"), value: vh },
        { key: "step", label: tx("\\Delta\\theta"), value: st },
        { key: "before", label: `${tx(name)} before`, value: before },
        { key: "after", label: `${tx(name)} after`, value: after, big: true },
      ],
    });
    const bu = B.update;
    blocks.push({
      kind: "table",
      title: `The same for the bias ${tx(`b_{${bidx}}`)} and every weight of the ${ly.kind === "conv2d" ? "filter" : "unit"}`,
      columns: ["", tx("\\theta"), tx("g"), tx("m"), tx("v"), tx("\\hat m"), tx("\\hat v"), tx("\\Delta\\theta"), tx("\\theta'")],
      rows: () => {
        const rows = [
          [`b_${bidx}`, B.before[bidx], B.grad[bidx], bu.m[bidx], bu.v[bidx], bu.m_hat[bidx], bu.v_hat[bidx], bu.step[bidx], B.after[bidx]],
        ];
        for (const r of unitWeights(T, i, P))
          rows.push([
            r.label,
            W.before[r.idx],
            W.grad[r.idx],
            u.m[r.idx],
            u.v[r.idx],
            u.m_hat[r.idx],
            u.v_hat[r.idx],
            u.step[r.idx],
            W.after[r.idx],
          ]);
        return rows;
      },
      highlightRow: 1 + unitWeights(T, i, P).findIndex((r) => r.idx === widx),
      count: 1 + unitWeights(T, i, P).length,
    });
  } else {
    const lr = cfg.lr;
    const mu = cfg.momentum || 0;
    const velPrev = W.update.velocity_before[widx];
    const vel = W.update.velocity[widx];
    const st = W.update.step[widx];
    caption = mu
      ? `Gradient descent with momentum: each weight keeps a velocity that adds up its recent gradients (the old velocity shrinks by μ = ${mu} each step), and steps by −η times it, so steady directions speed up.`
      : `Plain gradient descent: step every weight a little against its gradient. The learning rate η = ${lr} sets how big a step.`;
    blocks.push({
      kind: "values",
      items: [{ key: "lr", label: tx("\\eta"), value: lr }, mu ? { key: "momentum", label: tx("\\mu"), value: mu } : null].filter(Boolean),
    });
    if (mu) {
      blocks.push({
        kind: "eq",
        symbolic: "v_t = \\mu\\, v_{t-1} + g",
        numeric: `v_{${opt.t}} = ${tex(mu)} \\cdot ${texp(velPrev)} + ${texp(g)} = ${tex(vel)}`,
      });
      blocks.push({
        kind: "eq",
        symbolic: `${name} \\leftarrow ${name} - \\eta\\, v_t`,
        numeric: `${name} = ${tex(before)} - ${tex(lr)} \\cdot ${texp(vel)} = ${tex(after)}`,
      });
    } else {
      blocks.push({
        kind: "eq",
        symbolic: `${name} \\leftarrow ${name} - \\eta\\, \\frac{\\partial L}{\\partial ${name}}`,
        numeric: `${name} = ${tex(before)} - ${tex(lr)} \\cdot ${texp(g)} = ${tex(after)}`,
      });
    }
    blocks.push(
      checkBlock(
        agrees(-lr * vel, st, 1e-5, 1e-12) && agrees(before + st, after, 1e-6, 1e-9),
        "The step as written equals the one the core took.",
        "The step as written differs from the core's.",
      ),
    );
    blocks.push({
      kind: "values",
      items: [
        { key: "g", label: tx("g"), value: g },
        mu ? { key: "velocity-prev", label: tx(`v_{${opt.t - 1}}`), value: velPrev } : null,
        { key: "velocity", label: mu ? tx(`v_{${opt.t}}`) : "velocity (= g without momentum)", value: vel },
        { key: "step", label: tx("\\Delta\\theta"), value: st },
        { key: "before", label: `${tx(name)} before`, value: before },
        { key: "after", label: `${tx(name)} after`, value: after, big: true },
      ].filter(Boolean),
    });
    blocks.push({
      kind: "table",
      title: `The same for the bias ${tx(`b_{${bidx}}`)} and every weight of the ${ly.kind === "conv2d" ? "filter" : "unit"}`,
      columns: ["", tx("\\theta"), tx("g"), tx("v"), tx("\\Delta\\theta"), tx("\\theta'")],
      rows: () => {
        const rows = [[`b_${bidx}`, B.before[bidx], B.grad[bidx], B.update.velocity[bidx], B.update.step[bidx], B.after[bidx]]];
        for (const r of unitWeights(T, i, P))
          rows.push([r.label, W.before[r.idx], W.grad[r.idx], W.update.velocity[r.idx], W.update.step[r.idx], W.after[r.idx]]);
        return rows;
      },
      highlightRow: 1 + unitWeights(T, i, P).findIndex((r) => r.idx === widx),
      count: 1 + unitWeights(T, i, P).length,
    });
  }
  return {
    id: `upd-${i}`,
    phase: "update",
    layer: i,
    param: paramRef,
    short: `${cfg.type === "adam" ? "Adam" : "SGD"} ${ly.l}`,
    title: `${cfg.type === "adam" ? "Adam" : "Gradient descent"} updates weight ${tx(name)}`,
    caption,
    blocks,
  };
}

/** The weights of the picked unit (dense row) or filter (conv), with labels. */
function unitWeights(T, i, P) {
  const ly = T.layers[i];
  if (ly.kind === "dense") {
    const j = P.el[i + 1];
    return Array.from({ length: ly.inSize }, (_, k) => ({ idx: j * ly.inSize + k, label: `W_${j},${k}` }));
  }
  const { in_channels: C, kernel: k } = ly.spec;
  const [o] = unflat(ly.outShape, P.el[i + 1]);
  const out = [];
  for (let c = 0; c < C; c++)
    for (let u = 0; u < k; u++)
      for (let v = 0; v < k; v++) out.push({ idx: ((o * C + c) * k + u) * k + v, label: `W_${o},${c},${u},${v}` });
  return out;
}
