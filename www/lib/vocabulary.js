// @ts-check
// The core's vocabulary (src/vocabulary.rs): every limit, default, preset, layer kind, loss and
// optimizer, stated once in Rust. The wasm build writes it to pkg/vocabulary.js from the wasm's
// own `vocabulary()` call, so the page has it at once, before the worker has loaded the wasm.
// Views render from it; they never restate a limit or a default.

import vocabulary from "../pkg/vocabulary.js";

/**
 * A limit as src/vocabulary.rs states it (`max: null` = no upper bound), with its words.
 * @typedef {{min: number, max: number | null, min_exclusive: boolean, max_exclusive: boolean, integer: boolean, text: string}} Limit
 * @typedef {{type: "adam", lr: number, beta1: number, beta2: number, eps: number} | {type: "sgd", lr: number, momentum: number}} OptimizerDefaults
 * @typedef {{
 *   presets: {name: string, description: string, layers: string}[],
 *   optimizers: {name: "adam" | "sgd", label: string, defaults: OptimizerDefaults}[],
 *   defaults: {model: string, optimizer: "adam" | "sgd", batch: number, epochs: number, seed: number},
 *   limits: {batch: Limit, epochs: Limit, seed: Limit, lr: Limit, momentum: Limit, beta: Limit, eps: Limit,
 *            dropout_rate: Limit, spec_steps: Limit, histogram_bins: Limit, speed: Limit, finetune_steps: Limit, user_share: Limit,
 *            holdout: Limit},
 *   layer_kinds: string[],
 *   losses: {name: string, description: string}[],
 *   cores: {two: string, one: string, one_not_isolated: string},
 *   terms: {batch: string, step: string, epoch: string},
 *   speeds: {steps_per_second: number | null, label: string}[],
 *   watch_every_step_at: number,
 *   timeline: {bytes: number, per_octave: number},
 *   health: {window: number, saturation_margin: number, stats: HealthStat[]},
 *   draw: {pad: number, pen: number, test_digit_size: number, max_own_digits: number, score: "logit" | "probability",
 *          finetune: {steps: number, batch: number, user_share: number, lr: number, holdout: number, seed: number}},
 * }} Vocabulary
 * @typedef {{key: "grad_norm" | "update_ratio" | "dead" | "saturated", name: string, means: string, try_this: string,
 *            low: number | null, watch: number | null, alarm: number | null}} HealthStat
 *   a statistic of the health panel (src/vocabulary.rs HealthStat)
 */

/** Whether `v` lies within `limit` (src/vocabulary.rs `Limit::contains`). */
export function withinLimit(limit, v) {
  if (!Number.isFinite(v)) return false;
  const above = limit.min_exclusive ? v > limit.min : v >= limit.min;
  const below = limit.max == null || (limit.max_exclusive ? v < limit.max : v <= limit.max);
  return above && below && (!limit.integer || Number.isInteger(v));
}

/** The default settings of optimizer `name` ("adam" or "sgd"). */
export function optimizerDefaults(name) {
  const o = vocabulary.optimizers.find((o) => o.name === name);
  if (!o) throw new Error(`unknown optimizer ${name}`);
  return o.defaults;
}

/** The health panel's statistic `key`. @param {HealthStat["key"]} key */
export function healthStat(key) {
  return /** @type {HealthStat} */ (vocabulary.health.stats.find((s) => s.key === key));
}

/** @type {Vocabulary} */
export default vocabulary;
