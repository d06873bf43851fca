// @ts-check
// A convolution layer in the walk-through: its forward and its backward step side by side, like
// src/layers/conv2d.rs (cross-correlation, stride s, zero padding p; x is 0 outside the image).
//
//   forward    z^[i]_{o,r,c'} = Σ_{c,u,v} W^[i]_{o,c,u,v} x_{c, s·r+u−p, s·c'+v−p} + b^[i]_o
//   backward   ∂L/∂W^[i]_{o,c,u,v} = Σ_n Σ_{r,c'} δ^[i](n)_{o,r,c'} x(n)_{c, s·r+u−p, s·c'+v−p}
//              ∂L/∂b^[i]_o         = Σ_n Σ_{r,c'} δ^[i](n)_{o,r,c'}

import { productSum, terms, tx } from "../tex.js";
import { ofExample, unflat } from "../trace.js";

/** `s\,p+u-1`: the input row (or column) under kernel cell u at output position p. */
function position(s, pad, p, u) {
  return `${s === 1 ? "" : `${s}\\,`}${p}+${u}${pad ? `-${pad}` : ""}`;
}

/** x_{c, s·p+u−pad, s·q+v−pad} in TeX, for the layer's stride and padding. */
function inputAt(X, spec, c, p, q, u, v) {
  return `${X}_{${c},\\,${position(spec.stride, spec.padding, p, u)},\\,${position(spec.stride, spec.padding, q, v)}}`;
}

/** The input value under kernel cell (c, u, v) at output position (p, q): 0 in the padding. */
function inputValue(ly, x, c, p, q, u, v) {
  const { stride: s, padding: pad } = ly.spec;
  const [, H, W] = ly.inShape;
  const r = p * s + u - pad;
  const cc = q * s + v - pad;
  return r >= 0 && cc >= 0 && r < H && cc < W ? x[c * H * W + r * W + cc] : 0;
}

