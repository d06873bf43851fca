// @ts-check
// Flatten in the walk-through, forward and backward side by side, like src/layers/flatten.rs:
// the maps laid end to end (channel, row, column order), k = c·H·W + r·W + s; backward puts the
// gradient back in the same places. No number changes.

import { worked } from "../numbers.js";
import { tx } from "../tex.js";

/** The flatten step of layer i, in `phase` ("forward" or "backward"). */
function step(T, P, i, phase) {
  const ly = T.layers[i];
  const k = P.el[i + 1];
  const [C, H, W] = ly.inShape.length === 3 ? ly.inShape : [1, 1, ly.inSize];
  const [c, r, s] = [Math.floor(k / (H * W)), Math.floor((k % (H * W)) / W), k % W];
  const v = phase === "forward" ? T.value(i + 1, P.n)[k] : T.grad(i + 1, P.n)[k];
  const name = T.names[i + 1];
  const exact = (x) => ({ v: x, exact: true });
  const w = worked([c, H * W, r, W, s].map(exact), ([a, b, d, e, f]) => a * b + d * e + f, k);
  return {
    id: `${phase === "forward" ? "fwd" : "bwd"}-${i}`,
    phase,
    layer: i,
    short: ly.short,
    title:
      phase === "forward"
        ? `${ly.title}: ${C} maps of ${H}×${W} become one list of ${ly.outSize}`
        : `${ly.title}, backward: the same numbers, put back in their maps`,
    caption:
      phase === "forward"
        ? "A dense layer wants a flat list, so the maps are laid end to end: channel by channel, row by row. No number changes, only how we count."
        : "Flatten changed nothing but the indexing, so its gradient is the same list, folded back into maps.",
    blocks: [
      {
        kind: "eq",
        symbolic: `k = c \\cdot ${H * W} + r \\cdot ${W} + s`,
        numeric: `${w.ops[0]} \\cdot ${w.ops[1]} + ${w.ops[2]} \\cdot ${w.ops[3]} + ${w.ops[4]} = ${w.res}`,
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

export const forward = (T, P, i) => step(T, P, i, "forward");
export const backward = (T, P, i) => step(T, P, i, "backward");
