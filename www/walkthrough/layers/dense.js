// @ts-check
// A dense layer in the walk-through: its forward and its backward step side by side, like
// src/layers/dense.rs.
//
//   forward    z^[i]_j = Σ_k W^[i]_{j,k} x_k + b^[i]_j             (x: the layer's input)
//   backward   ∂L/∂W^[i]_{j,k} = Σ_n δ^[i](n)_j x(n)_k              δ^[i] = ∂L/∂z^[i]
//              ∂L/∂b^[i]_j     = Σ_n δ^[i](n)_j
//              ∂L/∂x_k         = Σ_j W^[i]_{j,k} δ^[i]_j            (passed to the layer below)
//
// δ already carries the batch mean's 1/N (the loss's gradient is (p − y)/N), so the sums over
// the batch's examples n are the mean of the examples' own gradients.

import { worked, paren, tex } from "../numbers.js";
import { productSum, terms, tx } from "../tex.js";
import { ofExample, sym } from "../trace.js";
import { imageOf } from "./images.js";

/** The forward step of dense layer i: the weighted sum of the picked unit. */
export function forward(T, P, i) {
  const ly = T.layers[i];
  const [j, k, K] = [P.el[i + 1], P.el[i], ly.inSize];
  const x = T.value(i, P.n);
  const z = T.value(i + 1, P.n);
  const b = ly.params.bias.before;
  const row = ly.params.weight.before.slice(j * K, (j + 1) * K);
  const t = terms(
    Array.from(row, (w, kk) => ({ a: w, b: x[kk], c: w * x[kk] })),
    K <= 6 ? 6 : 5,
  );
  const [X, Z] = [T.names[i], T.names[i + 1]];
  const own = worked([row[k], x[k]], ([w, xv]) => w * xv, null);
  const img = imageOf(T, i, row, k);
  const xImg = imageOf(T, i, x, k);
  return {
    id: `fwd-${i}`,
    phase: "forward",
    layer: i,
    short: ly.short,
    title: `${ly.title}: the weighted sum of unit ${j}`,
    caption:
      `Every unit of a dense layer multiplies each of its ${K} inputs by a weight of its own, adds the products up and adds a bias. ` +
      (K > 6 ? "The largest products are written out; the others are added up in one number, which says how many there are." : ""),
    hint: "Pick another unit or another weight below: the whole walk-through follows your pick.",
    blocks: [
      { kind: "units", title: `The ${ly.outSize} units of this layer (z); pick one`, values: z, picked: j, layer: i, role: "unit" },
      {
        kind: "eq",
        symbolic: `${Z}_j = \\sum_{k} W^{[${i}]}_{j,k}\\, ${X}_k + b^{[${i}]}_j`,
        numeric: productSum(`${Z}_{${j}}`, t, { bias: b[j], result: z[j] }),
      },
      {
        kind: "values",
        items: [
          { key: "z", label: tx(`${Z}_{${j}}`), value: z[j] },
          { key: "bias", label: tx(`b^{[${i}]}_{${j}}`), value: b[j] },
        ],
      },
      {
        kind: "eq",
        caption: `The picked weight's own term${K > 6 ? " (it may be one of those added up in one number)" : ""}:`,
        symbolic: `W^{[${i}]}_{${j},${k}} \\cdot ${sym(T, i, k)}`,
        numeric: `${paren(own.ops[0])} \\cdot ${paren(own.ops[1])} = ${own.res}`,
      },
      grid(
        `Weights of unit ${j} (the picked weight ${tx(`W^{[${i}]}_{${j},${k}}`)} is outlined)`,
        img,
        "diverging",
        i,
        "weights of the picked unit",
      ),
      grid(`Its input ${tx(X)}`, xImg, i === 0 && T.sizes[0] === 784 ? "gray" : "diverging", i, "input of the layer"),
      {
        kind: "table",
        title: `Every number of unit ${j}: each input, its weight and their product`,
        columns: ["k", tx(`${X}_k`), tx(`W^{[${i}]}_{${j},k}`), tx(`W^{[${i}]}_{${j},k} \\cdot ${X}_k`)],
        rows: () => Array.from(row, (w, kk) => [kk, x[kk], w, { v: w * x[kk], shown: true }]),
        highlightRow: k,
        pickRow: { type: "input", layer: i, offset: 0 },
        count: K,
      },
      {
        kind: "table",
        title: "Every unit of this layer",
        columns: ["j", tx(`b^{[${i}]}_j`), tx(`${Z}_j`)],
        rows: () => Array.from(z, (v, jj) => [jj, b[jj], v]),
        highlightRow: j,
        pickRow: { type: "unit", layer: i, offset: 0 },
        count: z.length,
      },
    ],
  };
}

