// @ts-check
// The activations in the walk-through, forward and backward side by side, like
// src/layers/activation.rs. With z the input and a the output of unit j:
//
//   ReLU     a = max(0, z)              ∂L/∂z = ∂L/∂a · 1[z > 0]
//   sigmoid  a = σ(z) = 1/(1 + e^(−z))  ∂L/∂z = ∂L/∂a · σ′(z) = ∂L/∂a · a(1 − a)
//   tanh     a = tanh z                 ∂L/∂z = ∂L/∂a · (1 − a²)
//
// The slope σ′ is at most 0.25 (at a = 0.5) and tanh′ at most 1 (at a = 0); near 0 or 1 (±1 for
// tanh) they are tiny and the unit is saturated: little gradient gets through. A ReLU that is
// off passes nothing back.

import { worked, paren, fmt, tex } from "../numbers.js";
import { tx } from "../tex.js";
import { sym } from "../trace.js";

const CAPTIONS = {
  relu: "ReLU (rectified linear unit) keeps positive numbers and turns negative ones into 0. It is what lets the network bend: without it, the layers would collapse into one big linear function. A unit whose z is negative is 'off' and passes no gradient back.",
  sigmoid:
    "The sigmoid squashes any number into the range 0 to 1: large negative z gives nearly 0, large positive z nearly 1, and z = 0 gives exactly 0.5.",
  tanh: "tanh squashes any number into the range −1 to 1, like a sigmoid stretched to be centred on 0.",
};

/** The forward step of activation layer i for the picked unit. */
export function forward(T, P, i) {
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const zv = T.value(i, P.n);
  const av = T.value(i + 1, P.n);
  const [Zn, An] = [T.names[i], T.names[i + 1]];
  const [Z, A] = [sym(T, i, j), sym(T, i + 1, j)];
  let symbolic;
  let numeric;
  if (ly.kind === "relu") {
    const w = worked([zv[j]], ([z]) => Math.max(0, z), av[j]);
    symbolic = `${An}_j = \\max(0,\\ ${Zn}_j)`;
    numeric = `${A} = \\max(0,\\ ${w.ops[0]}) = ${w.res}`;
  } else if (ly.kind === "sigmoid") {
    const w = worked([zv[j]], ([z]) => 1 / (1 + Math.exp(-z)), av[j]);
    symbolic = `${An}_j = \\sigma(${Zn}_j) = \\frac{1}{1 + e^{-${Zn}_j}}`;
    numeric = `${A} = \\frac{1}{1 + e^{-${paren(w.ops[0])}}} = ${w.res}`;
  } else {
    const w = worked([zv[j]], ([z]) => Math.tanh(z), av[j]);
    symbolic = `${An}_j = \\tanh(${Zn}_j)`;
    numeric = `${A} = \\tanh(${w.ops[0]}) = ${w.res}`;
  }
  return {
    id: `fwd-${i}`,
    phase: "forward",
    layer: i,
    short: ly.short,
    title: `${ly.title} of unit ${j}: ${tx(A)}`,
    caption: CAPTIONS[ly.kind],
    blocks: [
      { kind: "eq", symbolic, numeric },
      {
        kind: "values",
        items: [
          { key: "z", label: tx(Z), value: zv[j] },
          { key: "a", label: tx(A), value: av[j] },
        ],
      },
      T.sizes[i + 1] <= 256
        ? { kind: "units", title: `Every unit after ${ly.title} (pick one)`, values: av, picked: j, layer: i, role: "unit" }
        : null,
      {
        kind: "table",
        title: "Every unit: before and after",
        columns: ["j", tx(`${Zn}_j`), tx(`${An}_j`)],
        rows: () => Array.from(av, (v, jj) => [jj, zv[jj], v]),
        highlightRow: j,
        pickRow: { type: "unit", layer: i, offset: 0 },
        count: av.length,
      },
    ].filter(Boolean),
  };
}

/**
 * The local slope of each activation: its symbol, its formula with the numbers in (operands
 * after the gradient g), how to evaluate it, and what to say about this unit.
 */
function slope(kind, Zn, An, z, a) {
  if (kind === "relu")
    return {
      symbolic: `\\mathbb{1}[${Zn}_j > 0]`,
      operands: [],
      tex: () => (z > 0 ? "1" : "0"),
      value: () => (z > 0 ? 1 : 0),
      note:
        z > 0
          ? `The unit was on (z = ${fmt(z)} > 0): its slope is 1, so the gradient passes through unchanged.`
          : `The unit was off (z = ${fmt(z)} ≤ 0): its slope is 0, so it passes 0 back, and none of the weights feeding it change in this step.`,
    };
  if (kind === "sigmoid")
    return {
      symbolic: `${An}_j(1 - ${An}_j)`,
      operands: [a, a],
      tex: (o) => `${o[0]}\\,(1 - ${o[1]})`,
      value: (v) => v[0] * (1 - v[1]),
      note: saturation("σ′(z) = a(1 − a)", a * (1 - a), 0.25, "at a = 0.5", a > 0.5 ? "1" : "0"),
    };
  return {
    symbolic: `(1 - (${An}_j)^2)`,
    operands: [a],
    tex: (o) => `(1 - ${paren(o[0])}^{2})`,
    value: (v) => 1 - v[0] * v[0],
    note: saturation("tanh′(z) = 1 − a²", 1 - a * a, 1, "at a = 0", a > 0 ? "1" : "−1"),
  };
}

