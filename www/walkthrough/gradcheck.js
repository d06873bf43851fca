// @ts-check
// The gradient check of the picked weight, as blocks: every number of the core's check
// (src/trace.rs `gradient_check`) written out, and the core's verdict with the tolerance it used.
// Nothing here decides whether backprop is right; the core does, and this says how.
//
//   numeric = (L(θ+h) − L(θ−h)) / ((θ+h) − (θ−h))     θ ± h rounded to f32, as the network ran
//   agree  ⇔  |analytic − numeric| ≤ tolerance · max(|analytic|, |numeric|) + k · noise

import { worked, paren, fmt, full } from "./numbers.js";
import { tx } from "./tex.js";

const wide = (v) => ({ v, wide: true });

/** The key under which a gradcheck block's result is kept: "layer/param/index". */
export const checkKey = (b) => `${b.layer}/${b.param}/${b.index}`;

/** The check's numbers, from θ ± h to the estimate. */
function estimateLines(r) {
  // θ ± h are f32s: their exact values (as f64) carry the digits the step needs.
  // When rounded, with the digits that show it is not 2h.
  const step = worked([wide(Math.fround(r.theta_plus)), wide(Math.fround(r.theta_minus))], ([a, b]) => a - b, r.step, {
    wide: true,
    minDigits: 9,
    resultDigits: 10,
  });
  const est = worked(
    [wide(r.loss_plus), wide(r.loss_minus), wide(r.step), wide(r.difference), wide(r.step)],
    ([lp, lm, st, d, st2]) => [(lp - lm) / st, d / st2],
    r.numeric,
    { wide: true, minDigits: 6 },
  );
  return [
    {
      kind: "values",
      items: [
        { key: "gc-theta", label: tx("\\theta"), value: r.theta, full: true },
        { key: "gc-h", label: tx("h"), value: r.h, full: true },
        { key: "gc-theta-plus", label: `${tx("\\theta + h")}, as an f32`, value: r.theta_plus, full: true },
        { key: "gc-theta-minus", label: `${tx("\\theta - h")}, as an f32`, value: r.theta_minus, full: true },
      ],
    },
    {
      kind: "eq",
      caption:
        r.step === 2 * r.h
          ? "The step really taken: h is a power of two, so θ ± h are exact f32s here and the step is exactly 2h:"
          : "The step really taken: θ ± h are rounded to f32 (θ and θ ± h are not within the same power of two, and f32 numbers are spaced further apart beyond it), so it differs a little from 2h (the two f32s with the digits their difference needs):",
      symbolic: "(\\theta + h) - (\\theta - h)",
      numeric: `(\\theta + h) - (\\theta - h) = ${step.ops[0]} - ${paren(step.ops[1])} = ${step.res}`,
    },
    {
      kind: "eq",
      caption: "The loss at both, and the slope between them (the losses with the digits their difference needs):",
      symbolic: "\\frac{L(\\theta + h) - L(\\theta - h)}{(\\theta + h) - (\\theta - h)}",
      numeric: `\\frac{${est.ops[0]} - ${paren(est.ops[1])}}{${est.ops[2]}} = \\frac{${est.ops[3]}}{${est.ops[4]}} = ${est.res}`,
    },
  ];
}

/** The verdict: the difference, the tolerance with its numbers, and what the noise is. */
function verdictBlocks(r) {
  const larger = Math.abs(r.analytic) >= Math.abs(r.numeric) ? r.analytic : r.numeric;
  const signed = r.analytic - r.numeric >= 0 ? r.abs_error : -r.abs_error;
  // The analytic gradient's exact f32 value: their difference needs more digits than its shortest decimal.
  const diff = worked([wide(Math.fround(r.analytic)), wide(r.numeric)], ([a, n]) => a - n, signed, { wide: true });
  const allowed = worked(
    [{ v: r.tolerance, exact: true }, { v: Math.abs(larger), wide: true }, { v: r.noise_factor, exact: true }, wide(r.noise)],
    ([t, l, k, s]) => t * l + k * s,
    r.allowed,
    { wide: true },
  );
  const pct = `${fmt(r.tolerance * 100)} %`;
  const rule = `They agree when they differ by at most ${pct} of the larger of the two, plus ${fmt(r.noise_factor)} times the rounding noise of the estimate:`;
  const beyondNoise = r.abs_error > r.noise_factor * r.noise;
  const noiseText =
    `The rounding noise: the network computes in f32, so each loss carries rounding errors of about one part in ten million, and dividing their difference by the tiny step magnifies them. The core measured it by repeating the estimate with steps 1.01 h to 1.04 h: the estimates spread by ±${fmt(r.noise, 2)}.` +
    (beyondNoise && r.agrees
      ? ` The difference is more than that noise: most of it is the central difference's own error, which shrinks like h² (the core's estimate of it, from a second check with step 2h: ${fmt(r.truncation, 2)}). It is well inside the ${pct}.`
      : "");
  return [
    {
      kind: "eq",
      caption: rule,
      symbolic: `\\text{agree} \\iff |g_{\\text{backprop}} - g_{\\text{numeric}}| \\le ${fmt(r.tolerance)} \\cdot \\max(|g_{\\text{backprop}}|, |g_{\\text{numeric}}|) + ${fmt(r.noise_factor)}\\,\\sigma`,
      numeric: `g_{\\text{backprop}} - g_{\\text{numeric}} = ${diff.ops[0]} - ${paren(diff.ops[1])} = ${diff.res}`,
    },
    {
      kind: "eq",
      symbolic: "",
      numeric: `${fmt(r.tolerance)} \\cdot \\max(|g_{\\text{backprop}}|, |g_{\\text{numeric}}|) + ${fmt(r.noise_factor)}\\,\\sigma = ${allowed.ops[0]} \\cdot ${paren(allowed.ops[1])} + ${allowed.ops[2]} \\cdot ${paren(allowed.ops[3])} = ${allowed.res}`,
    },
    {
      kind: "check",
      key: "gc-ok",
      ok: r.agrees,
      text: r.agrees
        ? `Backprop and the central difference agree: they differ by ${fmt(r.abs_error, 2)}, within the ${fmt(r.allowed, 2)} allowed.`
        : `Backprop and the central difference disagree: they differ by ${fmt(r.abs_error, 2)}, more than the ${fmt(r.allowed, 2)} allowed. The backward pass of some layer does not compute the loss's slope.`,
    },
    { kind: "text", text: noiseText },
  ];
}