function grid(title, img, palette, i, label) {
  return {
    kind: "grid",
    title: `${title}${img.note ? ", " + img.note : ""}`,
    values: img.values,
    h: img.h,
    w: img.w,
    palette,
    highlight: img.highlight,
    pick: { type: "input", layer: i, offset: img.offset },
    label,
  };
}

/** The backward step of dense layer i: the picked weight's gradient, the bias's, and ∂L/∂x. */
export function backward(T, P, i) {
  const ly = T.layers[i];
  const [j, k, K] = [P.el[i + 1], P.el[i], ly.inSize];
  const X = T.names[i];
  const widx = j * K + k;
  const gW = ly.params.weight.grad;
  const gB = ly.params.bias.grad;
  const deltas = Array.from({ length: T.N }, (_, n) => T.grad(i + 1, n));
  const xs = Array.from({ length: T.N }, (_, n) => T.value(i, n));
  const d = `\\delta^{[${i}]}`;
  const W = `W^{[${i}]}`;
  const blocks = [
    ...weightGradient(T, P, i, deltas, xs),
    { kind: "gradcheck", layer: i, param: "weight", index: widx, analytic: gW[widx], label: tx(`\\partial L/\\partial ${W}_{${j},${k}}`) },
    biasGradient(T, i, j, deltas),
    {
      kind: "values",
      items: [
        { key: "delta", label: tx(`${d}_{${j}}`), value: deltas[P.n][j] },
        { key: "input", label: tx(sym(T, i, k)), value: xs[P.n][k] },
        { key: "grad-w", label: tx(`\\partial L/\\partial ${W}_{${j},${k}}`), value: gW[widx] },
        { key: "grad-b", label: tx(`\\partial L/\\partial b^{[${i}]}_{${j}}`), value: gB[j] },
      ],
    },
    ...passDown(T, P, i, deltas[P.n]),
    ...backwardPictures(T, P, i, deltas[P.n], xs[P.n]),
  ];
  return {
    id: `bwd-${i}`,
    phase: "backward",
    layer: i,
    param: { layer: i, name: "weight", index: widx },
    short: `${ly.short} ∂`,
    title: `${ly.title}, backward: the gradient of weight ${tx(`${W}_{${j},${k}}`)}`,
    caption: `${tx(`${d}_{${j}} = \\partial L/\\partial ${T.names[i + 1]}_{${j}}`)}, the gradient at this unit's weighted sum, says how much the loss changes when the sum changes. The weight ${tx(`${W}_{${j},${k}}`)} enters the sum multiplied by its input ${tx(sym(T, i, k))}, so nudging the weight moves the sum by ${tx(sym(T, i, k))} times as much: by the chain rule, its gradient is ${tx(`${d}_{${j}}\\, ${sym(T, i, k)}`)}. The bias adds straight into the sum, so its gradient is ${tx(`${d}_{${j}}`)} itself. Beside it, a gradient check nudges the weight a tiny bit up and down and measures the loss, to show that backprop got it right.`,
    blocks,
  };
}

/** ∂L/∂W_{j,k} = δ_j x_k, summed over the batch (and one example's own gradient when N > 1). */
function weightGradient(T, P, i, deltas, xs) {
  const [j, k, N] = [P.el[i + 1], P.el[i], T.N];
  const g = T.layers[i].params.weight.grad[j * T.layers[i].inSize + k];
  const [X, Zj, W, d] = [T.names[i], `${T.names[i + 1]}_j`, `W^{[${i}]}`, `\\delta^{[${i}]}`];
  const lhs = `\\frac{\\partial L}{\\partial ${W}_{${j},${k}}}`;
  const line = worked(
    deltas.flatMap((dn, n) => [dn[j], xs[n][k]]),
    (v) => v.reduce((s, _, m) => (m % 2 ? s + v[m - 1] * v[m] : s), 0),
    g,
  );
  const prods = deltas.map((_, n) => `${paren(line.ops[2 * n])} \\cdot ${paren(line.ops[2 * n + 1])}`);
  const eq = {
    kind: "eq",
    symbolic:
      N === 1
        ? `\\frac{\\partial L}{\\partial ${W}_{j,k}} = \\frac{\\partial L}{\\partial ${Zj}}\\,\\frac{\\partial ${Zj}}{\\partial ${W}_{j,k}} = ${d}_j\\, ${X}_k`
        : `\\frac{\\partial L}{\\partial ${W}_{j,k}} = \\sum_n ${ofExample(d, "n")}_j\\, ${ofExample(X, "n")}_k`,
    numeric: `${lhs} = ${prods.join(" + ")} = ${line.res}`,
    caption:
      N === 1
        ? ""
        : `The batch has ${N} examples, and the loss is their mean, so the gradient is too: each ${tx(ofExample(d, "n"))} already carries the mean's ${tx(`1/${N}`)}, and the sum over the examples below is the mean of their own gradients.`,
  };
  if (N === 1) return [eq];
  // This example's own gradient: the one it would give as a batch of one, N times its share.
  const n = P.n;
  const own = worked([{ v: N, exact: true }, deltas[n][j], xs[n][k]], ([a, b, c]) => a * b * c, null);
  return [
    eq,
    {
      kind: "eq",
      caption: `Example ${n} on its own (as a batch of one, without the ${tx(`1/${N}`)}) would give this gradient; the optimizer uses the batch's mean above.`,
      symbolic: `\\frac{\\partial L^{(${n})}}{\\partial ${W}_{j,k}} = ${N}\\, ${ofExample(d, n)}_j\\, ${ofExample(X, n)}_k`,
      numeric: `\\frac{\\partial L^{(${n})}}{\\partial ${W}_{${j},${k}}} = ${own.ops[0]} \\cdot ${paren(own.ops[1])} \\cdot ${paren(own.ops[2])} = ${own.res}`,
    },
  ];
}

