// @ts-check
// The gradient check of the picked weight: the core nudges it by ±h, runs the network twice and
// compares the slope of the loss with backprop's gradient (src/trace.rs `gradient_check`). The
// view asks for it when the step is shown, keeps the answer for the trace on show (the Markdown
// export prints it too) and lays out the core's numbers and the core's verdict.

import { fmt } from "../../walkthrough/numbers.js";
import { h, num, rich, renderTex, typesetSlice } from "./dom.js";
import { tex } from "../../walkthrough/numbers.js";

/** @typedef {import("./view.js").StepThroughView} View */

/** The key of a check in `view.checks`. @param {{layer: number, param: string, index: number}} b */
export const checkKey = (b) => `${b.layer}/${b.param}/${b.index}`;

/**
 * Asks the worker for the check of `b` (a gradcheck block) on the example on show; answers from
 * `view.checks` when it has been run for this trace.
 * @param {View} view
 * @param {{layer: number, param: string, index: number}} b
 */
export async function runCheck(view, b) {
  const key = checkKey(b);
  if (view.checks.has(key)) return view.checks.get(key);
  const checks = view.checks;
  const ex = view.example;
  const r =
    ex?.kind === "custom"
      ? await view.client.request("specGradientCheck", { lab: "stepthrough", layer: b.layer, param: b.param, index: b.index })
      : await view.client.request("gradientCheck", {
          pixels: ex.pixels,
          label: ex.label,
          layer: b.layer,
          param: b.param,
          index: b.index,
          fresh: ex.fresh,
        });
  checks.set(key, r);
  return r;
}

/** @param {any} b a gradcheck block @param {View} view */
export function renderGradCheck(b, view) {
  const box = h("div", { class: "st-gradcheck", "aria-live": "polite", "aria-busy": "true" });
  const body = h("div", { class: "st-gc-body" }, "Checking…");
  box.append(
    h(
      "p",
      { class: "st-gc-head" },
      h("strong", {}, "Gradient check: "),
      rich(`nudge the weight by ±h and watch the loss, $\\frac{L(\\theta+h) - L(\\theta-h)}{(\\theta+h) - (\\theta-h)}$.`),
    ),
    body,
  );
  const trace = view.trace;
  runCheck(view, b).then(
    (r) => {
      if (view.trace !== trace) return;
      typesetSlice();
      body.replaceChildren(...checkResult(r, b));
      box.setAttribute("aria-busy", "false");
    },
    (e) => {
      body.replaceChildren(h("span", { class: "error-text" }, `The gradient check failed: ${e.message}`));
      box.setAttribute("aria-busy", "false");
    },
  );
  return box;
}

/**
 * The core's numbers of one check and its verdict.
 * @param {any} r the core's GradCheck
 * @param {any} b the block (its analytic gradient is this step's)
 */
function checkResult(r, b) {
  const verdict = coreVerdict(r);
  const step = r.step ?? 2 * r.h;
  const difference = r.difference ?? r.loss_plus - r.loss_minus;
  const rows = [
    ["backprop (analytic)", num(r.analytic, "gc-analytic")],
    ["central difference (numeric)", num(r.numeric, "gc-numeric")],
    ["relative error", num(r.relative_error, "gc-rel-error", { sig: 3 })],
  ];
  const sentence = verdict.ok
    ? `✓ They agree: they differ by ${fmt(verdict.diff, 2)}, within the ${fmt(verdict.allowed, 2)} allowed (${verdict.why}).`
    : `✗ They differ by ${fmt(verdict.diff, 3)}, more than the ${fmt(verdict.allowed, 2)} allowed (${verdict.why}).`;
  return [
    h(
      "dl",
      { class: "st-values" },
      rows.map(([l, v]) => h("div", { class: "st-value" }, h("dt", {}, l), h("dd", {}, v))),
    ),
    renderTex(
      h("div", { class: "st-eq-tex" }),
      `\\frac{${tex(r.loss_plus, 9)} - ${tex(r.loss_minus, 9)}}{${tex(step, 9)}} = \\frac{${tex(difference, 6)}}{${tex(step, 9)}} = ${tex(r.numeric)}`,
    ),
    h("span", { hidden: true, dataset: { key: "gc-loss-plus", value: String(r.loss_plus) } }),
    h("span", { hidden: true, dataset: { key: "gc-loss-minus", value: String(r.loss_minus) } }),
    h("span", { hidden: true, dataset: { key: "gc-h", value: String(r.h) } }),
    h("p", { class: `st-check ${verdict.ok ? "ok" : "bad"}`, dataset: { key: "gc-ok", value: verdict.ok ? "1" : "0" } }, sentence),
    r.analytic !== b.analytic && Math.abs(r.analytic - b.analytic) > 1e-6 * Math.abs(b.analytic)
      ? h(
          "p",
          { class: "hint" },
          `The check runs the network in evaluation mode (no dropout, which would draw new masks for every loss), so its gradient differs from this step's.`,
        )
      : null,
  ].filter(Boolean);
}

/**
 * The core's verdict and what it allowed. A core without a verdict (before src/trace.rs gave
 * one) is judged by the rule the core now applies: 1 % of the larger gradient plus the f32
 * rounding of the two losses.
 * @param {any} r
 */
function coreVerdict(r) {
  const diff = r.abs_error ?? Math.abs(r.analytic - r.numeric);
  if (typeof r.agrees === "boolean") {
    return {
      ok: r.agrees,
      diff,
      allowed: r.allowed,
      why: `${fmt(100 * r.tolerance, 2)} % of the larger of the two, plus ${fmt(r.noise_factor, 2)} × the rounding noise ${fmt(r.noise, 2)} of the estimate`,
    };
  }
  const ulp = (/** @type {number} */ x) => (x > 0 && Number.isFinite(x) ? 2 ** (Math.floor(Math.log2(x)) - 23) : 0);
  const noise = ulp(Math.max(Math.abs(r.loss_plus), Math.abs(r.loss_minus))) / r.h;
  const allowed = 1e-2 * Math.max(Math.abs(r.analytic), Math.abs(r.numeric)) + noise;
  return {
    ok: diff <= allowed,
    diff,
    allowed,
    why: `1 % of the larger of the two, plus the f32 rounding ±${fmt(noise, 2)} of the estimate`,
  };
}