/** A sentence on how much of the gradient this unit lets through, flagging saturation. */
function saturation(what, s, best, where, end) {
  const share = `${fmt(s / best, 2)} of the best case`;
  if (s / best < 0.2)
    return `Saturated: a is close to ${end}, so ${what} = ${fmt(s)} is tiny (at most ${best}, ${where}): the unit passes back only ${fmt((100 * s) / best, 2)} % of what it could. Saturated units learn slowly.`;
  return `${what} = ${fmt(s)} (at most ${best}, ${where}; here ${share}).${best < 1 ? ` Even at best a sigmoid shrinks the gradient passing through it ${fmt(1 / best)}-fold.` : ""}`;
}

/** The backward step of activation layer i: the chain rule through the picked unit. */
export function backward(T, P, i) {
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const z = T.value(i, P.n)[j];
  const a = T.value(i + 1, P.n)[j];
  const g = T.grad(i + 1, P.n)[j];
  const below = T.grad(i, P.n);
  const [Zn, An] = [T.names[i], T.names[i + 1]];
  const A = sym(T, i + 1, j);
  const s = slope(ly.kind, Zn, An, z, a);
  const isDelta = i > 0 && (T.layers[i - 1].kind === "dense" || T.layers[i - 1].kind === "conv2d");
  const dname = isDelta ? `\\delta^{[${i - 1}]}_{${j}}` : `\\frac{\\partial L}{\\partial ${sym(T, i, j)}}`;
  const chain = `\\frac{\\partial L}{\\partial ${Zn}_j} = \\frac{\\partial L}{\\partial ${An}_j} \\cdot`;
  const symbolic =
    ly.kind === "sigmoid"
      ? `${isDelta ? `\\delta^{[${i - 1}]}_j = ` : ""}${chain} \\sigma'(${Zn}_j) = \\frac{\\partial L}{\\partial ${An}_j} \\cdot ${An}_j(1 - ${An}_j)`
      : `${isDelta ? `\\delta^{[${i - 1}]}_j = ` : ""}${chain} ${s.symbolic}`;
  let numeric = `\\frac{\\partial L}{\\partial ${A}} = ${tex(g)}`;
  if (below) {
    const w = worked([g, ...s.operands], (v) => v[0] * s.value(v.slice(1)), below[j]);
    numeric = `${dname} = ${paren(w.ops[0])} \\cdot ${s.tex(w.ops.slice(1))} = ${w.res}`;
  }
  /** @type {any[]} */
  const blocks = [
    { kind: "eq", symbolic, numeric },
    { kind: "text", text: s.note },
    {
      kind: "values",
      items: [
        { key: "dout", label: tx(`\\partial L/\\partial ${A}`), value: g },
        below
          ? { key: "delta", label: tx(isDelta ? `\\delta^{[${i - 1}]}_{${j}}` : `\\partial L/\\partial ${sym(T, i, j)}`), value: below[j] }
          : null,
      ].filter(Boolean),
    },
  ];
  if (below) blocks.push(...layerSummary(T, P, i, below));
  return {
    id: `bwd-${i}`,
    phase: "backward",
    layer: i,
    short: `${ly.short} ∂`,
    title: `Back through ${ly.title}: ${tx(A)}`,
    caption:
      "The chain rule: the gradient at z is the gradient at a times how much a changes when z changes (the activation's slope at z).",
    blocks,
  };
}

/** How many units of the layer are off or saturated for this example, and the table of all. */
function layerSummary(T, P, i, below) {
  const ly = T.layers[i];
  const zAll = T.value(i, P.n);
  const aAll = T.value(i + 1, P.n);
  const gAll = T.grad(i + 1, P.n);
  const n = aAll.length;
  let text = "";
  if (ly.kind === "relu") {
    const off = zAll.filter((z) => z <= 0).length;
    text = `${off} of the ${n} units of this layer are off for this example and pass no gradient back.`;
  } else {
    const sat = Array.from(aAll).filter((a) => (ly.kind === "sigmoid" ? (a * (1 - a)) / 0.25 : 1 - a * a) < 0.2).length;
    text = `${sat} of the ${n} units of this layer are saturated (slope under a fifth of its best) for this example.`;
  }
  return [
    { kind: "text", text },
    {
      kind: "table",
      title: "Every unit: gradient in, gradient out",
      columns: ["j", tx(`${T.names[i]}_j`), tx(`\\partial L/\\partial ${T.names[i + 1]}_j`), tx(`\\partial L/\\partial ${T.names[i]}_j`)],
      rows: () => Array.from(below, (v, jj) => [jj, zAll[jj], gAll[jj], v]),
      highlightRow: P.el[i + 1],
      pickRow: { type: "unit", layer: i, offset: 0 },
      count: below.length,
    },
  ];
}
