// @ts-check
// The loss in the walk-through, like src/loss.rs: the softmax, the loss of the example, and the
// gradient that starts backward.
//
//   softmax + cross-entropy   m = max_k z_k,  S = Σ_k e^(z_k − m),  p_k = e^(z_k − m)/S
//                             L = −ln p_y = ln S − (z_y − m)
//                             ∂L/∂z_j = (p_j − y_j)/N     (derived in the step, with numbers)
//   mean squared error        L = (1/K) Σ_k (t_k − o_k)²        ∂L/∂o_k = 2(o_k − t_k)/(K·N)
//   half sum of squares       E = ½ Σ_k (t_k − o_k)²            ∂E/∂o_k = (o_k − t_k)/N
//
// The loss of a batch is the mean of its examples' losses; so are its gradients.

import { worked, paren, tex, fmt, probabilityText } from "./numbers.js";
import { productSum, sumTex, terms, tx } from "./tex.js";
import { argmaxAbs } from "./picks.js";

export function lossName(kind) {
  return { softmax_cross_entropy: "cross-entropy", mse: "mean squared error", half_sse: "half sum of squared errors" }[kind] || kind;
}

/** Example n's slice of a per-class array of the loss trace. */
const row = (T, arr, n) => arr.slice(n * T.K, (n + 1) * T.K);

/** The class the walk-through explains: the label, or the target's largest class. */
const trueClass = (T, n) => (T.loss.labels ? T.loss.labels[n] : argmaxAbs(row(T, T.loss.targets, n)));

/** The softmax step (cross-entropy only): from scores to probabilities, with the core's m, e^(z − m) and S. */
export function softmaxStep(T, P) {
  const n = P.n;
  const K = T.K;
  const z = row(T, T.loss.outputs, n);
  const p = row(T, T.loss.probs, n);
  const sm = T.loss.softmax;
  const [m, S] = [sm.max[n], sm.sum[n]];
  const e = row(T, sm.exps, n);
  const y = trueClass(T, n);
  const Z = T.names[T.L];
  const pred = T.loss.predicted[n];
  const said = probabilityText(T.loss.p_predicted[n], T.loss.p_rest[n]);
  const mLine = worked(Array.from(z), (v) => Math.max(...v), m);
  const eLine = worked([z[y], m], ([a, b]) => Math.exp(a - b), e[y], { wide: true, minDigits: 6 });
  const sum = productSum(
    "S",
    terms(
      Array.from(e, (v) => ({ a: /** @type {any} */ ({ v, wide: true }), c: v })),
      K <= 12 ? 12 : 6,
    ),
    { result: S, wide: true, minDigits: 6 },
  );
  const pLine = worked(
    [
      { v: e[y], wide: true },
      { v: S, wide: true },
    ],
    ([a, b]) => a / b,
    p[y],
    { minDigits: 6 },
  );
  return {
    id: "softmax",
    phase: "forward",
    short: "Softmax",
    title: "Softmax: from scores to probabilities",
    caption: `The last layer gives ${K} scores (logits), one per class. Softmax turns them into probabilities: take e to the power of each score, then divide by their sum so they add up to 1. To keep ${tx("e^z")} from overflowing, the largest score m is subtracted first; that changes nothing in the result, because it cancels in the division. The network's answer is the most probable class: ${pred}, with probability ${said}${said.startsWith("1 −") ? " (the core computes 1 − p without rounding p first)" : ""}.`,
    blocks: [
      {
        kind: "eq",
        symbolic: `p_k = \\frac{e^{${Z}_k - m}}{\\sum_{i} e^{${Z}_i - m}}, \\qquad m = \\max_i ${Z}_i`,
        numeric: K <= 12 ? `m = \\max(${mLine.ops.join(",\\ ")}) = ${mLine.res}` : `m = ${tex(m)}`,
      },
      {
        kind: "eq",
        symbolic: `e^{${Z}_{${y}} - m}`,
        numeric: `e^{${Z}_{${y}} - m} = e^{${eLine.ops[0]} - ${paren(eLine.ops[1])}} = ${eLine.res}`,
      },
      { kind: "eq", symbolic: `S = \\sum_i e^{${Z}_i - m}`, numeric: sum },
      {
        kind: "eq",
        symbolic: `p_{${y}} = \\frac{e^{${Z}_{${y}} - m}}{S}`,
        numeric: `p_{${y}} = \\frac{${pLine.ops[0]}}{${pLine.ops[1]}} = ${pLine.res}`,
      },
      { kind: "bars", title: "The probabilities", values: p, mark: y, keyPrefix: "prob-" },
      {
        kind: "table",
        title: "Every number of the softmax",
        columns: ["k", tx(`${Z}_k`), tx(`${Z}_k - m`), tx(`e^{${Z}_k - m}`), tx("p_k")],
        rows: () => Array.from(z, (v, k) => [k, v, { v: v - m, shown: true }, { v: e[k], wide: true }, { v: p[k], key: `prob-${k}` }]),
        highlightRow: y,
        count: K,
        open: true,
      },
    ],
  };
}