/**
 * The blocks of a gradient check: `b` the walk-through's gradcheck block, `r` the core's result
 * (`gradient_check`, through the worker or the wasm module), or undefined when it has not run.
 */
export function gradcheckBlocks(b, r) {
  const intro = {
    kind: "text",
    text: `Gradient check of ${b.label}: nudge the weight a tiny step h up and down, run the whole network forward again each time, and measure the loss. The slope between the two losses estimates the gradient without backprop.`,
  };
  if (!r) return [intro, { kind: "text", text: "(Not run yet.)" }];
  const evalMode =
    r.analytic !== b.analytic && Math.abs(r.analytic - b.analytic) > 1e-6 * Math.abs(b.analytic)
      ? [
          {
            kind: "text",
            text: "The check runs the network in evaluation mode (no dropout, which would draw new masks for every loss), so its gradient differs from this step's.",
          },
        ]
      : [];
  const why = {
    kind: "text",
    text: `Why h = ${full(r.h)}${r.h === 2 ** -7 ? " (2⁻⁷)" : ""}: the estimate has two errors. The central difference's own grows like h²; the rounding of the two f32 losses (about one part in ten million) is divided by the step, so it grows as h shrinks. The two balance near the cube root of f32's precision, about 0.005; the 0.001 usual in f64 code leaves the rounding about eight times larger, enough to put a small gradient a few per cent off.${r.h === 2 ** -7 ? " A power of two, so that θ ± h are exact f32s for most weights." : ""}`,
  };
  return [
    intro,
    why,
    ...estimateLines(r),
    {
      kind: "values",
      items: [
        { key: "gc-analytic", label: `backprop (analytic), ${tx("g_{\\text{backprop}}")}`, value: r.analytic },
        { key: "gc-numeric", label: `central difference (numeric), ${tx("g_{\\text{numeric}}")}`, value: r.numeric, wide: true },
        { key: "gc-rel-error", label: "relative error", value: r.relative_error, wide: true, sig: 3 },
        { key: "gc-noise", label: `rounding noise of the estimate, ${tx("\\sigma")}`, value: r.noise, wide: true, sig: 2 },
        { key: "gc-loss-plus", label: tx("L(\\theta + h)"), value: r.loss_plus, wide: true, hidden: true },
        { key: "gc-loss-minus", label: tx("L(\\theta - h)"), value: r.loss_minus, wide: true, hidden: true },
      ],
    },
    ...verdictBlocks(r),
    ...evalMode,
  ];
}

/** Every gradient check a walk-through shows: [{key, layer, param, index}], once each. */
export function neededChecks(steps) {
  const out = new Map();
  for (const st of steps)
    for (const b of st.blocks)
      if (b.kind === "gradcheck") out.set(checkKey(b), { key: checkKey(b), layer: b.layer, param: b.param, index: b.index });
  return [...out.values()];
}

/**
 * Runs every check a walk-through shows that `checks` does not hold yet, with `run({layer,
 * param, index})` (the worker request, or the wasm call), and returns the filled map.
 * @param {any[]} steps
 * @param {(req: {layer: number, param: string, index: number}) => Promise<any> | any} run
 * @param {Map<string, any>} [checks]
 */
export async function runChecks(steps, run, checks = new Map()) {
  for (const c of neededChecks(steps))
    if (!checks.has(c.key)) checks.set(c.key, await run({ layer: c.layer, param: c.param, index: c.index }));
  return checks;
}