/** The forward step of conv layer i: the picked filter at the picked position. */
export function forward(T, P, i) {
  const ly = T.layers[i];
  const e = P.el[i + 1];
  const [o, p, q] = unflat(ly.outShape, e);
  const { in_channels: C, kernel: k, stride: s, padding: pad } = ly.spec;
  const x = T.value(i, P.n);
  const z = T.value(i + 1, P.n);
  const w = ly.params.weight.before;
  const b = ly.params.bias.before[o];
  const list = [];
  for (let c = 0; c < C; c++)
    for (let u = 0; u < k; u++)
      for (let v = 0; v < k; v++) {
        const xv = inputValue(ly, x, c, p, q, u, v);
        const wv = w[((o * C + c) * k + u) * k + v];
        list.push({ cidx: c, u, v, a: wv, b: xv, c: wv * xv });
      }
  const [Z, X] = [T.names[i + 1], T.names[i]];
  const kp = P.kp[i];
  const picked = (kp.c * k + kp.u) * k + kp.v;
  const [, OH, OW] = ly.outShape;
  const patch = list.filter((t2) => t2.cidx === kp.c).map((t2) => t2.b);
  const kernel = w.slice((o * C + kp.c) * k * k, (o * C + kp.c + 1) * k * k);
  const padText = pad ? ` The input is padded with ${pad} ring${pad > 1 ? "s" : ""} of zeros, so a filter at the edge also sees 0s.` : "";
  const strideText = s > 1 ? ` It moves ${s} pixels at a time (stride ${s}), so the map is ${OH}×${OW}.` : "";
  return {
    id: `fwd-${i}`,
    phase: "forward",
    layer: i,
    short: ly.short,
    title: `${ly.title}: filter ${o} at row ${p}, column ${q}`,
    caption: `A convolution slides small ${k}×${k} filters over the image. At each position a filter multiplies the ${k}×${k} numbers under it by its weights and adds them up, plus a bias: a dense unit that only looks at a small patch, with the same weights everywhere.${strideText}${padText}`,
    hint: "Click the feature map to pick another position, or the filter to pick another weight.",
    blocks: [
      {
        kind: "eq",
        symbolic: `${Z}_{o,p,q} = \\sum_{c,u,v} W^{[${i}]}_{o,c,u,v}\\; ${inputAt(X, ly.spec, "c", "p", "q", "u", "v")} + b^{[${i}]}_o`,
        numeric: productSum(`${Z}_{${o},${p},${q}}`, terms(list, list.length <= 9 ? 9 : 6), { bias: b, result: z[e] }),
      },
      {
        kind: "values",
        items: [
          { key: "z", label: tx(`${Z}_{${o},${p},${q}}`), value: z[e] },
          { key: "bias", label: tx(`b^{[${i}]}_{${o}}`), value: b },
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
        columns: ["c", "u", "v", tx(X), tx("W"), tx(`W \\cdot ${X}`)],
        rows: () => list.map((t2) => [t2.cidx, t2.u, t2.v, t2.b, t2.a, { v: t2.c, shown: true }]),
        highlightRow: picked,
        count: list.length,
      },
    ],
  };
}

/** Every term δ·x of the picked filter weight's gradient, over the batch and the map. */
function gradientTerms(T, ly, i, o, kp) {
  const [, OH, OW] = ly.outShape;
  const list = [];
  for (let n = 0; n < T.N; n++) {
    const d = T.grad(i + 1, n);
    const x = T.value(i, n);
    for (let p = 0; p < OH; p++)
      for (let q = 0; q < OW; q++) {
        const xv = inputValue(ly, x, kp.c, p, q, kp.u, kp.v);
        const dv = d[o * OH * OW + p * OW + q];
        list.push({ n, p, q, a: dv, b: xv, c: dv * xv });
      }
  }
  return list;
}

/** The backward step of conv layer i: the picked filter weight's gradient and its bias's. */
export function backward(T, P, i) {
  const ly = T.layers[i];
  const e = P.el[i + 1];
  const [o] = unflat(ly.outShape, e);
  const { in_channels: C, kernel: k } = ly.spec;
  const [, OH, OW] = ly.outShape;
  const kp = P.kp[i];
  const widx = ((o * C + kp.c) * k + kp.u) * k + kp.v;
  const gW = ly.params.weight.grad;
  const gB = ly.params.bias.grad;
  const list = gradientTerms(T, ly, i, o, kp);
  const nonzero = list.filter((t2) => t2.c !== 0);
  const zeroDelta = list.filter((t2) => t2.a === 0).length;
  const zeroInput = list.filter((t2) => t2.a !== 0 && t2.b === 0).length;
  const deltas = list.map((t2) => ({ a: t2.a, c: t2.a }));
  const [Z, X] = [T.names[i + 1], T.names[i]];
  const W = `W^{[${i}]}`;
  const d = `\\delta^{[${i}]}`;
  const name = `${W}_{${o},${kp.c},${kp.u},${kp.v}}`;
  return {
    id: `bwd-${i}`,
    phase: "backward",
    layer: i,
    param: { layer: i, name: "weight", index: widx },
    short: `${ly.short} ∂`,
    title: `${ly.title}, backward: the gradient of filter weight ${tx(name)}`,
    caption:
      `A filter weight is used at every one of the ${OH * OW} positions of its map, so its gradient adds up ${tx(`${d} \\cdot ${X}`)} over all of them${T.N > 1 ? ` and over the batch's ${T.N} examples` : ""}: ${list.length} products. ` +
      `Only ${nonzero.length} of them are not 0: ${zeroDelta} have ${tx(`${d} = 0`)} (positions that lost the max-pooling, or where ReLU was off, send no gradient back)` +
      (zeroInput
        ? ` and ${zeroInput} more ${zeroInput === 1 ? "meets" : "meet"} an input of 0 (blank pixels${ly.spec.padding ? " or the padding" : ""}).`
        : "."),
    blocks: [
      {
        kind: "eq",
        symbolic: `\\frac{\\partial L}{\\partial ${W}_{o,c,u,v}} = \\sum_{${T.N > 1 ? "n," : ""}p,q} ${T.N > 1 ? ofExample(d, "n") : d}_{o,p,q}\\; ${inputAt(T.N > 1 ? ofExample(X, "n") : X, ly.spec, "c", "p", "q", "u", "v")}`,
        numeric: productSum(`\\frac{\\partial L}{\\partial ${name}}`, terms(list, 5), { result: gW[widx] }),
      },
      { kind: "gradcheck", layer: i, param: "weight", index: widx, analytic: gW[widx], label: tx(`\\partial L/\\partial ${name}`) },
      {
        kind: "eq",
        symbolic: `\\frac{\\partial L}{\\partial b^{[${i}]}_o} = \\sum_{${T.N > 1 ? "n," : ""}p,q} ${T.N > 1 ? ofExample(d, "n") : d}_{o,p,q}`,
        numeric: productSum(`\\frac{\\partial L}{\\partial b^{[${i}]}_{${o}}}`, terms(deltas, 5), { result: gB[o] }),
      },
      {
        kind: "values",
        items: [
          { key: "grad-w", label: tx(`\\partial L/\\partial ${name}`), value: gW[widx] },
          { key: "grad-b", label: tx(`\\partial L/\\partial b^{[${i}]}_{${o}}`), value: gB[o] },
        ],
      },
      {
        kind: "grid",
        title: `${tx(d)} of feature map ${o}, ${tx(`\\partial L/\\partial ${Z}`)} (pick a position)`,
        values: T.grad(i + 1, P.n).slice(o * OH * OW, (o + 1) * OH * OW),
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
        columns: [...(T.N > 1 ? ["n"] : []), "p", "q", tx(`${d}_{${o},p,q}`), tx(X), tx(`${d} \\cdot ${X}`)],
        rows: () => nonzero.map((t2) => [...(T.N > 1 ? [t2.n] : []), t2.p, t2.q, t2.a, t2.b, { v: t2.c, shown: true }]),
        count: nonzero.length,
      },
    ],
  };
}
