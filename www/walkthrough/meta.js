// @ts-check
// The title and subtitle of a walk-through: which example, which network, which step. The page
// and `npm run walkthrough` both use these, so their Markdown says the same.

import { lossName } from "./loss.js";
import { probabilityText } from "./numbers.js";

/** The optimizer in words: "Adam (α = 0.001)", "SGD (learning rate 0.5, momentum 0.9)". */
export function optimizerText(config) {
  return config.type === "adam"
    ? `Adam (α = ${config.lr})`
    : `SGD (learning rate ${config.lr}${config.momentum ? `, momentum ${config.momentum}` : ""})`;
}

/**
 * In words: which network the numbers of `trace` come from.
 * @param {{model: string, seed: number} | null} fresh a fresh preset from a seed, or null for a
 *   trained model (the page's current model, or a model file)
 * @param {any} trace
 * @param {string} [model] the trained model's preset name, when known
 */
export function networkText(fresh, trace, model) {
  const opt = optimizerText(trace.optimizer.config);
  if (fresh)
    return `a fresh ${fresh.model} with the random weights of seed ${fresh.seed} and a fresh ${opt} optimizer: its first step, t = 1, from m = v = 0`;
  const before = trace.optimizer.t - 1;
  return `a copy of the current model${model ? ` (${model})` : ""}, after ${before.toLocaleString("en-US")} training step${before === 1 ? "" : "s"}, with its ${opt} optimizer`;
}

/**
 * A test digit's walk-through.
 * @param {{index: number, label: number, fresh: any, trace: any, model?: string}} o
 */
export function digitMeta({ index, label, fresh, trace, model }) {
  return {
    title: `Test digit ${index} (a ${label})`,
    subtitle: `One training step on test digit ${index}, whose label is ${label}, of ${networkText(fresh, trace, model)}.`,
  };
}

/**
 * A drawn digit's walk-through: the learner's drawing with the label they gave it (or the
 * network's own guess, taken as the label).
 * @param {{label: number, fresh: any, trace: any, model?: string}} o
 */
export function drawingMeta({ label, fresh, trace, model }) {
  return {
    title: `Your drawing, taken to be a ${label}`,
    subtitle: `One training step on a drawn digit, with label ${label}, of ${networkText(fresh, trace, model)}.`,
  };
}

/** A layer in a few words: "dense 2 → 2", "conv2d 2 filters 2×2, stride 2, padding 1". */
function layerText(ly) {
  const s = ly.spec;
  if (s.type === "dense") return `dense ${s.inputs} → ${s.outputs}`;
  if (s.type === "conv2d")
    return `conv2d ${s.out_channels} filter${s.out_channels === 1 ? "" : "s"} ${s.kernel}×${s.kernel}${s.stride > 1 ? `, stride ${s.stride}` : ""}${s.padding ? `, padding ${s.padding}` : ""}`;
  if (s.type === "maxpool2d") return `max-pool ${s.size}×${s.size}${s.stride !== s.size ? `, stride ${s.stride}` : ""}`;
  if (s.type === "dropout") return `dropout ${s.rate}`;
  return s.type;
}

/**
 * A spec's walk-through (the custom network).
 * @param {{name?: string | null, trace: any}} o
 */
export function specMeta({ name, trace }) {
  const layers = trace.layers.map((ly) => `${ly.index}: ${layerText(ly)}`).join("; ");
  const batch = trace.batch > 1 ? `a batch of ${trace.batch} examples` : "one example";
  return {
    title: `Worked example: ${name || "a tiny network"}, step ${trace.optimizer.t}`,
    subtitle: `Layers ${layers}. ${lossName(trace.loss.kind)[0].toUpperCase()}${lossName(trace.loss.kind).slice(1)}, ${optimizerText(trace.optimizer.config)}, ${batch}.`,
  };
}

/**
 * What the traced network answers, in the core's words: its predicted class and that class's
 * probability (the trace's `predicted`, `p_predicted` and `p_rest`), never rounded to 1.
 * @param {any} trace
 */
export function saysText(trace) {
  const { predicted, p_predicted: p, p_rest: rest } = trace.loss;
  const masks = trace.layers.some((l) => l.spec.type === "dropout") ? " (in this step, with its dropout masks)" : "";
  return `The network says ${predicted[0]} with probability ${probabilityText(p[0], rest[0])}${masks}.`;
}
