// @ts-check
// The walk-through of one training step, as data: which steps there are, what each one says,
// which formulas it shows (symbolic, then with the numbers in) and which numbers it tags.
//
// The input is a worked trace from the Rust core (src/trace.rs, README "The worked trace") and
// the learner's picks (picks.js: which example, which unit, which weight). The output is a list
// of plain step descriptions that two writers turn into something to read: the page
// (www/views/stepthrough/) and the Markdown export (markdown.js). Every number comes from the
// trace; every worked line is printed to the calculator standard (numbers.js `worked`).
//
// One module per kind of layer, forward and backward side by side (layers/), the loss (loss.js),
// the optimizers (optim/), the gradient check (gradcheck.js). Read them in the order of a step:
// layers/dense.js, layers/activation.js, loss.js, optim/sgd.js, optim/adam.js, layers/conv2d.js,
// layers/maxpool.js, layers/flatten.js, layers/dropout.js, input-grad.js (backprop reaches the
// pixels), gradcheck.js.

import * as dense from "./layers/dense.js";
import * as conv2d from "./layers/conv2d.js";
import * as activation from "./layers/activation.js";
import * as maxpool from "./layers/maxpool.js";
import * as flatten from "./layers/flatten.js";
import * as dropout from "./layers/dropout.js";
import { softmaxStep, lossStep, outputGradStep } from "./loss.js";
import { updateStep } from "./optim/update.js";
import { inputGradStep } from "./input-grad.js";
import { tex } from "./numbers.js";
import { subscript } from "./trace.js";
import { vecNames } from "./tex.js";

export { analyse, subscript, sym, unflat, weightIndex } from "./trace.js";
export { defaultPicks, convInput, setElement, pickUnit, pickInput, pickKernel } from "./picks.js";
export { lossName } from "./loss.js";

/**
 * A step of the walk-through.
 * @typedef {object} Step
 * @property {string} id `input`, `fwd-i`, `softmax`, `loss`, `dout`, `bwd-i`, `bwd-input` (∂L/∂x),
 *   `upd-i` (i: the layer)
 * @property {"forward" | "backward" | "update"} phase
 * @property {number} [layer] the layer it belongs to
 * @property {{layer: number, name: string, index: number}} [param] the picked weight it is about
 * @property {string} short a few words, for a table of contents
 * @property {string} title plain text; inline TeX between $…$
 * @property {string} caption plain text; inline TeX between $…$
 * @property {string} [hint]
 * @property {Block[]} blocks
 */

/**
 * What a step shows, one block after another. Text (`text`, `caption`, `title`, `label`) is plain
 * text with inline TeX between $…$; `symbolic` and `numeric` are TeX.
 * @typedef {(
 *   {kind: "text", text: string} |
 *   {kind: "eq", symbolic: string, numeric: string, caption?: string} |
 *   {kind: "values", items: ValueItem[]} |
 *   {kind: "check", ok: boolean, text: string, key?: string} |
 *   {kind: "gradcheck", layer: number, param: string, index: number, analytic: number, label: string} |
 *   {kind: "table", title: string, columns: string[], rows: () => any[][], count: number,
 *    highlightRow?: number, pickRow?: object, open?: boolean} |
 *   {kind: "grid", title: string, values: ArrayLike<number>, h: number, w: number,
 *    palette: "gray" | "diverging", highlight: number, label: string, pick?: object} |
 *   {kind: "units", title: string, values: ArrayLike<number>, picked: number, layer: number, role: string} |
 *   {kind: "bars", title: string, values: ArrayLike<number>, mark: number, keyPrefix?: string, signed?: boolean} |
 *   {kind: "examples", count: number, picked: number}
 * )} Block
 *
 * - `eq`: a formula, symbolic, then with this example's numbers (a worked line, printed to the
 *   calculator standard). Either may be "" (nothing to show on that line).
 * - `check`: a verdict; `key` tags it for tests (`gc-ok`: 1 when ok).
 * - `gradcheck`: the gradient check of a weight. The core runs it on request (the worker's
 *   gradientCheck, or SpecLab.gradientCheck); gradcheck.js's `gradcheckBlocks(block, result)`
 *   turns the result into text, eq, values and check blocks, which is what to show.
 * - `table` rows hold numbers, strings, or cells `{v, shown?, key?, wide?}` (`shown`: computed
 *   for display from the trace's numbers, not by the core; `wide`: an f64 of the core's).
 */

/**
 * A tagged number: `key` names it for tests; `plain` numbers (counts, settings) are shown as
 * given; `wide` ones are f64s of the core's (else f32s); `sig` digits when not 6; `full`: every
 * digit (the shortest decimal that reads back as the number); `hidden` ones are tagged but not
 * shown.
 * @typedef {{key: string, label: string, value: number, plain?: boolean, big?: boolean,
 *   wide?: boolean, sig?: number, full?: boolean, hidden?: boolean}} ValueItem
 */

