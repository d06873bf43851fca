// @ts-check
// Max-pooling in the walk-through, forward and backward side by side, like src/layers/maxpool.rs.
//
//   forward    h_{c,r,s} = max_{u,v < size} x_{c, stride·r+u, stride·s+v}   (the argmax is kept)
//   backward   ∂L/∂x_winner = ∂L/∂h_{c,r,s}; 0 for the other inputs of the window

import { worked, tex } from "../numbers.js";
import { checkBlock, tx } from "../tex.js";
import { sym, unflat } from "../trace.js";

/** The window of output element e: its input indices, in reading order. */
function windowOf(ly, e) {
  const { size, stride } = ly.spec;
  const [c, r, s] = unflat(ly.outShape, e);
  const [, H, W] = ly.inShape;
  const cells = [];
  for (let u = 0; u < size; u++) for (let v = 0; v < size; v++) cells.push(c * H * W + (r * stride + u) * W + (s * stride + v));
  return cells;
}

/** The forward step of max-pooling layer i: the picked output's window and its winner. */
export function forward(T, P, i) {
  const ly = T.layers[i];
  const e = P.el[i + 1];
  const { size, stride } = ly.spec;
  const x = T.value(i, P.n);
  const out = T.value(i + 1, P.n)[e];
  const win = T.winner(i, P.n, e);
  const cells = windowOf(ly, e);
  const w = worked(
    cells.map((idx) => x[idx]),
    (v) => Math.max(...v),
    out,
  );
  return {
    id: `fwd-${i}`,
    phase: "forward",
    layer: i,
    short: ly.short,
    title: `${ly.title}: the largest of a ${size}×${size} window`,
    caption: `Max-pooling shrinks each feature map by keeping only the largest number of every ${size}×${size} window${stride !== size ? ` (windows ${stride} apart)` : ""}. It also remembers which input won (the argmax): on the way back, the gradient will go only there.`,
    blocks: [
      {
        kind: "eq",
        symbolic: `${T.names[i + 1]}_{c,r,s} = \\max_{u,v < ${size}} ${T.names[i]}_{c,\\,${stride === 1 ? "" : `${stride}\\,`}r+u,\\,${stride === 1 ? "" : `${stride}\\,`}s+v}`,
        numeric: `${sym(T, i + 1, e)} = \\max(${w.ops.join(",\\ ")}) = ${w.res}`,
      },
      checkBlock(
        x[win] === out,
        `The winner is ${tx(sym(T, i, win))}; its value is the output.`,
        `The recorded winner ${tx(sym(T, i, win))} does not hold the output value.`,
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
        values: cells.map((idx) => x[idx]),
        h: size,
        w: size,
        palette: "diverging",
        highlight: cells.indexOf(win),
        label: "pooling window",
      },
    ],
  };
}

/** The backward step of max-pooling layer i: the picked output's gradient goes to its winner. */
export function backward(T, P, i) {
  const ly = T.layers[i];
  const e = P.el[i + 1];
  const win = T.winner(i, P.n, e);
  const g = T.grad(i + 1, P.n)[e];
  const below = T.grad(i, P.n);
  return {
    id: `bwd-${i}`,
    phase: "backward",
    layer: i,
    short: `${ly.short} ∂`,
    title: `${ly.title}, backward: the gradient goes to the winner`,
    caption:
      "Only the winner of each window influenced the output, so only the winner gets the gradient; the other inputs of the window get 0. This is why max-pooling remembers its argmax.",
    blocks: [
      {
        kind: "eq",
        symbolic: `\\frac{\\partial L}{\\partial ${T.names[i]}_{\\text{winner}}} = \\frac{\\partial L}{\\partial ${T.names[i + 1]}_{c,r,s}},\\quad \\text{0 for the others}`,
        numeric: `\\frac{\\partial L}{\\partial ${sym(T, i, win)}} = \\frac{\\partial L}{\\partial ${sym(T, i + 1, e)}} = ${tex(g)}`,
      },
      below
        ? checkBlock(
            below[win] === g,
            "The core routed exactly this gradient to the winner.",
            `The core's gradient at the winner is ${tex(below[win])}.`,
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