/** Cross-entropy of example n: −ln p_y, written as the core computes it, ln S − (z_y − m). */
function crossEntropyBlocks(T, n) {
  const z = row(T, T.loss.outputs, n);
  const t = row(T, T.loss.targets, n);
  const p = row(T, T.loss.probs, n);
  const [m, S] = [T.loss.softmax.max[n], T.loss.softmax.sum[n]];
  const Le = T.loss.per_example[n];
  const Z = T.names[T.L];
  if (T.loss.labels) {
    const y = T.loss.labels[n];
    const w = worked([{ v: S, wide: true }, z[y], m], ([s, zy, mm]) => Math.log(s) - (zy - mm), Le, { minDigits: 6 });
    return {
      caption: `Cross-entropy measures how surprised the network is by the right answer: minus the logarithm of the probability it gave the true class ${y}. A probability of 1 costs nothing; a probability near 0 costs a lot.`,
      blocks: [
        {
          kind: "eq",
          symbolic: `L = -\\ln p_y = -\\ln \\frac{e^{${Z}_y - m}}{S} = \\ln S - (${Z}_y - m)`,
          numeric: `L = \\ln(${w.ops[0]}) - (${w.ops[1]} - ${paren(w.ops[2])}) = ${w.res}`,
        },
        {
          kind: "text",
          text: `The core computes ${tx("-\\ln p_y")} in this form, from S, without rounding ${tx(`p_{${y}} = ${tex(p[y])}`)} first: when ${tx("p_y")} is close to 1, its rounding would cost the loss most of its digits.`,
        },
        {
          kind: "values",
          items: [
            { key: "prob-true", label: tx(`p_{${y}}`), value: p[y] },
            { key: "loss-example", label: "The loss L of this example", value: Le },
          ],
        },
      ],
    };
  }
  // A target distribution: L = Σ_k t_k (ln S − (z_k − m)), over the classes with t_k ≠ 0.
  const ks = [...t.keys()].filter((k) => t[k] !== 0);
  const ops = [{ v: S, wide: true }, { v: m }, ...ks.flatMap((k) => [t[k], z[k]])];
  const w = worked(
    ops,
    ([s, mm, ...rest]) => rest.reduce((acc, _, q) => (q % 2 ? acc + rest[q - 1] * (Math.log(s) - (rest[q] - mm)) : acc), 0),
    Le,
    { minDigits: 6 },
  );
  const parts = ks.map((_, q) => `${paren(w.ops[2 + 2 * q])}\\,(\\ln(${w.ops[0]}) - (${w.ops[3 + 2 * q]} - ${paren(w.ops[1])}))`);
  return {
    caption:
      "Cross-entropy against a target distribution t: the surprise at each class, −ln p_k, weighted by how much the target wants it.",
    blocks: [
      {
        kind: "eq",
        symbolic: `L = -\\sum_k t_k \\ln p_k = \\sum_k t_k\\,(\\ln S - (${Z}_k - m))`,
        numeric: sumTex("L", parts, w.res),
      },
      { kind: "values", items: [{ key: "loss-example", label: "The loss L of this example", value: Le }] },
    ],
  };
}