/** The forward and the backward step of each kind of layer. */
const LAYERS = { dense, conv2d, relu: activation, sigmoid: activation, tanh: activation, maxpool2d: maxpool, flatten, dropout };

/**
 * Builds every step of the walk-through.
 * @param {ReturnType<typeof import("./trace.js").analyse>} T
 * @param {any} P picks
 * @param {{title?: string, lead?: string}} [meta]
 * @returns {Step[]}
 */
export function buildSteps(T, P, meta = {}) {
  /** @type {any[]} */
  const steps = [inputStep(T, P, meta)];
  const layer = (i, phase) => LAYERS[T.layers[i].kind]?.[phase](T, P, i);
  for (let i = 0; i < T.L; i++) steps.push(layer(i, "forward"));
  if (T.loss.kind === "softmax_cross_entropy") steps.push(softmaxStep(T, P));
  steps.push(lossStep(T, P));
  steps.push(outputGradStep(T, P));
  for (let i = T.L - 1; i >= 0; i--) steps.push(layer(i, "backward"));
  steps.push(inputGradStep(T, P));
  const updated = T.layers.filter((ly) => ly.raw.params.length).map((ly) => ly.i);
  for (let q = updated.length - 1; q >= 0; q--) steps.push(updateStep(T, P, updated[q], q === updated.length - 1));
  return steps.filter(Boolean);
}

/** What a training step, a batch and an epoch are, with this trace's numbers. */
function definitions(T) {
  const t = T.trace.optimizer.t;
  return {
    kind: "text",
    text:
      `A training step is one forward pass, one loss, one backward pass and one update of every weight, all on one batch: the examples the step learns from together (here ${T.N === 1 ? "one example" : `${T.N} examples`}). ` +
      `An epoch is one pass through the whole training set, so it takes (training examples) ÷ (batch size) steps: 938 steps for MNIST's 60,000 digits in batches of 64. ` +
      `This is step ${t} of this network${t > 1 ? `; ${t - 1} came before it` : ", its very first"}.`,
  };
}

function inputStep(T, P, meta) {
  const x = T.value(0, P.n);
  const shape = T.shapes[0];
  const isImage = T.sizes[0] === 784;
  const blocks = [];
  if (meta.lead) blocks.push({ kind: "text", text: meta.lead });
  if (isImage)
    blocks.push({
      kind: "grid",
      title: "What the network sees: 28 × 28 = 784 numbers between 0 (blank) and 1 (ink)",
      values: x,
      h: 28,
      w: 28,
      palette: "gray",
      highlight: T.layers.length && (T.layers[0].kind === "dense" || T.layers[0].kind === "conv2d") ? P.el[0] : -1,
      pick: T.layers.length && T.layers[0].kind === "dense" ? { type: "input", layer: 0, offset: 0 } : null,
      label: "input image",
    });
  else blocks.push({ kind: "eq", symbolic: `x = (${vecNames("x", T.sizes[0])})`, numeric: `x = (${tuple(x)})` });
  const items = [];
  if (T.loss.labels) items.push({ key: "label", label: "The right answer (label) y", value: T.loss.labels[P.n], plain: true });
  else
    blocks.push({
      kind: "eq",
      symbolic: `t = (${vecNames("t", T.K)})`,
      numeric: `t = (${tuple(T.loss.targets.slice(P.n * T.K, (P.n + 1) * T.K))})`,
      caption: "What the outputs should be (the target).",
    });
  items.push({ key: "steps-before", label: "Steps the optimizer has taken before this one", value: T.trace.optimizer.t - 1, plain: true });
  blocks.push({ kind: "values", items }, definitions(T));
  if (T.N > 1) {
    blocks.push({
      kind: "text",
      text: `This batch has ${T.N} examples; the walk-through follows example ${P.n}. The loss and the gradients are the means over all ${T.N}.`,
    });
    blocks.push({ kind: "examples", count: T.N, picked: P.n });
  }
  blocks.push({
    kind: "table",
    title: "Every input number",
    columns: shape.length === 3 ? ["index", "(channel, row, column)", "value"] : ["index", "value"],
    rows: () => Array.from(x, (v, k) => (shape.length === 3 ? [k, subscript(T, 0, k), v] : [k, v])),
    count: x.length,
  });
  return {
    id: "input",
    phase: "forward",
    short: "Input",
    title: meta.title || "The example",
    caption: isImage
      ? "One training step starts with one example. The network reads the picture as a list of pixel values; we will push it through the network (forward), measure how wrong the answer is (the loss), send the blame back through every layer (backward), and finally nudge every weight (the update). All numbers below come from one real training step, run on a copy of the model."
      : "One training step starts with the input. We push it through the network (forward), measure how wrong the output is (the loss), send the blame back through every layer (backward), and then nudge every weight (the update).",
    blocks,
  };
}

/** A list of the core's numbers in TeX, `0.05,\ 0.1`. */
const tuple = (values) => Array.from(values, (v) => tex(v)).join(",\\ ");
