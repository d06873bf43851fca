// @ts-check
// The update step of one layer in the walk-through: the optimizer's rule for the picked weight
// (optim/adam.js or optim/sgd.js), then the same numbers for its bias and every weight of its
// unit or filter.

import { tx } from "../tex.js";
import { unflat, weightIndex, weightName } from "../trace.js";
import { adamBlocks, adamNumbers, adamColumns, adamRow } from "./adam.js";
import { sgdBlocks, sgdNumbers, sgdColumns, sgdRow, sgdCaption, biasNote } from "./sgd.js";

const ADAM_CAPTION =
  "Adam does not step by the raw gradient. It keeps, for every weight, a running average of its gradients (m, the direction) and of their squares (v, how big they usually are), and steps by m divided by the square root of v: about α in size whatever the gradient's scale. Early on m and v are biased towards their starting value 0, so both are divided by a correction 1 − βᵗ that is small at first and tends to 1.";

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

/** The update step of layer i (dense or conv2d); `first`: the first update of the walk-through. */
export function updateStep(T, P, i, first = false) {
  const ly = T.layers[i];
  const [W, B] = [ly.params.weight, ly.params.bias];
  const widx = weightIndex(T, i, P);
  const { name, bias: bidx } = weightName(T, i, P);
  const cfg = T.trace.optimizer.config;
  const adam = cfg.type === "adam";
  /** @type {any[]} */
  const blocks = adam ? adamBlocks(T, name, adamNumbers(T, W, widx)) : sgdBlocks(T, name, sgdNumbers(W, widx));
  if (!adam && first) blocks.push(biasNote(`b^{[${i}]}_{${bidx}}`, B.before[bidx], B.after[bidx]));
  const rowOf = adam ? adamRow : sgdRow;
  const weights = unitWeights(T, i, P);
  blocks.push({
    kind: "table",
    title: `The same for the bias ${tx(`b^{[${i}]}_{${bidx}}`)} and every weight of the ${ly.kind === "conv2d" ? "filter" : "unit"}`,
    columns: adam ? adamColumns : sgdColumns,
    rows: () => [rowOf(`b_${bidx}`, B, bidx), ...weights.map((r) => rowOf(r.label, W, r.idx))],
    highlightRow: 1 + weights.findIndex((r) => r.idx === widx),
    count: 1 + weights.length,
  });
  return {
    id: `upd-${i}`,
    phase: "update",
    layer: i,
    param: { layer: i, name: "weight", index: widx },
    short: `${adam ? "Adam" : "SGD"} ${i}`,
    title: `${adam ? "Adam" : "Gradient descent"} updates weight ${tx(name)}`,
    caption: adam ? ADAM_CAPTION : sgdCaption(cfg),
    blocks,
  };
}