/** Mean squared error or half the sum of squared errors of example n. */
function squaredErrorBlocks(T, n) {
  const K = T.K;
  const o = row(T, T.loss.outputs, n);
  const t = row(T, T.loss.targets, n);
  const Le = T.loss.per_example[n];
  const O = T.names[T.L];
  const half = T.loss.kind === "half_sse";
  const w = worked([...t, ...o], (v) => (half ? 0.5 : 1 / K) * t.reduce((s, _, k) => s + (v[k] - v[K + k]) ** 2, 0), Le);
  const diff = Array.from(t, (_, k) => `(${w.ops[k]} - ${paren(w.ops[K + k])})^{2}`).join(" + ");
  return {
    caption: half
      ? "The half sum of squared errors: for each output, the difference between the target and what came out, squared (so that too high and too low both count), all added up and halved. The ½ is there so that the derivative comes out clean. (Some texts call this loss E.)"
      : `The mean squared error: each output's difference from its target, squared, averaged over the ${K} outputs.`,
    blocks: [
      {
        kind: "eq",
        symbolic: half ? `L = \\frac{1}{2} \\sum_k (t_k - ${O}_k)^2` : `L = \\frac{1}{${K}} \\sum_k (t_k - ${O}_k)^2`,
        numeric: `L = \\frac{1}{${half ? 2 : K}}\\left(${diff}\\right) = ${w.res}`,
      },
      { kind: "values", items: [{ key: "loss-example", label: "The loss of this example", value: Le }] },
    ],
  };
}

/** The loss step: this example's loss, and the batch's (their mean). */
export function lossStep(T, P) {
  /** @type {{caption: string, blocks: any[]}} */
  const { caption, blocks } = T.loss.kind === "softmax_cross_entropy" ? crossEntropyBlocks(T, P.n) : squaredErrorBlocks(T, P.n);
  if (T.N > 1) {
    const w = worked(T.loss.per_example, (v) => v.reduce((s, x) => s + x, 0) / v.length, T.loss.value);
    blocks.push({
      kind: "eq",
      caption: `The batch's loss is the mean of its ${T.N} examples' losses.`,
      symbolic: `L_{\\text{batch}} = \\frac{1}{${T.N}} \\sum_n L^{(n)}`,
      numeric: `L_{\\text{batch}} = \\frac{1}{${T.N}}(${w.ops.join(" + ")}) = ${w.res}`,
    });
  }
  blocks.push({
    kind: "values",
    items: [{ key: "loss", label: T.N > 1 ? "The loss of the batch" : "The loss", value: T.loss.value, big: true }],
  });
  return { id: "loss", phase: "forward", short: "Loss", title: `The loss: ${lossName(T.loss.kind)}`, caption, blocks };
}

/**
 * Why ∂L/∂z_j = p_j − y_j, with this example's numbers: the softmax's Jacobian
 * ∂p_y/∂z_j = p_y(δ_yj − p_j) times ∂L/∂p_y = −1/p_y (labels; a target distribution gets the
 * symbolic derivation).
 */
