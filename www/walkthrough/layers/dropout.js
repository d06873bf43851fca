// @ts-check
// Dropout in the walk-through, forward and backward side by side, like src/layers/dropout.rs
// (inverted dropout, training only):
//
//   forward    ã_j = m_j / (1 − rate) · a_j,   m_j ∈ {0, 1}, drawn for each example and step
//   backward   ∂L/∂a_j = m_j / (1 − rate) · ∂L/∂ã_j

import { worked, paren, fmt } from "../numbers.js";
import { tx } from "../tex.js";
import { sym } from "../trace.js";

/** `\frac{1}{1 - rate} \cdot x = out` for a kept unit, `0 \cdot x = 0` for a dropped one. */
function scaled(rate, kept, x, out) {
  const w = worked([{ v: rate, exact: true }, x], ([r, v]) => (kept ? v / (1 - r) : 0 * v), out);
  return `${kept ? `\\frac{1}{1 - ${w.ops[0]}}` : "0"} \\cdot ${paren(w.ops[1])} = ${w.res}`;
}

/** The forward step of dropout layer i for the picked unit. */
export function forward(T, P, i) {
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const xin = T.value(i, P.n)[j];
  const out = T.value(i + 1, P.n)[j];
  const rate = ly.spec.rate;
  const kept = !(out === 0 && xin !== 0);
  return {
    id: `fwd-${i}`,
    phase: "forward",
    layer: i,
    short: ly.short,
    title: `${ly.title} (training only): unit ${j} was ${kept ? "kept" : "dropped"}`,
    caption: `While training, dropout switches off a random ${Math.round(rate * 100)} % of the units for each example and scales the others up by 1/(1 − ${rate}) = ${fmt(1 / (1 - rate))}, so the network cannot lean on any single unit. When predicting, it does nothing.`,
    blocks: [
      {
        kind: "eq",
        symbolic: `${T.names[i + 1]}_j = \\frac{m_j}{1 - ${rate}}\\, ${T.names[i]}_j,\\quad m_j \\in \\{0, 1\\}`,
        numeric: `${sym(T, i + 1, j)} = ${scaled(rate, kept, xin, out)}`,
      },
      { kind: "values", items: [{ key: "value", label: tx(sym(T, i + 1, j)), value: out }] },
    ],
  };
}

/** The backward step of dropout layer i: the gradient goes back through the same mask. */
export function backward(T, P, i) {
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const kept = !(T.value(i + 1, P.n)[j] === 0 && T.value(i, P.n)[j] !== 0);
  const rate = ly.spec.rate;
  const g = T.grad(i + 1, P.n)[j];
  const gin = T.grad(i, P.n);
  return {
    id: `bwd-${i}`,
    phase: "backward",
    layer: i,
    short: `${ly.short} ∂`,
    title: `${ly.title}, backward: unit ${j} ${kept ? "kept" : "dropped"}`,
    caption:
      "A dropped unit did not take part, so no gradient goes back through it; a kept one passes its gradient on, scaled like its value was.",
    blocks: gin
      ? [
          {
            kind: "eq",
            symbolic: `\\frac{\\partial L}{\\partial ${T.names[i]}_j} = \\frac{m_j}{1 - ${rate}} \\frac{\\partial L}{\\partial ${T.names[i + 1]}_j}`,
            numeric: `\\frac{\\partial L}{\\partial ${sym(T, i, j)}} = ${scaled(rate, kept, g, gin[j])}`,
          },
        ]
      : [],
  };
}
