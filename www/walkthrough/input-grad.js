// @ts-check
// The last backward step: the gradient of the loss with respect to the input, ∂L/∂x. Training
// stops one layer short (the input has no weights to learn), but the core carries the same
// backward pass one layer further (src/network.rs `backward_to_input`, src/saliency.rs); the
// trace records it as `input_grad`. Like src/layers/dense.rs and conv2d.rs, whose `dx` it is:
//
//   dense    ∂L/∂x_k       = Σ_j W^[0]_{j,k} δ^[0]_j
//   conv2d   ∂L/∂x_{c,r,s} = Σ_{o,u,v} W^[0]_{o,c,u,v} δ^[0]_{o,p,q}
//                            over the cells (u, v) that land on pixel (r, s) from a position
//                            (p, q) of the map: str·p + u − pad = r, str·q + v − pad = s
//
// The Draw view's heat map is this same backward pass started from one class's logit z_c
// instead of the loss: ∂z_c/∂x. The loss's gradient is Σ_j (p_j − y_j) ∂z_j/∂x (times 1/N for a
// batch): every class's map weighted by its p − y.

import { fmt, probabilityText, tex } from "./numbers.js";
import { productSum, terms, tx } from "./tex.js";
import { sym, unflat } from "./trace.js";
import { argmaxAbs, convInput } from "./picks.js";

/** The input element the step works out: the walk-through's picked input, else the largest gradient. */
function pickedInput(T, P, g) {
  const first = T.layers[0];
  if (first.kind === "dense") return P.el[0];
  if (first.kind === "conv2d") {
    const k = convInput(T, 0, P.el[1], P.kp[0]);
    if (k >= 0 && g[k] !== 0) return k;
  }
  return argmaxAbs(g);
}

/** ∂L/∂x_k of a dense first layer, worked out. */
function denseLine(T, P, k, g) {
  const ly = T.layers[0];
  const K = ly.inSize;
  const W = ly.params.weight.before;
  const delta = T.grad(1, P.n);
  const list = Array.from(delta, (d, j) => ({ a: W[j * K + k], b: d, c: W[j * K + k] * d }));
  return {
    kind: "eq",
    symbolic: `\\frac{\\partial L}{\\partial x_k} = \\sum_j W^{[0]}_{j,k}\\, \\delta^{[0]}_j`,
    numeric: productSum(`\\frac{\\partial L}{\\partial ${sym(T, 0, k)}}`, terms(list, list.length <= 6 ? 6 : 5), { result: g[k] }),
  };
}

/** ∂L/∂x_{c,r,s} of a convolution first layer, worked out: every filter cell that lands on the pixel. */
function convLine(T, P, k, g) {
  const ly = T.layers[0];
  const { in_channels: C, out_channels: O, kernel: K, stride: s, padding: pad } = ly.spec;
  const [c, r, col] = unflat(ly.inShape, k);
  const [, OH, OW] = ly.outShape;
  const W = ly.params.weight.before;
  const delta = T.grad(1, P.n);
  const list = [];
  for (let o = 0; o < O; o++)
    for (let u = 0; u < K; u++)
      for (let v = 0; v < K; v++) {
        const [pr, qr] = [r + pad - u, col + pad - v];
        if (pr % s || qr % s) continue;
        const [p, q] = [pr / s, qr / s];
        if (p < 0 || q < 0 || p >= OH || q >= OW) continue;
        const w = W[((o * C + c) * K + u) * K + v];
        const d = delta[(o * OH + p) * OW + q];
        list.push({ a: w, b: d, c: w * d });
      }
  const where = `${s === 1 ? "" : `${s}\\,`}p + u${pad ? ` - ${pad}` : ""} = r,\\ ${s === 1 ? "" : `${s}\\,`}q + v${pad ? ` - ${pad}` : ""} = s`;
  return {
    kind: "eq",
    caption: `Every filter o and every kernel cell (u, v) that lands on this pixel from some position (p, q) of the map (${list.length} of them here; cells that would come from outside the map are left out):`,
    symbolic: `\\frac{\\partial L}{\\partial x_{c,r,s}} = \\sum_{o,u,v \\,:\\, ${where}} W^{[0]}_{o,c,u,v}\\, \\delta^{[0]}_{o,p,q}`,
    numeric: productSum(`\\frac{\\partial L}{\\partial ${sym(T, 0, k)}}`, terms(list, list.length <= 9 ? 9 : 5), { result: g[k] }),
  };
}