function derivation(T, n, j, g) {
  const y = trueClass(T, n);
  const p = row(T, T.loss.probs, n);
  const Z = T.names[T.L];
  const N = T.N;
  const intro = {
    kind: "text",
    text: `Why p − y? Every probability depends on every score, through the sum S: ${tx("\\partial p_i/\\partial z_j = p_i(\\delta_{ij} - p_j)")}, where ${tx("\\delta_{ij}")} is 1 when i = j and 0 otherwise (the softmax's Jacobian). The chain rule adds up the paths from ${tx(`${Z}_j`)} through every ${tx("p_i")} to the loss.`,
  };
  if (!T.loss.labels)
    return [
      intro,
      {
        kind: "eq",
        symbolic: `\\frac{\\partial L}{\\partial ${Z}_j} = \\sum_i \\frac{\\partial L}{\\partial p_i}\\frac{\\partial p_i}{\\partial ${Z}_j} = \\sum_i \\left(-\\frac{t_i}{p_i}\\right) p_i(\\delta_{ij} - p_j) = -t_j + p_j \\sum_i t_i = p_j - t_j`,
        numeric: "",
        caption: "The targets add up to 1, which leaves p − t.",
      },
    ];
  const dyj = y === j ? 1 : 0;
  const dLdp = worked([p[y]], ([py]) => -1 / py, null);
  const dpdz = worked([p[y], { v: dyj, exact: true }, p[j]], ([py, d, pj]) => py * (d - pj), null);
  const chain = worked([p[y], p[y], { v: dyj, exact: true }, p[j]], ([a, b, d, pj]) => (-1 / a) * b * (d - pj), null);
  const N1 = N > 1 ? `\\frac{1}{${N}}` : "";
  // p is kept as an f32 (about 7 digits); near 1, 1 − p keeps only a few of them. The core
  // computes p − y from the unrounded p, so the two can differ in the last digits shown.
  const rounded = Math.abs(chain.resultValue - g * N) > 5e-6 * Math.abs(g * N);
  return [
    intro,
    {
      kind: "text",
      text: `Cross-entropy with a label looks at ${tx(`p_{${y}}`)} only, so only the path through ${tx(`p_{${y}}`)} counts:`,
    },
    {
      kind: "eq",
      symbolic: `\\frac{\\partial L^{(${n})}}{\\partial p_{${y}}} = -\\frac{1}{p_{${y}}}`,
      numeric: `\\frac{\\partial L^{(${n})}}{\\partial p_{${y}}} = -\\frac{1}{${dLdp.ops[0]}} = ${dLdp.res}`,
    },
    {
      kind: "eq",
      symbolic: `\\frac{\\partial p_{${y}}}{\\partial ${Z}_{${j}}} = p_{${y}}(\\delta_{${y}${j}} - p_{${j}})`,
      numeric: `\\frac{\\partial p_{${y}}}{\\partial ${Z}_{${j}}} = ${dpdz.ops[0]} \\cdot (${dpdz.ops[1]} - ${paren(dpdz.ops[2])}) = ${dpdz.res}`,
    },
    {
      kind: "eq",
      symbolic: `\\frac{\\partial L^{(${n})}}{\\partial ${Z}_{${j}}} = \\frac{\\partial L^{(${n})}}{\\partial p_{${y}}}\\frac{\\partial p_{${y}}}{\\partial ${Z}_{${j}}} = \\left(-\\frac{1}{p_{${y}}}\\right) p_{${y}}(\\delta_{${y}${j}} - p_{${j}}) = p_{${j}} - \\delta_{${y}${j}}`,
      numeric: `\\frac{\\partial L^{(${n})}}{\\partial ${Z}_{${j}}} = \\left(-\\frac{1}{${chain.ops[0]}}\\right) \\cdot ${chain.ops[1]} \\cdot (${chain.ops[2]} - ${paren(chain.ops[3])}) = ${chain.res}`,
    },
    {
      kind: "text",
      text:
        `The ${tx(`p_{${y}}`)} cancels: what is left is ${tx(`p_{${j}} - y_{${j}}`)}, with y one-hot (1 for the true class ${y}, 0 for the others). That shortcut is what the core computes, for every class at once${N > 1 ? `, divided by N = ${N} for the batch's mean` : ""}, with ${tx(`p_{${j}} = e^{${Z}_{${j}} - m}/S`)} unrounded` +
        (rounded
          ? ` (the printed ${tx("p")} is rounded to an f32, about 7 digits, and near 1 the difference ${tx("1 - p")} keeps only a few of them: hence the last digits above differ from the core's below).`
          : ":"),
    },
  ];
}

