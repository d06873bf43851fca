// @ts-check
// The training settings: one table (SETTINGS) drives the form, the URL (so a link reproduces a
// run) and the checks; its facts (choices, limits, defaults) come from the core's vocabulary.
// `workerSettings` turns them into the `Settings` of src/train.rs that the worker expects.

import vocabulary, { withinLimit, optimizerDefaults } from "./vocabulary.js";

/** @typedef {import("./vocabulary.js").Limit} Limit */
/**
 * The page's settings, as they sit in the URL.
 * @typedef {{model: string, opt: "adam" | "sgd", lr: number, momentum: number, batch: number, epochs: number, seed: number}} PageSettings
 */
/**
 * One row of the table: a choice (`choices`) or a number (`limit`). `only` shows the setting for
 * that optimizer only; `hint` is shown under the field.
 * @typedef {{key: keyof PageSettings, label: string, noun: string, choices?: {value: string, text: string}[], limit?: Limit,
 *            only?: "adam" | "sgd", hint?: string}} Setting
 */

const { limits, defaults } = vocabulary;

/** The preset names, in the core's order. */
export const PRESETS = vocabulary.presets.map((p) => p.name);

/** Every setting, in the form's order. */
/** @type {Setting[]} */
export const SETTINGS = [
  {
    key: "model",
    label: "Model",
    noun: "the model",
    choices: vocabulary.presets.map((p) => ({ value: p.name, text: `${p.name} · ${p.description}` })),
  },
  { key: "opt", label: "Optimizer", noun: "the optimizer", choices: vocabulary.optimizers.map((o) => ({ value: o.name, text: o.label })) },
  { key: "lr", label: "Learning rate", noun: "The learning rate", limit: limits.lr },
  { key: "momentum", label: "Momentum", noun: "Momentum", limit: limits.momentum, only: "sgd" },
  { key: "batch", label: "Batch size", noun: "The batch size", limit: limits.batch, hint: vocabulary.terms.batch },
  { key: "epochs", label: "Epochs", noun: "Epochs", limit: limits.epochs, hint: vocabulary.terms.epoch },
  { key: "seed", label: "Seed", noun: "The seed", limit: limits.seed, hint: "Same seed, same run" },
];

/** The learning rate each optimizer starts with (Adam's is the paper's α). */
export function defaultLr(opt) {
  return optimizerDefaults(opt).lr;
}

/** @type {PageSettings} */
export const DEFAULTS = {
  model: defaults.model,
  opt: defaults.optimizer,
  lr: defaultLr(defaults.optimizer),
  momentum: /** @type {{momentum: number}} */ (optimizerDefaults("sgd")).momentum,
  batch: defaults.batch,
  epochs: defaults.epochs,
  seed: defaults.seed,
};

/** Whether `value` (a string from the URL or the form) is allowed for `setting`; its value if so. */
export function parseSetting(setting, value) {
  if (setting.choices) return setting.choices.some((c) => c.value === value) ? { ok: true, value } : { ok: false };
  const v = Number(value);
  return value.trim() !== "" && withinLimit(setting.limit, v) ? { ok: true, value: v } : { ok: false };
}

/** What a number setting expects, for a form's message: "The batch size must be a whole number from 1 to 4096, such as 64." */
export function settingMessage(setting) {
  return `${setting.noun} must be ${setting.limit.text}, such as ${shortNumber(Number(DEFAULTS[setting.key]))}.`;
}

/**
 * Reads settings from a URL query; anything missing or invalid takes its default.
 * @returns {{settings: PageSettings, invalid: string[]}}
 */
export function readSettings(search) {
  const q = new URLSearchParams(search);
  const s = { ...DEFAULTS };
  const invalid = [];
  for (const setting of SETTINGS) {
    if (setting.key === "lr") s.lr = defaultLr(s.opt); // the chosen optimizer's, unless the link says
    if (!q.has(setting.key)) continue;
    const r = parseSetting(setting, q.get(setting.key));
    if (r.ok) /** @type {any} */ (s)[setting.key] = r.value;
    else invalid.push(setting.key);
  }
  return { settings: s, invalid };
}

/** A setting as people write it: 0.001, 1e-5, 1e20 (not 100000000000000000000). */
export function shortNumber(v) {
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-4) ? v.toExponential().replace("e+", "e") : String(v);
}

/** The settings as a URL query, every one present (momentum only for SGD). */
export function settingsQuery(s) {
  const q = new URLSearchParams();
  for (const setting of SETTINGS) {
    if (setting.only && setting.only !== s.opt) continue;
    const v = s[setting.key];
    q.set(setting.key, typeof v === "number" && !setting.limit.integer ? shortNumber(v) : String(v));
  }
  return q.toString();
}

/**
 * The settings as the worker's `Settings` (src/train.rs).
 * @param {PageSettings} s
 * @returns {import("../protocol.js").Settings}
 */
export function workerSettings(s) {
  const optimizer = s.opt === "adam" ? { type: "adam", lr: s.lr } : { type: "sgd", lr: s.lr, momentum: s.momentum };
  return { model: s.model, optimizer: /** @type {import("../protocol.js").OptimizerConfig} */ (optimizer), batch: s.batch, seed: s.seed };
}
