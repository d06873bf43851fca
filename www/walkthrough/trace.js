// @ts-check
// The worked trace (src/trace.rs, README "The worked trace"), made easy to index: shapes, names,
// one example's slice of any tensor, max-pooling's winners.
//
// Names follow the layer index, as everywhere else (the spec's `layers[i]`, the model file's
// `layers.{i}.weight`, the Weights view's "Layer i"): layer i's parameters are W^[i] and b^[i];
// what it computes is z^[i] (dense, conv2d: the weighted sum), a^[i] (an activation), h^[i]
// (max-pooling) or ã^[i] (dropout); flatten keeps its input's name. δ^[i] = ∂L/∂z^[i].
//
// Read next: picks.js (which unit and weight the walk-through follows), steps.js.

const ACTIVATIONS = new Set(["relu", "sigmoid", "tanh"]);
export const prod = (s) => s.reduce((a, b) => a * b, 1);

/** What each kind of layer is called in titles. */
export const KIND_NAMES = {
  dense: "dense",
  conv2d: "convolution",
  relu: "ReLU",
  sigmoid: "sigmoid",
  tanh: "tanh",
  maxpool2d: "max-pooling",
  flatten: "flatten",
  dropout: "dropout",
};

/**
 * @typedef {object} LayerInfo
 * @property {number} i the layer's index
 * @property {number} l the same (the number in W^[l]; kept for views that read `l`)
 * @property {string} kind `dense`, `conv2d`, `relu`, …
 * @property {any} spec the trace's layer spec
 * @property {number[]} inShape @property {number[]} outShape
 * @property {number} inSize @property {number} outSize
 * @property {any} raw the trace's layer
 * @property {Record<string, any>} params by name (`weight`, `bias`)
 * @property {string} title "Layer 4 (dense)"
 * @property {string} short "Dense 4", for a table of contents
 */

/**
 * Wraps a trace with shapes, names and per-example slices.
 * @param {any} trace
 */
export function analyse(trace) {
  const N = trace.batch;
  const L = trace.layers.length;
  const names = ["x"];
  /** @type {LayerInfo[]} */
  const layers = trace.layers.map((ly, i) => {
    const kind = ly.spec.type;
    if (kind === "dense" || kind === "conv2d") names.push(`z^{[${i}]}`);
    else if (ACTIVATIONS.has(kind)) names.push(`a^{[${i}]}`);
    else if (kind === "maxpool2d") names.push(`h^{[${i}]}`);
    else if (kind === "dropout") names.push(`\\tilde{a}^{[${i}]}`);
    else names.push(names[i]); // flatten: the same numbers, one index instead of three
    const name = KIND_NAMES[kind] || kind;
    return {
      i,
      l: i,
      kind,
      spec: ly.spec,
      inShape: ly.input_shape,
      outShape: ly.output_shape,
      inSize: prod(ly.input_shape),
      outSize: prod(ly.output_shape),
      raw: ly,
      params: Object.fromEntries(ly.params.map((p) => [p.name, p])),
      title: `Layer ${i} (${name})`,
      short: `${name[0].toUpperCase()}${name.slice(1)} ${i}`,
    };
  });
  const shapes = [trace.input_shape, ...trace.layers.map((ly) => ly.output_shape)];
  const sizes = shapes.map(prod);
  return {
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
    /** ∂L/∂x of example n (the trace's `input_grad`: backward carried to the input); null when absent. */
    inputGrad(n) {
      const g = trace.input_grad;
      return g && g.length ? g.slice(n * sizes[0], (n + 1) * sizes[0]) : null;
    },
    /** Within-example index of the input that won max-pool output e of layer i. */
    winner(i, n, e) {
      return layers[i].raw.argmax[n * layers[i].outSize + e] - n * layers[i].inSize;
    },
  };
}

/** @typedef {ReturnType<typeof analyse>} Trace */

/** The subscript of element `idx` of tensor t: `3` for a vector, `2,10,7` for (c, row, col). */
export function subscript(T, t, idx) {
  const s = T.shapes[t];
  if (s.length === 3) return unflat(s, idx).join(",");
  return String(idx);
}

/**
 * A tensor's name for example n of the batch: `a^{[1]}` → `a^{[1](n)}`, `x` → `x^{(n)}` (one
 * superscript: TeX does not allow two).
 */
export function ofExample(name, n) {
  return /\^\{[^}]*\}$/.test(name) ? name.replace(/\}$/, `(${n})}`) : `${name}^{(${n})}`;
}

/** The TeX name of element `idx` of tensor t, e.g. `a^{[1]}_{3}`. */
export const sym = (T, t, idx) => `${T.names[t]}_{${subscript(T, t, idx)}}`;

/** (o, p, q) of a flat index in a [O, H, W] shape. */
export function unflat(shape, idx) {
  const [, H, W] = shape;
  return [Math.floor(idx / (H * W)), Math.floor((idx % (H * W)) / W), idx % W];
}

/** The flat index of the picked weight: dense (j, k), or the conv kernel's (o, c, u, v). */
export function weightIndex(T, i, P) {
  const ly = T.layers[i];
  if (ly.kind === "dense") return P.el[i + 1] * ly.inSize + P.el[i];
  const { in_channels: C, kernel: k } = ly.spec;
  const o = unflat(ly.outShape, P.el[i + 1])[0];
  const { c, u, v } = P.kp[i];
  return ((o * C + c) * k + u) * k + v;
}

/** The TeX name of the picked weight, `W^{[i]}_{j,k}` or `W^{[i]}_{o,c,u,v}`, and its bias's index. */
export function weightName(T, i, P) {
  const ly = T.layers[i];
  if (ly.kind === "dense") return { name: `W^{[${i}]}_{${P.el[i + 1]},${P.el[i]}}`, bias: P.el[i + 1] };
  const [o] = unflat(ly.outShape, P.el[i + 1]);
  const { c, u, v } = P.kp[i];
  return { name: `W^{[${i}]}_{${o},${c},${u},${v}}`, bias: o };
}