/** The first backward step: the gradient of the loss with respect to the network's outputs. */
export function outputGradStep(T, P) {
  const n = P.n;
  const K = T.K;
  const N = T.N;
  const g = row(T, T.loss.grad, n);
  const o = row(T, T.loss.outputs, n);
  const t = row(T, T.loss.targets, n);
  const j = P.el[T.L];
  const O = T.names[T.L];
  const ce = T.loss.kind === "softmax_cross_entropy";
  const half = T.loss.kind === "half_sse";
  const p = ce ? row(T, T.loss.probs, n) : null;
  // ∂L/∂o_j = f·(o_j − t_j) with f = 1/N (cross-entropy: o = p; ½SSE) or 2/(K·N) (MSE).
  const [num, den] = ce || half ? [1, N] : [2, K * N];
  const factor = den === 1 && num === 1 ? "" : `\\frac{${num}}{${den}}`;
  let numeric;
  if (ce) {
    // p_j = e^(z_j − m)/S, unrounded, as the core computes p − y.
    const sm = T.loss.softmax;
    const w = worked(
      [{ v: row(T, sm.exps, n)[j], wide: true }, { v: sm.sum[n], wide: true }, t[j]],
      ([e, s, y]) => (e / s - y) / den,
      g[j],
      { minDigits: 6 },
    );
    numeric = `\\frac{\\partial L}{\\partial ${O}_{${j}}} = ${factor}\\left(\\frac{${w.ops[0]}}{${w.ops[1]}} - ${paren(w.ops[2])}\\right) = ${w.res}`;
  } else {
    const w = worked([o[j], t[j]], ([x, y]) => (num / den) * (x - y), g[j], { minDigits: 6 });
    numeric = `\\frac{\\partial L}{\\partial ${O}_{${j}}} = ${factor}(${w.ops[0]} - ${paren(w.ops[1])}) = ${w.res}`;
  }
  const fs = den === 1 && num === 1 ? "" : `\\frac{${num}}{${ce || half ? "N" : "K N"}}`;
  /** @type {any[]} */
  const blocks = ce ? derivation(T, n, j, g[j]) : [];
  blocks.push({
    kind: "eq",
    symbolic: ce
      ? `\\frac{\\partial L}{\\partial ${O}_k} = ${fs}(p_k - y_k)`
      : `\\frac{\\partial L}{\\partial ${O}_k} = ${fs}(${O}_k - t_k)`,
    numeric,
  });
  blocks.push({ kind: "values", items: [{ key: "dout", label: tx(`\\partial L/\\partial ${O}_{${j}}`), value: g[j] }] });
  if (K <= 64) blocks.push({ kind: "bars", title: "The gradient for every output", values: g, mark: j, signed: true });
  blocks.push({
    kind: "table",
    title: "Every output's gradient",
    columns: ce
      ? ["k", tx("p_k"), tx("y_k"), tx(`\\partial L/\\partial ${O}_k`)]
      : ["k", tx(`${O}_k`), tx("t_k"), tx(`\\partial L/\\partial ${O}_k`)],
    rows: () => Array.from(g, (v, k) => [k, ce ? p[k] : o[k], t[k], { v, key: `dout-${k}` }]),
    highlightRow: j,
    count: K,
    open: true,
  });
  const batch = N > 1 ? ` The batch's loss is the mean over its N = ${N} examples, so each example's gradient is divided by N.` : "";
  return {
    id: "dout",
    phase: "backward",
    short: ce ? "p − y" : "o − t",
    title: "Backward starts: the gradient at the output",
    caption:
      (ce
        ? "Now backward. Softmax and cross-entropy together have the simplest gradient there is: for each class, the probability minus the target (1 for the right class, 0 for the others). The right class gets a negative gradient (its score should go up); every other class a positive one (its score should go down), in proportion to how much probability it wrongly took."
        : half
          ? "Now backward. The derivative of ½(t − o)² with respect to o is o − t: how far each output is from its target, with a sign saying which way (the ½ cancels the 2 of the square)."
          : `Now backward. The derivative of the mean squared error with respect to each output is 2(o − t)/${K}.`) + batch,
    blocks,
  };
}
