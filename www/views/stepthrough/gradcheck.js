// @ts-check
// The gradient check of the picked weight: the core nudges it by ±h, runs the network twice and
// compares the slope of the loss with backprop's gradient (src/trace.rs `gradient_check`), and
// says whether they agree. The view asks for it when the step is shown, keeps the answer for the
// trace on show (the Markdown export prints it too) and renders the blocks that
// www/walkthrough/gradcheck.js makes of it: the core's numbers and the core's verdict.

import { checkKey, gradcheckBlocks } from "../../walkthrough/gradcheck.js";
import { h, typesetSlice } from "./dom.js";

/** @typedef {import("./view.js").StepThroughView} View */

/**
 * The core's check of one weight of the example on show; from `view.checks` when it has been run
 * for this trace.
 * @param {View} view
 * @param {{layer: number, param: string, index: number}} b
 */
export async function runCheck(view, b) {
  const key = checkKey(b);
  const checks = view.checks;
  if (checks.has(key)) return checks.get(key);
  const ex = view.example;
  const { layer, param, index } = b;
  const r =
    ex?.kind === "custom"
      ? await view.client.request("specGradientCheck", { lab: "stepthrough", layer, param, index })
      : await view.client.request("gradientCheck", { pixels: ex.pixels, label: ex.label, layer, param, index, fresh: ex.fresh });
  checks.set(key, r);
  return r;
}

/**
 * @param {any} b a gradcheck block
 * @param {View} view
 * @param {(b: any, view: View) => HTMLElement | null} renderBlock
 */
export function renderGradCheck(b, view, renderBlock) {
  const [intro] = gradcheckBlocks(b, null);
  const body = h("div", { class: "st-gc-body" }, h("p", { class: "hint" }, "Checking…"));
  const box = h("div", { class: "st-gradcheck", "aria-live": "polite", "aria-busy": "true" }, renderBlock(intro, view), body);
  const trace = view.trace;
  runCheck(view, b).then(
    (r) => {
      if (view.trace !== trace) return;
      typesetSlice();
      body.replaceChildren(
        ...gradcheckBlocks(b, r)
          .slice(1)
          .map((x) => renderBlock(x, view)),
      );
      box.setAttribute("aria-busy", "false");
    },
    (e) => {
      body.replaceChildren(h("p", { class: "error-text" }, `The gradient check failed: ${e.message}`));
      box.setAttribute("aria-busy", "false");
    },
  );
  return box;
}