function biasGradient(T, i, j, deltas) {
  const gB = T.layers[i].params.bias.grad;
  const [b, d] = [`b^{[${i}]}`, `\\delta^{[${i}]}`];
  if (T.N === 1)
    return {
      kind: "eq",
      symbolic: `\\frac{\\partial L}{\\partial ${b}_j} = ${d}_j \\cdot 1`,
      numeric: `\\frac{\\partial L}{\\partial ${b}_{${j}}} = ${d}_{${j}} = ${tex(gB[j])}`,
    };
  const line = worked(
    deltas.map((dn) => dn[j]),
    (v) => v.reduce((s, x) => s + x, 0),
    gB[j],
  );
  return {
    kind: "eq",
    symbolic: `\\frac{\\partial L}{\\partial ${b}_j} = \\sum_n ${ofExample(d, "n")}_j`,
    numeric: `\\frac{\\partial L}{\\partial ${b}_{${j}}} = ${line.ops.map(paren).join(" + ")} = ${line.res}`,
  };
}

/** The gradient passed down to the layer below: ∂L/∂x_k = Σ_j W_{j,k} δ_j. */
function passDown(T, P, i, delta) {
  const below = T.grad(i, P.n);
  if (!below) return [];
  const [k, K, X] = [P.el[i], T.layers[i].inSize, T.names[i]];
  const W = T.layers[i].params.weight.before;
  const t = terms(
    Array.from(delta, (dv, jj) => ({ a: W[jj * K + k], b: dv, c: W[jj * K + k] * dv })),
    delta.length <= 6 ? 6 : 5,
  );
  return [
    {
      kind: "text",
      text: `Passing the blame down: input ${tx(sym(T, i, k))} feeds every unit of this layer, so its gradient adds up what it receives from each of them, through the same weights.`,
    },
    {
      kind: "eq",
      symbolic: `\\frac{\\partial L}{\\partial ${X}_k} = \\sum_j W^{[${i}]}_{j,k}\\, \\delta^{[${i}]}_j`,
      numeric: productSum(`\\frac{\\partial L}{\\partial ${sym(T, i, k)}}`, t, { result: below[k] }),
    },
  ];
}

function backwardPictures(T, P, i, delta, x) {
  const ly = T.layers[i];
  const [j, k, K, X] = [P.el[i + 1], P.el[i], ly.inSize, T.names[i]];
  const gW = ly.params.weight.grad;
  const gB = ly.params.bias.grad;
  const gRow = gW.slice(j * K, (j + 1) * K);
  const img = imageOf(T, i, gRow, k);
  const d = `\\delta^{[${i}]}`;
  return [
    grid(
      `Gradients of unit ${j}'s weights, ${tx(`${d}_{${j}}\\, ${X}_k`)} (the picked one outlined)`,
      img,
      "diverging",
      i,
      "weight gradients of the picked unit",
    ),
    ly.outSize <= 256
      ? { kind: "units", title: `${tx(d)} of every unit of this layer (pick one)`, values: delta, picked: j, layer: i, role: "unit" }
      : null,
    {
      kind: "table",
      title: `Every weight gradient of unit ${j}`,
      columns: ["k", tx(`${X}_k`), tx(`\\partial L/\\partial W^{[${i}]}_{${j},k}`)],
      rows: () => Array.from(gRow, (g, kk) => [kk, x[kk], g]),
      highlightRow: k,
      pickRow: { type: "input", layer: i, offset: 0 },
      count: K,
    },
    {
      kind: "table",
      title: `Every unit: ${tx(d)} and the bias gradient`,
      columns: ["j", tx(`${d}_j`), tx(`\\partial L/\\partial b^{[${i}]}_j`)],
      rows: () => Array.from(delta, (v, jj) => [jj, v, gB[jj]]),
      highlightRow: j,
      pickRow: { type: "unit", layer: i, offset: 0 },
      count: delta.length,
    },
  ].filter(Boolean);
}