/** What the Draw view's heat map shows, and how it differs from ∂L/∂x. */
function drawViewText(T, P) {
  const n = P.n;
  const y = T.loss.labels ? T.loss.labels[n] : null;
  const batch = T.N > 1 ? ` (times the batch mean's 1/${T.N})` : "";
  let sure = ".";
  if (y !== null && T.loss.probs) {
    // 1 − p_y from the core when y is the predicted class (p_y may be an f32 1).
    const own = y === T.loss.predicted[n];
    const rest = own ? T.loss.p_rest[n] : 1 - T.loss.probs[n * T.K + y];
    const p = own ? probabilityText(T.loss.p_predicted[n], rest) : fmt(T.loss.probs[n * T.K + y]);
    sure = `: here ${tx(`p_{${y}}`)} = ${p}, so the true class's part is ${tx(`1 - p_{${y}}`)} = ${fmt(rest, 3, { wide: true })} times its heat map.`;
  }
  return (
    `The Draw view's heat map is this same backward pass, started from a different number: the chosen class's score (its logit ${tx("z_c")}), not the loss. It shows ${tx("\\partial z_c/\\partial x")}: where more ink would make class c more likely, whatever the right answer is. ` +
    `The loss's gradient mixes every class: ${tx("\\partial L/\\partial x = \\sum_j (p_j - y_j)\\, \\partial z_j/\\partial x")}${batch}. ` +
    `For the true class ${tx("p_y - y_y = p_y - 1")} is negative, so its part points the other way (blue where ink would lower the loss), and it shrinks as the network grows sure${sure}`
  );
}

/** The step: ∂L/∂x, worked out for one input, pictured for all. */
export function inputGradStep(T, P) {
  const g = T.inputGrad(P.n);
  if (!g || !T.L) return null;
  const first = T.layers[0];
  const isImage = T.sizes[0] === 784;
  const k = pickedInput(T, P, g);
  const line = first.kind === "dense" ? denseLine(T, P, k, g) : first.kind === "conv2d" ? convLine(T, P, k, g) : null;
  const what = isImage ? "pixel" : "input";
  const blocks = [];
  if (line) blocks.push(line);
  else
    blocks.push({
      kind: "text",
      text: `Layer 0 (${first.kind}) passes the gradient arriving at its output to its input as its own backward step does.`,
    });
  blocks.push({
    kind: "values",
    items: [
      { key: "input-value", label: tx(sym(T, 0, k)), value: T.value(0, P.n)[k] },
      { key: "input-grad", label: tx(`\\partial L/\\partial ${sym(T, 0, k)}`), value: g[k] },
    ],
  });
  if (isImage)
    blocks.push({
      kind: "grid",
      title: `${tx("\\partial L/\\partial x")} at every pixel: orange where more ink would raise the loss, blue where it would lower it (the ${what} worked out above outlined)`,
      values: g,
      h: 28,
      w: 28,
      palette: "diverging",
      highlight: k,
      label: "gradient of the loss at each pixel",
    });
  // A few inputs as one vector; more are in the table below.
  else if (g.length <= 12)
    blocks.push({ kind: "eq", symbolic: "", numeric: `\\frac{\\partial L}{\\partial x} = (${Array.from(g, (v) => tex(v)).join(",\\ ")})` });
  blocks.push({ kind: "text", text: drawViewText(T, P) });
  blocks.push({
    kind: "table",
    title: `Every input's gradient`,
    columns:
      T.shapes[0].length === 3
        ? ["index", "(channel, row, column)", tx("x"), tx("\\partial L/\\partial x")]
        : ["index", tx("x"), tx("\\partial L/\\partial x")],
    rows: () => {
      const x = T.value(0, P.n);
      return Array.from(g, (v, i) => (T.shapes[0].length === 3 ? [i, unflat(T.shapes[0], i).join(","), x[i], v] : [i, x[i], v]));
    },
    highlightRow: k,
    count: g.length,
  });
  return {
    id: "bwd-input",
    phase: "backward",
    short: isImage ? "Pixels ∂" : "Input ∂",
    title: `Backprop reaches the ${isImage ? "pixels" : "input"}: ${tx(`\\partial L/\\partial ${sym(T, 0, k)}`)}`,
    caption:
      `Training stops one layer short: the input is not a weight, so nothing there is updated. But the chain rule goes one step further just as well, to every ${what}: ${tx("\\partial L/\\partial x")} says how the loss would change if that ${what} were a little larger${isImage ? " (a little more ink)" : ""}. ` +
      `Layer 0 sends it down exactly as every layer above sent its gradient to the layer below${T.N > 1 ? `; it is example ${P.n}'s share of the batch's gradient, with the mean's 1/${T.N}` : ""}.`,
    blocks,
  };
}
